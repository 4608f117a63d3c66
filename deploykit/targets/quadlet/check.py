"""The Quadlet target's rules: what it refuses, and what it warns about, before rendering."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from deploykit import traefik
from deploykit.spec.names import IMAGE_REFERENCE, is_local_host, public_names
from deploykit.targets.quadlet import build
from deploykit.targets.runtime import check_local_volumes, check_runtime

if TYPE_CHECKING:
    from deploykit.errors import FieldPath
    from deploykit.report import Report
    from deploykit.spec.model import Profile

# A tag that names one build: 1.4.2, v1.4.2, 1.4.2-slim. Moving tags (1.4, stable) may be updated.
_VERSION_TAG = re.compile(r"^v?[0-9]+\.[0-9]+\.[0-9]+(?:[-+._][A-Za-z0-9_.-]*)?$")


def is_pinned(reference: str) -> bool:
    """Whether `reference` names one image for good: a digest, or a full version tag."""
    match = IMAGE_REFERENCE.fullmatch(reference)
    if match is None or match.group("digest") is not None:
        return True
    return bool(_VERSION_TAG.fullmatch(match.group("tag") or ""))


def check(profile: Profile, report: Report) -> None:
    """Errors and warnings for `profile` as Podman Quadlet units (see deploykit.targets.Target)."""
    check_runtime(profile, report)
    if profile.publish is not None:
        report.error(
            ("publish",),
            "the Quadlet target runs the app as one container per replica behind Traefik and does not publish the "
            "app's port itself yet; leave quadlet out of this environment's targets, or route it through proxy.host",
        )
    check_local_volumes(profile, report, "Podman", "quadlet.volumes", profile.quadlet.volumes)
    if profile.compose.volumes and not profile.quadlet.volumes:
        report.warn(
            ("compose", "volumes"),
            "Compose's volumes only: the Quadlet units mount none of them (quadlet.volumes, or `volumes` for every target)",
            code="volume-not-carried",
        )
    options = profile.quadlet
    if profile.replicas == 0:
        report.error(
            ("replicas",),
            "0 would park the environment, and Quadlet has no unit count of 0 to render: stop the app's units "
            "(systemctl stop) instead, or set overrides.quadlet.replicas",
        )
    if options.http_port == options.https_port:
        report.error(("quadlet", "https_port"), "must differ from quadlet.http_port (Traefik publishes both)")
    if options.auto_update == "registry":
        images: list[tuple[FieldPath, str]] = [(("image",), profile.image)]
        images += [
            (("prestart", index, "image"), step.image) for index, step in enumerate(profile.prestart) if step.image
        ]
        images += [
            (("processes", name, "image"), entry.image) for name, entry in profile.processes.items() if entry.image
        ]
        images += [(("cron", name, "image"), entry.image) for name, entry in profile.cron.items() if entry.image]
        for path, value in images:
            if is_pinned(value):
                report.error(
                    path,
                    f"{value} is pinned (a digest or a full version tag), so quadlet.auto_update: registry would never "
                    "update it; name a moving tag (1.4, stable) or leave auto_update at none",
                    because_of=("quadlet", "auto_update"),
                )
    _check_names(profile, report)
    for name, mount in profile.quadlet.volumes.items():
        if name == build.ACME:
            report.error(
                ("quadlet", "volumes", name),
                f"{name!r} names the volume Traefik keeps its certificates in; choose another name",
            )
        if mount not in profile.build.data_dirs:
            report.warn(
                ("quadlet", "volumes", name),
                f"{mount} is not in build.data_dirs: a new volume there is owned by root, so the app (uid "
                f"{profile.build.uid}) cannot write it",
                code="volume-not-owned",
            )
    proxy = profile.proxy
    if proxy is None or proxy.host is None:
        report.warn(
            ("proxy",),
            "no proxy host: no Traefik and no published port, so only containers on the app's network reach it",
            code="no-route",
        )
        if options.install_dir is not None:
            report.warn(
                ("quadlet", "install_dir"),
                "only the replicas' drain from Traefik's routes uses it, and without a proxy host there is no Traefik",
                code="not-rendered",
            )
        return
    if proxy.tls == "none" and any(not is_local_host(host) for host in proxy.all_hosts):
        report.warn(
            ("proxy", "tls"),
            f"tls: none serves {public_names(proxy)} over plain HTTP; use acme or provided for a host outside this machine",
            code="plain-http",
        )
    if proxy.tls == "provided" and proxy.certificate is None:
        report.error(
            ("proxy", "certificate"),
            "required with tls: provided: the certificate and key files Traefik serves",
            because_of=("proxy", "tls"),
        )
    elif proxy.tls == "provided" and proxy.certificate is not None:
        for field in ("cert_file", "key_file"):
            if not getattr(proxy.certificate, field).startswith("/"):
                report.error(
                    ("proxy", "certificate", field),
                    "must be an absolute path on the server: Podman reads Volume= sources from its own working directory",
                )
    mismatch = traefik.acme_port_mismatch(options) if proxy.tls == "acme" else None
    if mismatch is not None:
        report.warn(("quadlet", mismatch[0]), mismatch[1], code="acme-nonstandard-ports")


def _check_names(profile: Profile, report: Report) -> None:
    """Two units, or a unit and deploykit's own, with one name (`items-api-worker-1` from a process
    `worker` and a job `worker-1`)."""
    taken = build.unit_names(profile)
    owners: list[tuple[str, FieldPath]] = [
        (build.job_unit(profile, name), ("cron", name)) for name in sorted(profile.cron)
    ]
    if build.is_exposed(profile):
        owners.insert(0, (build.traefik_unit(profile), ("app",)))
    seen = dict(taken)
    for name, path in owners:
        if name in seen:
            report.error(path, f"its unit would be named {name}, which another unit of the app already has; rename it")
        seen.setdefault(name, path)
    expected = (
        sum(process.replicas for process in profile.processes.values()) + profile.replicas + len(profile.prestart)
    )
    if len(taken) != expected:
        report.error(
            ("processes",),
            "two of the app's units (replicas, processes, prestart steps) would have the same name; rename a process",
        )
