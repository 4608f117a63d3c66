"""Names of the services, networks and volumes in the rendered project."""

from __future__ import annotations

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
