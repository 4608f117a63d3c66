"""Live object versus what applying the rendered object would make of it, as a unified diff.

The right-hand side is the server's own answer to a server-side apply dry run, not the rendered object:
the server adds defaults (e.g. a Deployment's `progressDeadlineSeconds`) and keeps fields other
managers own, so comparing the live object with the bare rendered one would report differences that
applying would never remove.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from typing import Any, Literal

from deploykit.cluster.client import Cluster
from deploykit.cluster.identity import describe, diff_path
from deploykit.yamldump import dump

# Written by the server on every write, or by other tools: they say nothing about the configuration.
NOISY_METADATA = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp")
LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"

Change = Literal["create", "change", "none"]


@dataclass(frozen=True)
class ObjectDiff:
    """One object's difference: `text` is a unified diff, empty when `change` is "none"."""

    title: str
    change: Change
    text: str


def diff_object(cluster: Cluster, obj: dict) -> ObjectDiff:
    """Compare the live object with the result of applying `obj` (a server dry run; nothing is stored)."""
    live = cluster.live(obj)
    if live is None:
        # Nothing to merge with: the rendered object is what would be created (plus server defaults).
        return ObjectDiff(describe(obj), "create", _unified(obj, None, obj))
    applied = cluster.apply(obj, dry_run=True, force_conflicts=False)
    text = _unified(obj, live, applied)
    return ObjectDiff(describe(obj), "change" if text else "none", text)


def comparable(obj: dict) -> dict:
    """`obj` without status and noisy metadata, keys sorted so both sides line up whatever their order."""
    result = copy.deepcopy(obj)
    result.pop("status", None)
    metadata = result.get("metadata", {})
    for key in NOISY_METADATA:
        metadata.pop(key, None)
    annotations = metadata.get("annotations")
    if annotations is not None:
        annotations.pop(LAST_APPLIED_ANNOTATION, None)
        if not annotations:
            del metadata["annotations"]
    return _sorted(result)


def _unified(obj: dict, before: dict | None, after: dict) -> str:
    before_lines = dump(comparable(before)).splitlines(keepends=True) if before is not None else []
    after_lines = dump(comparable(after)).splitlines(keepends=True)
    return "".join(difflib.unified_diff(before_lines, after_lines, diff_path("live", obj), diff_path("rendered", obj)))


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value
