"""Traefik, the TLS proxy in front of the app on Compose and Nomad: its behaviour, said once.

This module decides what Traefik does: its entry points, the permanent http->https redirect, TLS
with ACME or provided certificates, the security headers, and the app's router, service and health
check. Each target only formats the result: Compose as command-line flags and container labels,
Nomad as flags and service tags (`flags`, `labels`, `tags` below). Keys are written as Traefik's
documentation spells them; Traefik itself reads them case-insensitively.

The security headers are also given as data (`security_headers`, `security_response_headers`) for
Kubernetes, where a Traefik Middleware object or a Gateway API filter carries them: every target sends
the same headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from deploykit.spec.model import Profile
    from deploykit.spec.options.compose import ComposeOptions
    from deploykit.spec.options.quadlet import QuadletOptions

WEB = "web"
WEBSECURE = "websecure"
# Unprivileged ports inside Traefik's container, so it needs no NET_BIND_SERVICE capability; the
# host's 80 and 443 (or the profile's ports) are mapped onto them.
CONTAINER_PORTS = {WEB: 8080, WEBSECURE: 8443}
HSTS_SECONDS = 31536000
# Traefik's default idle timeout for connections to servers (serversTransport.forwardingTimeouts).
TRAEFIK_IDLE_SECONDS = 90
RETRY_ATTEMPTS = 3
RETRY_INTERVAL = "100ms"
STAGING_CA = "https://acme-staging-v02.api.letsencrypt.org/directory"
ACME_DIR = "/letsencrypt"

# One (key, value) of Traefik's static or dynamic configuration, in the order it is written.
Setting = tuple[str, str]


def uses_tls(profile: Profile) -> bool:
    """Whether Traefik serves HTTPS: a proxy whose `tls` is acme or provided."""
    return profile.proxy is not None and profile.proxy.tls != "none"


@dataclass(frozen=True)
class Acme:
    """How Traefik obtains certificates from Let's Encrypt."""

    resolver: str
    email: str | None
    challenge: Literal["tls-alpn", "http"]
    staging: bool


@dataclass(frozen=True)
class StaticConfiguration:
    """What a target decides about Traefik's static configuration; the rest is the same everywhere."""

    provider: str  # "docker", "nomad", or "file" (routes from files deploykit writes)
    provider_settings: tuple[Setting, ...]  # e.g. (("endpoint", "tcp://socket-proxy:2375"),)
    redirect_port: int  # the published HTTPS port plain HTTP is redirected to
    dynamic_file: str | None  # where the file provider reads TLS options; None: no file provider
    acme: Acme | None
    # How long Traefik keeps an idle connection to the app: below the server's own keep-alive, so Traefik
    # never reuses a connection the server is closing (deploykit.servers.Server.proxy_idle_seconds).
    idle_seconds: int = TRAEFIK_IDLE_SECONDS


