"""The web servers deploykit knows, and how each is told to listen, fork workers and trust the proxy.

A profile's `command` starts a server (`fastapi run app/main.py`, `gunicorn shop.wsgi:application`);
deploykit appends the flags that differ per target: where to listen, how many worker processes,
whose X-Forwarded-* headers to trust, how long to wait for requests on SIGTERM, and how long to keep
idle connections open. Every flag below was checked against the server's own CLI definition and by
starting the server with it: fastapi-cli 0.0.34, uvicorn 0.54, gunicorn 27.0, granian 2.8,
hypercorn 0.18 (tests/servers/ starts each one with the argv deploykit renders).

`generic` is any other program (Node, Go, Java...): deploykit adds no flags and tells it the port and
process count through the environment (`PORT`, `WEB_CONCURRENCY`), as most platforms do.

This module knows commands, not profiles, so the spec model can use its names without a cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

ServerName = Literal["fastapi", "uvicorn", "gunicorn", "granian", "hypercorn", "generic"]
SERVER_NAMES: tuple[ServerName, ...] = ("fastapi", "uvicorn", "gunicorn", "granian", "hypercorn", "generic")

# Every server listens on all interfaces of its container: the proxy and the probes connect from outside
# it. uvicorn, gunicorn, granian and hypercorn default to 127.0.0.1, which nothing else can reach.
BIND_ADDRESS = "0.0.0.0"
# Idle connections stay open longer than proxies keep idle upstream connections (Traefik 90 s, nginx
# 60 s), so the proxy never sends a request on a connection the server is closing (a 502 otherwise).
KEEP_ALIVE_SECONDS = 95
# The server stops waiting for in-flight requests this long before the engine's SIGKILL
# (`shutdown_seconds`), so it always exits on its own: lifespan shutdown runs and logs are flushed.
SHUTDOWN_MARGIN_SECONDS = 5
# A master process that only supervises (it does not import the app) needs little memory.
MASTER_BYTES = 64 * 2**20


@dataclass(frozen=True)
class Launch:
    """What a target asks of the server for one unit (container, pod, allocation)."""

    port: int
    workers: int
    trusted_proxies: str | None  # addresses or CIDRs whose X-Forwarded-* headers count; None: no proxy
    shutdown_seconds: int  # the engine's budget between SIGTERM and SIGKILL


@dataclass(frozen=True)
class Server:
    """One server's command-line contract."""

    name: ServerName
    # The program (`gunicorn`) or module (`python -m gunicorn`) that starts it; `fastapi` needs `run` next.
    programs: tuple[str, ...]
    # One more process per unit besides the workers: "always" (gunicorn's arbiter), "several" (uvicorn's
    # supervisor, only with more than one worker), or "never".
    master: Literal["always", "several", "never"]
    # Whether that master imports the app too (uvicorn's supervisor does for `fastapi run path.py`).
    master_loads_app: bool
    # Flags deploykit sets; the profile's command must not (with a hint naming the profile field).
    owned_flags: dict[str, str]
    # Flags that break at run time in a container, with the reason.
    refused_flags: dict[str, str] = field(default_factory=dict)
    # Environment variables the server reads that would override what deploykit sets.
    owned_env: dict[str, str] = field(default_factory=dict)
    owned_env_prefixes: dict[str, str] = field(default_factory=dict)
    # The header trust flag, None when the server has no allow-list (the app must handle the headers).
    forwarded_flag: str | None = None
    # Idle keep-alive the server is given, None when it cannot be set (then the proxy adapts).
    keep_alive_seconds: int | None = None
    # Every long option of a server whose parser (argparse's default `allow_abbrev`) also reads any
    # unambiguous prefix of one: `--bin` is `--bind` and `--daemo` is `--daemon` to gunicorn and hypercorn.
    # Empty for servers whose parser (click) wants options in full.
    abbreviated_options: tuple[str, ...] = ()

    def option(self, argument: str) -> str:
        """The option `argument` sets, as the server's parser reads it: `--bind` for `--bind=x`, `--bi=x` and
        `--bin`, `-w` for `-w4`. A prefix of one of deploykit's owned or refused options counts as that
        option even when other options share the prefix: the server then refuses it as ambiguous (and
        another version of the server, with other options, may read it as that one)."""
        flag = flag_of(argument)
        if not self.abbreviated_options or not flag.startswith("--") or len(flag) < 3:
            return flag
        if flag in self.abbreviated_options:
            return flag
        ruled = sorted(
            option
            for option in {*self.owned_flags, *self.refused_flags}
            if option.startswith("--") and option.startswith(flag)
        )
        return ruled[0] if ruled else flag

    def value_of(self, argument: str, option: str) -> str | None:
        """The value written inside `argument` itself (`--bind=x`, `--bi=x`, `-w4`), None when it follows."""
        if argument.startswith("--"):
            return argument.split("=", 1)[1] if "=" in argument else None
        return argument[len(option) :] or None

    def arguments(self, launch: Launch) -> list[str]:
        """The flags appended to the profile's command for `launch`."""
        graceful = graceful_seconds(launch.shutdown_seconds)
        forwarded = (
            [self.forwarded_flag, launch.trusted_proxies] if self.forwarded_flag and launch.trusted_proxies else []
        )
        match self.name:
            case "fastapi":
                # `fastapi run` already listens on 0.0.0.0; it has no graceful or keep-alive flag.
                return ["--port", str(launch.port), "--workers", str(launch.workers), *forwarded]
            case "uvicorn":
                return [
                    "--host", BIND_ADDRESS, "--port", str(launch.port), "--workers", str(launch.workers), *forwarded,
                    "--timeout-graceful-shutdown", str(graceful), "--timeout-keep-alive", str(KEEP_ALIVE_SECONDS),
                ]  # fmt: skip
            case "gunicorn":
                return [
                    "--bind", f"{BIND_ADDRESS}:{launch.port}", "--workers", str(launch.workers), *forwarded,
                    "--graceful-timeout", str(graceful), "--keep-alive", str(KEEP_ALIVE_SECONDS),
                ]  # fmt: skip
            case "granian":
                # The idle timeout is the HTTP/1 header read timeout, in milliseconds, at most 60 s.
                return [
                    "--host", BIND_ADDRESS, "--port", str(launch.port), "--workers", str(launch.workers),
                    "--workers-kill-timeout", str(graceful), "--http1-header-read-timeout", str(GRANIAN_KEEP_ALIVE_SECONDS * 1000),
                ]  # fmt: skip
            case "hypercorn":
                return [
                    "--bind", f"{BIND_ADDRESS}:{launch.port}", "--workers", str(launch.workers),
                    "--graceful-timeout", str(graceful), "--keep-alive", str(KEEP_ALIVE_SECONDS),
                ]  # fmt: skip
        return []

    def environment(self, launch: Launch) -> dict[str, str]:
        """Variables deploykit sets for the server: the port and process count for `generic`, the proxy
        trust list for every server (frameworks and apps that handle the headers themselves read it)."""
        variables = {}
        if self.name == "generic":
            variables = {"PORT": str(launch.port), "WEB_CONCURRENCY": str(launch.workers)}
        if launch.trusted_proxies is not None:
            variables["FORWARDED_ALLOW_IPS"] = launch.trusted_proxies
        return variables

    def processes(self, workers: int) -> int:
        """Processes in one unit running `workers` workers."""
        if self.master == "always" or (self.master == "several" and workers > 1):
            return workers + 1
        return workers

    def unit_memory(self, per_process: int, workers: int) -> int:
        """Memory for one unit running `workers` workers of `per_process` bytes each, master included.

        Workers share nothing worth counting on: uvicorn and hypercorn spawn them, granian imports the
        app in each, and gunicorn's forks drift apart as the app allocates.
        """
        if self.processes(workers) == workers:
            return per_process * workers
        return per_process * workers + (per_process if self.master_loads_app else MASTER_BYTES)

    @property
    def forks_workers(self) -> bool:
        """Whether one process can run several workers (else Compose runs one container per process)."""
        return self.name != "generic"

    @property
    def proxy_idle_seconds(self) -> int:
        """How long a proxy may keep an idle connection to this server: shorter than the server's own."""
        keep_alive = KEEP_ALIVE_SECONDS if self.keep_alive_seconds is None else self.keep_alive_seconds
        return keep_alive - (1 if keep_alive < 20 else 5)


