"""Profile YAML with comments: each field preceded by where its value came from.

Values are written by deploykit's one YAML emitter (yamldump.dump), one field at a time, and the
comment lines go between them; so without the comments the text is exactly `dump` of the whole
profile (a test holds it to that).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from deploykit.yamldump import dump


@dataclass(frozen=True)
class Entry:
    """A profile field (or a list item, `key` None): its value, the comment above it, and optionally its
    entries written one by one, each with its own comment (a mapping's keys, or a list's items)."""

    key: str | None
    value: Any
    comment: tuple[str, ...] = ()
    entries: tuple[Entry, ...] = ()


def field(key: str, value: Any, *comment: str) -> Entry:
    """A field written whole, with comment lines above it."""
    return Entry(key, value, tuple(line for line in comment if line))


def section(key: str, entries: Sequence[Entry], *comment: str) -> Entry:
    """A mapping (entries with keys) or a list (entries without) written entry by entry."""
    if all(entry.key is None for entry in entries):
        value: Any = [entry.value for entry in entries]
    else:
        value = {entry.key: entry.value for entry in entries}
    return Entry(key, value, tuple(line for line in comment if line), tuple(entries))


def text(entries: Sequence[Entry], header: Sequence[str] = ()) -> str:
    """The YAML document of `entries`, with `header` comment lines first, and a blank line before each
    commented field so each reads as a paragraph."""
    out = [_comment(line, 0) for line in header]
    for entry in entries:
        if entry.comment and out:
            out.append("\n")
        out.append(_entry(entry, 0))
    return "".join(out)


def plain(entries: Sequence[Entry]) -> dict[str, Any]:
    """The data `entries` describe, as a mapping."""
    return {str(entry.key): entry.value for entry in entries}


def _comment(line: str, indent: int) -> str:
    # A value quoted into a comment (a script, a path) must not end the comment line early.
    flat = " ".join(line.split())
    return f"{' ' * indent}# {flat}\n" if flat else f"{' ' * indent}#\n"


def _entry(entry: Entry, indent: int) -> str:
    comments = "".join(_comment(line, indent) for line in entry.comment)
    if not entry.entries:
        return comments + textwrap.indent(dump({entry.key: entry.value}), " " * indent)
    out = [comments, f"{' ' * indent}{dump({entry.key: None}).split(':')[0]}:\n"]
    for item in entry.entries:
        if item.key is not None:
            out.append(_entry(item, indent + 2))
        else:
            # A list item: `dump` writes `key:\n  - ...`; its lines after the first are the item.
            out.append("".join(_comment(line, indent + 2) for line in item.comment))
            body = dump({entry.key: [item.value]}).split("\n", 1)[1]
            out.append(textwrap.indent(body, " " * indent))
    return "".join(out)
