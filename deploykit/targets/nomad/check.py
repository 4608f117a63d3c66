"""The Nomad target's rules: what it refuses, and what it warns about, before rendering."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploykit.servers import SYNC_WORKERS_MESSAGE, serves_one_request_at_a_time
from deploykit.spec.background import NO_LIVENESS, background_processes, scheduled_jobs
from deploykit.spec.names import is_local_host, public_names
from deploykit.targets.nomad.interpolation import runtime_reference_problem
from deploykit.targets.nomad.secrets import is_variable_path, variable_path
from deploykit.targets.runtime import check_runtime, check_volumes

if TYPE_CHECKING:
    from deploykit.report import Report
    from deploykit.spec.model import CronJob, Process, Profile

# Nomad clients cap kill_timeout at their max_kill_timeout, 30 s unless the operator raised it.
DEFAULT_MAX_KILL_TIMEOUT = 30
TRAEFIK_JOB = "traefik"


def check(profile: Profile, report: Report) -> None:
    """Errors and warnings for `profile` on Nomad (see deploykit.targets.Target)."""
    check_runtime(profile, report)
    check_volumes(profile, report, "Nomad", "allocation")
    for name in profile.volumes:
        report.warn(
            ("volumes", name, "size"),
            f"Nomad's host volumes have no size: {name} is the directory each client declares as host_volume "
            f"{name!r}, as large as that disk",
            code="volume-size-not-enforced",
        )
    if profile.command is not None and serves_one_request_at_a_time(profile.command):
        report.warn(("command",), SYNC_WORKERS_MESSAGE, code="sync-workers")
    for process in background_processes(profile):
        if process.liveness_command is None:
            report.warn(("processes", process.name), NO_LIVENESS, code="process-no-liveness")
        else:
            report.warn(
                ("processes", process.name, "liveness_command"),
                "not rendered: Nomad runs script checks only for Consul services, and the process has no service",
                code="not-rendered",
            )
    options = profile.nomad
    # Nomad refuses a healthy_deadline at or past progress_deadline: the deployment would fail first.
    if options.min_healthy_seconds >= options.healthy_deadline_seconds:
        report.error(("nomad", "min_healthy_seconds"), "must be less than nomad.healthy_deadline_seconds")
    if options.healthy_deadline_seconds >= options.progress_deadline_seconds:
        report.error(("nomad", "healthy_deadline_seconds"), "must be less than nomad.progress_deadline_seconds")
    if profile.health.startup_seconds >= options.healthy_deadline_seconds:
        steps = " and the prestart steps before it" if profile.prestart and options.prestart == "task" else ""
        report.warn(
            ("health", "startup_seconds"),
            f"{profile.health.startup_seconds}s is not less than nomad.healthy_deadline_seconds "
            f"({options.healthy_deadline_seconds}s), which counts the app's start{steps}: a deployment fails "
            "allocations that are still starting; raise healthy_deadline_seconds",
            code="startup-beyond-deadline",
        )
    for name, value in profile.env.items():
        _refuse_runtime_reference(report, value, ("env", name))
    proxy = profile.proxy
    if proxy is not None and proxy.host is not None and options.forwarded_allow_ips is None:
        trusted = (
            f"only Traefik on the allocation's own node ({options.trusted_bridge}) is trusted"
            if options.trusted_bridge
            else "no proxy is trusted"
        )
        report.warn(
            ("nomad", "forwarded_allow_ips"),
            f"not set: {trusted}, so requests Traefik routes from other nodes reach the app as plain HTTP from the "
            "node's address; set it to the Traefik nodes' addresses or CIDR",
            code="same-node-trust",
        )
    for index, step in enumerate(profile.prestart):
        for position, argument in enumerate(step.command):
            _refuse_runtime_reference(report, argument, ("prestart", index, "command", position))
    for position, argument in enumerate(profile.command or ()):
        _refuse_runtime_reference(report, argument, ("command", position))
    # Background processes and scheduled jobs are tasks too: Nomad interpolates their config and env alike.
    entries: list[tuple[str, dict[str, Process | CronJob]]] = [
        ("processes", {**profile.processes}),
        ("cron", {**profile.cron}),
    ]
    for field, named in entries:
        for name, entry in named.items():
            for position, argument in enumerate(entry.command):
                _refuse_runtime_reference(report, argument, (field, name, "command", position))
            for key, value in entry.env.items():
                _refuse_runtime_reference(report, value, (field, name, "env", key))
    for name in profile.secrets:
        path = variable_path(profile, name)
        if not is_variable_path(path):
            report.error(
                ("secrets", name, "secret"),
                f"{path!r} is not a valid Nomad variable path (letters, digits, '-', '_', '~' and '/', at most 128 characters); "
                "rename the secret or set nomad.variables_path",
            )
    images = {step.image or profile.image for step in profile.prestart}
    if len(images) > 1:
        report.error(
            ("prestart",),
            "Nomad starts every prestart task at once, so the steps run in order inside one task, which needs one image; "
            "give every step the same image",
        )
    if options.proxy == "job":
        if proxy is not None and proxy.tls == "provided" and proxy.certificate is None:
            report.error(
                ("proxy", "certificate"),
                "required with tls: provided and nomad.proxy: job: the certificate and key files Traefik serves",
                because_of=("proxy", "tls"),
            )
        if profile.app == TRAEFIK_JOB:
            report.error(
                ("app",),
                f"the app cannot be called {TRAEFIK_JOB!r} with nomad.proxy: job: the Traefik job has that name",
            )
    _warn(profile, report)


def _refuse_runtime_reference(report: Report, text: str, path: tuple[str | int, ...]) -> None:
    problem = runtime_reference_problem(text)
    if problem is not None:
        report.error(path, problem)


def _warn(profile: Profile, report: Report) -> None:
    if profile.shutdown_seconds > DEFAULT_MAX_KILL_TIMEOUT:
        report.warn(
            ("shutdown_seconds",),
            f"Nomad clients cap kill_timeout at their max_kill_timeout ({DEFAULT_MAX_KILL_TIMEOUT}s unless raised in the client configuration)",
            code="kill-timeout-capped",
        )
    several = profile.replicas > 1 or bool(background_processes(profile)) or bool(scheduled_jobs(profile))
    if profile.prestart and several and profile.nomad.prestart == "task":
        report.warn(
            ("prestart",),
            "prestart tasks run in every allocation (web, processes and periodic runs), concurrently: each step must take a lock (e.g. a Postgres advisory lock)",
            code="concurrent-prestart",
        )
    for field in ("labels", "annotations"):
        if getattr(profile, field):
            report.warn((field,), f"Nomad jobs have no {field}: not rendered", code="not-rendered")
    proxy = profile.proxy
    if (
        proxy is not None
        and proxy.host is not None
        and proxy.tls == "none"
        and any(not is_local_host(host) for host in proxy.all_hosts)
    ):
        report.warn(
            ("proxy", "tls"),
            f"tls: none serves {public_names(proxy)} over plain HTTP; use acme or provided for a public host",
            code="plain-http",
        )
