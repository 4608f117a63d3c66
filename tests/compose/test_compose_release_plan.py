"""What the rendered project gives `deploykit release compose`, and the command's refusals before it touches anything.

The release itself runs on the real engine in tests/e2e/test_compose_release.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from compose_support import TWO_STEPS, profile_of, render, write
from helpers import run_cli
from tooling import compose_binary, compose_config, resolved

from deploykit.commands.release import compose_command, engine_command, read_plan
from deploykit.errors import DeployKitError
from deploykit.targets.compose.release import DRAIN_FILE, EXTENSION, TRAEFIK_WINDOW_SECONDS

WORKERS = {"worker": {"command": ["python", "-m", "app.worker"], "replicas": 2}}
CRON = {"tick": {"schedule": "* * * * *", "command": ["python", "-m", "app.tick"]}}


def written(tmp_path: Path, **fields) -> Path:
    rendering, _ = render(profile_of(**fields))
    return write(rendering, tmp_path / "compose")


def test_the_release_block_names_the_app_steps_processes_scheduler_and_drain(tmp_path):
    compose_file = written(tmp_path, prestart=TWO_STEPS, processes=WORKERS, cron=CRON, replicas=3)
    project = resolved(compose_file)  # the real Compose CLI keeps the x- block
    assert project[EXTENSION] == {
        "release": {
            "app": "items-api",
            "replicas": 1,
            "steps": ["migrate", "seed"],
            "processes": ["worker"],
            "scheduler": "scheduler",
            "drain": ["python", "-c", f"open({DRAIN_FILE!r},'w').close()"],
            "traefik_seconds": TRAEFIK_WINDOW_SECONDS,
        }
    }
    plan = read_plan(project, compose_file)
    assert (plan.app, plan.replicas, plan.steps, plan.grace_seconds) == ("items-api", 1, ("migrate", "seed"), 30)
    # The health check's budget: a 60 s start period, then 3 retries of 10 s with 2 s timeouts, and slack.
    assert plan.health_budget == 60 + 4 * 12 + 30


def test_the_app_can_run_beside_itself(tmp_path):
    """No fixed container name and no host port: Compose can start a second set of app containers."""
    for fields in ({}, {"proxy": None}, {"server": "generic", "replicas": 3}):
        app = resolved(written(tmp_path / str(len(fields)), **fields))["services"]["items-api"]
        assert "container_name" not in app
        assert not app.get("ports")


def test_a_server_without_deploykit_s_probe_has_no_drain(tmp_path):
    generic = resolved(written(tmp_path / "generic", server="generic", replicas=3))[EXTENSION]["release"]
    assert generic["drain"] is None and generic["replicas"] == 3
    command = resolved(written(tmp_path / "command", health={"command": ["/app/healthcheck"]}))
    assert command[EXTENSION]["release"]["drain"] is None


def test_release_refuses_a_missing_directory_and_a_file_rendered_without_the_block(tmp_path):
    compose = str(compose_binary())
    result = run_cli("release", "compose", "--dir", str(tmp_path / "nowhere"), "--compose", compose)
    assert result.returncode == 2
    assert "compose.yaml: no such file: render the project first" in result.stderr

    old = tmp_path / "old"
    old.mkdir()
    (old / "compose.yaml").write_text("services:\n  app:\n    image: registry.example.com/app:1\n")
    assert compose_config(old / "compose.yaml").returncode == 0
    result = run_cli("release", "compose", "--dir", str(old), "--compose", compose)
    assert result.returncode == 2
    assert f"no `{EXTENSION}.release` block: render the project again" in result.stderr


def test_release_needs_exactly_one_of_env_and_dir(tmp_path):
    result = run_cli("release", "compose", "--env", "prod", "--dir", str(tmp_path))
    assert result.returncode == 2 and "give exactly one of --env ENV or --dir DIR" in result.stderr
    result = run_cli("release", "compose", "--dir", str(tmp_path), "--compose", "/nonexistent/compose")
    assert result.returncode == 2


def test_release_names_a_missing_compose_cli(tmp_path):
    compose_file = written(tmp_path)
    result = run_cli("release", "compose", "--dir", str(compose_file.parent), "--compose", "/nonexistent/compose")
    assert result.returncode == 2
    assert "the Compose CLI '/nonexistent/compose' was not found" in result.stderr


def test_the_engine_cli_follows_the_compose_cli(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DEPLOYKIT_ENGINE", raising=False)
    monkeypatch.delenv("DEPLOYKIT_COMPOSE", raising=False)
    assert compose_command(None) == ("docker", "compose")
    assert engine_command(None, ("docker", "compose")) == ("docker",)
    assert engine_command(None, ("/usr/bin/podman", "compose")) == ("/usr/bin/podman",)
    assert engine_command(None, ("docker-compose",)) == ("docker",)
    assert engine_command("podman --log-level=error", ("docker-compose",)) == ("podman", "--log-level=error")
    monkeypatch.setenv("DEPLOYKIT_ENGINE", "podman")
    assert engine_command(None, ("docker", "compose")) == ("podman",)
    with pytest.raises(DeployKitError):
        compose_command("  ")
