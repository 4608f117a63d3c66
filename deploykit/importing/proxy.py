"""`proxy` from a Traefik the Compose file already runs: the host its router sends to the app, and
the e-mail of its ACME resolver where it has one. Without a host, the environment profile has no
`proxy` and says how to add one: a host name cannot be guessed.
"""

from __future__ import annotations

import re

from deploykit.importing.context import Context
from deploykit.importing.document import Entry, field
from deploykit.importing.roles import infrastructure
from deploykit.spec import names

# Traefik v2/v3 router rules: Host(`api.example.com`) (also inside `Host(...) && PathPrefix(...)`).
_HOST_RULE = re.compile(r"Host\(\s*`([^`]+)`")
_ROUTER_RULE = re.compile(r"^traefik\.http\.routers\.[^.]+\.rule$")
# The static configuration flag of an ACME resolver's account e-mail (Traefik's CLI reference).
_ACME_EMAIL = re.compile(r"^--certificatesresolvers\.[^.]+\.acme\.email=(.+)$", re.IGNORECASE)


def proxy(ctx: Context) -> Entry | None:
    """`proxy: {host, tls: acme, email}` when a Traefik in the project routes a host to the web service."""
    web = ctx.web
    rules = sorted(label for label in web.labels if _ROUTER_RULE.match(label))
    hosts = [match.group(1) for label in rules for match in [_HOST_RULE.search(web.labels[label])] if match]
    if not hosts:
        return None
    host = hosts[0]
    try:
        names.check_hostname(host)
    except ValueError:
        return None
    email = _acme_email(ctx)
    rule_path = (*web.path, "labels", rules[0])
    if email is None:
        # ACME needs no e-mail (Let's Encrypt sends no expiry mail since 2025): the proxy is kept.
        return field("proxy", {"host": host, "tls": "acme"}, f"host: {ctx.source(rule_path)}; no ACME e-mail was found")
    return field(
        "proxy",
        {"host": host, "tls": "acme", "email": email},
        f"host: {ctx.source(rule_path)}; email: the ACME resolver of the Traefik service",
    )


def _acme_email(ctx: Context) -> str | None:
    for service in ctx.project.services.values():
        if infrastructure(service) != ("proxy", "Traefik") or service.command is None:
            continue
        for argument in service.command:
            match = _ACME_EMAIL.match(argument)
            if match:
                return match.group(1)
    return None
