"""compose-lint on the rendered files: no finding beyond the reasoned list in security-exceptions.yaml."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from compose_support import GOLDEN_FILES, VARIANTS, profile_of, render, write
from helpers import REPO
from ruamel.yaml import YAML
from tooling import require_tool

Finding = tuple[str, str]  # (rule, service)


def _exceptions() -> dict:
    return YAML(typ="safe").load((REPO / "security-exceptions.yaml").read_text(encoding="utf-8"))["compose-lint"]


def _excused(finding: Finding, exceptions: dict) -> bool:
    rule, service = finding
    entry = exceptions.get(rule)
    return isinstance(entry, str) or (isinstance(entry, dict) and service in entry)


def lint(compose_file: Path) -> set[Finding]:
    """Every compose-lint finding, at any severity."""
    tool = require_tool("compose-lint", "pip install compose-lint")
    result = subprocess.run(
        [tool, "check", "--format", "json", "--fail-on", "critical", "--no-env", str(compose_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode in (0, 1), result.stderr
    return {(finding["rule_id"], finding["service"]) for finding in json.loads(result.stdout)["findings"]}


def test_golden_files_have_only_listed_findings_and_every_listed_one_still_occurs():
    exceptions = _exceptions()
    found = set().union(*(lint(path) for path in GOLDEN_FILES))
    assert sorted(finding for finding in found if not _excused(finding, exceptions)) == []
    listed = {rule for rule, entry in exceptions.items() if isinstance(entry, str)}
    listed |= {(rule, service) for rule, entry in exceptions.items() if isinstance(entry, dict) for service in entry}
    matched = {rule for rule, _ in found} | found
    assert sorted(map(str, listed - matched)) == [], "stale entries in security-exceptions.yaml"


@pytest.mark.parametrize("variant", sorted(set(VARIANTS) - {"mount"}))
def test_variants_have_only_listed_findings(variant: str, tmp_path: Path):
    rendering, _ = render(profile_of(**VARIANTS[variant]))
    exceptions = _exceptions()
    assert (
        sorted(finding for finding in lint(write(rendering, tmp_path / "out")) if not _excused(finding, exceptions))
        == []
    )


def test_mounting_the_socket_into_traefik_is_flagged(tmp_path: Path):
    """socket_access: mount is the documented, warned-about exception: the scanner must see it too."""
    rendering, _ = render(profile_of(**VARIANTS["mount"]))
    exceptions = _exceptions()
    unexcused = sorted(
        finding for finding in lint(write(rendering, tmp_path / "out")) if not _excused(finding, exceptions)
    )
    assert unexcused == [("CL-0001", "traefik")]


def test_a_writable_root_is_flagged_by_the_scanner_and_warned_about(tmp_path: Path):
    """read_only_root: false is a warned-about choice (writable-root): the scanner sees it too."""
    rendering, findings = render(profile_of(**VARIANTS["image-as-is"], read_only_root=False))
    assert [finding.code for finding in findings if finding.code == "writable-root"] == ["writable-root"]
    exceptions = _exceptions()
    unexcused = sorted(
        finding for finding in lint(write(rendering, tmp_path / "out")) if not _excused(finding, exceptions)
    )
    assert unexcused == [("CL-0007", "items-api")]
