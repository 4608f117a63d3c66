"""The one error type users see, and where in which file it points."""

from __future__ import annotations

from dataclasses import dataclass

# A field path is a tuple of mapping keys and list indexes, e.g. ("prestart", 0, "name").
FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Location:
    """A 1-based line and column in one file."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


def format_path(path: FieldPath) -> str:
    """Render ("prestart", 0, "name") as "prestart[0].name"."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass(frozen=True)
class Problem:
    """One reason a profile is refused, before it has a location.

    `path` is the field the message is about. When that field is not written anywhere (a missing
    requirement such as `k8s.cluster_issuer`), the error points at `because_of` instead, the field
    whose value makes it necessary (`proxy.tls`), rather than at the top of the file.
    """

    path: FieldPath
    message: str
    because_of: FieldPath | None = None


class DeployKitError(Exception):
    """A problem with the user's input: reported as one line, exit code 2, no traceback.

    The message always starts with `FILE:LINE:COL: field.path:` when the problem has a place.
    """

    def __init__(self, message: str, location: Location | None = None, path: FieldPath = ()):
        self.message = message
        self.location = location
        self.path = path
        super().__init__(str(self))

    def __str__(self) -> str:
        prefix = ""
        if self.location is not None:
            prefix += f"{self.location}: "
        if self.path:
            prefix += f"{format_path(self.path)}: "
        return prefix + self.message
