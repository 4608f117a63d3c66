"""Names of the services, networks and volumes in the rendered project."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploykit.spec.model import Profile

TRAEFIK = "traefik"
SOCKET_PROXY = "socket-proxy"
# Compose keys; the Docker objects are called `<project>_<key>`.
PROXY_NETWORK = "proxy"
SOCKET_NETWORK = "socket"
ACME_VOLUME = "letsencrypt"
# Compose's own network for a project's services; a service with a `networks:` list must name it.
DEFAULT_NETWORK = "default"


def project(profile: Profile) -> str:
    """The Compose project name (`compose.project`, else the app), which prefixes every network and volume."""
    return profile.compose.project or profile.app


def network_name(profile: Profile, key: str) -> str:
    """The engine's name of a network: set explicitly so Traefik's `providers.docker.network` and the
    `traefik.docker.network` label name the network that really exists (Compose would otherwise
    prefix it with the project name behind our back)."""
    return f"{project(profile)}_{key}"


def caller_network_key(name: str) -> str:
    """The Compose key of an existing network the app joins for its callers (`network.callers`):
    prefixed, so no network name can take the key of the project's own networks."""
    return f"callers-{name}"


def caller_networks(profile: Profile) -> list[str]:
    """The existing networks whose containers may call the app (`network.callers[].compose_network`)."""
    return sorted({caller.compose_network for caller in profile.network.callers if caller.compose_network is not None})
