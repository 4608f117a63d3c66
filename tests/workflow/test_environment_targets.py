"""`targets:` in a profile: an environment renders, checks and requires exactly the targets it lists."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli

BASE = """\
app: shop
image: registry.example.com/acme/shop:2.1.0
command: [fastapi, run, app/main.py]
replicas: 2
health: {path: /healthz, readiness_path: /readyz}
proxy: {host: shop.example.com, tls: acme, email: ops@example.com}
"""
# Staging on one server: no k8s.cluster_issuer, no nomad.forwarded_allow_ips, which those targets require.
STAGING = "extends: base.yaml\nenvironment: staging\ntargets: [compose, dockerfile]\n"
# Prod on Kubernetes only.
PROD = "extends: base.yaml\nenvironment: prod\ntargets: [k8s]\nk8s: {cluster_issuer: letsencrypt}\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "profiles").mkdir()
    for name, text in {"base.yaml": BASE, "staging.yaml": STAGING, "prod.yaml": PROD}.items():
        (tmp_path / "profiles" / name).write_text(text)
    return tmp_path


def _listing(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def test_render_all_renders_exactly_the_listed_targets(project: Path):
    result = run_cli("render", "all", cwd=project)
    assert (result.returncode, result.stderr) == (0, "")
    assert _listing(project / "manifests") == ["prod", "staging"]
    assert _listing(project / "manifests" / "staging") == ["compose", "dockerfile"]
    assert _listing(project / "manifests" / "prod") == ["k8s"]
    assert run_cli("check", "--strict", cwd=project).returncode == 0


def test_a_target_dropped_from_the_list_is_stale_then_removed(project: Path):
    assert run_cli("render", "all", cwd=project).returncode == 0
    (project / "profiles/staging.yaml").write_text(STAGING.replace("[compose, dockerfile]", "[compose]"))
    stale = run_cli("check", cwd=project)
    assert stale.returncode == 1
    assert "extra: manifests/staging/dockerfile/ (no profile renders it any more)" in stale.stderr
    assert run_cli("render", "all", cwd=project).returncode == 0
    assert _listing(project / "manifests" / "staging") == ["compose"]


def test_a_target_the_environment_does_not_list_is_a_located_error(project: Path):
    result = run_cli("render", "k8s", "--env", "staging", cwd=project)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: profiles/staging.yaml:3:1: targets: this environment runs on compose, dockerfile only; "
        "k8s is not among its targets\n"
    )


def test_validate_checks_the_listed_targets_only(project: Path):
    result = run_cli("validate", "--env", "prod", cwd=project)
    assert (result.returncode, result.stderr) == (0, "profiles/prod.yaml: valid (k8s)\n")


def test_options_of_unlisted_targets_are_still_checked_for_syntax(project: Path):
    (project / "profiles/staging.yaml").write_text(STAGING + "k8s: {clusterissuer: letsencrypt}\n")
    result = run_cli("validate", "--env", "staging", cwd=project)
    assert result.returncode == 2
    assert (
        result.stderr
        == "error: profiles/staging.yaml:4:7: k8s.clusterissuer: unknown field 'clusterissuer'; did you mean 'cluster_issuer'?\n"
    )


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        (
            "[compose, k8ss]",
            "profiles/staging.yaml:3:20: targets[1]: 'k8ss' is not allowed; expected 'compose', 'dockerfile', 'k8s', 'nomad' or 'quadlet'",
        ),
        ("[compose, compose]", "profiles/staging.yaml:3:1: targets: 'compose' is listed more than once"),
        ("[]", "profiles/staging.yaml:3:1: targets: must have at least 1 item, got 0"),
    ],
)
def test_bad_target_lists(project: Path, targets: str, message: str):
    (project / "profiles/staging.yaml").write_text(STAGING.replace("[compose, dockerfile]", targets))
    result = run_cli("validate", "--env", "staging", cwd=project)
    assert (result.returncode, result.stderr) == (2, f"error: {message}\n")


def test_an_unknown_accepted_warning_code_is_refused_with_a_suggestion(project: Path):
    (project / "profiles/prod.yaml").write_text(PROD + "accept_warnings: [single-replicas]\n")
    result = run_cli("validate", "--env", "prod", cwd=project)
    assert (result.returncode, result.stderr) == (
        2,
        "error: profiles/prod.yaml:5:19: accept_warnings[0]: 'single-replicas' is not a warning code; did you mean 'single-replica'?\n",
    )


def test_a_target_no_environment_runs_says_which_environments_run_which_targets(project: Path):
    result = run_cli("check", "-t", "nomad", cwd=project)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: no environment in profiles runs nomad (prod runs k8s; staging runs compose, dockerfile); nothing to render\n"
    )
    one = run_cli("check", "-t", "k8s", "-e", "staging", cwd=project)
    assert one.stderr == (
        "error: environment staging does not run k8s: it runs compose, dockerfile "
        "(`targets` in profiles/staging.yaml); nothing to render\n"
    )
    assert not (project / "manifests").exists()
