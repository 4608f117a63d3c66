"""Where a Compose field is written: FILE:LINE:COL for notes, comments and Compose's own errors.

The resolved project (from the Compose CLI or fallback.py) has no positions, so the files are read a
second time, with ruamel.yaml's round-trip loader, only to find keys. A field that several files set
is located in the last of them, the one whose value wins when Compose merges files; a field no file
writes (it came from `extends` in another file, an `include`, or a default) is located at its nearest
written parent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from deploykit.errors import Location

ComposePath = Sequence[str | int]


@dataclass(frozen=True)
class SourceFile:
    """A Compose file as the user named it (`shown`) and where it is."""

    shown: str
    path: Path


@dataclass
class Locator:
    """Finds Compose fields in the files given on the command line."""

    files: Sequence[SourceFile]

    @cached_property
    def _loaded(self) -> list[tuple[SourceFile, Any]]:
        from ruamel.yaml import YAML

        loaded = []
        for source in self.files:
            yaml = YAML(typ="rt", pure=True)
            try:
                loaded.append((source, yaml.load(source.path.read_text(encoding="utf-8"))))
            except Exception:  # a file Compose accepted but ruamel.yaml does not: it just has no locations
                continue
        return loaded

    def find(self, path: ComposePath, min_depth: int = 1) -> Location | None:
        """The location of `path` (or of its nearest written parent, at least `min_depth` deep) in the
        files, the last file first."""
        best: tuple[int, Location] | None = None
        for source, document in reversed(self._loaded):
            depth, position = _walk(document, path)
            if position is not None and depth >= min_depth and (best is None or depth > best[0]):
                best = (depth, Location(source.shown, position[0] + 1, position[1] + 1))
        return best[1] if best is not None else None

    def exact(self, path: ComposePath) -> Location | None:
        """The location of `path` itself (not of a parent), the last file that writes it first."""
        for source, document in reversed(self._loaded):
            depth, position = _walk(document, path)
            if depth == len(path) and position is not None:
                return Location(source.shown, position[0] + 1, position[1] + 1)
        return None


def _walk(node: Any, path: ComposePath) -> tuple[int, tuple[int, int] | None]:
    """How many elements of `path` the document holds, and the 0-based position of the deepest one."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    depth, position = 0, None
    for element in path:
        if isinstance(node, CommentedMap):
            key = next((key for key in node if str(key) == str(element)), None)
            if key is None:
                break
            try:
                position = node.lc.key(key)
            except (KeyError, TypeError):  # a key merged in with `<<:` has no position of its own
                break
            node = node[key]
        elif isinstance(node, CommentedSeq):
            index = _item_index(node, element)
            if index is None:
                break
            try:
                position = node.lc.item(index)
            except (KeyError, TypeError):
                break
            node = node[index]
        else:
            break
        depth += 1
    return depth, position


def _item_index(sequence: Any, element: str | int) -> int | None:
    """A list item by index, or the `NAME=value` (or bare `NAME`) item of a list-form mapping."""
    if isinstance(element, int):
        return element if 0 <= element < len(sequence) else None
    for index, item in enumerate(sequence):
        if isinstance(item, str) and (item == element or item.startswith(f"{element}=")):
            return index
    return None
