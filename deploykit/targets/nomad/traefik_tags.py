"""The service tags Traefik's Nomad provider turns into a router, a middleware and a service.

No `loadbalancer.server.port` tag: the provider takes each instance's address and port from its
registration, which is the allocation's dynamic host port; a fixed port tag would replace it with the
container port on every node and route nowhere (unlike Traefik's Docker provider, gotcha 6).
Traefik's Nomad provider does not read Nomad's check status, so the service carries Traefik's own
health check on the readiness path.
"""

from __future__ import annotations

from deploykit.spec.model import Profile

WEB = "web"
WEBSECURE = "websecure"
HSTS_SECONDS = 31536000


def service_tags(profile: Profile) -> list[str]:
    """The `traefik.*` tags for proxy.host, sorted (Traefik reads them as a set); none without a host."""
    proxy = profile.proxy
    if proxy is None or proxy.host is None:
        return []
    name = profile.app
    router = f"traefik.http.routers.{name}"
    service = f"traefik.http.services.{name}.loadbalancer"
    health = profile.health
    tags = [
        "traefik.enable=true",
        # The host is an RFC 1123 name (validated), so nothing can close the backticks.
        f"{router}.rule=Host(`{proxy.host}`)",
        f"{router}.service={name}",
        f"{service}.healthcheck.path={health.readiness}",
        f"{service}.healthcheck.interval={health.interval_seconds}s",
        f"{service}.healthcheck.timeout={health.timeout_seconds}s",
    ]
    if proxy.tls == "none":
        return sorted([*tags, f"{router}.entrypoints={WEB}"])
    headers = f"traefik.http.middlewares.{name}-headers.headers"
    tags += [
        f"{router}.entrypoints={WEBSECURE}",
        f"{router}.tls=true",
        f"{router}.middlewares={name}-headers",
        f"{headers}.stsSeconds={HSTS_SECONDS}",
        f"{headers}.stsIncludeSubdomains=true",
        f"{headers}.contentTypeNosniff=true",
        f"{headers}.frameDeny=true",
    ]
    if proxy.tls == "acme":
        tags.append(f"{router}.tls.certresolver={profile.nomad.cert_resolver}")
    return sorted(tags)


def canary_tags(profile: Profile) -> list[str]:
    """Tags of canary allocations: Traefik skips them, so canaries take no live traffic until promoted."""
    return ["traefik.enable=false"] if service_tags(profile) else []
