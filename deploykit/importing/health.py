"""The web service's healthcheck as `health`: an HTTP probe's path, its timings, or the probe command.

A Compose healthcheck that fetches a URL of the app (`curl -f http://localhost:8000/healthz`, wget,
a python one-liner) gives `health.path`, which every target probes over HTTP. Any other probe (a
script, a TCP check) is carried as `health.check: command`: every target runs it in the container.
"""

from __future__ import annotations

import math
import re
from typing import Any

from deploykit.importing.context import Context
from deploykit.importing.document import Entry, field
from deploykit.importing.model import Healthcheck
from deploykit.spec import names

DEFAULT_PATH = "/healthz"
# A URL of the container itself: the probe runs inside it.
_LOCAL_URL = re.compile(
    r"https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::(?P<port>\d+))?(?P<path>/[^\s'\"|;&)<>]*)?"
)
# (Compose field, profile field, lowest, highest): the profile's ranges (spec/model.py Health).
_TIMINGS = (
    ("interval", "interval_seconds", 2, 300),
    ("timeout", "timeout_seconds", 1, 60),
    ("start_period", "startup_seconds", 1, 3600),
)


def app_health(ctx: Context, port: int, generic: bool) -> Entry:
    """`health` from the web service's healthcheck (or deploykit's default path, with a warning)."""
    web = ctx.web
    path = (*web.path, "healthcheck")
    check = web.healthcheck
    if check is None or check.disabled or not check.test:
        reason = "no healthcheck" if check is None or not check.test else "its healthcheck disabled"
        ctx.note(
            "warning",
            web.path,
            f"{web.name} has {reason}: deploykit probes {DEFAULT_PATH} on Kubernetes and Nomad and Traefik "
            "checks it before routing; set health.path to a path the app answers with 200",
        )
        return field(
            "health", {"path": DEFAULT_PATH}, f"check: {web.name} had {reason}; this is deploykit's default path"
        )
    if names.credential_in_arguments(check.test[1:]) is not None:
        # `curl -f http://admin:hunter2@localhost/...`: the probe would carry the password into every target.
        ctx.note(
            "not imported",
            (*path, "test"),
            f"holds a credential; deploykit probes {DEFAULT_PATH} instead: give the app a health path that needs "
            "no credentials and set health.path to it",
        )
        return field(
            "health", {"path": DEFAULT_PATH}, f"check: {web.name}'s healthcheck held a credential; not imported"
        )
    health: dict[str, Any] = {}
    comments = [ctx.source((*path, "test"))]
    url = probe_url(check.test)
    if url is not None and (url["port"] is None or int(url["port"]) == port) and _valid_path(url["path"] or "/"):
        health["path"] = url["path"] or "/"
        comments[0] += f": an HTTP probe of {health['path']}"
        if generic:
            # deploykit's python one-liner serves Python servers only; a generic image keeps its own probe.
            health["command"] = _exec_form(check.test)
            comments.append("command: the probe itself, which Compose runs (deploykit's own needs python)")
    else:
        # Carried as it is on every target: a Kubernetes exec probe, a Nomad script check, the Compose
        # healthcheck (health.check: command). It runs inside the image, which has what it needs.
        health["check"] = "command"
        health["command"] = _exec_form(check.test)
        comments.append(
            f"not an HTTP probe of port {port}: every target runs it in the container (health.check: command)"
        )
    health.update(_timings(ctx, check, comments))
    return field("health", health, *comments)


def probe_url(test: tuple[str, ...]) -> re.Match[str] | None:
    for part in test[1:]:
        match = _LOCAL_URL.search(part)
        if match is not None:
            return match
    return None


def _valid_path(path: str) -> bool:
    try:
        names.check_http_path(path.split("?", 1)[0])
    except ValueError:
        return False
    return "?" not in path


def _exec_form(test: tuple[str, ...]) -> list[str]:
    """`[CMD, curl, ...]` -> `[curl, ...]`; `[CMD-SHELL, script]` -> `[/bin/sh, -c, script]`, as Docker runs it."""
    if test[0] == "CMD-SHELL":
        return ["/bin/sh", "-c", " ".join(test[1:])]
    return list(test[1:])


def _timings(ctx: Context, check: Healthcheck, comments: list[str]) -> dict[str, int]:
    values: dict[str, int] = {}
    for compose, profile, lowest, highest in _TIMINGS:
        seconds = getattr(check, compose)
        if seconds is None or seconds == 0:
            continue
        values[profile] = min(highest, max(lowest, math.ceil(seconds)))
        if values[profile] != seconds:
            comments.append(f"{profile}: {compose} {seconds:g} s, rounded into {lowest}..{highest}")
    if check.retries is not None:
        values["failure_threshold"] = min(10, max(1, check.retries))
    interval = values.get("interval_seconds", 10)
    if values.get("timeout_seconds", 2) >= interval:
        # deploykit requires the timeout to end before the next check starts.
        values["timeout_seconds"] = interval - 1
        comments.append(f"timeout_seconds: below interval_seconds ({interval}), as deploykit requires")
    return values
