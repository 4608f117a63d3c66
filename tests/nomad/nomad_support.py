"""Helpers for the Nomad target's tests: rendering a profile and reading the parsed job."""

from __future__ import annotations

import re
from typing import Any

from deploykit.rendering import Rendering
from deploykit.report import Report
from deploykit.spec.model import Profile
from deploykit.targets import nomad

BASE: dict[str, Any] = {
    "app": "items-api",
    "image": "registry.example.com/acme/items-api:1.4.2",
    "replicas": 3,
    "health": {"path": "/healthz", "readiness_path": "/readyz"},
    "prestart": [{"name": "migrate", "command": ["python", "-m", "app.migrate"]}],
    "env": {"LOG_LEVEL": "info"},
    "secrets": {"DATABASE_URL": {"secret": "items-db", "key": "url"}},
    "proxy": {"host": "api.example.com", "tls": "acme", "email": "ops@example.com"},
    "nomad": {"forwarded_allow_ips": "10.10.0.0/24"},
}

# python-hcl2 returns HCL's template escapes undecoded (`$${` stays `$${`); HCL itself reads `$${`
# as a literal `${` and `%%{` as `%{`, scanning left to right (hashicorp/hcl scan_tokens.rl).
_TEMPLATE_ESCAPE = re.compile(r"([$%])\1\{")


def decode_template_escapes(text: str) -> str:
    return _TEMPLATE_ESCAPE.sub(r"\1{", text)


def render(data: dict[str, Any]) -> tuple[Rendering, Report]:
    report = Report("nomad")
    return nomad.render(Profile.model_validate(data), report), report




def only(blocks: list[dict]) -> tuple[str, dict]:
    """The label and body of a list holding exactly one labelled block."""
    assert len(blocks) == 1
    ((label, body),) = blocks[0].items()
    return label, body


def tasks(job: dict) -> dict[str, dict]:
    """Task bodies of the job's only group, by name, in file order."""
    _, group = only(job["group"])
    return {name: body for entry in group["task"] for name, body in entry.items()}
