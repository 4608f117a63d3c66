"""Names of the services, networks and volumes in the rendered project."""

from __future__ import annotations

from deploykit.errors import DeployKitError
from deploykit.spec.model import Profile

TRAEFIK = "traefik"
SOCKET_PROXY = "socket-proxy"
# Compose keys; the Docker objects are called `<project>_<key>`.
PROXY_NETWORK = "proxy"
SOCKET_NETWORK = "socket"
ACME_VOLUME = "letsencrypt"


def project(profile: Profile) -> str:
    """The Compose project name (`compose.project`, else the app), which prefixes every network and volume."""
    return profile.compose.project or profile.app


def network_name(profile: Profile, key: str) -> str:
    """The engine's name of a network: set explicitly so Traefik's `providers.docker.network` and the
    `traefik.docker.network` label name the network that really exists (Compose would otherwise
    prefix it with the project name behind our back)."""
    return f"{project(profile)}_{key}"


def check_service_names(profile: Profile, exposed: bool) -> None:
    """Refuse an app or prestart step whose service name is taken by another service."""
    taken: dict[str, str] = {}
    if exposed:
        taken[TRAEFIK] = "Traefik"
        if profile.compose.socket_access == "proxy":
            taken[SOCKET_PROXY] = "the Docker socket proxy"
    if profile.app in taken:
        raise DeployKitError(f"app name {profile.app!r} is also the Compose service of {taken[profile.app]}; rename the app", path=("app",))
    taken[profile.app] = "the app"
    for index, step in enumerate(profile.prestart):
        if step.name in taken:
            raise DeployKitError(
                f"step name {step.name!r} is also the Compose service of {taken[step.name]}; rename the step",
                path=("prestart", index, "name"),
            )