GRANIAN_KEEP_ALIVE_SECONDS = 60
# Hints that name the profile field owning a setting.
_PORT = "deploykit sets the port on every target (see `port`)"
_WORKERS = "deploykit sets the number of worker processes for each target (see `replicas` and `compose.workers`)"
_BIND = "deploykit makes the server listen on all interfaces at `port`; an address such as 127.0.0.1 would be unreachable from the proxy and the probes"
_TRUST = "deploykit sets the proxy's addresses for each target"
_GRACEFUL = "deploykit derives it from `shutdown_seconds`"
_KEEP_ALIVE = "deploykit keeps idle connections open longer than the proxy does"
_RELOAD = "reloading on file changes is for development; containers are replaced, not reloaded"
_SOCKET = "the proxy and the probes reach the app over TCP at `port`, not through a socket file or descriptor"
_ENV_FILE = "it could set WEB_CONCURRENCY or FORWARDED_ALLOW_IPS behind deploykit's back; set variables in `env`"

_UVICORN_OWNED = {
    "--port": _PORT, "--host": _BIND, "--workers": _WORKERS, "--forwarded-allow-ips": _TRUST,
    "--timeout-graceful-shutdown": _GRACEFUL, "--timeout-keep-alive": _KEEP_ALIVE,
}  # fmt: skip
_UVICORN_REFUSED = {
    "--reload": _RELOAD, "--reload-dir": _RELOAD, "--reload-include": _RELOAD, "--reload-exclude": _RELOAD,
    "--reload-delay": _RELOAD, "--uds": _SOCKET, "--fd": _SOCKET, "--env-file": _ENV_FILE, "--no-proxy-headers": "it turns off the trust of the proxy's X-Forwarded-* headers",
}  # fmt: skip
_COMMON_ENV = {"WEB_CONCURRENCY": _WORKERS, "FORWARDED_ALLOW_IPS": _TRUST}
# The long options of gunicorn 27.0 and hypercorn 0.18, as their argparse parsers define them
# (tests/servers/test_abbreviations.py compares them with the installed servers' own parsers).
_GUNICORN_OPTIONS = (
    "--access-logfile", "--access-logformat", "--asgi-disconnect-grace-period", "--asgi-lifespan", "--asgi-loop",
    "--backlog", "--bind", "--ca-certs", "--capture-output", "--casefold-http-method", "--cert-reqs", "--certfile",
    "--chdir", "--check-config", "--ciphers", "--config", "--control-socket", "--control-socket-mode", "--daemon",
    "--dirty-app", "--dirty-graceful-timeout", "--dirty-threads", "--dirty-timeout", "--dirty-workers",
    "--disable-redirect-access-to-syslog", "--do-handshake-on-connect", "--dogstatsd-tags", "--enable-backlog-metric",
    "--enable-stdio-inheritance", "--env", "--error-logfile", "--forwarded-allow-ips", "--forwarder-headers",
    "--graceful-timeout", "--group", "--header-map", "--help", "--http-parser", "--http-protocols", "--http2-cleartext",
    "--http2-initial-window-size", "--http2-max-concurrent-streams", "--http2-max-frame-size",
    "--http2-max-header-list-size", "--initgroups", "--keep-alive", "--keyfile", "--limit-request-field_size",
    "--limit-request-fields", "--limit-request-line", "--log-config", "--log-config-json", "--log-file", "--log-level",
    "--log-syslog", "--log-syslog-facility", "--log-syslog-prefix", "--log-syslog-to", "--logger-class",
    "--max-requests", "--max-requests-jitter", "--name", "--no-control-socket", "--no-sendfile", "--paste",
    "--paste-global", "--paster", "--permit-obsolete-folding", "--permit-unconventional-http-method",
    "--permit-unconventional-http-version", "--pid", "--preload", "--print-config", "--protocol", "--proxy-allow-from",
    "--proxy-protocol", "--pythonpath", "--reload", "--reload-engine", "--reload-extra-file", "--reuse-port",
    "--root-path", "--spew", "--ssl-version", "--statsd-host", "--statsd-prefix", "--strip-header-spaces",
    "--suppress-ragged-eofs", "--threads", "--timeout", "--umask", "--user", "--uwsgi-allow-from", "--version",
    "--websocket-max-message-size", "--worker-class", "--worker-connections", "--worker-tmp-dir", "--workers",
)  # fmt: skip
_HYPERCORN_OPTIONS = (
    "--access-log", "--access-logfile", "--access-logformat", "--backlog", "--bind", "--ca-certs", "--cert-reqs",
    "--certfile", "--ciphers", "--config", "--daemon", "--debug", "--error-log", "--error-logfile", "--graceful-timeout",
    "--group", "--help", "--insecure-bind", "--keep-alive", "--keyfile", "--keyfile-password", "--log-config",
    "--log-file", "--log-level", "--max-requests", "--max-requests-jitter", "--pid", "--quic-bind", "--read-timeout",
    "--reload", "--root-path", "--server-name", "--statsd-host", "--statsd-prefix", "--umask", "--user",
    "--verify-mode", "--websocket-ping-interval", "--worker-class", "--workers",
)  # fmt: skip

