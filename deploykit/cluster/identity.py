"""How an object is named in messages and diff headers."""

from __future__ import annotations


def describe(obj: dict) -> str:
    """`Deployment items/items-api`: the kind, then namespace/name (just the name when cluster-scoped)."""
    return f"{obj['kind']} {_qualified_name(obj)}"


def diff_path(side: str, obj: dict) -> str:
    """`live/Deployment/items/items-api`: a diff header that reads like a file path."""
    return f"{side}/{obj['kind']}/{_qualified_name(obj)}"


def _qualified_name(obj: dict) -> str:
    metadata = obj["metadata"]
    namespace = metadata.get("namespace")
    return f"{namespace}/{metadata['name']}" if namespace else metadata["name"]
