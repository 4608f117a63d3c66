"""The app service (one container, several worker processes) and one one-shot service per prestart step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploykit.servers import Launch
from deploykit.targets.compose import naming, release, secrets
from deploykit.targets.compose.escaping import literal
from deploykit.targets.compose.hardening import hardening, limits
from deploykit.targets.compose.meta import metadata
from deploykit.targets.python_probe import http_fetch, tcp_probe

if TYPE_CHECKING:
    from deploykit.spec.model import PrestartStep, Profile

# Each worker is one process plus a few threads; the supervisor and a shell in `exec` need some too.
PIDS_PER_WORKER = 64
STEP_PIDS = 128
MAX_WORKERS = 256


def run_as(profile: Profile) -> str | None:
    """deploykit's non-root user (`build.uid`, the user of the images it builds), or None: the image's
    own USER (`run_as: image`)."""
    uid = profile.run_as_uid
    return None if uid is None else f"{uid}:{uid}"


def app_hardening(profile: Profile, memory_bytes: int) -> dict:
    """The hardening of every container running the app's image (whose memory limit is `memory_bytes`):
    its user, root file system and writable paths."""
    return hardening(run_as(profile), profile.tmp_bytes, memory_bytes, profile.writable_paths, profile.read_only_root)


def workers(profile: Profile) -> int:
    """Processes serving the app: `compose.workers`, else all of `replicas`.

    They are worker processes of one container, or one container each for a server that forks no
    workers (`server: generic`).
    """
    return profile.compose.workers or profile.replicas


def per_container(profile: Profile) -> int:
    """Server processes in each app container: all workers, or one for a server that forks none."""
    return workers(profile) if profile.web_server.forks_workers else 1


def launch(profile: Profile, trusted_subnet: str | None) -> Launch:
    """What the app's server is told in each container."""
    return Launch(profile.port, per_container(profile), trusted_subnet, profile.shutdown_seconds)


def environment(profile: Profile, variables: dict[str, str]) -> dict[str, str]:
    """Plain `variables` and the secrets' file paths, sorted by name; every `$` kept literal."""
    result = {name: literal(value) for name, value in variables.items()}
    result |= secrets.file_variables(profile)
    return dict(sorted(result.items()))


def state_volumes(profile: Profile) -> dict[str, str]:
    """Named volumes (name -> mount path): the profile's `volumes` and `compose.volumes`."""
    return {**profile.compose.volumes, **{name: volume.path for name, volume in profile.volumes.items()}}


def common(profile: Profile, variables: dict[str, str]) -> dict:
    """What every service running the app's code shares: configuration, secrets and state volumes."""
    result: dict = {}
    wrapper = secrets.entrypoint(profile)
    if wrapper is not None:
        result["entrypoint"] = wrapper
    result["environment"] = environment(profile, variables)
    if profile.secrets:
        result["secrets"] = secrets.service_secrets(profile)
    mounted = state_volumes(profile)
    if mounted:
        result["volumes"] = [
            {"type": "volume", "source": name, "target": path} for name, path in sorted(mounted.items())
        ]
    return result


def healthcheck(profile: Profile) -> dict:
    """The container's health check on readiness: `health.command` when the image carries one, else a
    probe with the image's own python (slim images have no curl) for Python servers (an HTTP request,
    or a TCP connection with `health.check: tcp`); none for other servers, whose images may have no
    python (Traefik's own health check on `health.path` covers them), nor with `health.check: none`.

    Traefik routes only to containers whose health is `healthy` (or that have no health check), so
    this is a signal that decides whether the app takes traffic.
    """
    health = profile.health
    timing = {
        "interval": f"{health.interval_seconds}s",
        "timeout": f"{health.timeout_seconds}s",
        "retries": health.failure_threshold,
        "start_period": f"{health.startup_seconds}s",
    }
    if health.check == "none":
        return {"disable": True}
    if health.command is not None:
        return {"test": ["CMD", *(literal(argument) for argument in health.command)], **timing}
    if not profile.web_server.forks_workers:
        return {"disable": True}
    if health.check == "tcp":
        probe = tcp_probe(profile.port, health.timeout_seconds)
        return {"test": ["CMD", "python", "-c", literal(probe)], **timing}
    # It fails first while the drain file exists: `deploykit release compose` drains a container
    # that way before it stops it (release.py).
    fetch = http_fetch(profile.port, health.readiness, profile.probe_host, health.timeout_seconds)
    probe = release.drain_probe().replace("else(None)", f"else({fetch})")
    return {"test": ["CMD", "python", "-c", literal(probe)], **timing}


