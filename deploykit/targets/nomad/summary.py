"""What the rendered Nomad job does, for `explain` (read from the values its template wrote)."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from deploykit import traefik
from deploykit.spec.background import scheduled_jobs
from deploykit.spec.quantities import mebibytes_rounded_up
from deploykit.summary import Background, Restarts, Route, Runtime, Steps, Summary, Workload, route_notes
from deploykit.targets.nomad.job import trusted_proxies

if TYPE_CHECKING:
    from deploykit.spec.model import Profile


def summarize(profile: Profile, job: dict) -> Summary:
    """The Summary of `job`, the values `build_job` returned for `profile`."""
    web = job["groups"][0]
    app = next(task for task in web["tasks"] if not task["prestart"])
    restart, reschedule = web["restart"], web["reschedule"]
    workload = Workload(
        name=app["name"],
        command=() if app["command"] is None else (app["command"], *app["args"]),
        server=profile.web_server.name,
        unit="allocation",
        units=web["count"],
        max_units=None,
        processes_per_unit=1,
        supervisor=profile.web_server.processes(1) > 1,
        supervisor_loads_app=profile.web_server.master_loads_app,
        memory_limit=f"{app['resources']['memory']} MiB",
        memory_request=None,
        cpu=f"{app['resources']['cpu']} MHz",
        restarts=Restarts(
            restart["mode"],
            attempts=restart["attempts"],
            interval=restart["interval"],
            reschedule=f"{reschedule['delay_function']} from {reschedule['delay']}",
        ),
        shutdown_seconds=profile.shutdown_seconds,
        check_path=_checked(app["service"]["checks"]),
        container_check=None,
        start_budget_seconds=None,
        liveness=None,
        runtime=Runtime(
            user=app["user"],
            read_only_root=app["read_only"],
            writable=("/tmp", *app["writable_paths"]),
            writable_kind="tmpfs",
            persistent=", ".join(
                f"{mount['destination']} (host volume {mount['volume']} of the node running it)"
                for mount in app["volume_mounts"]
            )
            or None,
        ),
    )
    names = tuple(step.name for step in profile.prestart)
    if profile.nomad.prestart == "job":
        steps = Steps(names, f"the batch job {profile.app}-prestart", "release")
    else:
        steps = Steps(names, "one prestart task", "allocation")
    return Summary(
        "nomad",
        _route(profile),
        f"service {app['service']['name']}",
        workload,
        steps,
        trusted_proxies=trusted_proxies(profile),
        background=_background(profile, job),
        published=None if web["network"]["static"] is None else f"static port {web['network']['static']}",
    )


def _background(profile: Profile, job: dict) -> tuple[Background, ...]:
    found = []
    for group in job["groups"][1:]:
        # The process's own task: the prestart task, when there is one, runs before it.
        task = next(task for task in group["tasks"] if not task["prestart"])
        found.append(
            Background(
                group["name"],
                (task["command"], *task["args"]),
                group["count"],
                "allocation",
                f"{task['resources']['memory']} MiB",
            )
        )
    for scheduled in scheduled_jobs(profile):
        memory = f"{mebibytes_rounded_up(scheduled.memory_bytes)} MiB"
        found.append(
            Background(
                scheduled.name,
                scheduled.command,
                1,
                "run",
                memory,
                scheduled.schedule,
                scheduled.timezone,
                "a periodic batch job",
            )
        )
    return tuple(sorted(found, key=lambda item: item.name))


def _route(profile: Profile) -> Route | None:
    proxy = profile.proxy
    if proxy is None or proxy.host is None:
        return None
    certificates = {
        "acme": f"certificate resolver {profile.nomad.cert_resolver}",
        "provided": "provided certificates",
        "none": None,
    }[proxy.tls]
    router = (
        "the Traefik system job rendered beside it" if profile.nomad.proxy == "job" else "your Traefik (Nomad provider)"
    )
    return Route(
        router=router,
        rule=traefik.route_rule(proxy.served_hosts, proxy.path_prefix),
        notes=route_notes(proxy),
        entrypoint="websecure" if certificates else "web",
        certificates=certificates,
        redirects_http=certificates is not None and profile.nomad.proxy == "job",
    )


def _checked(checks: list[dict]) -> str:
    """What the first check (readiness) checks: its HTTP path, the TCP port, or the command."""
    if not checks:
        return "none (health.check: none: only that the tasks run)"
    first = checks[0]
    if first["type"] == "http":
        return first["path"]
    if first["type"] == "tcp":
        return "a TCP connection to the service port"
    return "`" + shlex.join([first["command"], *first["args"]]) + "`"
