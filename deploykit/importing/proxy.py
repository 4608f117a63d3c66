"""`proxy` from a Traefik the Compose file already runs: the hosts its router sends to the app (the first
as `host`, the others as `aliases`), its PathPrefix (`path_prefix`, and `strip_prefix` when the router
strips it), and the e-mail of its ACME resolver where it has one. Without a host, the environment profile has no
`proxy` and says how to add one: a host name cannot be guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from deploykit.importing.context import Context
from deploykit.importing.document import Entry, field
from deploykit.importing.roles import infrastructure
from deploykit.spec import names

# Traefik v2/v3 router rules: Host(`api.example.com`) (also inside `Host(...) && PathPrefix(...)`), every
# Host() of a rule (`Host(`a`) || Host(`b`)`, and v2's `Host(`a`, `b`)`), and its PathPrefix.
# A matcher after `!` excludes what it matches: it is none of the app's hosts or prefixes.
_HOST_CALL = re.compile(r"(!\s*)?\bHost\(([^)]*)\)")
_QUOTED = re.compile(r"`([^`]+)`")
_PATH_PREFIX_CALL = re.compile(r"(!\s*)?\bPathPrefix\(([^)]*)\)")
_ROUTER_RULE = re.compile(r"^traefik\.http\.routers\.[^.]+\.rule$")
# The static configuration flag of an ACME resolver's account e-mail (Traefik's CLI reference).
_ACME_EMAIL = re.compile(r"^--certificatesresolvers\.[^.]+\.acme\.email=(.+)$", re.IGNORECASE)


def proxy(ctx: Context) -> Entry | None:
    """`proxy: {host, tls: acme, email}` when a Traefik in the project routes a host to the web service."""
    web = ctx.web
    rules = sorted(label for label in web.labels if _ROUTER_RULE.match(label) and _hosts(web.labels[label]))
    if not rules:
        return None
    rule = web.labels[rules[0]]
    rule_path = (*web.path, "labels", rules[0])
    hosts = [host for host in dict.fromkeys(_hosts(rule)) if _valid(names.check_hostname, host)]
    if not hosts or hosts[0] != _hosts(rule)[0]:
        return None
    for host in dict.fromkeys(_hosts(rule)):
        if host not in hosts:
            ctx.note("not imported", rule_path, f"Host(`{host}`): {_problem(names.check_hostname, host)}")
    value: dict[str, object] = {"host": hosts[0]}
    if hosts[1:]:
        value["aliases"] = hosts[1:]
    prefixes = _arguments(_PATH_PREFIX_CALL, rule)
    # PathPrefix(`/`) is the whole host: no prefix. PathPrefix(`/api/`), Traefik's common spelling, is the app
    # under /api (path_prefix has no trailing '/': it matches /api and what lies below it).
    written = prefixes[0] if len(prefixes) == 1 else "/"
    path = written.rstrip("/") or None
    if len(prefixes) > 1:
        ctx.note(
            "not imported",
            rule_path,
            f"PathPrefix: the rule serves several prefixes ({', '.join(prefixes)}) and path_prefix is one; the app "
            "is served on the whole host: set proxy.path_prefix by hand",
        )
    elif path is not None and _valid(names.check_path_prefix, path):
        value["path_prefix"] = path
        if _strips(web.labels, rules[0], {written, path, f"{path}/"}):
            value["strip_prefix"] = True
        elif unknown := _defined_elsewhere(web.labels, rules[0]):
            ctx.note(
                "warning",
                rule_path,
                f"the router's middlewares {', '.join(unknown)} are defined elsewhere (another service's labels or "
                f"Traefik's files): if one strips {path}, set proxy.strip_prefix: true (the app sees the full path)",
            )
    elif path is not None:
        ctx.note(
            "not imported",
            rule_path,
            f"PathPrefix(`{written}`): {_problem(names.check_path_prefix, path)}; the app is served on the whole "
            "host: set proxy.path_prefix by hand",
        )
    value["tls"] = "acme"
    email = _acme_email(ctx)
    if email is None:
        # ACME needs no e-mail (Let's Encrypt sends no expiry mail since 2025): the proxy is kept.
        return field("proxy", value, f"host: {ctx.source(rule_path)}; no ACME e-mail was found")
    return field(
        "proxy",
        {**value, "email": email},
        f"host: {ctx.source(rule_path)}; email: the ACME resolver of the Traefik service",
    )


def _hosts(rule: str) -> list[str]:
    """The host names of a rule's Host() matchers, in order."""
    return _arguments(_HOST_CALL, rule)


def _arguments(matcher: re.Pattern[str], rule: str) -> list[str]:
    """The quoted arguments of a rule's `matcher` calls that are not negated, in order."""
    return [name for call in matcher.finditer(rule) if not call.group(1) for name in _QUOTED.findall(call.group(2))]


def _valid(check: Callable[[str], str], value: str) -> bool:
    return _problem(check, value) is None


def _problem(check: Callable[[str], str], value: str) -> str | None:
    """Why `check` refuses `value`, or None."""
    try:
        check(value)
    except ValueError as error:
        return str(error)
    return None


def _middlewares(labels: dict[str, str], rule_label: str) -> list[str]:
    """The names of the router's middlewares, without their provider (`api-strip@docker`: `api-strip`)."""
    router = rule_label.removesuffix(".rule")
    listed = labels.get(f"{router}.middlewares", "").split(",")
    return [name.split("@", 1)[0].strip() for name in listed if name.strip()]


def _defined_elsewhere(labels: dict[str, str], rule_label: str) -> list[str]:
    """The router's middlewares that this service's labels do not define."""
    keys = [key.lower() for key in labels]
    return [
        name
        for name in _middlewares(labels, rule_label)
        if not any(key.startswith(f"traefik.http.middlewares.{name.lower()}.") for key in keys)
    ]


def _strips(labels: dict[str, str], rule_label: str, prefixes: set[str]) -> bool:
    """Whether the router's middlewares include a stripprefix middleware (of this service's labels) for one of
    `prefixes` (the prefix as written, or with or without its trailing '/': Traefik's stripPrefix gives the
    path its leading '/' back, so `/api/` and `/api` strip alike)."""
    for name in _middlewares(labels, rule_label):
        for key, value in labels.items():
            wanted = f"traefik.http.middlewares.{name}.stripprefix.prefixes".lower()
            if key.lower() == wanted and prefixes & {item.strip() for item in value.split(",")}:
                return True
    return False


def _acme_email(ctx: Context) -> str | None:
    for service in ctx.project.services.values():
        if infrastructure(service) != ("proxy", "Traefik") or service.command is None:
            continue
        for argument in service.command:
            match = _ACME_EMAIL.match(argument)
            if match:
                return match.group(1)
    return None
