"""Traefik on one server: the only service with published ports, terminating TLS in front of the app.

What Traefik does is decided in deploykit/traefik.py; this module formats it for Compose: static
configuration as command arguments (nothing to mount for it), TLS options and provided certificates
in a file provider (`traefik-dynamic.yaml`), and the app's routes as container labels, read through
the socket proxy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploykit import traefik
from deploykit.spec.quantities import MEBIBYTE
from deploykit.targets.compose import naming
from deploykit.targets.compose.escaping import literal
from deploykit.targets.compose.hardening import PROXY_TMP_BYTES, hardening, limits
from deploykit.targets.compose.meta import metadata
from deploykit.targets.compose.socket_proxy import ENDPOINT, SOCKET_PATH

if TYPE_CHECKING:
    from deploykit.spec.model import Profile

DYNAMIC_FILE = "traefik-dynamic.yaml"
DYNAMIC_PATH = "/etc/traefik/dynamic.yaml"
CERT_PATH = "/etc/traefik/certs/tls.crt"
KEY_PATH = "/etc/traefik/certs/tls.key"
CERT_RESOLVER = "le"


def static_arguments(profile: Profile) -> list[str]:
    """Traefik's static configuration as `--key=value` arguments, every `$` kept literal."""
    options = profile.compose
    proxy = profile.proxy
    acme = None
    if proxy is not None and proxy.tls == "acme":
        acme = traefik.Acme(CERT_RESOLVER, proxy.email, options.acme_challenge, options.acme_staging)
    endpoint = ENDPOINT if options.socket_access == "proxy" else f"unix://{SOCKET_PATH}"
    config = traefik.StaticConfiguration(
        provider="docker",
        provider_settings=(("endpoint", endpoint), ("network", naming.network_name(profile, naming.PROXY_NETWORK))),
        redirect_port=options.https_port,
        dynamic_file=DYNAMIC_PATH if traefik.uses_tls(profile) else None,
        acme=acme,
        idle_seconds=profile.web_server.proxy_idle_seconds,
    )
    return [literal(argument) for argument in traefik.flags(traefik.static_settings(profile, config))]


def _ports(profile: Profile) -> list[dict]:
    options = profile.compose
    published = [(traefik.CONTAINER_PORTS[traefik.WEB], options.http_port)]
    if traefik.uses_tls(profile):
        published.append((traefik.CONTAINER_PORTS[traefik.WEBSECURE], options.https_port))
    # Without host_ip the engine publishes on every IPv4 and IPv6 address.
    address = {} if options.bind_address is None else {"host_ip": options.bind_address}
    return [
        {"target": target, "published": str(host_port), **address, "protocol": "tcp"} for target, host_port in published
    ]


def _volumes(profile: Profile) -> list[dict]:
    proxy = profile.proxy
    volumes: list[dict] = []
    if proxy is not None and proxy.tls == "provided" and proxy.certificate is not None:
        volumes += [
            {"type": "bind", "source": literal(proxy.certificate.cert_file), "target": CERT_PATH, "read_only": True},
            {"type": "bind", "source": literal(proxy.certificate.key_file), "target": KEY_PATH, "read_only": True},
        ]
    if proxy is not None and proxy.tls == "acme":
        # A named volume: certificates survive re-creation of the container (Let's Encrypt rate limits).
        volumes.append({"type": "volume", "source": naming.ACME_VOLUME, "target": traefik.ACME_DIR})
    if profile.compose.socket_access == "mount":
        volumes.append(
            {"type": "bind", "source": literal(profile.compose.docker_socket), "target": SOCKET_PATH, "read_only": True}
        )
    return volumes


def build_traefik_service(profile: Profile) -> dict:
    """The Traefik service, the only one with published ports."""
    options = profile.compose
    networks = [naming.PROXY_NETWORK]
    service: dict = {
        "image": options.traefik_image,
        "command": static_arguments(profile),
        "restart": "unless-stopped",
        # root without capabilities: it must write acme.json to a volume that Docker creates root-owned,
        # and read the operator's key file, typically root-only.
        **hardening(None, PROXY_TMP_BYTES),
        **limits(256 * MEBIBYTE, 500, 256),
        "ports": _ports(profile),
    }
    volumes = _volumes(profile)
    if volumes:
        service["volumes"] = volumes
    if options.socket_access == "proxy":
        networks.append(naming.SOCKET_NETWORK)
    service["networks"] = networks
    if options.socket_access == "proxy":
        service["depends_on"] = {naming.SOCKET_PROXY: {"condition": "service_started"}}
    service |= metadata(profile)
    return service


def router_labels(profile: Profile) -> dict[str, str]:
    """The app's labels that give it a router, a service on its port and a security-headers middleware."""
    labels = {
        "traefik.enable": "true",
        # The app is on one network here, but say which: with several, Traefik would pick one at random.
        "traefik.docker.network": naming.network_name(profile, naming.PROXY_NETWORK),
        # Always the port: the image exposes none, and Traefik would otherwise guess.
        **traefik.labels(traefik.router_settings(profile, CERT_RESOLVER, server_port=profile.port)),
    }
    # Not escaped here: the service's metadata escapes every label once (meta.py).
    return dict(sorted(labels.items()))


def dynamic_configuration(profile: Profile) -> dict | None:
    """Traefik's file-provider configuration (with TLS only): TLS 1.2 at least, and the provided certificate if any."""
    if not traefik.uses_tls(profile):
        return None
    return traefik.dynamic_configuration(profile, CERT_PATH, KEY_PATH)
