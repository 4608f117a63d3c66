"""The `ports` field: names and numbers each used once, never clashing with the app's port."""

from __future__ import annotations

import pytest
from helpers import run_cli

BASE = "app: items-api\nimage: registry.example.com/acme/items-api:1.4.2\n"


@pytest.mark.parametrize(
    ("ports", "message"),
    [
        ("[{name: http, port: 9090}]", "ports[0].name: 'http' is the app's port (`port`)"),
        ("[{name: metrics, port: 8000}]", "ports[0].port: 8000 is already used by `port`"),
        ("[{name: metrics, port: 9090}, {name: metrics, port: 9091}]", "ports[1].name: 'metrics' is used twice"),
        (
            "[{name: metrics, port: 9090}, {name: admin, port: 9090}]",
            "ports[1].port: 9090 is already used by another entry",
        ),
        (
            "[{name: Metrics, port: 9090}]",
            "ports[0].name: 'Metrics' is not a valid port name: at most 15 lowercase letters, digits and '-', with at least one letter",
        ),
        ("[{name: 9090, port: 9090}]", "ports[0].name: expected a string, got number 9090; quote it"),
        (
            "[{name: metrics, port: 80}]",
            "ports[0].port: must be at least 1024, got 80 (the app runs without privileges, and ports below 1024 are privileged; the proxy or Service publishes 80 and 443 in front of it)",
        ),
    ],
)
def test_bad_ports(tmp_path, ports: str, message: str):
    (tmp_path / "p.yaml").write_text(BASE + f"ports: {ports}\n")
    result = run_cli("validate", "-p", "p.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: p.yaml:3:")
    assert result.stderr.rstrip("\n").split(": ", 2)[2] == message
