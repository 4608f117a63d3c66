"""`--env` means the environment a profile declares, everywhere; profiles/ is found from any directory of the project."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import REPO, run_cli


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "profiles", root / "profiles")
    shutil.copytree(REPO / "manifests", root / "manifests")
    (root / "src" / "deep").mkdir(parents=True)
    return root


def test_env_selects_the_same_profile_for_one_target_and_for_render_all(project: Path):
    # The file name and the declared environment differ: --env follows the declaration, as render all does.
    (project / "profiles/prod.yaml").rename(project / "profiles/production.yaml")
    one = run_cli("render", "k8s", "--env", "prod", "-o", "out", cwd=project)
    assert one.returncode == 0, one.stderr
    every = run_cli("render", "all", "--env", "prod", "--target", "k8s", cwd=project)
    assert every.returncode == 0, every.stderr
    written = {p.name: p.read_bytes() for p in (project / "out").iterdir()}
    assert written == {p.name: p.read_bytes() for p in (project / "manifests/prod/k8s").iterdir()}
    assert written == {p.name: p.read_bytes() for p in (REPO / "manifests/prod/k8s").iterdir()}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("render", "k8s", "--env", "production"),
            "no profile in profiles declares environment 'production' (found: dev, prod, staging)",
        ),
        (
            ("render", "all", "--env", "production"),
            "no profile in profiles declares environment 'production' (found: dev, prod, staging)",
        ),
        (
            ("validate", "--env", "prod.yaml"),
            "--env takes an environment name, not a file: write --env prod, or -p prod.yaml for that file",
        ),
        (
            ("render", "k8s", "--env", "profiles/prod.yaml"),
            "--env takes an environment name, not a file: write --env prod, or -p profiles/prod.yaml for that file",
        ),
        (
            ("check", "--env", "prod.yml"),
            "--env takes an environment name, not a file: write --env prod, or -p prod.yml for that file",
        ),
        (
            ("explain", "--env", "base"),
            "profiles/base.yaml declares no environment (a base that other profiles extend); render it with -p profiles/base.yaml, or add `environment: base`",
        ),
    ],
)
def test_env_mistakes_are_explained(project: Path, args: tuple[str, ...], message: str):
    result = run_cli(*args, cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"error: {message}\n")


def test_a_profile_named_for_one_environment_declaring_another_is_refused(project: Path):
    staging = project / "profiles/staging.yaml"
    staging.write_text(staging.read_text().replace("environment: staging", "environment: stage"))
    result = run_cli("render", "k8s", "--env", "staging", cwd=project)
    assert result.returncode == 2
    assert result.stderr == (
        "error: profiles/staging.yaml:3:1: environment: profiles/staging.yaml declares environment 'stage', not 'staging'; use --env stage\n"
    )


def test_profiles_are_found_from_a_subdirectory(project: Path):
    deep = project / "src" / "deep"
    here = run_cli("render", "k8s", "--env", "prod", cwd=project)
    below = run_cli("render", "k8s", "--env", "prod", cwd=deep)
    assert below.returncode == 0, below.stderr
    assert below.stdout == here.stdout
    assert below.stderr == here.stderr.replace("profiles/base.yaml", "../../profiles/base.yaml")
    assert run_cli("check", cwd=deep).returncode == 0
    (project / "manifests/prod/k8s/service-items-api.yaml").unlink()
    assert run_cli("render", "all", "-q", cwd=deep).returncode == 0
    # render all wrote the project's manifests/, not one in the working directory
    assert (project / "manifests/prod/k8s/service-items-api.yaml").is_file()
    assert not (deep / "manifests").exists()


def test_outside_a_project_deploykit_says_where_it_looked(tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in (("render", "k8s", "--env", "prod"), ("check",), ("render", "all"), ("envs",)):
        result = run_cli(*args, cwd=empty)
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr == (
            f"error: no profiles/ directory in {empty} or any directory above it; "
            "run deploykit inside your project, give --profiles DIR, or create one with `deploykit init`\n"
        )


def test_a_profile_that_is_neither_an_environment_nor_a_base_is_not_skipped_silently(project: Path):
    (project / "profiles/qa.yaml").write_text("extends: base.yaml\nreplicas: 2\n")
    before = {p: p.read_bytes() for p in (project / "manifests").rglob("*") if p.is_file()}
    for args in (("render", "all"), ("check",), ("envs",)):
        result = run_cli(*args, cwd=project)
        assert (result.returncode, result.stderr) == (
            2,
            "error: profiles/qa.yaml declares no environment and no profile extends it, so `render all` would skip it; "
            "add `environment: qa`, or move it out of profiles/\n",
        )
    assert {p: p.read_bytes() for p in (project / "manifests").rglob("*") if p.is_file()} == before


def test_a_warning_a_base_profile_gives_several_environments_is_printed_once_naming_them(project: Path):
    result = run_cli("render", "all", "--set", "accept_warnings=[]", cwd=project)
    assert result.returncode == 0, result.stderr
    nomad_prestart = [line for line in result.stderr.splitlines() if "[nomad concurrent-prestart]" in line]
    assert nomad_prestart == [
        "warning: profiles/base.yaml:12:1: prestart: prestart tasks run in every allocation (web, processes and "
        "periodic runs), concurrently: each step must take a lock (e.g. a Postgres advisory lock) [nomad concurrent-prestart] (environments prod, staging)"
    ]
    strict = run_cli("check", "--set", "accept_warnings=[]", "--strict", cwd=project)
    assert strict.stderr.splitlines()[-1] == f"error: {len(result.stderr.splitlines())} warning(s) and --strict is set"