def static_settings(profile: Profile, config: StaticConfiguration) -> list[Setting]:
    """Traefik's static configuration: entry points, redirect, providers and the ACME resolver."""
    settings: list[Setting] = [
        ("global.checkNewVersion", "false"),
        ("global.sendAnonymousUsage", "false"),
        ("log.level", "INFO"),
        ("accessLog", "true"),
        (f"entryPoints.{WEB}.address", f":{CONTAINER_PORTS[WEB]}"),
        # Headers such as X_Forwarded_For or X.Forwarded.For read as X-Forwarded-For to many
        # frameworks (WSGI, CGI): drop them, as nginx does, so a client cannot smuggle one past what
        # Traefik sets. Needs Traefik 3.7.12 or later.
        (f"entryPoints.{WEB}.http.aliasHeadersStrategy", "delete"),
    ]
    if uses_tls(profile):
        settings += [
            # A port, not the entry point's name: the redirect must name the published port, not 8443.
            (f"entryPoints.{WEB}.http.redirections.entryPoint.to", f":{config.redirect_port}"),
            (f"entryPoints.{WEB}.http.redirections.entryPoint.scheme", "https"),
            (f"entryPoints.{WEB}.http.redirections.entryPoint.permanent", "true"),
            (f"entryPoints.{WEBSECURE}.address", f":{CONTAINER_PORTS[WEBSECURE]}"),
            (f"entryPoints.{WEBSECURE}.http.aliasHeadersStrategy", "delete"),
        ]
    if config.idle_seconds != TRAEFIK_IDLE_SECONDS:
        settings.append(("serversTransport.forwardingTimeouts.idleConnTimeout", f"{config.idle_seconds}s"))
    if config.dynamic_file is not None:
        settings.append(("providers.file.filename", config.dynamic_file))
    provider = f"providers.{config.provider}"
    settings.append((provider, "true"))
    settings += [(f"{provider}.{key}", value) for key, value in config.provider_settings]
    if config.provider != "file":
        # Otherwise every container or service, databases included, would get a public router. (The
        # file provider routes only what its files name.)
        settings.append((f"{provider}.exposedByDefault", "false"))
    acme = config.acme
    if acme is not None:
        resolver = f"certificatesResolvers.{acme.resolver}.acme"
        # The e-mail is optional: Let's Encrypt sends no expiry mail since 2025
        # (letsencrypt.org/2025/06/26/expiration-notification-service-has-ended).
        if acme.email is not None:
            settings.append((f"{resolver}.email", acme.email))
        settings.append((f"{resolver}.storage", f"{ACME_DIR}/acme.json"))
        if acme.challenge == "tls-alpn":
            settings.append((f"{resolver}.tlsChallenge", "true"))
        else:
            settings.append((f"{resolver}.httpChallenge.entryPoint", WEB))
        if acme.staging:
            settings.append((f"{resolver}.caServer", STAGING_CA))
    return settings


def security_headers(profile: Profile) -> dict[str, bool | int | str]:
    """The security headers on the app's responses, as options of Traefik's headers middleware.

    HSTS only with TLS: browsers ignore it over plain HTTP, and it would pin a plain-HTTP dev host.
    """
    headers: dict[str, bool | int | str] = {
        "contentTypeNosniff": True,
        "frameDeny": True,
        "referrerPolicy": "strict-origin-when-cross-origin",
    }
    if uses_tls(profile):
        headers |= {"stsSeconds": HSTS_SECONDS, "stsIncludeSubdomains": True}
    return headers


def security_response_headers(profile: Profile) -> list[tuple[str, str]]:
    """The response headers Traefik's middleware sends for `security_headers`, by name, in that order.

    For proxies that set headers by name (Gateway API's ResponseHeaderModifier filter). Traefik sends
    Strict-Transport-Security over TLS only; a route that sets it serves HTTPS only.
    """
    options = security_headers(profile)
    headers: list[tuple[str, str]] = []
    if options.get("contentTypeNosniff"):
        headers.append(("X-Content-Type-Options", "nosniff"))
    if options.get("frameDeny"):
        headers.append(("X-Frame-Options", "DENY"))
    if "referrerPolicy" in options:
        headers.append(("Referrer-Policy", str(options["referrerPolicy"])))
    if "stsSeconds" in options:
        value = f"max-age={options['stsSeconds']}" + (
            "; includeSubDomains" if options.get("stsIncludeSubdomains") else ""
        )
        headers.append(("Strict-Transport-Security", value))
    return headers


