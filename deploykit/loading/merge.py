"""Profiles: YAML files that may extend a parent profile, merged into one mapping.

Merge rules (documented in docs/profile-format.md): mappings merge key by key, recursively; lists and
scalars in the child replace the parent's value whole; a child value of `null` removes the key (and is an
error where no parent sets that key).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploykit.errors import DeployKitError, FieldPath, Location
from deploykit.loading.yamlfile import Document, load_document

EXTENDS_KEY = "extends"
MAX_EXTENDS_DEPTH = 16
NULL_WITHOUT_PARENT = 'null removes a value set by a parent profile, but no parent profile sets this one; write "" for an empty string, or delete the line'


@dataclass(frozen=True)
class MergedProfile:
    """The merged data of a profile chain, with each value's location in the file it came from."""

    data: dict[str, Any]
    positions: dict[FieldPath, Location]
    file: str
    chain: tuple[str, ...]

    def location_of(self, path: FieldPath) -> Location:
        """The location of `path`, or of its nearest ancestor that has one."""
        for length in range(len(path), -1, -1):
            found = self.positions.get(tuple(path[:length]))
            if found is not None:
                return found
        return Location(self.file, 1, 1)


def display_name(path: Path) -> str:
    """A path as users should read it in messages: relative to the working directory when below it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def load_merged(path: Path) -> MergedProfile:
    """Load `path` and every profile it extends, and merge them (parents first)."""
    documents = _load_chain(path)
    data: dict[str, Any] = {}
    positions: dict[FieldPath, Location] = {}
    for document in documents:
        _merge_into(data, positions, document.data, document.positions, ())
    leaf = documents[-1]
    return MergedProfile(data, positions, leaf.file, tuple(document.file for document in documents))


def _load_chain(path: Path) -> list[Document]:
    """The chain from the root parent down to `path`."""
    chain: list[Document] = []
    visited: list[Path] = []
    current = path
    referrer: tuple[Document, Any] | None = None
    while True:
        resolved = current.resolve()
        if resolved in visited:
            cycle = " -> ".join(display_name(p) for p in [*visited, resolved])
            assert referrer is not None  # the first file cannot be visited twice
            document, _ = referrer
            raise DeployKitError(
                f"profiles extend each other in a cycle: {cycle}", document.positions[(EXTENDS_KEY,)], (EXTENDS_KEY,)
            )
        if len(visited) >= MAX_EXTENDS_DEPTH:
            assert referrer is not None  # MAX_EXTENDS_DEPTH > 0
            document, _ = referrer
            raise DeployKitError(
                f"more than {MAX_EXTENDS_DEPTH} levels of extends", document.positions[(EXTENDS_KEY,)], (EXTENDS_KEY,)
            )
        if referrer is not None and not current.is_file():
            document, parent = referrer
            raise DeployKitError(
                f"parent profile {parent!r} not found (looked for {display_name(current)})",
                document.positions[(EXTENDS_KEY,)],
                (EXTENDS_KEY,),
            )
        visited.append(resolved)
        document = load_document(current, display_name(current))
        chain.append(document)
        parent = document.data.pop(EXTENDS_KEY, None)
        if parent is None:
            break
        if not isinstance(parent, str) or not parent.strip():
            raise DeployKitError(
                "extends must be a file path (a string)", document.positions[(EXTENDS_KEY,)], (EXTENDS_KEY,)
            )
        referrer = (document, parent)
        current = current.parent / parent
    chain.reverse()
    return chain


def _merge_into(
    data: dict[str, Any],
    positions: dict[FieldPath, Location],
    overlay: dict[str, Any],
    overlay_positions: dict[FieldPath, Location],
    path: FieldPath,
) -> None:
    """Merge `overlay` into `data` in place, keeping `positions` pointing at each value's origin."""
    for key, value in overlay.items():
        child = (*path, key)
        if value is None:
            # A null that removes nothing is a YAML surprise (`~`, `null` or an empty value where text
            # was meant); dropping it silently would lose the field without a word.
            if key not in data:
                raise DeployKitError(NULL_WITHOUT_PARENT, overlay_positions[child], child)
            forget_positions(positions, child)
            del data[key]
            continue
        if isinstance(value, dict):
            if not isinstance(data.get(key), dict):
                forget_positions(positions, child)
                data[key] = {}
            positions[child] = overlay_positions[child]
            _merge_into(data[key], positions, value, overlay_positions, child)
            continue
        forget_positions(positions, child)
        data[key] = value
        for found, location in overlay_positions.items():
            if found[: len(child)] == child:
                positions[found] = location


def forget_positions(positions: dict[FieldPath, Location], prefix: FieldPath) -> None:
    """Drop the positions of `prefix` and everything below it (its value is being replaced)."""
    for found in [p for p in positions if p[: len(prefix)] == prefix]:
        del positions[found]
