"""Running the real CLI in a subprocess, as users and pipelines do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None, timeout: float = 120, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m deploykit ARGS` in `cwd`; stdout/stderr captured as text."""
    environment = {**os.environ, **(env or {})}
    environment.pop("COLUMNS", None)
    return subprocess.run(
        [sys.executable, "-m", "deploykit", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin if stdin is not None else "",
    )


def stop(process: subprocess.Popen, grace: float = 10) -> None:
    """Terminate `process`, and kill it if it has not exited within `grace` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace)
