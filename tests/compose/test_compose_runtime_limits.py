"""Limits a long-running Compose host needs: rotated logs, and a /tmp that cannot outgrow the container."""

from __future__ import annotations

import pytest
from compose_support import GOLDEN_FILES, VARIANTS, profile_of, render, write
from tooling import resolved

from deploykit.spec.quantities import parse_memory

BACKGROUND = {
    "processes": {"worker": {"command": ["python", "-m", "app.worker"], "memory": "64Mi"}},
    "cron": {"tick": {"schedule": "* * * * *", "command": ["python", "-m", "app.tick"], "memory": "32Mi"}},
    "prestart": [{"name": "migrate", "command": ["python", "-m", "app.migrate"]}],
    "memory": "128Mi",
    "replicas": 2,
}


def _memory(value: str | int) -> int:
    # `config --format json` gives memory limits in bytes (as text); the rendered file as 128m.
    text = str(value)
    return int(text) if text.isdigit() else parse_memory(text.replace("m", "Mi").replace("g", "Gi"))


def _services(tmp_path, **fields):
    rendering, _ = render(profile_of(**fields))
    return resolved(write(rendering, tmp_path / "compose"))["services"]


@pytest.mark.parametrize("variant", ["acme", "steps-and-workers", "mount"])
def test_every_service_rotates_its_logs(variant, tmp_path):
    for name, service in _services(tmp_path, **VARIANTS[variant]).items():
        assert service["logging"] == {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}, name


def test_tmp_is_never_larger_than_the_container_memory(tmp_path):
    services = _services(tmp_path, **BACKGROUND)
    assert {"items-api", "worker", "scheduler", "migrate", "traefik", "socket-proxy"} <= set(services)
    for name, service in services.items():
        (tmpfs,) = service["tmpfs"]
        size = int(tmpfs.split("size=", 1)[1])
        limit = _memory(service["deploy"]["resources"]["limits"]["memory"])
        assert size <= limit, (name, size, limit)
    # The default 1 GiB /tmp is cut to the 64 MiB of the worker's container.
    assert services["worker"]["tmpfs"] == [f"/tmp:size={64 * 2**20}"]


def test_the_golden_files_rotate_logs():
    for path in GOLDEN_FILES:
        assert path.read_text().count("max-size: 10m") == path.read_text().count("\n    image:"), path