SERVERS: dict[ServerName, Server] = {
    "fastapi": Server(
        name="fastapi",
        programs=("fastapi", "fastapi_cli"),
        master="several",
        master_loads_app=True,
        owned_flags={key: _UVICORN_OWNED[key] for key in ("--port", "--host", "--workers", "--forwarded-allow-ips")},
        refused_flags={"--reload": _RELOAD, "--no-proxy-headers": _UVICORN_REFUSED["--no-proxy-headers"]},
        owned_env={**_COMMON_ENV, "PORT": _PORT},
        forwarded_flag="--forwarded-allow-ips",
        keep_alive_seconds=5,  # uvicorn's default: `fastapi run` offers no flag for it
    ),
    "uvicorn": Server(
        name="uvicorn",
        programs=("uvicorn",),
        master="several",
        master_loads_app=True,
        owned_flags=_UVICORN_OWNED,
        refused_flags=_UVICORN_REFUSED,
        owned_env=_COMMON_ENV,
        owned_env_prefixes={
            "UVICORN_": "uvicorn reads every option from UVICORN_<OPTION> (UVICORN_UDS, UVICORN_RELOAD...)"
        },
        forwarded_flag="--forwarded-allow-ips",
    ),
    "gunicorn": Server(
        name="gunicorn",
        programs=("gunicorn",),
        master="always",
        master_loads_app=False,
        owned_flags={
            "--bind": _BIND,
            "-b": _BIND,
            "--workers": _WORKERS,
            "-w": _WORKERS,
            "--forwarded-allow-ips": _TRUST,
            "--graceful-timeout": _GRACEFUL,
            "--keep-alive": _KEEP_ALIVE,
        },
        refused_flags={
            "--reload": _RELOAD,
            "--reload-engine": _RELOAD,
            "--reload-extra-file": _RELOAD,
            "--daemon": "a daemonized server leaves the container's main process, which exits 0",
            "-D": "a daemonized server leaves the container's main process, which exits 0",
            "--check-config": "it checks the configuration and exits",
            "--print-config": "it prints the configuration and exits",
        },
        abbreviated_options=_GUNICORN_OPTIONS,
        owned_env={
            **_COMMON_ENV,
            "PORT": _PORT,
            "GUNICORN_CMD_ARGS": "gunicorn reads any flag from it, --daemon and --bind included",
        },
        forwarded_flag="--forwarded-allow-ips",
    ),
    "granian": Server(
        name="granian",
        programs=("granian",),
        master="always",
        master_loads_app=False,
        owned_flags={
            "--host": _BIND,
            "--port": _PORT,
            "--workers": _WORKERS,
            "--workers-kill-timeout": _GRACEFUL,
            "--http1-header-read-timeout": _KEEP_ALIVE,
        },
        refused_flags={
            "--reload": _RELOAD,
            "--uds": _SOCKET,
            "--env-files": _ENV_FILE,
            "--working-dir": "the image's WORKDIR decides where the app runs",
        },
        owned_env={**_COMMON_ENV},
        owned_env_prefixes={
            "GRANIAN_": "granian reads every option from GRANIAN_<OPTION> (GRANIAN_UDS, GRANIAN_RELOAD...)"
        },
        keep_alive_seconds=GRANIAN_KEEP_ALIVE_SECONDS,
    ),
    "hypercorn": Server(
        name="hypercorn",
        programs=("hypercorn",),
        master="always",
        master_loads_app=False,
        owned_flags={
            "--bind": _BIND,
            "-b": _BIND,
            "--insecure-bind": _BIND,
            "--quic-bind": _BIND,
            "--workers": _WORKERS,
            "-w": _WORKERS,
            "--graceful-timeout": _GRACEFUL,
            "--keep-alive": _KEEP_ALIVE,
        },
        refused_flags={
            "--reload": _RELOAD,
            "--config": "a configuration file can set the bind address and workers behind deploykit's back",
            "-c": "a configuration file can set the bind address and workers behind deploykit's back",
        },
        owned_env={**_COMMON_ENV},
        abbreviated_options=_HYPERCORN_OPTIONS,
    ),
    "generic": Server(
        name="generic",
        programs=(),
        master="never",
        master_loads_app=False,
        owned_flags={},
        owned_env={"PORT": _PORT, "WEB_CONCURRENCY": _WORKERS, "FORWARDED_ALLOW_IPS": _TRUST},
    ),
}


