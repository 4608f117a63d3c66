"""What the tests share: the CLI (in this process, or installed), profiles through the one pipeline,
free ports, and stopping the processes tests start.

Tests never assemble the pipeline themselves: `render_data` and `load_data` go through
`deploykit.pipeline` exactly as a command does (cross-field rules, per-target overrides and the
target's own checks included).
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploykit import pipeline
from deploykit.loading.validation import LoadedProfile

REPO = Path(__file__).resolve().parent.parent
BUNDLED_ENVIRONMENTS = ("dev", "staging", "prod")


@dataclass(frozen=True)
class CliResult:
    """What a run of the CLI left: its exit code and everything it printed."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(
    *args: str,
    cwd: Path = REPO,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    whole_app: bool = False,
) -> CliResult:
    """`deploykit ARGS` in this process, in `cwd`, with `env` added to the environment.

    The same code path as the console script (typer's argument parsing of the narrowed app, the error
    handler, exit codes), without a Python start-up per call; `run_installed` covers the entry point
    itself. `whole_app` parses with every command declared, to prove the narrowed app reads alike.
    """
    from deploykit.cli import app, main

    stdout, stderr = io.StringIO(), io.StringIO()
    code = 0
    with _redirected(stdout, stderr, io.StringIO(stdin or "")), _working_directory(cwd), _environment(env or {}):
        try:
            if whole_app:
                app(args=list(args), prog_name="deploykit", standalone_mode=True)
            else:
                main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return CliResult(code, stdout.getvalue(), stderr.getvalue())


def run_installed(
    *args: str,
    cwd: Path = REPO,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    stdin: str | None = None,
    prefix: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """`python -m deploykit ARGS` as a separate process, as users and pipelines run it.

    `prefix` runs it through another program first (e.g. `setpriv ...` to drop privileges).
    """
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    environment.pop("COLUMNS", None)
    return subprocess.run(
        [*prefix, sys.executable, "-m", "deploykit", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin if stdin is not None else "",
    )


@contextlib.contextmanager
def _redirected(stdout: io.StringIO, stderr: io.StringIO, stdin: io.StringIO) -> Iterator[None]:
    saved = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr, sys.stdin = stdout, stderr, stdin
    try:
        yield
    finally:
        sys.stdout, sys.stderr, sys.stdin = saved


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    saved = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(saved)


@contextlib.contextmanager
def _environment(changes: Mapping[str, str]) -> Iterator[None]:
    saved, saved_tempdir = dict(os.environ), tempfile.tempdir
    os.environ.update(changes)
    os.environ.pop("COLUMNS", None)  # help text wraps at the same width everywhere
    tempfile.tempdir = None  # read TMPDIR again, as a new process would
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        tempfile.tempdir = saved_tempdir


def load_data(data: Mapping[str, Any]) -> LoadedProfile:
    """A profile from already merged data, validated exactly as a file would be."""
    return pipeline.load_data(data)


def render_data(data: Mapping[str, Any], target: str) -> pipeline.TargetOutput:
    """`target`'s output for a profile given as data, through the whole pipeline."""
    return pipeline.render(load_data(data), target)


@functools.cache
def bundled(environment: str) -> LoadedProfile:
    """A bundled example profile (profiles/<environment>.yaml), loaded once."""
    return pipeline.load(REPO / "profiles" / f"{environment}.yaml")


_GIVEN_PORTS: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, and that this session has not handed
    out before: servers started together must not be given the port another is about to bind."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in _GIVEN_PORTS:
            _GIVEN_PORTS.add(port)
            return port


def stop(process: subprocess.Popen, grace: float = 10) -> None:
    """Terminate `process`, and kill it if it has not exited within `grace` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace)
