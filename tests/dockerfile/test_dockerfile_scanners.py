"""hadolint and checkov on rendered Dockerfiles: nothing beyond the reasoned exceptions in security-exceptions.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
from dockerfile_support import accepted_findings, checkov_failures, hadolint_codes, profile, render
from helpers import bundled

from deploykit import output, pipeline

ENVIRONMENTS = ("dev", "staging", "prod")
PINNED = {"system_packages": ["libpq5=15.8-0+deb12u1", "tzdata=2024a-0+deb12u1"]}
UNPINNED = {"system_packages": ["libpq5", "tzdata=2024a-0+deb12u1"]}


def _write(directory: Path, rendering) -> Path:
    output.write_directory(directory, rendering.files)  # the CLI's own writer: header line included
    return directory / "Dockerfile"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Path]:
    """The bundled environments' Dockerfiles, plus variants with apt packages, on disk."""
    root = tmp_path_factory.mktemp("rendered")
    paths = {}
    for env in ENVIRONMENTS:
        paths[env] = _write(root / env, pipeline.render(bundled(env), "dockerfile").rendering)
    for name, build in (("pinned", PINNED), ("unpinned", UNPINNED)):
        rendering, _ = render(profile(build=build))
        paths[name] = _write(root / name, rendering)
    return paths


def test_hadolint_finds_nothing_beyond_the_exceptions(rendered):
    accepted, _ = accepted_findings()
    found = {name: set(hadolint_codes(path)) for name, path in rendered.items()}
    bundled = {name: codes for name, codes in found.items() if name in ENVIRONMENTS}
    assert {name: codes - accepted for name, codes in bundled.items()} == {env: set() for env in ENVIRONMENTS}
    assert accepted <= set().union(*bundled.values()), "an exception no finding needs any more"
    assert found["pinned"] - accepted == set()
    # Unpinned packages are allowed but reported on render (the profile's choice, not deploykit's).
    assert found["unpinned"] - accepted == {"DL3008"}


def test_checkov_finds_nothing_beyond_the_exceptions(rendered):
    _, accepted = accepted_findings()
    root = rendered["dev"].parent.parent
    scanned, failures = checkov_failures(root)
    assert scanned == len(rendered)
    unexpected = {file: checks - accepted for file, checks in failures.items() if checks - accepted}
    assert unexpected == {}
    bundled = set().union(*(failures.get(f"{env}/Dockerfile", set()) for env in ENVIRONMENTS))
    assert accepted <= bundled, "an exception no finding needs any more"