def graceful_seconds(shutdown_seconds: int) -> int:
    """How long the server waits for in-flight requests after SIGTERM, inside the engine's budget."""
    return max(1, shutdown_seconds - SHUTDOWN_MARGIN_SECONDS)


@dataclass(frozen=True)
class Detected:
    """The server a command starts, and where its own arguments begin."""

    server: ServerName
    first_argument: int


def detect(command: Sequence[str]) -> Detected | None:
    """The known server `command` starts (`gunicorn ...`, `/venv/bin/uvicorn ...`, `python -m hypercorn ...`,
    `fastapi run ...`), or None."""
    program = command[0].rsplit("/", 1)[-1]
    start = 1
    if program.startswith("python") and len(command) >= 3 and command[1] == "-m":
        program, start = command[2], 3
    for server in SERVERS.values():
        if program in server.programs:
            if server.name == "fastapi":
                # `fastapi run` only: `fastapi dev` is refused by the checks with its own message.
                return Detected("fastapi", start + 1) if command[start : start + 1] == ["run"] else None
            return Detected(server.name, start)
    return None


def flag_of(argument: str) -> str:
    """The flag an argument sets: `--port` for `--port=80`, `-w` for `-w4`, the argument otherwise."""
    if argument.startswith("--"):
        return argument.split("=", 1)[0]
    if argument.startswith("-") and len(argument) > 2 and not argument[1].isdigit():
        return argument[:2]
    return argument


