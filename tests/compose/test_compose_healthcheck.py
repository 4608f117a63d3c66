"""The app's healthcheck survives engines that split its arguments on white space."""

from __future__ import annotations

import subprocess
import sys

import pytest
from compose_support import VARIANTS, project_of


# image-as-is runs a generic server: no python probe (the image may have no python).
@pytest.mark.parametrize("variant", sorted(set(VARIANTS) - {"image-as-is"}))
def test_no_healthcheck_argument_contains_white_space(variant):
    # Podman's Docker-compatible API re-splits the test on white space (containers/podman#26519).
    test = project_of(**VARIANTS[variant])["services"]["items-api"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    assert [argument for argument in test if argument != "".join(argument.split())] == []


def test_the_probe_is_the_readiness_request():
    project = project_of(port=9000, health={"path": "/live", "readiness_path": "/ready", "timeout_seconds": 3})
    code = project["services"]["items-api"]["healthcheck"]["test"][3]
    # The public host as Host: host-checking apps (Django's ALLOWED_HOSTS) refuse 127.0.0.1.
    assert code == (
        "__import__('urllib.request').request.urlopen(__import__('urllib.request').request.Request("
        "'http://127.0.0.1:9000/ready',headers={'Host':'api.example.com'}),timeout=3)"
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
    assert code == "__import__('urllib.request').request.urlopen('http://127.0.0.1:9000/ready',timeout=3)"
