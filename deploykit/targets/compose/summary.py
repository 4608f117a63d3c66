"""What the rendered Compose project does, for `explain`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploykit import traefik
from deploykit.spec.background import background_processes, scheduled_jobs
from deploykit.spec.quantities import compose_memory
from deploykit.summary import Background, Restarts, Route, Runtime, Steps, Summary, Workload, route_notes
from deploykit.targets.compose.check import is_exposed
from deploykit.targets.compose.traefik import CERT_RESOLVER
from deploykit.targets.compose.workload import launch

if TYPE_CHECKING:
    from deploykit.spec.model import Profile


def summarize(profile: Profile, project: dict) -> Summary:
    """The Summary of `project`, the document `build_project` returned for `profile`."""
    app = project["services"][profile.app]
    limits = app["deploy"]["resources"]["limits"]
    server = profile.web_server
    unit = launch(profile, profile.compose.proxy_subnet if is_exposed(profile) else None)
    healthcheck = app["healthcheck"]
    web = Workload(
        name=profile.app,
        # The argv the container runs (the compose file writes it with `$` doubled for Compose).
        command=() if profile.command is None else (*profile.command, *server.arguments(unit)),
        server=server.name,
        unit="container",
        units=app["deploy"].get("replicas", 1),
        max_units=None,
        processes_per_unit=unit.workers,
        supervisor=server.processes(unit.workers) > unit.workers,
        supervisor_loads_app=server.master_loads_app,
        memory_limit=limits["memory"],
        memory_request=None,
        cpu=limits["cpus"],
        restarts=Restarts(app["restart"]),
        shutdown_seconds=profile.shutdown_seconds,
        check_path=profile.health.readiness,
        proxy_checks=profile.health.check == "http",
        container_check=None if healthcheck.get("disable") else tuple(healthcheck["test"][1:]),
        start_budget_seconds=profile.health.startup_seconds,
        liveness=None,
        runtime=Runtime(
            user=app.get("user"),
            read_only_root=app.get("read_only", False),
            writable=tuple(entry.split(":", 1)[0] for entry in app["tmpfs"]),
            writable_kind="tmpfs",
            persistent=", ".join(
                f"{mount['target']} (named volume {mount['source']})"
                for mount in app.get("volumes", [])
                if mount.get("type") == "volume"
            )
            or None,
        ),
    )
    awaited = tuple((name, dependency["condition"]) for name, dependency in app.get("depends_on", {}).items())
    steps = Steps(tuple(step.name for step in profile.prestart), "one-shot services", "up", awaited)
    return Summary(
        "compose",
        _route(profile),
        "the project's networks",
        web,
        steps,
        background=_background(profile, project),
        published=", ".join(
            f"host port {port['host_ip']}:{port['published']}"
            if "host_ip" in port
            else f"host port {port['published']} (every address)"
            for port in app.get("ports", [])
        )
        or None,
    )


def _background(profile: Profile, project: dict) -> tuple[Background, ...]:
    found = []
    for process in background_processes(profile):
        deploy = project["services"][process.name]["deploy"]
        found.append(
            Background(
                process.name, process.command, deploy["replicas"], "container", deploy["resources"]["limits"]["memory"]
            )
        )
    for job in scheduled_jobs(profile):
        memory = compose_memory(job.memory_bytes)
        found.append(
            Background(
                job.name, job.command, 1, "run", memory, job.schedule, job.timezone, "the scheduler service (yacron)"
            )
        )
    return tuple(sorted(found, key=lambda item: item.name))


def _route(profile: Profile) -> Route | None:
    proxy = profile.proxy
    if proxy is None or proxy.host is None or not is_exposed(profile):
        return None
    certificates = {"acme": f"ACME resolver {CERT_RESOLVER}", "provided": "the provided certificate", "none": None}[
        proxy.tls
    ]
    return Route(
        router="Traefik",
        rule=traefik.route_rule(proxy.served_hosts, proxy.path_prefix),
        notes=route_notes(proxy),
        entrypoint="websecure" if certificates else "web",
        certificates=certificates,
        redirects_http=certificates is not None,
    )