def _flag_value(arguments: Sequence[str], flags: tuple[str, ...]) -> str | None:
    """The value the last of `flags` is given in `arguments` (`-k gthread`, `--threads=4`, `-kgevent`), or None."""
    value = None
    for index, argument in enumerate(arguments):
        flag = flag_of(argument)
        if flag not in flags:
            continue
        if argument != flag:  # --threads=4, -k=gevent or -kgevent
            value = argument[len(flag) :].lstrip("=")
        elif index + 1 < len(arguments):
            value = arguments[index + 1]
    return value


def serves_one_request_at_a_time(command: Sequence[str]) -> bool:
    """Whether `command` runs gunicorn with its default sync workers: no other `-k/--worker-class`, and
    no `--threads` above 1 (with threads, gunicorn runs the gthread worker).

    A sync worker handles one request at a time, the health probes' included, and reads a slow client's
    request itself: gunicorn's own documentation ("Design", "Deploying Gunicorn") says sync workers need
    a buffering proxy in front and suggests threads or an async worker class otherwise.
    """
    detected = detect(command)
    if detected is None or detected.server != "gunicorn":
        return False
    arguments = command[detected.first_argument :]
    worker_class = _flag_value(arguments, ("-k", "--worker-class"))
    if worker_class is not None and worker_class not in ("sync", "gunicorn.workers.sync.SyncWorker"):
        return False
    threads = _flag_value(arguments, ("--threads",))
    return not (threads is not None and threads.isdigit() and int(threads) > 1)


SYNC_WORKERS_MESSAGE = (
    "gunicorn's default sync workers serve one request at a time each, health checks included, so one slow "
    "request makes a probe time out, and no proxy here buffers slow clients (gunicorn's documentation asks for "
    "one): add `--threads 4` (the gthread worker) or an async worker class (`-k uvicorn_worker.UvicornWorker` "
    "for ASGI, `-k gevent`), or accept sync-workers if gunicorn.conf.py sets one"
)
