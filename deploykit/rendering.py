"""What a target returns: files to write, and the text to print on stdout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RenderedFile:
    """One output file; `path` is relative to the target's output directory, with '/' separators."""

    path: str
    content: str


@dataclass(frozen=True)
class Rendering:
    """A target's whole output. `stdout` is what `render` prints when no output directory is given.

    `model` is the structured data the files were serialised from (objects, the compose mapping, the
    job), for `explain` to read without parsing text back.
    """

    files: tuple[RenderedFile, ...]
    stdout: str
    model: Any = None
