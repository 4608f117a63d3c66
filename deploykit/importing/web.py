"""The web service's command, port, worker count and shutdown budget as profile fields.

Flags deploykit owns come out of the command (commandline.py) and become fields: `--port` the port,
`--workers` the replicas, the graceful timeout `shutdown_seconds`. So do the variables the server
would read behind deploykit's back (`PORT`, `WEB_CONCURRENCY`).
"""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass

from deploykit.importing import commandline
from deploykit.importing.commandline import ServerCommand
from deploykit.importing.context import Context
from deploykit.importing.document import Entry, field
from deploykit.servers import SERVERS, SHUTDOWN_MARGIN_SECONDS

# Every server deploykit knows listens on 8000 unless told otherwise (fastapi run, uvicorn, gunicorn,
# granian, hypercorn); deploykit passes the port explicitly anyway.
DEFAULT_PORT = 8000


@dataclass(frozen=True)
class WebCommand:
    """What the web service runs, and the numbers its command and environment gave."""

    command: ServerCommand
    port: int
    workers: int  # processes per container (1 for a generic server)
    workers_source: str
    containers: int
    entries: tuple[Entry, ...]  # command, server, port, shutdown_seconds

    @property
    def replicas(self) -> int:
        """deploykit's `replicas`: every process serving traffic, in every container."""
        return self.workers * self.containers


def web_command(ctx: Context) -> WebCommand:
    """The web service's command and what it implies."""
    web = ctx.web
    if web.argv is None:
        return _image_command(ctx)
    argv, argv_path = _argv(ctx)
    parsed = commandline.parse(argv)
    if not parsed.known:
        parsed = _development_server(ctx, parsed, argv_path)
    entries = [_command_entry(ctx, parsed, argv_path)]
    if not parsed.known:
        entries.append(field("server", "generic", *_generic_comment(parsed)))
        ctx.note(
            "warning",
            argv_path,
            f"{parsed.command[0]!r} is not a server deploykit knows: the profile runs it as `server: generic` "
            "(no flags added; PORT and WEB_CONCURRENCY=1 in its environment); make sure it listens on $PORT",
        )
    for removed in parsed.removed:
        if removed.flag in SERVERS[parsed.server].refused_flags:
            ctx.note("warning", argv_path, f"removed {' '.join(removed.written)}: {removed.reason}")
    port, port_entry = _port(ctx, parsed, argv_path)
    entries.append(port_entry)
    workers, workers_source = _workers(ctx, parsed, argv_path)
    containers = web.replicas or 1
    shutdown = _shutdown(ctx, parsed, argv_path)
    if shutdown is not None:
        entries.append(shutdown)
    return WebCommand(parsed, port, workers, workers_source, containers, tuple(entries))


def _image_command(ctx: Context) -> WebCommand:
    """A web service without `command` or `entrypoint`: the image's own ENTRYPOINT/CMD, unchanged, as a
    generic server (no command in the profile)."""
    web = ctx.web
    parsed = commandline.ServerCommand((), "generic")
    entries = [
        field(
            "server",
            "generic",
            f"{web.name} has no command or entrypoint in Compose: the image's own ENTRYPOINT/CMD runs unchanged on every",
            "target (no `command`); deploykit adds no flags and gives it PORT and WEB_CONCURRENCY=1",
        )
    ]
    port, port_entry = _port(ctx, parsed, web.path)
    entries.append(port_entry)
    shutdown = _shutdown(ctx, parsed, web.path)
    if shutdown is not None:
        entries.append(shutdown)
    return WebCommand(
        parsed, port, 1, "a generic server runs one process per container", web.replicas or 1, tuple(entries)
    )


def _argv(ctx: Context) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What the web container runs, and the Compose field that says so; an entrypoint that only wraps a
    known server's command (`/docker-entrypoint.sh`) is left out, since deploykit starts the server itself."""
    web = ctx.web
    assert web.argv is not None, "web_command handles a service without a command"
    if (
        web.entrypoint
        and web.command
        and commandline.server_of(web.argv) is None
        and commandline.server_of(web.command)
    ):
        ctx.note(
            "not imported",
            (*web.path, "entrypoint"),
            f"{shlex.join(web.entrypoint)} ran before the server; deploykit starts the server directly: "
            "do its work in the image or in a prestart step",
        )
        return web.command, (*web.path, "command")
    return web.argv, (*web.path, "entrypoint" if web.entrypoint and not web.command else "command")


