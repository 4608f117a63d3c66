"""What an import tells the user besides the profiles: warnings, and what it did not import and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from deploykit.errors import Location

NoteKind = Literal["warning", "not imported"]


@dataclass(frozen=True)
class Note:
    """One line on stderr: `KIND: FILE:LINE:COL: compose.path: message`.

    `path` is the Compose field the note is about (`services.db`, `services.web.environment.SECRET_KEY`);
    `location` is where the Compose files write it, when they do (a value from `extends` in another
    file or from an included project may have none).
    """

    kind: NoteKind
    path: str
    message: str
    location: Location | None = None

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location is not None else ""
        return f"{self.kind}: {where}{self.path}: {self.message}"
