"""Health for any image, the same kind on every target: HTTP, TCP, a command the image carries, or none."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run_cli
from ruamel.yaml import YAML

BASE = """\
app: web
image: registry.example.com/acme/web:1.0.0
port: 8080
proxy: {host: web.example.com, tls: acme}
k8s: {cluster_issuer: letsencrypt}
nomad: {forwarded_allow_ips: 10.0.0.0/8}
"""
COMMAND = "health: {check: command, command: [/bin/healthcheck, --ready]}\n"


def render(tmp_path: Path, target: str, extra: str, port: int = 8080) -> tuple[str, str]:
    (tmp_path / "profile.yaml").write_text(BASE.replace("port: 8080", f"port: {port}") + extra)
    result = run_cli("render", target, "-p", "profile.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout, result.stderr


def container(text: str) -> dict:
    deployment = next(d for d in YAML(typ="safe", pure=True).load_all(text) if d and d["kind"] == "Deployment")
    return deployment["spec"]["template"]["spec"]["containers"][0]


def compose_app(text: str) -> dict:
    return YAML(typ="safe", pure=True).load(text)["services"]["web"]


def test_tcp_on_every_target(tmp_path: Path):
    app = container(render(tmp_path, "k8s", "health: {check: tcp}\n")[0])
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert app[kind]["tcpSocket"] == {"port": "http"} and "httpGet" not in app[kind]
    job = render(tmp_path, "nomad", "health: {check: tcp}\n")[0]
    assert 'type     = "tcp"' in job and "path     =" not in job
    assert "healthCheck" not in job  # Traefik checks over HTTP only
    compose = compose_app(render(tmp_path, "compose", "health: {check: tcp}\n")[0])
    assert compose["healthcheck"] == {"disable": True}  # a generic image may have no python: nothing to run
    assert not any("healthCheck" in label for label in compose["labels"])


def test_a_python_servers_tcp_probe_connects_to_its_port(tmp_path: Path):
    extra = "command: [fastapi, run, app/main.py]\nhealth: {check: tcp}\n"
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    try:
        text = render(tmp_path, "compose", extra, port=port)[0]
    except AssertionError:
        listener.close()
        raise
    test = compose_app(text)["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    with listener:
        assert subprocess.run([sys.executable, "-c", test[3]], check=False, timeout=30).returncode == 0
    assert subprocess.run([sys.executable, "-c", test[3]], check=False, capture_output=True, timeout=30).returncode == 1


def test_command_on_every_target(tmp_path: Path):
    app = container(render(tmp_path, "k8s", COMMAND)[0])
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert app[kind]["exec"] == {"command": ["/bin/healthcheck", "--ready"]}
    job = render(tmp_path, "nomad", COMMAND)[0]
    assert 'type     = "script"' in job and 'command  = "/bin/healthcheck"' in job and 'args     = ["--ready"]' in job
    compose = compose_app(render(tmp_path, "compose", COMMAND)[0])
    assert compose["healthcheck"]["test"] == ["CMD", "/bin/healthcheck", "--ready"]


def test_none_on_every_target_with_a_warning(tmp_path: Path):
    text, warnings = render(tmp_path, "k8s", "health: {check: none}\n")
    assert not {"startupProbe", "readinessProbe", "livenessProbe"} & set(container(text))
    assert "health.check: no health check" in warnings and "[k8s no-health-check]" in warnings
    job, warnings = render(tmp_path, "nomad", "health: {check: none}\n")
    assert "check {" not in job.replace("health_check", "") and 'health_check = "task_states"' in job
    assert "[nomad no-health-check]" in warnings
    text, warnings = render(tmp_path, "compose", "health: {check: none}\n")
    assert compose_app(text)["healthcheck"] == {"disable": True}
    assert "[compose no-health-check]" in warnings


def test_check_command_needs_the_command(tmp_path: Path):
    (tmp_path / "profile.yaml").write_text(BASE + "health: {check: command}\n")
    result = run_cli("validate", "-p", "profile.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert "health.command: required with health.check: command" in result.stderr


@pytest.mark.parametrize("check", ["tcp", "none"])
def test_the_dockerfile_follows_the_check(tmp_path: Path, check: str):
    text = render(tmp_path, "dockerfile", f"command: [fastapi, run, app/main.py]\nhealth: {{check: {check}}}\n")[0]
    if check == "none":
        assert "HEALTHCHECK NONE\n" in text
    else:
        assert "socket.create_connection(('127.0.0.1', 8080), 2).close()" in text
