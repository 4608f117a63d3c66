"""Rules that span targets or belong to one target, each through the real CLI with its exact message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import run_cli

BASE = """\
app: web
image: registry.example.com/acme/web:1.0.0
health: {path: /healthz, readiness_path: /readyz}
"""
PUBLIC = "proxy: {host: web.example.com, tls: acme, email: ops@example.com}\nk8s: {cluster_issuer: letsencrypt}\nnomad: {forwarded_allow_ips: 10.0.0.0/8}\n"


@pytest.mark.parametrize(
    ("target", "extra", "message"),
    [
        (
            "k8s",
            "prestart: [{name: web, command: [migrate]}]\n",
            "profile.yaml:4:13: prestart[0].name: step name 'web' is the app's name (containers and tasks share one namespace)",
        ),
        (
            "k8s",
            "command: [node, server.js]\n",
            "profile.yaml:4:11: command[0]: 'node' is not a server deploykit knows (fastapi run, uvicorn, gunicorn, granian, hypercorn, or python -m one of them); set `server: generic` to run the command as given, with PORT and WEB_CONCURRENCY in its environment",
        ),
        (
            "k8s",
            "prestart: [{name: m, command: ['']}]\n",
            "profile.yaml:4:32: prestart[0].command[0]: the program to run cannot be empty",
        ),
        (
            "k8s",
            "proxy: {host: 10.1.2.3, tls: none}\n",
            "profile.yaml:4:9: proxy.host: '10.1.2.3' is an IP address; use a DNS name",
        ),
        (
            "k8s",
            "k8s: {network_policy: {egress: [{cidr: 999.1.1.1/99, ports: [5432]}]}}\n",
            "profile.yaml:4:34: k8s.network_policy.egress[0].cidr: '999.1.1.1/99' is not a network in CIDR notation ('999.1.1.1/99' does not appear to be an IPv4 or IPv6 network)",
        ),
        (
            "compose",
            "compose: {http_port: 8443, https_port: 8443}\n",
            "profile.yaml:4:28: compose.https_port: must differ from compose.http_port (Traefik publishes both)",
        ),
        (
            "compose",
            "replicas: 300\n" + PUBLIC,
            "profile.yaml:4:1: replicas: 300 processes cannot run as workers of one container; set compose.workers (at most 256)",
        ),
        (
            "compose",
            "proxy: {host: web.example.com, tls: provided}\n",
            "profile.yaml:4:32: proxy.certificate: required with tls: provided: the certificate and key files Traefik serves",
        ),
        (
            "nomad",
            "proxy: {host: web.example.com, tls: provided}\nnomad: {forwarded_allow_ips: 10.0.0.0/8, proxy: job}\n",
            "profile.yaml:4:32: proxy.certificate: required with tls: provided and nomad.proxy: job: the certificate and key files Traefik serves",
        ),
        (
            "nomad",
            "app: traefik\n" + PUBLIC.replace("10.0.0.0/8}", "10.0.0.0/8, proxy: job}"),
            "profile.yaml:1:1: app: the app cannot be called 'traefik' with nomad.proxy: job: the Traefik job has that name",
        ),
        (
            "k8s",
            "env: " + "[" * 600 + "]" * 600 + "\n",
            "profile.yaml:4:69: nesting is deeper than any profile needs (at most 32 levels)",
        ),
    ],
)
def test_rule(tmp_path: Path, target: str, extra: str, message: str):
    text = BASE + extra
    if extra.startswith("app: "):
        text = extra.split("\n", 1)[0] + "\n" + BASE.split("\n", 1)[1] + extra.split("\n", 1)[1]
    (tmp_path / "profile.yaml").write_text(text)
    result = run_cli("render", target, "-p", "profile.yaml", "-o", "out", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"error: {message}\n")
    assert not (tmp_path / "out").exists()


def test_python_dash_m_uvicorn_listens_on_all_interfaces(tmp_path: Path):
    (tmp_path / "profile.yaml").write_text(BASE + "command: [python, -m, uvicorn, app.main:app]\n")
    result = run_cli("render", "k8s", "-p", "profile.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        '- python\n            - -m\n            - uvicorn\n            - app.main:app\n            - --host\n            - 0.0.0.0\n            - --port\n            - "8000"\n'
        in result.stdout
    )


def test_identical_probes_are_warned_about(tmp_path: Path):
    (tmp_path / "profile.yaml").write_text("app: web\nimage: registry.example.com/acme/web:1.0.0\nreplicas: 2\n")
    result = run_cli("render", "k8s", "-p", "profile.yaml", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr == (
        "warning: profile.yaml:1:1: health: liveness and readiness probes use the same path: a failing dependency would "
        "restart pods instead of taking them out of rotation; set health.readiness_path [k8s same-probe-path]\n"
    )


def test_the_image_user_runs_every_target(tmp_path: Path):
    (tmp_path / "profile.yaml").write_text(
        BASE + "command: [fastapi, run, app/main.py]\nbuild: {uid: 20001}\n" + PUBLIC
    )
    outputs = {
        target: run_cli("render", target, "-p", "profile.yaml", cwd=tmp_path)
        for target in ("dockerfile", "k8s", "compose", "nomad")
    }
    assert all(output.returncode == 0 for output in outputs.values()), {t: o.stderr for t, o in outputs.items()}
    assert "USER 20001:20001" in outputs["dockerfile"].stdout
    assert outputs["k8s"].stdout.count("runAsUser: 20001") == 2
    assert "user: 20001:20001" in outputs["compose"].stdout
    assert re.search(r'^ +user += "20001:20001"$', outputs["nomad"].stdout, re.M)


def test_ingress_annotations_may_configure_traefik_and_win(tmp_path: Path):
    (tmp_path / "profile.yaml").write_text(
        BASE
        + "proxy: {host: web.example.com, tls: acme, email: ops@example.com}\n"
        + "k8s:\n  cluster_issuer: letsencrypt\n  ingress_annotations:\n    traefik.ingress.kubernetes.io/router.middlewares: web-auth@kubernetescrd\n    cert-manager.io/cluster-issuer: other\n"
    )
    result = run_cli("render", "k8s", "-p", "profile.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "    traefik.ingress.kubernetes.io/router.middlewares: web-auth@kubernetescrd\n" in result.stdout
    assert "    cert-manager.io/cluster-issuer: other\n" in result.stdout


def test_output_into_the_current_directory(tmp_path: Path):
    (tmp_path / "out").mkdir()
    (tmp_path / "profile.yaml").write_text(BASE)
    result = run_cli("render", "k8s", "-p", "../profile.yaml", "-o", ".", cwd=tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "kustomization.yaml" in [path.name for path in (tmp_path / "out").iterdir()]


def test_init_refuses_options_that_give_invalid_profiles(tmp_path: Path):
    result = run_cli("init", "--app", "shop", "--image", "r.io/shop:1.0", "--email", "not an email", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        2,
        "error: the options give an invalid staging.yaml: proxy.email: 'not an email' has an invalid format\n",
    )
    assert list(tmp_path.iterdir()) == []
