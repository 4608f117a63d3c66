"""Every server deploykit knows, started for real with the argv a target renders.

For each server form, the Compose command (one container, 3 workers, trusting only the proxy's
subnet), the Kubernetes args (one worker per pod, trusting `k8s.forwarded_allow_ips`) and the Nomad
task's (one worker per allocation, trusting a list) are taken from the rendered output and run on a free port with tiny apps (tests/servers/apps). The server must
accept every flag (an unknown one makes it exit), answer HTTP 200 on 127.0.0.1, run exactly the
processes deploykit budgets memory for (`Server.processes`), and trust X-Forwarded-* only where the
target says so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import free_port, load_data, render_data, stop
from ruamel.yaml import YAML
from tooling import missing

from deploykit.loading.per_target import for_target
from deploykit.servers import SERVERS, detect
from deploykit.targets.nomad.job import build_job

APPS = Path(__file__).parent / "apps"
IMAGE = "registry.example.com/acme/servers:1.0.0"
FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
STARTUP_TIMEOUT = 30


@dataclass(frozen=True)
class Case:
    command: tuple[str, ...]
    # Whether the server itself rewrites the client address from X-Forwarded-For (gunicorn's sync
    # worker only takes the scheme; granian and hypercorn have no allow-list, so trust nothing).
    rewrites_client: bool
    trusts_headers: bool = True


TARGETS = ("compose", "k8s", "nomad")
CASES = {
    "fastapi": Case(("fastapi", "run", "fastapi_app.py"), rewrites_client=True),
    "uvicorn": Case(("uvicorn", "asgi_app:app"), rewrites_client=True),
    "python-m-uvicorn": Case(("python", "-m", "uvicorn", "asgi_app:app"), rewrites_client=True),
    "gunicorn-wsgi": Case(("gunicorn", "wsgi_app:app"), rewrites_client=False),
    "gunicorn-uvicorn-worker": Case(
        ("gunicorn", "asgi_app:app", "-k", "uvicorn_worker.UvicornWorker"), rewrites_client=True
    ),
    "python-m-gunicorn-uvicorn-workers": Case(
        ("python", "-m", "gunicorn", "-k", "uvicorn.workers.UvicornWorker", "asgi_app:app"), rewrites_client=True
    ),
    "granian-asgi": Case(
        ("granian", "--interface", "asgi", "asgi_app:app"), rewrites_client=False, trusts_headers=False
    ),
    "granian-wsgi": Case(
        ("granian", "--interface", "wsgi", "wsgi_app:app"), rewrites_client=False, trusts_headers=False
    ),
    "hypercorn": Case(("hypercorn", "asgi_app:app"), rewrites_client=False, trusts_headers=False),
}


def _profile(case: Case, port: int) -> dict:
    return {
        "app": "servers",
        "image": IMAGE,
        "command": list(case.command),
        "port": port,
        "replicas": 3,
        "proxy": {"host": "servers.example.com", "tls": "none"},
        "k8s": {"forwarded_allow_ips": "127.0.0.1"},
        "nomad": {"forwarded_allow_ips": "127.0.0.1"},
    }


def rendered(case: Case, target: str, port: int) -> tuple[list[str], dict[str, str]]:
    """The argv and server variables `target` renders for `case` (Compose's `$$` and k8s' `$$` undone)."""
    if target == "nomad":
        # The values the job template writes into the task's `command`, `args` and `env`.
        (task,) = [
            task
            for task in build_job(for_target(load_data(_profile(case, port)).profile, "nomad").profile)["groups"][0][
                "tasks"
            ]
        ]
        return [task["command"], *task["args"]], dict(task["env"])
    rendering = render_data(_profile(case, port), target).rendering
    if target == "compose":
        service = YAML(typ="safe").load(rendering.files[0].content)["services"]["servers"]
        return [part.replace("$$", "$") for part in service["command"]], dict(service["environment"])
    container = next(obj for obj in rendering.objects if obj["kind"] == "Deployment")["spec"]["template"]["spec"][
        "containers"
    ][0]
    return [part.replace("$$", "$") for part in container["args"]], {
        entry["name"]: entry["value"] for entry in container["env"]
    }


def _executable(program: str) -> str:
    if program == "python":
        return sys.executable
    found = shutil.which(program) or str(Path(sys.executable).parent / program)
    if not os.access(found, os.X_OK):
        missing(f"{program} is not installed: pip install -e '.[test]'")
    return found


def _descendants(pid: int) -> list[str]:
    """Command lines of `pid` and every process below it, the multiprocessing resource tracker left out."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            command = (Path("/proc") / str(current) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "resource_tracker" not in command:
            found.append(command)
        pending += children.get(current, [])
    return found


