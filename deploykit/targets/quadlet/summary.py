"""What the rendered units do, for `explain` (from the same builders the units are written by)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploykit import traefik
from deploykit.spec.background import background_processes, scheduled_jobs
from deploykit.spec.quantities import compose_cpus, compose_memory
from deploykit.summary import Background, Probe, Restarts, Route, Runtime, Steps, Summary, Workload, route_notes
from deploykit.targets.quadlet import build

if TYPE_CHECKING:
    from deploykit.spec.model import Profile


def summarize(profile: Profile) -> Summary:
    """The Summary of the units `render` writes for `profile`."""
    server = profile.web_server
    launch = build.launch(profile)
    health = profile.health
    check = build.health_command(profile)
    workload = Workload(
        name=profile.app,
        command=() if profile.command is None else (*profile.command, *server.arguments(launch)),
        server=server.name,
        unit="container",
        units=profile.replicas,
        max_units=None,
        processes_per_unit=1,
        supervisor=server.processes(1) > 1,
        supervisor_loads_app=server.master_loads_app,
        memory_limit=compose_memory(server.unit_memory(profile.memory_bytes, 1)),
        memory_request=None,
        cpu=compose_cpus(profile.cpu_millicores),
        restarts=Restarts("always"),
        shutdown_seconds=profile.shutdown_seconds,
        check_path=health.readiness,
        container_check=tuple(check) if check is not None else None,
        start_budget_seconds=health.startup_seconds if check is not None else None,
        liveness=Probe(health.readiness, health.interval_seconds, health.failure_threshold) if check else None,
        drain_seconds=build.drain_seconds(profile) or None,
        runtime=Runtime(
            user=build.run_as(profile),
            read_only_root=profile.read_only_root,
            writable=("/tmp", *profile.writable_paths),
            writable_kind="tmpfs",
            persistent=", ".join(
                f"{path} (volume {build.state_volume(profile, name)})"
                for name, path in sorted(build.state_mounts(profile).items())
            )
            or None,
        ),
        proxy_checks=health.check == "http",
    )
    steps = Steps(
        tuple(step.name for step in profile.prestart),
        "oneshot units " + ", ".join(f"{build.step_unit(profile, step)}.service" for step in profile.prestart),
        "release",
    )
    return Summary(
        "quadlet",
        _route(profile),
        f"containers on the network {build.network_name(profile)}",
        workload,
        steps,
        trusted_proxies=build.traefik_address(profile) if build.is_exposed(profile) else None,
        background=_background(profile),
    )


def _background(profile: Profile) -> tuple[Background, ...]:
    found = [
        Background(process.name, process.command, process.replicas, "container", compose_memory(process.memory_bytes))
        for process in background_processes(profile)
    ]
    found += [
        Background(
            job.name,
            job.command,
            1,
            "run",
            compose_memory(job.memory_bytes),
            job.schedule,
            job.timezone,
            f"the timer {build.job_unit(profile, job.name)}.timer",
        )
        for job in scheduled_jobs(profile)
    ]
    return tuple(sorted(found, key=lambda item: item.name))


def _route(profile: Profile) -> Route | None:
    proxy = profile.proxy
    if proxy is None or proxy.host is None:
        return None
    certificates = {"acme": "ACME (Let's Encrypt)", "provided": "provided certificates", "none": None}[proxy.tls]
    return Route(
        router=f"Traefik ({build.traefik_unit(profile)}.service, routes from traefik/routes.yaml)",
        rule=traefik.route_rule(proxy.served_hosts, proxy.path_prefix),
        notes=route_notes(proxy),
        entrypoint="websecure" if certificates else "web",
        certificates=certificates,
        redirects_http=certificates is not None,
    )
