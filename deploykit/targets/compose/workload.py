"""The app service (one container, several worker processes) and one one-shot service per prestart step."""

from __future__ import annotations

from deploykit.spec.model import PrestartStep, Profile
from deploykit.spec.quantities import worker_pool_memory
from deploykit.spec.server import server_command
from deploykit.targets.compose import naming, secrets
from deploykit.targets.compose.escaping import literal
from deploykit.targets.compose.hardening import hardening, limits
from deploykit.targets.compose.meta import metadata

# Each worker is one process plus a few threads; the supervisor and a shell in `exec` need some too.
PIDS_PER_WORKER = 64
STEP_PIDS = 128
MAX_WORKERS = 256


def run_as(profile: Profile) -> str:
    """The image's own non-root user (`build.uid`), so files the image owns stay readable."""
    return f"{profile.build.uid}:{profile.build.uid}"


def workers(profile: Profile) -> int:
    """Worker processes in the app container: `compose.workers`, else all of `replicas`."""
    return profile.compose.workers or profile.replicas


def environment(profile: Profile) -> dict[str, str]:
    """Plain values and the secrets' file paths, sorted by name; every `$` kept literal."""
    variables = {name: literal(value) for name, value in profile.env.items()}
    variables |= secrets.file_variables(profile)
    return dict(sorted(variables.items()))


def _common(profile: Profile) -> dict:
    """What the app and its steps share: identity, configuration and secrets."""
    result: dict = {"environment": environment(profile)}
    if profile.secrets:
        result["secrets"] = secrets.service_secrets(profile)
    if profile.compose.volumes:
        result["volumes"] = [
            {"type": "volume", "source": name, "target": path} for name, path in sorted(profile.compose.volumes.items())
        ]
    return result


def healthcheck(profile: Profile) -> dict:
    """A probe with the image's own python (slim images have no curl): exit 1 on any non-2xx/3xx.

    It checks readiness: Traefik routes only to containers whose health is `healthy`, so this is
    the signal that decides whether the app takes traffic.
    """
    health = profile.health
    url = f"http://127.0.0.1:{profile.port}{health.readiness}"
    # No white space in any argument: Podman's Docker-compatible API (Debian 12's 4.3 and later
    # releases until containers/podman#26519 was fixed) joins the test with spaces and splits it
    # again, so `docker compose` on Podman would run `python -c import` and the app would never
    # become healthy. The URL holds none either: HTTP paths are checked to have no white space.
    # Hence __import__: `import x` needs a space.
    probe = f"__import__('urllib.request').request.urlopen({url!r},timeout={health.timeout_seconds})"
    return {
        "test": ["CMD", "python", "-c", literal(probe)],
        "interval": f"{health.interval_seconds}s",
        "timeout": f"{health.timeout_seconds}s",
        "retries": health.failure_threshold,
        "start_period": f"{health.startup_seconds}s",
    }


def build_app_service(profile: Profile, traefik_labels: dict[str, str], trusted_subnet: str | None) -> dict:
    """The app: `--workers N` in one container; memory for every worker and the supervisor."""
    count = workers(profile)
    command = server_command(profile, count)
    if trusted_subnet is not None:
        # Only the proxy network may set X-Forwarded-*; never `*`, which would let anything that
        # reaches the app directly claim any client address or scheme.
        command += ["--forwarded-allow-ips", trusted_subnet]
    service: dict = {
        "image": profile.image,
        "command": [literal(argument) for argument in command],
        **_common(profile),
        "healthcheck": healthcheck(profile),
        # Extra ports (metrics, admin) are for containers on the app's networks, never published.
        **({"expose": [str(extra.port) for extra in profile.ports]} if profile.ports else {}),
        "restart": "unless-stopped",
        "stop_grace_period": f"{profile.shutdown_seconds}s",
        **hardening(run_as(profile)),
        **limits(
            worker_pool_memory(profile.memory_bytes, count),
            profile.cpu_millicores * count,
            PIDS_PER_WORKER * (count + 1),
        ),
    }
    if trusted_subnet is not None:
        service["networks"] = [naming.PROXY_NETWORK]
    service |= metadata(profile, traefik_labels, annotations=True)
    if profile.prestart:
        service["depends_on"] = {profile.prestart[-1].name: {"condition": "service_completed_successfully"}}
    return service


def build_step_service(profile: Profile, index: int, step: PrestartStep) -> dict:
    """One prestart step: runs once per `up`, in order, with the app's hardening and per-process limits."""
    service: dict = {
        "image": step.image or profile.image,
        "command": [literal(argument) for argument in step.command],
        **_common(profile),
        "restart": "no",
        **hardening(run_as(profile)),
        **limits(profile.memory_bytes, profile.cpu_millicores, STEP_PIDS),
    }
    service |= metadata(profile, annotations=True)
    if index > 0:
        service["depends_on"] = {profile.prestart[index - 1].name: {"condition": "service_completed_successfully"}}
    return service
