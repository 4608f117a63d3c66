"""What a target returns: files to write, the text to print on stdout, and a summary for `explain`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from deploykit.summary import Summary


# The first line of every file deploykit writes, and of what `render` prints: every format deploykit
# renders (YAML, HCL, Dockerfile) takes `#` comments.
HEADER = "# Rendered by deploykit. Do not edit: change the profile and render again.\n"


@dataclass(frozen=True)
class RenderedFile:
    """One output file; `path` is relative to the target's output directory, with '/' separators."""

    path: str
    content: str


@dataclass(frozen=True)
class Rendering:
    """A target's whole output. `stdout` is what `render` prints when no output directory is given.

    `summary` says what the output does, as typed facts (None for targets that deploy nothing, such
    as the Dockerfile); `objects` are the API objects the files hold, for `diff`/`apply` (k8s only).
    """

    files: tuple[RenderedFile, ...]
    stdout: str
    # Made when `explain` asks, from the output: a render does not pay for importing the summaries.
    summarize: Callable[[], Summary] | None = field(default=None, compare=False)
    objects: tuple[dict[str, Any], ...] = ()

    @property
    def summary(self) -> Summary | None:
        return None if self.summarize is None else self.summarize()
