"""The render cache: an unchanged profile is answered without loading the spec; any changed input is rendered again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, run_cli


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    shutil.copytree(REPO / "profiles", root / "profiles")
    return root


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def _render(project: Path, cache_dir: Path, *args: str):
    return run_cli("render", *args, cwd=project, env={"DEPLOYKIT_CACHE_DIR": str(cache_dir)})


def _fresh_process(project: Path, cache_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(REPO), "DEPLOYKIT_CACHE_DIR": str(cache_dir)}
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "deploykit", "render", *args],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_unchanged_profile_renders_the_same_bytes_without_loading_it(project: Path, cache_dir: Path):
    # accept_warnings=[]: prod's accepted warning is shown again, to prove warnings are replayed too.
    args = ("k8s", "--env", "prod", "--set", "accept_warnings=[]")
    first = _fresh_process(project, cache_dir, *args)
    second = _fresh_process(project, cache_dir, *args)
    assert first.returncode == second.returncode == 0
    uncached = run_cli("render", *args, cwd=project, env={"DEPLOYKIT_CACHE": "off"})
    assert first.stdout == second.stdout == uncached.stdout

    def imported(result: subprocess.CompletedProcess[str]) -> set[str]:
        return {
            line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
        }

    assert {"ruamel.yaml", "pydantic_core"} <= imported(first)
    assert not {"pydantic", "pydantic_core", "ruamel.yaml", "typer"} & imported(second)
    warnings = [line for line in second.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [line for line in first.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [line for line in uncached.stderr.splitlines() if line.startswith("warning:")] != []


def test_a_changed_parent_or_profile_is_rendered_again(project: Path, cache_dir: Path):
    before = _render(project, cache_dir, "k8s", "--env", "prod")
    base = project / "profiles/base.yaml"
    base.write_text(base.read_text().replace("items-api:1.4.2", "items-api:1.4.3"))
    parent_changed = _render(project, cache_dir, "k8s", "--env", "prod")
    prod = project / "profiles/prod.yaml"
    prod.write_text(prod.read_text().replace("replicas: 4", "replicas: 5"))
    leaf_changed = _render(project, cache_dir, "k8s", "--env", "prod")
    assert "items-api:1.4.2" in before.stdout and "items-api:1.4.3" in parent_changed.stdout
    assert "replicas: 4" in parent_changed.stdout and "replicas: 5" in leaf_changed.stdout
    uncached = run_cli("render", "k8s", "--env", "prod", cwd=project, env={"DEPLOYKIT_CACHE": "off"})
    assert leaf_changed.stdout == uncached.stdout


def test_errors_are_never_cached(project: Path, cache_dir: Path):
    assert _render(project, cache_dir, "k8s", "--env", "prod").returncode == 0
    prod = project / "profiles/prod.yaml"
    prod.write_text(prod.read_text() + "replica: 3\n")
    broken = _render(project, cache_dir, "k8s", "--env", "prod")
    assert (broken.returncode, broken.stdout) == (2, "")
    assert broken.stderr.endswith("replica: unknown field 'replica'; did you mean 'replicas'?\n")
    assert _render(project, cache_dir, "k8s", "--env", "prod").returncode == 2


def test_strict_fails_on_a_cached_warning_as_on_a_fresh_one(project: Path, cache_dir: Path):
    args = ("k8s", "--env", "prod", "--set", "accept_warnings=[]", "--strict")
    fresh = _render(project, cache_dir, *args)
    cached = _render(project, cache_dir, *args)
    assert fresh.returncode == cached.returncode == 2
    assert fresh.stderr == cached.stderr
    assert fresh.stderr.endswith("error: 1 warning(s) and --strict is set\n")


def test_set_and_target_are_part_of_the_question(project: Path, cache_dir: Path):
    six = _render(project, cache_dir, "k8s", "--env", "prod", "--set", "replicas=6")
    seven = _render(project, cache_dir, "k8s", "--env", "prod", "--set", "replicas=7")
    compose = _render(project, cache_dir, "compose", "--env", "prod", "--set", "replicas=6")
    assert "replicas: 6" in six.stdout and "replicas: 7" in seven.stdout
    assert "services:" in compose.stdout


def test_files_written_from_the_cache_are_the_rendered_files(project: Path, cache_dir: Path):
    _render(project, cache_dir, "k8s", "--env", "prod", "-o", "first")
    _render(project, cache_dir, "k8s", "--env", "prod", "-o", "second")
    first = {p.name: p.read_bytes() for p in (project / "first").iterdir()}
    assert first == {p.name: p.read_bytes() for p in (project / "second").iterdir()}
    assert first == {p.name: p.read_bytes() for p in (REPO / "manifests/prod/k8s").iterdir()}


def test_the_cache_can_be_turned_off(project: Path, cache_dir: Path):
    result = run_cli(
        "render",
        "k8s",
        "--env",
        "prod",
        cwd=project,
        env={"DEPLOYKIT_CACHE_DIR": str(cache_dir), "DEPLOYKIT_CACHE": "off"},
    )
    assert result.returncode == 0
    assert not cache_dir.exists()


def test_an_unwritable_cache_is_only_a_miss(project: Path, tmp_path: Path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    result = run_cli("render", "k8s", "--env", "prod", cwd=project, env={"DEPLOYKIT_CACHE_DIR": str(blocker / "x")})
    assert result.returncode == 0 and result.stdout.startswith("---\napiVersion: v1\n")
