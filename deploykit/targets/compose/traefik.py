"""Traefik: the only service with published ports, terminating TLS in front of the app.

Static configuration is passed as command arguments (nothing to mount for it); what must be dynamic
configuration (TLS options, provided certificates) goes to a file provider, `traefik-dynamic.yaml`.
Routes come from the app's labels, read through the socket proxy.
"""

from __future__ import annotations

from deploykit.errors import DeployKitError
from deploykit.report import Report
from deploykit.spec.model import Profile
from deploykit.spec.names import is_local_host
from deploykit.spec.quantities import MEBIBYTE
from deploykit.targets.compose import naming
from deploykit.targets.compose.escaping import literal
from deploykit.targets.compose.hardening import hardening, limits
from deploykit.targets.compose.meta import metadata
from deploykit.targets.compose.socket_proxy import ENDPOINT, SOCKET_PATH

DYNAMIC_FILE = "traefik-dynamic.yaml"
DYNAMIC_PATH = "/etc/traefik/dynamic.yaml"
CERT_PATH = "/etc/traefik/certs/tls.crt"
KEY_PATH = "/etc/traefik/certs/tls.key"
ACME_DIR = "/letsencrypt"
CERT_RESOLVER = "le"
STAGING_CA = "https://acme-staging-v02.api.letsencrypt.org/directory"
# Unprivileged ports inside the container, so Traefik needs no NET_BIND_SERVICE capability; the
# host ports (80 and 443 by default) are mapped onto them.
WEB_PORT = 8080
WEBSECURE_PORT = 8443
HSTS_SECONDS = 31536000


def uses_tls(profile: Profile) -> bool:
    """Whether Traefik serves HTTPS: a proxy whose `tls` is acme or provided."""
    return profile.proxy is not None and profile.proxy.tls != "none"


def static_arguments(profile: Profile) -> list[str]:
    """Traefik's static configuration, one `--key=value` argument each."""
    options = profile.compose
    proxy = profile.proxy
    arguments = [
        "--global.checknewversion=false",
        "--global.sendanonymoususage=false",
        "--log.level=INFO",
        "--accesslog=true",
        f"--entrypoints.web.address=:{WEB_PORT}",
        # Headers such as X_Forwarded_For read as X-Forwarded-For to many frameworks: drop them,
        # as nginx does, so a client cannot smuggle one past what Traefik sets.
        "--entrypoints.web.http.aliasHeadersStrategy=delete",
    ]
    if uses_tls(profile):
        arguments += [
            # A port, not the entrypoint's name: the redirect must name the published port, not 8443.
            f"--entrypoints.web.http.redirections.entrypoint.to=:{options.https_port}",
            "--entrypoints.web.http.redirections.entrypoint.scheme=https",
            "--entrypoints.web.http.redirections.entrypoint.permanent=true",
            f"--entrypoints.websecure.address=:{WEBSECURE_PORT}",
            "--entrypoints.websecure.http.aliasHeadersStrategy=delete",
            f"--providers.file.filename={DYNAMIC_PATH}",
        ]
    endpoint = ENDPOINT if options.socket_access == "proxy" else f"unix://{SOCKET_PATH}"
    arguments += [
        f"--providers.docker.endpoint={endpoint}",
        "--providers.docker.exposedbydefault=false",
        f"--providers.docker.network={naming.network_name(profile, naming.PROXY_NETWORK)}",
    ]
    if proxy is not None and proxy.tls == "acme":
        resolver = f"--certificatesresolvers.{CERT_RESOLVER}.acme"
        arguments += [f"{resolver}.email={literal(proxy.email)}", f"{resolver}.storage={ACME_DIR}/acme.json"]
        if options.acme_challenge == "tls-alpn":
            arguments.append(f"{resolver}.tlschallenge=true")
        else:
            arguments.append(f"{resolver}.httpchallenge.entrypoint=web")
        if options.acme_staging:
            arguments.append(f"{resolver}.caserver={STAGING_CA}")
    return arguments


def _ports(profile: Profile) -> list[dict]:
    options = profile.compose
    published = [(WEB_PORT, options.http_port)]
    if uses_tls(profile):
        published.append((WEBSECURE_PORT, options.https_port))
    return [
        {"target": target, "published": str(host_port), "host_ip": options.bind_address, "protocol": "tcp"}
        for target, host_port in published
    ]