def published(profile: Profile) -> dict:
    """`publish`: the app's port on the host (on compose.bind_address), for a load balancer of one's own."""
    if profile.publish is None:
        return {}
    # Without host_ip the engine publishes on every IPv4 and IPv6 address.
    bind = profile.compose.bind_address
    address = {} if bind is None else {"host_ip": bind}
    return {"ports": [{"target": profile.port, "published": str(profile.publish.port), **address, "protocol": "tcp"}]}


def build_app_service(profile: Profile, traefik_labels: dict[str, str], trusted_subnet: str | None) -> dict:
    """The app: N workers in one container (memory for every worker and the master), or N containers
    of one process each for a server that forks no workers.

    Only the proxy network (`trusted_subnet`) may set X-Forwarded-*; never `*`, which would let anything
    that reaches the app directly claim any client address or scheme.
    """
    server = profile.web_server
    unit = launch(profile, trusted_subnet)
    count = unit.workers
    memory = server.unit_memory(profile.memory_bytes, count)
    service: dict = {"image": profile.image}
    if profile.command is not None:
        service["command"] = [literal(argument) for argument in [*profile.command, *server.arguments(unit)]]
    # Without a command the image's own ENTRYPOINT/CMD run unchanged (compose/check.py refuses the
    # secrets entrypoint there: replacing the ENTRYPOINT would drop the image's CMD).
    service |= {
        **common(profile, {**profile.env, **server.environment(unit)}),
        "healthcheck": healthcheck(profile),
        **published(profile),
        # Extra ports (metrics, admin) are for containers on the app's networks, never published.
        **({"expose": [str(extra.port) for extra in profile.ports]} if profile.ports else {}),
        "restart": "unless-stopped",
        "stop_grace_period": f"{profile.shutdown_seconds}s",
        **app_hardening(profile, memory),
        **limits(
            memory,
            profile.cpu_millicores * count,
            PIDS_PER_WORKER * (count + 1),
            replicas=None if server.forks_workers else workers(profile),
        ),
    }
    # Exposed, the app is on the proxy network only; otherwise on the project's default network.
    # Either way it joins the callers' networks too.
    own = naming.PROXY_NETWORK if trusted_subnet is not None else naming.DEFAULT_NETWORK
    joined = [naming.caller_network_key(name) for name in naming.caller_networks(profile)]
    if trusted_subnet is not None or joined:
        service["networks"] = [own, *joined]
    service |= metadata(profile, traefik_labels, annotations=True)
    service |= after_prestart(profile)
    return service


def after_prestart(profile: Profile) -> dict:
    """`depends_on` the last prestart step's success (each step waits for the one before it)."""
    if not profile.prestart:
        return {}
    return {"depends_on": {profile.prestart[-1].name: {"condition": "service_completed_successfully"}}}


def build_step_service(profile: Profile, index: int, step: PrestartStep) -> dict:
    """One prestart step: runs once per `up`, in order, with the app's hardening and per-process limits."""
    service: dict = {
        "image": step.image or profile.image,
        "command": [literal(argument) for argument in step.command],
        **common(profile, profile.env),
        "restart": "no",
        **app_hardening(profile, profile.memory_bytes),
        **limits(profile.memory_bytes, profile.cpu_millicores, STEP_PIDS),
    }
    service |= metadata(profile, annotations=True)
    if index > 0:
        service["depends_on"] = {profile.prestart[index - 1].name: {"condition": "service_completed_successfully"}}
    return service
