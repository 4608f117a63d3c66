"""Rules that involve more than one field, checked after the model has validated each field."""

from __future__ import annotations

from collections.abc import Iterator

from deploykit.errors import Problem
from deploykit.spec import names
from deploykit.spec.model import Profile
from deploykit.spec.server import owned_flag, server_name


def problems(profile: Profile) -> Iterator[Problem]:
    """The profile's cross-field problems that hold whatever the target, in field order.

    Rules that only one target has live in that target's `check` (deploykit/targets/<target>/check.py).
    """
    if server_name(list(profile.command)) is None:
        yield Problem(
            ("command", 0),
            (
                f"deploykit runs FastAPI apps with fastapi or uvicorn (it adds their --port and --workers flags); "
                f"{profile.command[0]!r} is neither: use e.g. [fastapi, run, app/main.py] or [uvicorn, app.main:app]"
            ),
        )
    seen: set[str] = {profile.app}
    for index, step in enumerate(profile.prestart):
        if step.name in seen:
            reason = (
                "is the app's name (containers and tasks share one namespace)"
                if step.name == profile.app
                else "is used twice"
            )
            yield Problem(("prestart", index, "name"), f"step name {step.name!r} {reason}")
        seen.add(step.name)
        if not step.command[0]:
            yield Problem(("prestart", index, "command", 0), "the program to run cannot be empty")
    for name in profile.env:
        if name in profile.secrets:
            yield Problem(("env", name), f"{name} is also defined in secrets; define it in one place")
        if name not in profile.env_not_secret and names.looks_like_credential(name):
            yield Problem(
                ("env", name),
                f"{name} looks like a credential; reference it under `secrets:` instead of writing its value "
                "(or list it in `env_not_secret` if it holds no secret)",
            )
        if names.URL_WITH_PASSWORD.match(profile.env[name]):
            yield Problem(
                ("env", name),
                "the value holds a password in its URL (user:password@host); reference it under `secrets:` instead of writing it",
            )
    port_names, port_numbers = {"http"}, {profile.port}
    for index, extra in enumerate(profile.ports):
        if extra.name in port_names:
            reason = "is the app's port (`port`)" if extra.name == "http" else "is used twice"
            yield Problem(("ports", index, "name"), f"{extra.name!r} {reason}")
        if extra.port in port_numbers:
            yield Problem(
                ("ports", index, "port"),
                f"{extra.port} is already used by {'`port`' if extra.port == profile.port else 'another entry'}",
            )
        port_names.add(extra.name)
        port_numbers.add(extra.port)
    for index, argument in enumerate(profile.command):
        flag = owned_flag(argument)
        if flag is not None:
            yield Problem(
                ("command", index), f"remove {flag}: deploykit sets it for each target (see `port`, `compose.workers`)"
            )
    if "FORWARDED_ALLOW_IPS" in profile.env or "FORWARDED_ALLOW_IPS" in profile.secrets:
        where = "env" if "FORWARDED_ALLOW_IPS" in profile.env else "secrets"
        yield Problem(
            (where, "FORWARDED_ALLOW_IPS"),
            "deploykit sets FORWARDED_ALLOW_IPS per target to the proxy's addresses; remove it",
        )
    health = profile.health
    if health.timeout_seconds >= health.interval_seconds:
        yield Problem(("health", "timeout_seconds"), "must be less than health.interval_seconds")
    proxy = profile.proxy
    if proxy is not None:
        if proxy.tls == "acme" and proxy.email is None:
            yield Problem(("proxy", "email"), "required with tls: acme (the ACME account e-mail)", ("proxy", "tls"))
        if proxy.tls != "none" and proxy.host is None:
            yield Problem(("proxy", "host"), f"required with tls: {proxy.tls}", ("proxy", "tls"))
        if proxy.tls != "provided" and proxy.certificate is not None:
            yield Problem(("proxy", "certificate"), "only used with tls: provided")
