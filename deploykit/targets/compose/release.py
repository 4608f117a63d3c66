"""What the rendered project carries for `deploykit release compose`, the Compose target's zero-downtime release.

`docker compose up -d` recreates every outdated container in place (stop the old one, then start the
new one) before it waits for the migration, so a release taken with it drops requests and a failed
migration leaves no app running. `deploykit release compose` (deploykit/commands/release.py) drives
the Compose CLI instead: migrations first, then new app containers beside the old ones, and each old
one drained before it stops. It needs two things from the rendered project, both written here:

- a drain file the app's health check tests first (DRAIN_FILE, on the /tmp tmpfs): once it exists
  the container turns unhealthy, Traefik's docker provider stops routing to it, and it can be stopped
  without losing a request;
- EXTENSION, a top-level `x-deploykit` block (Compose ignores `x-` keys) naming the app, its number
  of containers, the migration steps, the processes, the scheduler and the drain command: the release
  works from the rendered directory alone, on a server that has no profiles.

The app service has no `container_name` and publishes no port, so Compose can run a second set of
its containers beside the first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploykit.spec.model import Profile

EXTENSION = "x-deploykit"
# On /tmp (a tmpfs, writable although the root file system is read-only), gone with the container.
DRAIN_FILE = "/tmp/.deploykit-draining"  # a marker file, not a temporary file
# Traefik reloads a provider's configuration at most once per providers.providersThrottleDuration
# (2 s by default, https://doc.traefik.io/traefik/reference/install-configuration/providers/docker/);
# the docker provider acts on the engine's health_status event. Twice that, plus a second for the
# event's delivery through the socket proxy.
TRAEFIK_WINDOW_SECONDS = 5


def drain_probe() -> str:
    """Python that exits 1 while the drain file exists (no white space: see workload.healthcheck)."""
    return f"__import__('sys').exit(1)if(__import__('os').path.exists({DRAIN_FILE!r}))else(None)"


def drain_command() -> list[str]:
    """The command `compose exec` runs in an app container to drain it: it creates the drain file."""
    return ["python", "-c", f"open({DRAIN_FILE!r},'w').close()"]


def extension(
    profile: Profile, processes: list[str], scheduler: str | None, drainable: bool, replicas: int
) -> dict[str, object]:
    """The `x-deploykit` block the release command reads (every key always present)."""
    return {
        "release": {
            "app": profile.app,
            "replicas": replicas,
            "steps": [step.name for step in profile.prestart],
            "processes": processes,
            "scheduler": scheduler,
            "drain": drain_command() if drainable else None,
            "traefik_seconds": TRAEFIK_WINDOW_SECONDS,
        }
    }
