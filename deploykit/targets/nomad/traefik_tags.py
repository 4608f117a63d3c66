"""The service tags Traefik's Nomad provider turns into the app's router, middleware and service.

What they say is decided in deploykit/traefik.py. No `loadbalancer.server.port` tag here: the Nomad
provider takes each instance's address and port from its registration, which is the allocation's
dynamic host port; a fixed port would replace it with the container port on every node and route
nowhere (unlike Traefik's Docker provider).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploykit import traefik

if TYPE_CHECKING:
    from deploykit.spec.model import Profile


def service_tags(profile: Profile) -> list[str]:
    """The `traefik.*` tags for proxy.host, sorted (Traefik reads them as a set); none without a host."""
    proxy = profile.proxy
    if proxy is None or proxy.host is None:
        return []
    settings = traefik.router_settings(profile, profile.nomad.cert_resolver, server_port=None)
    return sorted(["traefik.enable=true", *traefik.tags(settings)])


def canary_tags(profile: Profile) -> list[str]:
    """Tags of canary allocations: Traefik skips them, so canaries take no live traffic until promoted."""
    return ["traefik.enable=false"] if service_tags(profile) else []
