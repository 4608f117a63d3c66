"""Helpers for the Nomad target's tests: rendering a profile and reading the parsed job."""

from __future__ import annotations

from typing import Any

from helpers import render_data

from deploykit.rendering import Rendering
from deploykit.report import Finding

BASE: dict[str, Any] = {
    "app": "items-api",
    "image": "registry.example.com/acme/items-api:1.4.2",
    "command": ["fastapi", "run", "app/main.py"],
    "replicas": 3,
    "health": {"path": "/healthz", "readiness_path": "/readyz"},
    "prestart": [{"name": "migrate", "command": ["python", "-m", "app.migrate"]}],
    "env": {"LOG_LEVEL": "info"},
    "secrets": {"DATABASE_URL": {"secret": "items-db", "key": "url"}},
    "proxy": {"host": "api.example.com", "tls": "acme", "email": "ops@example.com"},
    "nomad": {"forwarded_allow_ips": "10.10.0.0/24"},
}


def render(data: dict[str, Any]) -> tuple[Rendering, list[Finding]]:
    """The Nomad output and warnings for profile data, through the whole pipeline."""
    output = render_data(data, "nomad")
    return output.rendering, list(output.findings)


def only(blocks: list[dict]) -> tuple[str, dict]:
    """The label and body of a list holding exactly one labelled block."""
    assert len(blocks) == 1
    ((label, body),) = blocks[0].items()
    return label, body


def tasks(job: dict) -> dict[str, dict]:
    """Task bodies of the job's only group, by name."""
    _, group = only(job["group"])
    return {name: body for entry in group["task"] for name, body in entry.items()}
