"""The JSON Schema of one profile file, generated from the spec models.

A profile file is partial by design (a child sets only what differs from its parent), so the schema
requires nothing; completeness is checked after merging. It adds `extends`, which the loader consumes.
"""

from __future__ import annotations

from typing import Any

from deploykit.spec.model import Profile


def profile_schema() -> dict[str, Any]:
    """The JSON Schema of one profile file: every field optional, plus `extends`."""
    schema = Profile.model_json_schema(mode="validation")
    _drop_required(schema)
    schema["properties"] = {
        "extends": {
            "type": "string",
            "description": "Path of the parent profile, relative to this file. Mappings merge deeply, lists replace, null removes a key.",
        },
        **schema["properties"],
    }
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def _drop_required(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("required", None)
        for value in node.values():
            _drop_required(value)
    elif isinstance(node, list):
        for value in node:
            _drop_required(value)
