"""What a target could not express exactly: recorded, never silently dropped."""

from __future__ import annotations

from dataclasses import dataclass, field

from deploykit.errors import FieldPath, format_path


@dataclass(frozen=True)
class Finding:
    """One warning about one field, raised while rendering one target."""

    target: str
    path: FieldPath
    message: str

    def __str__(self) -> str:
        where = f"{format_path(self.path)}: " if self.path else ""
        return f"{where}{self.message} [{self.target}]"


@dataclass
class Report:
    """Collects a target's warnings. `--strict` turns any of them into a failure."""

    target: str
    findings: list[Finding] = field(default_factory=list)

    def warn(self, path: FieldPath, message: str) -> None:
        """Record a warning on the field at `path`; rendering goes on, and only `--strict` fails on it."""
        self.findings.append(Finding(self.target, path, message))
