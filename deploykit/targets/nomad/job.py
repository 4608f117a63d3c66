"""The app's job: one group of `replicas` allocations, one process each, behind Traefik's Nomad provider.

`build_job` returns the values `job.nomad.hcl.j2` writes; check.py has refused every user value that
Nomad would interpolate at run time, and the template passes every value through `hcl_value`.
"""

from __future__ import annotations

from deploykit.servers import Launch
from deploykit.spec.model import Profile
from deploykit.spec.quantities import mebibytes_rounded_up, nomad_cpu_mhz
from deploykit.targets.nomad.secrets import DESTINATION, env_template
from deploykit.targets.nomad.traefik_tags import canary_tags, service_tags

PORT_LABEL = "http"
PIDS_LIMIT = 1024
TMP_SIZE_BYTES = 64 * 2**20
RESTART = {"attempts": 3, "interval": "5m", "delay": "15s", "mode": "fail"}
RESCHEDULE = {"delay": "30s", "delay_function": "exponential", "max_delay": "1h", "unlimited": True}


def _seconds(value: int) -> str:
    return f"{value}s"


def _job_placement(profile: Profile) -> dict:
    options = profile.nomad
    return {
        "datacenters": list(options.datacenters),
        "namespace": options.namespace,
        "region": options.region,
        "node_pool": options.node_pool,
    }


def _update(profile: Profile) -> dict:
    options = profile.nomad
    update: dict = {
        "max_parallel": 1,
        "health_check": "checks",
        "min_healthy_time": _seconds(options.min_healthy_seconds),
        "healthy_deadline": _seconds(options.healthy_deadline_seconds),
        "progress_deadline": _seconds(options.progress_deadline_seconds),
        "auto_revert": True,
        "canary": options.canary,
    }
    if options.canary:
        # Nomad rejects auto_promote without canaries.
        update["auto_promote"] = options.auto_promote
    return update


def _checks(profile: Profile) -> list[dict]:
    """Readiness gates deployments; liveness restarts the task. One check when both use one path."""
    health = profile.health
    common = {"interval": _seconds(health.interval_seconds), "timeout": _seconds(health.timeout_seconds)}
    restart = {"limit": health.failure_threshold, "grace": _seconds(health.startup_seconds)}
    if health.liveness == health.readiness:
        return [{"name": "healthy", "path": health.liveness, **common, "check_restart": restart}]
    return [
        {"name": "ready", "path": health.readiness, **common, "check_restart": None},
        {"name": "alive", "path": health.liveness, **common, "check_restart": restart},
    ]


def launch(profile: Profile) -> Launch:
    """What the app's server is told in each allocation: one worker (allocations are the replicas).

    With a public host it trusts X-Forwarded-* from the Traefik nodes (`nomad.forwarded_allow_ips`).
    """
    exposed = profile.proxy is not None and profile.proxy.host is not None
    return Launch(profile.port, 1, profile.nomad.forwarded_allow_ips if exposed else None, profile.shutdown_seconds)


def _env(profile: Profile) -> list[tuple[str, str]]:
    return sorted({**profile.env, **profile.web_server.environment(launch(profile))}.items())


def _resources(profile: Profile, memory_bytes: int) -> dict:
    cpu = profile.nomad.cpu_mhz or nomad_cpu_mhz(profile.cpu_millicores)
    return {"cpu": cpu, "memory": mebibytes_rounded_up(memory_bytes)}


def _task(
    profile: Profile,
    name: str,
    image: str,
    command: list[str],
    env: list[tuple[str, str]],
    prestart: bool,
    memory_bytes: int | None = None,
) -> dict:
    """A hardened docker task running `command` as one process (`command` + `args`, the image's CMD replaced)."""
    return {
        "name": name,
        "prestart": prestart,
        "image": image,
        "command": command[0],
        "args": command[1:],
        "ports": [] if prestart else [PORT_LABEL, *(extra.name for extra in profile.ports)],
        "env": env,
        "template": env_template(profile),
        "template_destination": DESTINATION,
        "resources": _resources(profile, profile.memory_bytes if memory_bytes is None else memory_bytes),
        "user": f"{profile.build.uid}:{profile.build.uid}",
        "pids_limit": PIDS_LIMIT,
        "tmp_size": TMP_SIZE_BYTES,
        "kill_timeout": _seconds(profile.shutdown_seconds),
    }


def _tasks(profile: Profile) -> list[dict]:
    env = _env(profile)
    tasks = [
        _task(profile, step.name, step.image or profile.image, list(step.command), env, prestart=True)
        for step in profile.prestart
    ]
    server, unit = profile.web_server, launch(profile)
    memory = server.unit_memory(profile.memory_bytes, unit.workers)
    command = [*profile.command, *server.arguments(unit)]
    tasks.append(_task(profile, profile.app, profile.image, command, env, prestart=False, memory_bytes=memory))
    return tasks


def build_job(profile: Profile) -> dict:
    """The values of the app's job, in the order the template writes them."""
    return {
        "name": profile.app,
        **_job_placement(profile),
        "update": _update(profile),
        "count": profile.replicas,
        "shutdown_delay": _seconds(profile.nomad.shutdown_delay_seconds),
        "port_label": PORT_LABEL,
        "port": profile.port,
        "extra_ports": [{"label": extra.name, "to": extra.port} for extra in profile.ports],
        "restart": RESTART,
        "reschedule": RESCHEDULE,
        "service": {
            "name": profile.app,
            "port": PORT_LABEL,
            "tags": service_tags(profile),
            "canary_tags": canary_tags(profile),
            "checks": _checks(profile),
        },
        "tasks": _tasks(profile),
    }
