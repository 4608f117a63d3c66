"""The Compose target's rules: what it refuses, and what it warns about, before rendering."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploykit import traefik
from deploykit.servers import SYNC_WORKERS_MESSAGE, serves_one_request_at_a_time
from deploykit.spec.background import NO_LIVENESS, YACRON, background_processes
from deploykit.spec.names import is_local_host, public_names
from deploykit.targets.compose import naming
from deploykit.targets.compose.background import SCHEDULER, scheduler_kind
from deploykit.targets.compose.workload import MAX_WORKERS, workers
from deploykit.targets.runtime import check_local_volumes, check_runtime

if TYPE_CHECKING:
    from deploykit.errors import FieldPath
    from deploykit.report import Report
    from deploykit.spec.model import Profile


def is_exposed(profile: Profile) -> bool:
    """Whether the app gets a public route (a proxy with a host)."""
    return profile.proxy is not None and profile.proxy.host is not None


def check(profile: Profile, report: Report) -> None:
    """Errors and warnings for `profile` on Docker Compose (see deploykit.targets.Target)."""
    check_runtime(profile, report)
    if profile.command is not None and serves_one_request_at_a_time(profile.command):
        report.warn(("command",), SYNC_WORKERS_MESSAGE, code="sync-workers")
    for process in background_processes(profile):
        if process.liveness_command is None:
            report.warn(("processes", process.name), NO_LIVENESS, code="process-no-liveness")
    options = profile.compose
    if options.http_port == options.https_port:
        report.error(("compose", "https_port"), "must differ from compose.http_port (Traefik publishes both)")
    if profile.replicas == 0 and options.workers is None:
        report.error(
            ("replicas",),
            "0 would park the environment, and Compose runs the app as one container whose processes are its "
            "workers: it has no count of 0; stop the stack with `docker compose stop`, or set overrides.compose.replicas",
        )
    if options.workers is None and profile.replicas > MAX_WORKERS:
        report.error(
            ("replicas",),
            f"{profile.replicas} processes cannot run as workers of one container; set compose.workers (at most {MAX_WORKERS})",
        )
    _check_service_names(profile, report)
    _check_volumes(profile, report)
    if profile.cron and scheduler_kind(profile) == "yacron" and "dockerfile" not in profile.target_names:
        report.warn(
            ("compose", "scheduler"),
            f"the scheduler runs yacron from {YACRON}, which only deploykit's Dockerfile installs: this "
            "environment's image is built elsewhere (no dockerfile target), so unless it provides yacron there "
            "the scheduler exits and no job runs; compose.scheduler: systemd needs nothing in the image",
            code="scheduler-needs-yacron",
        )
    if options.directory is not None and not (profile.cron and scheduler_kind(profile) == "systemd"):
        report.warn(
            ("compose", "directory"),
            "only the scheduled jobs' systemd units use it, and this environment renders none (no cron, or "
            "compose.scheduler: yacron)",
            code="not-rendered",
        )
    if profile.command is None and profile.secrets and profile.secrets_as == "env":
        # Compose resets an image's CMD when a service sets `entrypoint` (the Compose specification),
        # so the /bin/sh entrypoint that exports the secrets would start nothing.
        report.error(
            ("secrets_as",),
            "without `command`, Compose cannot export secrets as variables: its /bin/sh entrypoint would replace "
            "the image's ENTRYPOINT and drop its CMD; set secrets_as: file (the app reads <NAME>_FILE) or give `command`",
            because_of=("secrets",),
        )
    proxy = profile.proxy
    if profile.publish is not None and not profile.web_server.forks_workers and workers(profile) > 1:
        report.error(
            ("publish", "port"),
            f"{workers(profile)} containers of a generic server cannot share one host port; publish it with "
            "compose.workers: 1 (or replicas: 1), or put deploykit's proxy in front (proxy.host)",
        )
    if proxy is None or proxy.host is None:
        if profile.publish is None:
            report.warn(
                ("proxy",),
                "no proxy host: the app gets no route and no published port, so only containers on its network reach it",
                code="no-route",
            )
    else:
        if proxy.tls == "none" and any(not is_local_host(host) for host in proxy.all_hosts):
            report.warn(
                ("proxy", "tls"),
                f"tls: none serves {public_names(proxy)} over plain HTTP; use acme or provided for a host outside this machine",
                code="plain-http",
            )
        if proxy.tls == "acme":
            _check_acme_port(profile, report)
        if options.socket_access == "mount":
            report.warn(
                ("compose", "socket_access"),
                "Traefik mounts the Docker socket: anyone who takes over Traefik controls the host (a read-only mount still lets every API call through); use socket_access: proxy",
                code="docker-socket-mounted",
            )
        if proxy.tls == "provided":
            certificate = proxy.certificate
            if certificate is None:
                report.error(
                    ("proxy", "certificate"),
                    "required with tls: provided: the certificate and key files Traefik serves",
                    because_of=("proxy", "tls"),
                )
            elif not (certificate.cert_file.startswith("/") and certificate.key_file.startswith("/")):
                report.warn(
                    ("proxy", "certificate"),
                    "relative certificate paths are resolved from the directory holding compose.yaml",
                    code="relative-certificate-path",
                )
    if options.secrets_source == "external" and profile.secrets:
        report.warn(
            ("compose", "secrets_source"),
            "external secrets exist only in Swarm mode (`docker stack deploy`); `docker compose up` refuses them. Use secrets_source: file on a single server",
            code="swarm-only-secrets",
        )


def _check_acme_port(profile: Profile, report: Report) -> None:
    mismatch = traefik.acme_port_mismatch(profile.compose)
    if mismatch is not None:
        report.warn(("compose", mismatch[0]), mismatch[1], code="acme-nonstandard-ports")


def _check_service_names(profile: Profile, report: Report) -> None:
    """An app, step, process or job whose service name is taken by a service deploykit adds, and jobs
    the scheduler cannot run."""
    taken: dict[str, str] = {}
    if is_exposed(profile):
        taken[naming.TRAEFIK] = "Traefik"
        if profile.compose.socket_access == "proxy":
            taken[naming.SOCKET_PROXY] = "the Docker socket proxy"
    yacron = bool(profile.cron) and scheduler_kind(profile) == "yacron"
    if yacron:
        taken[SCHEDULER] = "the scheduler that runs the cron jobs"
    if profile.app in taken:
        report.error(
            ("app",), f"app name {profile.app!r} is also the Compose service of {taken[profile.app]}; rename the app"
        )
    named: list[tuple[FieldPath, str, str]] = [
        (("prestart", index, "name"), step.name, "step") for index, step in enumerate(profile.prestart)
    ]
    named += [(("processes", name), name, "process") for name in profile.processes]
    if not yacron:
        named += [(("cron", name), name, "job") for name in profile.cron]
    for path, name, kind in named:
        if name in taken:
            report.error(path, f"{kind} name {name!r} is also the Compose service of {taken[name]}; rename the {kind}")
    for name, job in profile.cron.items():
        if yacron and job.image is not None and job.image != profile.image:
            report.error(
                ("cron", name, "image"),
                "the yacron scheduler runs every scheduled job inside its container, which runs the app's image; "
                "give the job the app's image, or set compose.scheduler: systemd (each job in a container of its own image)",
            )


def _check_volumes(profile: Profile, report: Report) -> None:
    """State volumes: names apart from deploykit's own, mount points the image prepares for the app."""
    mounts: list[tuple[FieldPath, str, str]] = [
        (("compose", "volumes", name), name, path) for name, path in profile.compose.volumes.items()
    ]
    mounts += [(("volumes", name), name, volume.path) for name, volume in profile.volumes.items()]
    check_local_volumes(profile, report, "Compose", "compose.volumes", profile.compose.volumes)
    for where, name, path in mounts:
        if name == naming.ACME_VOLUME:
            report.error(where, f"{name!r} is the volume Traefik keeps its certificates in; choose another name")
        # The image's own USER (run_as: image) prepared its own directories.
        if profile.run_as == "deploykit" and path not in profile.build.data_dirs:
            report.warn(
                where,
                f"{path} is not in build.data_dirs: a new volume there is owned by root, so the app (uid {profile.build.uid}) cannot write it",
                code="volume-not-owned",
            )