def _development_server(ctx: Context, parsed: ServerCommand, path: tuple[str, ...]) -> ServerCommand:
    """`fastapi dev` becomes `fastapi run`; other development servers stay generic, with a warning."""
    command = parsed.command
    program = command[0].rsplit("/", 1)[-1] if command else ""
    if program == "fastapi" and command[1:2] == ("dev",):
        ctx.note("warning", path, "`fastapi dev` is the development server; the profile runs `fastapi run`")
        return commandline.parse((command[0], "run", *command[2:]))
    if "runserver" in command:
        ctx.note(
            "warning",
            path,
            "`manage.py runserver` is Django's development server; run gunicorn instead "
            "(e.g. command: [gunicorn, PROJECT.wsgi]) and import again",
        )
    return parsed


def _command_entry(ctx: Context, parsed: ServerCommand, path: tuple[str, ...]) -> Entry:
    comment = [f"{ctx.source(path)}"]
    if parsed.script is not None:
        comment.append(f"the last command of its script {parsed.script!r}; the ones before it are prestart steps")
    owned = [removed for removed in parsed.removed if removed.flag in SERVERS[parsed.server].owned_flags]
    if owned:
        flags = " ".join(" ".join(removed.written) for removed in owned)
        comment.append(f"without {flags}: deploykit sets these for each target (port, replicas, shutdown_seconds)")
    return field("command", list(parsed.command), *comment)


def _generic_comment(parsed: ServerCommand) -> tuple[str, ...]:
    return (
        f"{parsed.command[0]} is not a server deploykit knows (fastapi run, uvicorn, gunicorn, granian, hypercorn):",
        "deploykit adds no flags; the app reads its port from PORT and its process count from WEB_CONCURRENCY.",
    )


def _port(ctx: Context, parsed: ServerCommand, command_path: tuple[str, ...]) -> tuple[int, Entry]:
    """The port the app listens on: its command's flag, PORT, the container port Compose published or
    exposed, else the server's default; never below 1024 (deploykit runs the app unprivileged)."""
    web = ctx.web
    port: int | None = None
    source = ""
    owned_env = SERVERS[parsed.server].owned_env
    tcp_targets = list(dict.fromkeys(p.target for p in web.ports if p.protocol == "tcp"))
    port_flag = parsed.value_of("--port")
    bind = parsed.value_of("--bind", "-b", "--insecure-bind")
    bind_port = _bind_port(bind)
    if bind is not None and bind_port is None:
        ctx.note(
            "warning",
            command_path,
            f"the server listened on {bind}; the proxy and the probes reach the app over TCP, so deploykit makes it "
            "listen on `port`: anything that connected to the socket must connect to the port",
        )
    if port_flag is not None and port_flag.isdigit():
        port, source = int(port_flag), f"--port in {ctx.source(command_path)}"
    elif bind_port is not None and bind_port.isdigit():
        port, source = int(bind_port), f"--bind in {ctx.source(command_path)}"
    elif "PORT" in owned_env and (web.environment.get("PORT") or "").isdigit():
        port, source = int(str(web.environment["PORT"])), f"PORT in {ctx.source(ctx.variable_path(web, 'PORT'))}"
    elif tcp_targets:
        port, source = tcp_targets[0], f"the container port of {ctx.source((*web.path, 'ports'))}"
    elif web.expose:
        port, source = web.expose[0], ctx.source((*web.path, "expose"))
    elif (probed := _healthcheck_port(ctx)) is not None:
        port, source = probed, f"the port its healthcheck fetches ({ctx.source((*web.path, 'healthcheck', 'test'))})"
    for extra in [target for target in tcp_targets if target != port] + [p for p in web.expose if p != port]:
        ctx.note(
            "not imported",
            (*web.path, "ports" if extra in tcp_targets else "expose"),
            f"port {extra}: only the app's port is routed; if the app serves something there (metrics, admin), "
            f"add it to `ports` ({{name: NAME, port: {extra}}})",
        )
    if port is None:
        port = DEFAULT_PORT
        source = f"{parsed.server}'s default" if parsed.known else "check: nothing in Compose says which port"
        if not parsed.known:
            ctx.note("warning", web.path, f"no port in the command, ports or expose: the profile says {DEFAULT_PORT}")
    comment = [source]
    published = [p.published for p in web.ports if p.published and p.target == port]
    if published:
        comment.append(f"Compose published it on host port {published[0]}; deploykit routes to it through Traefik")
    if port < 1024:
        ctx.note(
            "warning",
            command_path,
            f"the app listened on port {port}; deploykit runs it without privileges, on {DEFAULT_PORT} "
            + ("(it passes the port to the server)" if parsed.known else "(make the app listen on $PORT)"),
        )
        comment.append(f"moved from {port}: ports below 1024 need privileges deploykit never gives")
        port = DEFAULT_PORT
    return port, field("port", port, *comment)