def _volumes(profile: Profile) -> list[dict]:
    proxy = profile.proxy
    volumes: list[dict] = []
    if uses_tls(profile):
        volumes.append({"type": "bind", "source": f"./{DYNAMIC_FILE}", "target": DYNAMIC_PATH, "read_only": True})
    if proxy is not None and proxy.tls == "provided":
        volumes += [
            {"type": "bind", "source": literal(proxy.certificate.cert_file), "target": CERT_PATH, "read_only": True},
            {"type": "bind", "source": literal(proxy.certificate.key_file), "target": KEY_PATH, "read_only": True},
        ]
    if proxy is not None and proxy.tls == "acme":
        # A named volume: certificates survive re-creation of the container (Let's Encrypt rate limits).
        volumes.append({"type": "volume", "source": naming.ACME_VOLUME, "target": ACME_DIR})
    if profile.compose.socket_access == "mount":
        volumes.append({"type": "bind", "source": literal(profile.compose.docker_socket), "target": SOCKET_PATH, "read_only": True})
    return volumes


def build_traefik_service(profile: Profile, report: Report) -> dict:
    """The Traefik service, the only one with published ports; warns on plain HTTP to a public host and on a mounted socket."""
    options = profile.compose
    proxy = profile.proxy
    if proxy.tls == "none" and not is_local_host(proxy.host):
        report.warn(("proxy", "tls"), f"tls: none serves {proxy.host} over plain HTTP; use acme or provided for a host outside this machine")
    if options.socket_access == "mount":
        report.warn(
            ("compose", "socket_access"),
            "Traefik mounts the Docker socket: anyone who takes over Traefik controls the host (a read-only mount still lets every API call through); use socket_access: proxy",
        )
    if proxy.tls == "provided" and proxy.certificate is None:
        raise DeployKitError("required with tls: provided: the certificate and key files Traefik serves", path=("proxy", "certificate"))
    if proxy.tls == "provided" and not (proxy.certificate.cert_file.startswith("/") and proxy.certificate.key_file.startswith("/")):
        report.warn(("proxy", "certificate"), "relative certificate paths are resolved from the directory holding compose.yaml")
    networks = [naming.PROXY_NETWORK]
    service: dict = {
        "image": options.traefik_image,
        "command": static_arguments(profile),
        "restart": "unless-stopped",
        # root without capabilities: it must write acme.json to a volume that Docker creates root-owned,
        # and read the operator's key file, typically root-only.
        **hardening(None),
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
    proxy = profile.proxy
    name = profile.app
    router = f"traefik.http.routers.{name}"
    headers = f"traefik.http.middlewares.{name}-headers.headers"
    labels = {
        "traefik.enable": "true",
        # The app is on one network here, but say which: with several, Traefik would pick one at random.
        "traefik.docker.network": naming.network_name(profile, naming.PROXY_NETWORK),
        # The host is an RFC 1123 name (checked by the spec), so it cannot close the backticks.
        f"{router}.rule": f"Host(`{proxy.host}`)",
        f"{router}.entrypoints": "websecure" if uses_tls(profile) else "web",
        f"{router}.middlewares": f"{name}-headers",
        f"{router}.service": name,
        # Always the port: the image exposes none, and Traefik would otherwise guess.
        f"traefik.http.services.{name}.loadbalancer.server.port": str(profile.port),
        f"{headers}.contentTypeNosniff": "true",
        f"{headers}.frameDeny": "true",
        f"{headers}.referrerPolicy": "strict-origin-when-cross-origin",
    }
    if uses_tls(profile):
        labels[f"{router}.tls"] = "true"
        # Browsers ignore HSTS over plain HTTP, so it is only sent with TLS.
        labels[f"{headers}.stsSeconds"] = str(HSTS_SECONDS)
    if proxy.tls == "acme":
        labels[f"{router}.tls.certresolver"] = CERT_RESOLVER
    return dict(sorted(labels.items()))


def dynamic_configuration(profile: Profile) -> dict | None:
    """Traefik's file-provider configuration: TLS 1.2 at least, and the provided certificate if any."""
    if not uses_tls(profile):
        return None
    tls: dict = {"options": {"default": {"minVersion": "VersionTLS12"}}}
    if profile.proxy.tls == "provided":
        tls["certificates"] = [{"certFile": CERT_PATH, "keyFile": KEY_PATH}]
    return {"tls": tls}
