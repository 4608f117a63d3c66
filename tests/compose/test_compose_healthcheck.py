"""The app's healthcheck survives engines that split its arguments on white space."""

from __future__ import annotations

import contextlib
import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from compose_support import VARIANTS, project_of

from deploykit.targets.compose.release import DRAIN_FILE


# image-as-is runs a generic server: no python probe (the image may have no python).
@pytest.mark.parametrize("variant", sorted(set(VARIANTS) - {"image-as-is"}))
def test_no_healthcheck_argument_contains_white_space(variant):
    # Podman's Docker-compatible API re-splits the test on white space (containers/podman#26519).
    test = project_of(**VARIANTS[variant])["services"]["items-api"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    assert [argument for argument in test if argument != "".join(argument.split())] == []


def test_the_probe_is_the_readiness_request_unless_the_container_is_draining():
    project = project_of(port=9000, health={"path": "/live", "readiness_path": "/ready", "timeout_seconds": 3})
    code = project["services"]["items-api"]["healthcheck"]["test"][3]
    # The public host as Host: host-checking apps (Django's ALLOWED_HOSTS) refuse 127.0.0.1.
    assert code == (
        f"__import__('sys').exit(1)if(__import__('os').path.exists({DRAIN_FILE!r}))"
        "else(__import__('urllib.request').request.urlopen(__import__('urllib.request').request.Request("
        "'http://127.0.0.1:9000/ready',headers={'Host':'api.example.com'}),timeout=3))"
    )
    # Still a program python runs: nothing listens on that port, so it exits 1.
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "ConnectionRefusedError" in result.stderr


def test_without_a_public_host_the_probe_names_no_host():
    project = project_of(
        port=9000, proxy=None, health={"path": "/live", "readiness_path": "/ready", "timeout_seconds": 3}
    )
    code = project["services"]["items-api"]["healthcheck"]["test"][3]
    assert code == (
        f"__import__('sys').exit(1)if(__import__('os').path.exists({DRAIN_FILE!r}))"
        "else(__import__('urllib.request').request.urlopen('http://127.0.0.1:9000/ready',timeout=3))"
    )


def test_the_probe_passes_on_a_ready_server_and_fails_once_the_drain_file_exists(tmp_path):
    """What `deploykit release compose` relies on: the drain command makes the next probe fail."""
    with _ready_server() as port:
        project = project_of(port=port, health={"path": "/healthz", "timeout_seconds": 3})
        code = project["services"]["items-api"]["healthcheck"]["test"][3]
        drain = project["x-deploykit"]["release"]["drain"]
        assert code.count(DRAIN_FILE) == 1 and drain[2].count(DRAIN_FILE) == 1
        # The same programs, with the drain file moved out of the machine's /tmp.
        marker = str(tmp_path / "draining")
        probe = [sys.executable, "-c", code.replace(DRAIN_FILE, marker)]
        assert subprocess.run(probe, check=False, timeout=30).returncode == 0
        subprocess.run([sys.executable, "-c", drain[2].replace(DRAIN_FILE, marker)], check=True, timeout=30)
        assert subprocess.run(probe, check=False, timeout=30, capture_output=True).returncode == 1


@contextlib.contextmanager
def _ready_server() -> Iterator[int]:
    class Ready(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Ready)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
