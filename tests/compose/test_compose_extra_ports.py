"""Extra ports are exposed to the project's networks and never published."""

from __future__ import annotations

from compose_support import profile_of, render, write
from tooling import resolved


def test_extra_ports_are_exposed_not_published(tmp_path):
    rendering, _ = render(profile_of(ports=[{"name": "metrics", "port": 9090}]))
    app = resolved(write(rendering, tmp_path))["services"]["items-api"]
    assert app["expose"] == ["9090"]
    assert "ports" not in app
