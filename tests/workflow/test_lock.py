"""requirements.lock: what scripts/setup-machine.sh and CI install, pinned with hashes, within pyproject's ranges.

The offline tests read the files; the last one runs the refresh command itself (`scripts/lock.sh --check`,
about half a minute once pip-tools is installed), which fails when pyproject.toml changed without a new lock.
"""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from importlib import metadata

from helpers import REPO
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from tooling import missing

LOCK = REPO / "requirements.lock"


def _pins() -> dict[str, tuple[str, list[str]]]:
    """Each locked package: its version and its hashes."""
    pins: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text(encoding="utf-8")):
        match = re.match(r"([A-Za-z0-9._-]+)==([^\s\\]+)", block)
        if match:
            hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", block)
            pins[canonicalize_name(match.group(1))] = (match.group(2), hashes)
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    return [
        Requirement(line) for line in [*project["dependencies"], *(item for name in extras for item in extras[name])]
    ]


def test_every_declared_dependency_is_pinned_within_its_range_with_hashes():
    pins = _pins()
    assert len(pins) > 50  # the whole tree, not only the direct dependencies
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in requirements.lock: run scripts/lock.sh"
        version, _ = pins[name]
        assert requirement.specifier.contains(version, prereleases=True), f"{name}=={version} is outside {requirement}"
    assert all(hashes for _, hashes in pins.values()), "a pin without hashes: pip --require-hashes refuses the file"


def test_the_test_environment_is_the_locked_one():
    """CI installed from the lock: every direct dependency is at its pinned version."""
    pins = _pins()
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert metadata.version(name) == pins[name][0], f"{name} is not the locked version: scripts/setup-machine.sh"


def test_the_lock_matches_pyproject_by_its_own_refresh_command():
    result = subprocess.run(
        ["scripts/lock.sh", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    if result.returncode != 0 and "lock: requirements.lock does not match" not in result.stderr:
        missing(f"scripts/lock.sh could not run (pip-tools or the package index unreachable): {result.stderr[-500:]}")
    assert (result.returncode, result.stdout.strip().splitlines()[-1:]) == (
        0,
        ["lock: requirements.lock matches pyproject.toml"],
    ), result.stdout + result.stderr