def _get(port: int) -> dict | None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers=FORWARDED)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
            return json.load(response)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


@dataclass(frozen=True)
class Outcome:
    argv: list[str]
    workers: int
    expected_processes: int
    processes: list[str]
    seen: dict | None
    log: str


def _launch(name: str, target: str, directory: Path) -> tuple[subprocess.Popen, list[str], int]:
    case = CASES[name]
    port = free_port()
    argv, variables = rendered(case, target, port)
    environment = {k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS", "PORT")}
    # Only the variables the target sets; HOME and /tmp writable, as in the rendered containers.
    environment.update(variables, HOME=str(directory), TMPDIR=str(directory), PYTHONDONTWRITEBYTECODE="1")
    log = directory / "server.log"
    with log.open("w") as handle:
        process = subprocess.Popen(
            [_executable(argv[0]), *argv[1:]], cwd=APPS, env=environment, stdout=handle, stderr=subprocess.STDOUT
        )
    return process, argv, port


def _observe(
    process: subprocess.Popen, argv: list[str], port: int, deadline: float
) -> tuple[dict | None, list[str], int]:
    detected = detect(argv)
    assert detected is not None
    server = SERVERS[detected.server]
    expected = server.processes(int(argv[argv.index("--workers") + 1]))
    seen = None
    while seen is None and process.poll() is None and time.monotonic() < deadline:
        seen = _get(port)
        if seen is None:
            time.sleep(0.1)
    while seen is not None and len(_descendants(process.pid)) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return seen, _descendants(process.pid), expected


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[tuple[str, str], Outcome]:
    """Every case on both targets, started together (servers spend their start-up waiting), then stopped."""
    running = {}
    for name in CASES:
        for target in TARGETS:
            directory = tmp_path_factory.mktemp(f"{name}-{target}")
            running[(name, target)] = (*_launch(name, target, directory), directory)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    results = {}
    try:
        for key, (process, argv, port, _directory) in running.items():
            seen, processes, expected = _observe(process, argv, port, deadline)
            workers = int(argv[argv.index("--workers") + 1])
            results[key] = Outcome(argv, workers, expected, processes, seen, "")
    finally:
        for process, *_ in running.values():
            process.terminate()
        for key, (process, _, _, directory) in running.items():
            stop(process, grace=15)
            if key in results:
                results[key] = Outcome(**{**results[key].__dict__, "log": (directory / "server.log").read_text()})
    return results


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_server_accepts_the_rendered_argv_and_runs_the_budgeted_processes(outcomes, name: str, target: str):
    case, outcome = CASES[name], outcomes[(name, target)]
    assert outcome.seen is not None, f"{name} never answered:\n{outcome.log}"
    assert outcome.workers == (3 if target == "compose" else 1)
    if target == "nomad" and case.trusts_headers:
        assert "127.0.0.1,172.17.0.0/16" in outcome.argv
    assert len(outcome.processes) == outcome.expected_processes, outcome.processes
    # Compose trusts only the proxy's subnet: a request from 127.0.0.1 is taken at face value.
    # The k8s args trust 127.0.0.1 (`k8s.forwarded_allow_ips`), so the headers count; so do Nomad's,
    # which trust a list: 127.0.0.1 (`nomad.forwarded_allow_ips`) and the Docker bridge.
    trusted = target != "compose" and case.trusts_headers
    assert outcome.seen["scheme"] == ("https" if trusted else "http"), outcome.seen
    assert outcome.seen["client"] == ("203.0.113.7" if trusted and case.rewrites_client else "127.0.0.1"), outcome.seen