def _healthcheck_port(ctx: Context) -> int | None:
    """The port of the local URL the web service's healthcheck fetches (`curl http://localhost:8080/...`)."""
    from deploykit.importing.health import probe_url

    check = ctx.web.healthcheck
    url = probe_url(check.test) if check is not None and check.test else None
    return int(url["port"]) if url is not None and url["port"] is not None else None


def _bind_port(bind: str | None) -> str | None:
    """The port of `0.0.0.0:8000`, `:8000` or `[::]:8000`; None for a socket (`unix:...`)."""
    if bind is None or bind.startswith(("unix:", "fd://")) or ":" not in bind:
        return None
    return bind.rsplit(":", 1)[1]


def _workers(ctx: Context, parsed: ServerCommand, command_path: tuple[str, ...]) -> tuple[int, str]:
    """Worker processes per container, and what said so: the flag, WEB_CONCURRENCY, or the server's default of 1."""
    web = ctx.web
    variable_path = (*web.path, "environment", "WEB_CONCURRENCY")
    variable = web.environment.get("WEB_CONCURRENCY")
    if not parsed.known:
        if variable not in (None, "1"):
            ctx.note(
                "warning",
                variable_path,
                f"deploykit runs one process per container for a generic server and sets WEB_CONCURRENCY=1; "
                f"the app ran {variable}: raise replicas instead",
            )
        return 1, "a generic server runs one process per container"
    flag = next((removed for removed in reversed(parsed.removed) if removed.flag in ("--workers", "-w")), None)
    flag_source = f"{' '.join(flag.written)} in {ctx.source(command_path)}" if flag else ""
    for text, source in (
        (flag.value if flag else None, flag_source),
        (variable, ctx.source(ctx.variable_path(web, "WEB_CONCURRENCY"))),
    ):
        if text is not None and text.isdigit() and int(text) >= 1:
            return int(text), source
    return 1, f"{parsed.server}'s default of one worker"


def _shutdown(ctx: Context, parsed: ServerCommand, command_path: tuple[str, ...]) -> Entry | None:
    """`stop_grace_period`, else the server's graceful timeout plus deploykit's margin."""
    web = ctx.web
    if web.stop_grace_seconds is not None:
        seconds = min(3600, max(1, math.ceil(web.stop_grace_seconds)))
        return field("shutdown_seconds", seconds, ctx.source((*web.path, "stop_grace_period")))
    graceful = parsed.value_of("--timeout-graceful-shutdown", "--graceful-timeout", "--workers-kill-timeout")
    if graceful is not None and graceful.isdigit():
        seconds = min(3600, max(1, int(graceful) + SHUTDOWN_MARGIN_SECONDS))
        return field(
            "shutdown_seconds",
            seconds,
            f"the server's graceful timeout ({graceful} s, in {ctx.source(command_path)}) plus the "
            f"{SHUTDOWN_MARGIN_SECONDS} s deploykit leaves before SIGKILL",
        )
    return None