def _setting_value(value: bool | int | str) -> str:
    """A value as Traefik's flags, labels and tags spell it (`true`, `31536000`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def path_rule(prefix: str) -> str:
    """The Traefik matcher for a path prefix, segment by segment as Gateway API's PathPrefix and an Ingress's
    Prefix match: the prefix itself and what lies below it (`/api`, `/api/x`), never `/apix`, which Traefik's
    own PathPrefix (a plain string prefix) would also match. The prefix's characters (spec/names.py,
    PATH_PREFIX_PATTERN) cannot close the backticks."""
    return f"(Path(`{prefix}`) || PathPrefix(`{prefix}/`))"


def route_rule(hosts: list[str], prefix: str | None) -> str:
    """A router's rule: any of `hosts` (RFC 1123 names, checked by the spec, so none can close the
    backticks), under `prefix` if any. Traefik requests one ACME certificate for the Host() matchers of a
    rule, the first as main domain and the others as SANs (doc.traefik.io, routers: "Multiple Hosts in a
    Rule"): every host of a router is on its certificate."""
    rule = " || ".join(f"Host(`{host}`)" for host in hosts)
    if prefix is None:
        return rule
    return f"({rule}) && {path_rule(prefix)}" if len(hosts) > 1 else f"{rule} && {path_rule(prefix)}"


# The request URL as Traefik's redirectRegex middleware matches it (scheme://Host-header/path?query),
# split into scheme, port (of the Host header, if any) and the rest. The replacement spells groups as
# `$1`, not `${1}`: Nomad would replace `${1}` in a service tag at run time (nomad/interpolation.py), and
# `$1://` and `$2$3` read as groups 1, 2 and 3 (Go's Regexp.Expand takes the longest name of letters,
# digits and `_`, so a group number is never followed by one of those here).
REDIRECT_REGEX = "^(https?)://[^/:]+(:[0-9]+)?(.*)$"


def redirect_replacement(host: str) -> str:
    """Where redirectRegex sends a request for a redirected host: `host`, same scheme, port, path and query."""
    return f"$1://{host}$2$3"


def router_settings(profile: Profile, resolver: str | None, server_port: int | None) -> list[Setting]:
    """The app's router, security-headers middleware, service and health check, sorted by key.

    `resolver` names the ACME certificate resolver (with `tls: acme`). `server_port` is the app's
    port for providers that would otherwise guess it (Docker: the image exposes no port); Nomad's
    provider takes each instance's own dynamic port from its registration, which a port would replace.
    """
    proxy = profile.proxy
    assert proxy is not None and proxy.host is not None, "only an app with a public host has a router"
    name = profile.app
    router = f"http.routers.{name}"
    headers = f"http.middlewares.{name}-headers.headers"
    retry = f"http.middlewares.{name}-retry.retry"
    service = f"http.services.{name}.loadbalancer"
    health = profile.health
    entry_point = WEBSECURE if uses_tls(profile) else WEB
    middlewares = [f"{name}-headers", f"{name}-retry"]
    settings = [
        (f"{router}.rule", route_rule(proxy.served_hosts, proxy.path_prefix)),
        (f"{router}.entryPoints", entry_point),
        (f"{router}.service", name),
        *[(f"{headers}.{key}", _setting_value(value)) for key, value in security_headers(profile).items()],
        # A request an instance does not answer at the TCP level (it is stopping, or crashed) is sent
        # again, to another instance where there is one. Once an instance answers, whatever the
        # status, it is not retried; nor, by Traefik's default, is a non-idempotent one (POST, PATCH).
        (f"{retry}.attempts", str(RETRY_ATTEMPTS)),
        (f"{retry}.initialInterval", RETRY_INTERVAL),
    ]
    if health.check == "http":
        # Traefik's own check (HTTP only): it stops sending requests to an instance that fails
        # readiness, on every provider (Nomad's does not read Nomad's check status). With the public
        # host as Host header: frameworks that check it (Django's ALLOWED_HOSTS) would answer 400 to
        # the instance's own address, and the app would never be routed.
        settings += [
            (f"{service}.healthCheck.path", health.readiness),
            (f"{service}.healthCheck.hostname", proxy.host),
            (f"{service}.healthCheck.interval", f"{health.interval_seconds}s"),
            (f"{service}.healthCheck.timeout", f"{health.timeout_seconds}s"),
        ]
    if server_port is not None:
        settings.append((f"{service}.server.port", str(server_port)))
    if proxy.path_prefix is not None and proxy.strip_prefix:
        # Traefik's stripPrefix middleware: `/api/items` reaches the app as `/items` (and `/api` as `/`), with
        # the prefix in X-Forwarded-Prefix (doc.traefik.io, middlewares/http/stripprefix).
        middlewares.insert(1, f"{name}-strip")
        settings.append((f"http.middlewares.{name}-strip.stripPrefix.prefixes", proxy.path_prefix))
    settings.append((f"{router}.middlewares", ",".join(middlewares)))
    routers = [router]
    if proxy.redirects:
        # A router of its own for the redirected hosts, answered by a permanent redirectRegex
        # (doc.traefik.io, middlewares/http/redirectregex: regex, replacement, permanent) to the first host.
        moved = f"http.routers.{name}-moved"
        redirect = f"http.middlewares.{name}-moved.redirectRegex"
        routers.append(moved)
        settings += [
            (f"{moved}.rule", route_rule(proxy.redirects, proxy.path_prefix)),
            (f"{moved}.entryPoints", entry_point),
            (f"{moved}.middlewares", f"{name}-headers,{name}-moved"),
            # Never reached (the middleware answers), but a router names a service.
            (f"{moved}.service", name),
            (f"{redirect}.regex", REDIRECT_REGEX),
            (f"{redirect}.replacement", redirect_replacement(proxy.host)),
            (f"{redirect}.permanent", "true"),
        ]
    for each in routers:
        if uses_tls(profile):
            settings.append((f"{each}.tls", "true"))
        if proxy.tls == "acme" and resolver is not None:
            settings.append((f"{each}.tls.certResolver", resolver))
    return sorted(settings)


def dynamic_configuration(profile: Profile, cert_file: str, key_file: str) -> dict:
    """Traefik's file-provider configuration: TLS 1.2 at least, and the provided certificate if any."""
    tls: dict = {"options": {"default": {"minVersion": "VersionTLS12"}}}
    if profile.proxy is not None and profile.proxy.tls == "provided":
        tls["certificates"] = [{"certFile": cert_file, "keyFile": key_file}]
    return {"tls": tls}


def flags(settings: list[Setting]) -> list[str]:
    """Settings as command-line flags, `--key=value`."""
    return [f"--{key}={value}" for key, value in settings]


def labels(settings: list[Setting]) -> dict[str, str]:
    """Dynamic settings as provider labels (Docker), `traefik.key: value`."""
    return {f"traefik.{key}": value for key, value in settings}


def tags(settings: list[Setting]) -> list[str]:
    """Dynamic settings as provider tags (Nomad), `traefik.key=value`."""
    return [f"traefik.{key}={value}" for key, value in settings]


# Leaves of the dynamic configuration that are numbers or lists in Traefik's file provider; labels
# and tags spell every value as text.
_FILE_NUMBERS = frozenset({"attempts", "stsSeconds"})
_FILE_LISTS = frozenset({"entryPoints", "middlewares", "prefixes"})


def file_configuration(settings: list[Setting], servers: list[str]) -> dict:
    """Dynamic settings (`router_settings`) as a file provider's configuration, with the servers' URLs.

    The file provider routes to the servers it is given, instead of a provider's discovered ones.
    """
    root: dict = {}
    for key, value in settings:
        parts = key.replace(".loadbalancer.", ".loadBalancer.").split(".")
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):  # `tls: true` followed by `tls.certResolver`
                child = node[part] = {}
            node = child
        leaf = parts[-1]
        typed: object = value
        if leaf in _FILE_NUMBERS:
            typed = int(value)
        elif leaf in _FILE_LISTS:
            typed = value.split(",")
        elif value in ("true", "false") and leaf != "rule":
            typed = value == "true"
        if leaf == "tls" and typed is True:
            typed = node.get("tls") if isinstance(node.get("tls"), dict) else {}
        node[leaf] = typed
    for service in root.get("http", {}).get("services", {}).values():
        service.setdefault("loadBalancer", {})["servers"] = [{"url": url} for url in servers]
    return root


def acme_port_mismatch(options: ComposeOptions | QuadletOptions) -> tuple[str, str] | None:
    """(field, message) when Traefik is published away from the standard port of its ACME challenge,
    which Let's Encrypt always validates on; None otherwise. Compose and Quadlet publish Traefik themselves."""
    field, standard, published = (
        ("https_port", 443, options.https_port)
        if options.acme_challenge == "tls-alpn"
        else ("http_port", 80, options.http_port)
    )
    if published == standard:
        return None
    return field, (
        f"Let's Encrypt checks the {options.acme_challenge} challenge on port {standard}, and Traefik is published on "
        f"{published}: certificates are only issued if something forwards port {standard} to it"
    )
