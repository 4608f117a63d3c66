"""What a target returns: files to write, and the text to print on stdout."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RenderedFile:
    """One output file; `path` is relative to the target's output directory, with '/' separators."""

    path: str
    content: str


@dataclass(frozen=True)
class Rendering:
    """A target's whole output. `stdout` is what `render` prints when no output directory is given."""

    files: tuple[RenderedFile, ...]
    stdout: str
