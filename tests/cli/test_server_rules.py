"""Server commands that would break at run time, and settings deploykit owns, through the real CLI:
one located line, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli

BASE = "app: web\nimage: registry.example.com/acme/web:1.0.0\n"

CASES = {
    "fastapi-dev": (
        "command: [fastapi, dev, app/main.py]\n",
        "profile.yaml:3:20: command[1]: `fastapi dev` is the development server (it reloads on file changes and listens on 127.0.0.1 only); use `fastapi run`",
    ),
    "reload": (
        "command: [uvicorn, app.main:app, --reload]\n",
        "profile.yaml:3:34: command[2]: remove --reload: reloading on file changes is for development; containers are replaced, not reloaded",
    ),
    "unix-socket": (
        "command: [uvicorn, app.main:app, --uds, /tmp/app.sock]\n",
        "profile.yaml:3:34: command[2]: remove --uds: the proxy and the probes reach the app over TCP at `port`, not through a socket file or descriptor",
    ),
    "file-descriptor": (
        "command: [uvicorn, app.main:app, --fd=3]\n",
        "profile.yaml:3:34: command[2]: remove --fd: the proxy and the probes reach the app over TCP at `port`, not through a socket file or descriptor",
    ),
    "workers-in-command": (
        "command: [gunicorn, -w4, shop.wsgi:application]\n",
        "profile.yaml:3:21: command[1]: remove -w: deploykit sets the number of worker processes for each target (see `replicas` and `compose.workers`)",
    ),
    "loopback-host": (
        "command: [uvicorn, app.main:app, --host, 127.0.0.1]\n",
        "profile.yaml:3:34: command[2]: remove --host: deploykit makes the server listen on all interfaces at `port`; an address such as 127.0.0.1 would be unreachable from the proxy and the probes",
    ),
    "loopback-bind": (
        "command: [gunicorn, shop.wsgi:application, --bind=127.0.0.1:8000]\n",
        "profile.yaml:3:44: command[2]: remove --bind: deploykit makes the server listen on all interfaces at `port`; an address such as 127.0.0.1 would be unreachable from the proxy and the probes",
    ),
    "daemon": (
        "command: [gunicorn, shop.wsgi:application, --daemon]\n",
        "profile.yaml:3:44: command[2]: remove --daemon: a daemonized server leaves the container's main process, which exits 0",
    ),
    "abbreviated-daemon": (
        "command: [gunicorn, shop.wsgi:application, --daemo]\n",
        "profile.yaml:3:44: command[2]: remove --daemo (gunicorn reads it as --daemon): a daemonized server leaves the container's main process, which exits 0",
    ),
    "abbreviated-bind": (
        "command: [hypercorn, shop.asgi:application, --bin=127.0.0.1:8000]\n",
        "profile.yaml:3:45: command[2]: remove --bin (hypercorn reads it as --bind): deploykit makes the server listen on all interfaces at `port`; an address such as 127.0.0.1 would be unreachable from the proxy and the probes",
    ),
    "web-concurrency": (
        "command: [fastapi, run, app/main.py]\nenv:\n  WEB_CONCURRENCY: '8'\n",
        "profile.yaml:5:3: env.WEB_CONCURRENCY: remove WEB_CONCURRENCY: deploykit sets the number of worker processes for each target (see `replicas` and `compose.workers`)",
    ),
    "uvicorn-variable": (
        "command: [uvicorn, app.main:app]\nenv:\n  UVICORN_FORWARDED_ALLOW_IPS: '*'\n",
        "profile.yaml:5:3: env.UVICORN_FORWARDED_ALLOW_IPS: remove UVICORN_FORWARDED_ALLOW_IPS: uvicorn reads every option from UVICORN_<OPTION> (UVICORN_UDS, UVICORN_RELOAD...)",
    ),
    "gunicorn-cmd-args": (
        "command: [gunicorn, shop.wsgi:application]\nenv:\n  GUNICORN_CMD_ARGS: --workers 8\n",
        "profile.yaml:5:3: env.GUNICORN_CMD_ARGS: remove GUNICORN_CMD_ARGS: gunicorn reads any flag from it, --daemon and --bind included",
    ),
    "granian-variable": (
        "command: [granian, --interface, asgi, app.main:app]\nenv:\n  GRANIAN_RELOAD: 'true'\n",
        "profile.yaml:5:3: env.GRANIAN_RELOAD: remove GRANIAN_RELOAD: granian reads every option from GRANIAN_<OPTION> (GRANIAN_UDS, GRANIAN_RELOAD...)",
    ),
    "generic-port-variable": (
        "server: generic\ncommand: [node, server.js]\nenv:\n  PORT: '3000'\n",
        "profile.yaml:6:3: env.PORT: remove PORT: deploykit sets the port on every target (see `port`)",
    ),
    "unknown-program": (
        "command: [./bin/server]\n",
        "profile.yaml:3:11: command[0]: './bin/server' is not a server deploykit knows (fastapi run, uvicorn, gunicorn, granian, hypercorn, or python -m one of them); set `server: generic` to run the command as given, with PORT and WEB_CONCURRENCY in its environment",
    ),
    "server-mismatch": (
        "server: gunicorn\ncommand: [uvicorn, app.main:app]\n",
        "profile.yaml:3:1: server: the command starts uvicorn, not gunicorn: deploykit appends gunicorn's flags to the command, so it must run gunicorn itself (exec form, no shell)",
    ),
    "server-behind-a-shell": (
        "server: uvicorn\ncommand: [sh, -c, uvicorn app.main:app]\n",
        "profile.yaml:3:1: server: the command starts 'sh', not uvicorn: deploykit appends uvicorn's flags to the command, so it must run uvicorn itself (exec form, no shell)",
    ),
    "granian-without-interface": (
        "command: [granian, app.main:app]\n",
        "profile.yaml:3:1: command: granian serves RSGI unless told otherwise, and answers an ASGI or WSGI app with HTTP 500: add --interface asgi (or wsgi)",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_server_settings_are_refused(case: str, tmp_path: Path):
    body, message = CASES[case]
    (tmp_path / "profile.yaml").write_text(BASE + body, encoding="utf-8")
    result = run_cli("render", "compose", "-p", "profile.yaml", "-o", "out", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"error: {message}\n")
    assert not (tmp_path / "out").exists()


def test_a_generic_server_has_no_dockerfile(tmp_path: Path):
    (tmp_path / "profile.yaml").write_text(BASE + "server: generic\ncommand: [node, server.js]\n", encoding="utf-8")
    result = run_cli("render", "dockerfile", "-p", "profile.yaml", "-o", "out", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: profile.yaml:3:1: server: deploykit writes Dockerfiles for Python servers only (fastapi, uvicorn, "
        "gunicorn, granian, hypercorn); an app with `server: generic` brings its own Dockerfile (leave dockerfile out "
        "of the environment's targets)\n"
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "command",
    [
        "[fastapi, run, app/main.py]",
        "[python, -m, uvicorn, app.main:app]",
        "[gunicorn, shop.wsgi:application]",
        "[gunicorn, -k, uvicorn_worker.UvicornWorker, shop.asgi:application]",
        "[granian, --interface, wsgi, shop.wsgi:application]",
        "[hypercorn, shop.asgi:application]",
    ],
)
@pytest.mark.parametrize("target", ["compose", "k8s", "nomad"])
def test_every_server_renders_for_every_runtime_target(command: str, target: str, tmp_path: Path):
    public = "proxy: {host: web.example.com, tls: none}\nnomad: {forwarded_allow_ips: 10.0.0.0/8}\n"
    (tmp_path / "profile.yaml").write_text(f"{BASE}command: {command}\nreplicas: 2\n{public}", encoding="utf-8")
    result = run_cli("render", target, "-p", "profile.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
