"""Profiles: YAML files that may extend a parent profile, merged into one mapping.

Merge rules (documented in docs/profile-format.md): mappings merge key by key, recursively; lists and
scalars in the child replace the parent's value whole; a child value of `null` removes the key (and is an
error where no parent sets that key).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from deploykit.errors import DeployKitError, FieldPath, Location
from deploykit.loading.yamlfile import (
    STDIN,
    Document,
    UnreadableFile,
    parse_document,
    read_profile_file,
    read_profile_stdin,
)

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
    if str(path) == STDIN:
        return "<stdin>"
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def load_merged(path: Path) -> MergedProfile:
    """Load `path` and every profile it extends, and merge them (parents first)."""
    documents = _load_chain(path)
    data: dict[str, Any] = {}
    for document in documents:
        _merge_into(data, document.data, document.positions, ())
    positions = _merged_positions(data, documents)
    leaf = documents[-1]
    return MergedProfile(data, positions, leaf.file, tuple(document.file for document in documents))


def _load_chain(path: Path) -> list[Document]:
    """The chain from the root parent down to `path`."""
    chain: list[Document] = []
    visited: list[tuple[tuple[int, int], str]] = []  # (file identity, display name) in the order read
    boundary = _extends_boundary(path)
    current = path
    referrer: tuple[Document, str] | None = None
    while True:
        if referrer is not None and len(visited) >= MAX_EXTENDS_DEPTH:
            _refuse(referrer[0], f"more than {MAX_EXTENDS_DEPTH} levels of extends")
        name = display_name(current)
        if referrer is not None and not _is_inside(current, boundary.directory):
            _refuse(
                referrer[0],
                f"parent profile {_shorten(referrer[1])!r} is outside {boundary.description}; "
                "profiles extend only profiles inside their repository, or inside the first profile's directory outside one",
            )
        try:
            file = read_profile_stdin() if referrer is None and str(current) == STDIN else read_profile_file(current)
        except UnreadableFile as exc:
            if referrer is None:
                raise DeployKitError(exc.reason, Location(name, 1, 1)) from None
            document, parent = referrer
            if exc.missing:
                _refuse(
                    document,
                    f"parent profile {_shorten(parent)!r} not found (looked for {name}){_nearby(current)}",
                )
            _refuse(document, f"parent profile {_shorten(parent)!r} cannot be read: {exc.detail}")
        # Identity, not path: a link or a hard link to a profile already read closes the cycle too.
        if any(identity == file.identity for identity, _ in visited):
            assert referrer is not None  # the first file cannot be visited twice
            cycle = " -> ".join([*(shown for _, shown in visited), name])
            _refuse(referrer[0], f"profiles extend each other in a cycle: {cycle}")
        visited.append((file.identity, name))
        document = parse_document(file.raw, name)
        chain.append(document)
        parent = document.data.pop(EXTENDS_KEY, None)
        if parent is None:
            break
        if not isinstance(parent, str) or not parent.strip():
            _refuse(document, "extends must be a file path (a string)")
        referrer = (document, parent)
        current = current.parent / parent
    chain.reverse()
    return chain


def _refuse(document: Document, message: str) -> NoReturn:
    raise DeployKitError(message, document.positions[(EXTENDS_KEY,)], (EXTENDS_KEY,))


def _shorten(text: str) -> str:
    return text if len(text) <= 80 else text[:60] + "..."


@dataclass(frozen=True)
class _Boundary:
    directory: str  # real path: links resolved
    description: str


def _extends_boundary(first: Path) -> _Boundary:
    """Where `extends` may lead: the git repository holding the first profile, else that profile's directory.

    `extends` can name any path, and the loader echoes what it reads in its errors: a profile from
    an untrusted change must not be able to read files elsewhere on the machine (`/etc/...`). There is
    no opt-in: a shared base belongs in the repository (a copy or a git submodule).
    """
    start = os.path.realpath(first.parent if str(first.parent) else ".")
    candidate = start
    while True:
        if os.path.lexists(os.path.join(candidate, ".git")):  # a directory, or a file in a worktree
            return _Boundary(candidate, f"the repository ({display_name(Path(candidate))})")
        above = os.path.dirname(candidate)
        if above == candidate:
            return _Boundary(start, f"the profile's directory ({display_name(Path(start))})")
        candidate = above


def _is_inside(path: Path, directory: str) -> bool:
    """Whether `path`, with every link resolved, is `directory` or below it."""
    real = os.path.realpath(path)
    return real == directory or real.startswith(directory.rstrip(os.sep) + os.sep)


def _merge_into(
    data: dict[str, Any], overlay: dict[str, Any], overlay_positions: dict[FieldPath, Location], path: FieldPath
) -> None:
    """Merge `overlay` into `data` in place: mappings key by key, anything else replaced whole."""
    for key, value in overlay.items():
        if value is None:
            # A null that removes nothing is a YAML surprise (`~`, `null` or an empty value where text
            # was meant); dropping it silently would lose the field without a word.
            if key not in data:
                child = (*path, key)
                raise DeployKitError(NULL_WITHOUT_PARENT, overlay_positions[child], child)
            del data[key]
        elif isinstance(value, dict):
            if not isinstance(data.get(key), dict):
                data[key] = {}
            _merge_into(data[key], value, overlay_positions, (*path, key))
        else:
            data[key] = value


def _merged_positions(data: dict[str, Any], documents: list[Document]) -> dict[FieldPath, Location]:
    """The location of every key and item of the merged `data`: in the last file of the chain that has it.

    That file set the value: mappings merge key by key, so a key comes from the last file writing it;
    anything else is replaced whole, so a path below a list belongs to the file that wrote the list,
    and any later file writing below it would have replaced the list itself. One pass over the merged
    data, one lookup per file: linear in the size of the profiles.
    """
    positions: dict[FieldPath, Location] = {}
    newest_first = [document.positions for document in reversed(documents)]
    pending: list[tuple[FieldPath, Any]] = [((), data)]
    while pending:
        path, value = pending.pop()
        if path:
            location = next((found[path] for found in newest_first if path in found), None)
            if location is not None:
                positions[path] = location
        if isinstance(value, dict):
            pending += [((*path, key), item) for key, item in value.items()]
        elif isinstance(value, list):
            pending += [((*path, index), item) for index, item in enumerate(value)]
    return positions


def forget_positions(positions: dict[FieldPath, Location], prefix: FieldPath) -> None:
    """Drop the positions of `prefix` and everything below it (its value is being replaced)."""
    for found in [p for p in positions if p[: len(prefix)] == prefix]:
        del positions[found]


def _nearby(missing: Path) -> str:
    """ "; did you mean 'base.yaml'?" for a parent profile written `base.yml` (or misspelt) beside one that exists."""
    import difflib  # error path only

    try:
        names = sorted(
            entry.name for entry in missing.parent.iterdir() if entry.suffix in (".yaml", ".yml") and entry.is_file()
        )
    except OSError:
        return ""
    same_stem = [name for name in names if Path(name).stem == missing.stem]
    close = same_stem or difflib.get_close_matches(missing.name, names, n=1, cutoff=0.85)
    return f"; did you mean {close[0]!r}?" if close else ""
