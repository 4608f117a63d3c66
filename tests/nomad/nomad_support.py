"""Helpers for the Nomad target's tests: rendering a profile and reading the parsed job."""

from __future__ import annotations

import re
from typing import Any

from helpers import render_data

from deploykit.rendering import Rendering
from deploykit.report import Finding

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

# python-hcl2 8.x hands back an escaped opener with the text after it up to the next `}` as raw source
# (its grammar: ESCAPED_INTERPOLATION = /\$\$\{[^}]*\}/), while HCL reads `$${` as a literal `${`,
# `%%{` as `%{`, and decodes the backslash escapes after them as anywhere else in the string
# (hashicorp/hcl hclsyntax/scan_tokens.rl and scan_string_lit.rl). This finishes the decoding HCL does.
_RAW_REGION = re.compile(r"([$%])\1\{([^}]*)\}")
_BACKSLASH_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def _unescape(raw: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        return chr(int(code[1:], 16)) if len(code) > 1 else _SIMPLE_ESCAPES[code]

    return _BACKSLASH_ESCAPE.sub(one, raw)


def decode_template_escapes(text: str) -> str:
    """A string as HCL decodes it, from python-hcl2's partly decoded value."""
    return _RAW_REGION.sub(lambda match: match.group(1) + "{" + _unescape(match.group(2)) + "}", text)


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
    """Task bodies of the job's only group, by name, in file order."""
    _, group = only(job["group"])
    return {name: body for entry in group["task"] for name, body in entry.items()}
