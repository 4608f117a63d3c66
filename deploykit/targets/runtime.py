"""Rules every runtime target shares: the image's runtime contract (user, root file system) and volumes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection

    from deploykit.report import Report
    from deploykit.spec.model import Profile


def check_runtime(profile: Profile, report: Report) -> None:
    """Warn about a writable root file system (the one hardening a profile may turn off), and about an
    app without any health check."""
    if profile.health.check == "none":
        report.warn(
            ("health", "check"),
            "no health check: an app that hangs keeps receiving traffic and is never restarted, and a deployment "
            "counts as healthy as soon as the process runs; use http, tcp or command",
            code="no-health-check",
        )
    if not profile.read_only_root:
        report.warn(
            ("read_only_root",),
            "the root file system is writable: a compromised app can change its own code and binaries; "
            "list the directories the image writes in writable_paths instead where you can",
            code="writable-root",
        )


def check_volumes(profile: Profile, report: Report, platform: str, unit: str) -> None:
    """Volumes on a cluster (`platform`: Kubernetes, Nomad): one copy of the data, mounted by the app's `unit`."""
    if profile.compose.volumes:
        report.warn(
            ("compose", "volumes"),
            f"Compose's volumes only: {platform} mounts none of them, so what the app writes there is lost when its "
            f"{unit} is replaced; declare persistent data under `volumes` (path and size) for every target",
            code="volume-not-carried",
        )
    if not profile.volumes:
        return
    if profile.replicas > 1:
        report.error(
            ("replicas",),
            f"a volume is one copy of the data, attached to one node: with `volumes`, {platform} runs one {unit} "
            "(replicas: 1); share data between replicas through a database or object storage instead",
        )
    others = [f"{field}.{name}" for field in ("processes", "cron") for name in getattr(profile, field)]
    if others:
        report.warn(
            ("volumes",),
            f"{', '.join(others)} run in {unit}s of their own on {platform}, which do not mount the app's volumes "
            "(one node holds them)",
            code="volume-not-carried",
        )


def check_local_volumes(profile: Profile, report: Report, engine: str, field: str, own: Collection[str]) -> None:
    """Volumes on one server (`engine`: Compose, Podman): named once, and sized by nobody.

    `own` is the target's own volume list (`field`, e.g. compose.volumes), which may not repeat a name."""
    for name in profile.volumes:
        if name in own:
            report.error(("volumes", name), f"{name!r} is also in {field}; declare it once, in volumes")
        report.warn(
            ("volumes", name, "size"),
            f"{engine}'s local volumes have no size: {name} may grow until the server's disk is full",
            code="volume-size-not-enforced",
        )
