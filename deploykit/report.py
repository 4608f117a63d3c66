"""What a target found while checking or rendering: errors that refuse the profile, and warnings
about what it cannot express exactly (recorded, never silently dropped)."""

from __future__ import annotations

from dataclasses import dataclass, field

from deploykit.errors import FieldPath, Problem, format_path


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
    """Collects a target's errors and warnings. `--strict` turns any warning into a failure."""

    target: str
    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def warn(self, path: FieldPath, message: str) -> None:
        """Record a warning on the field at `path`; rendering goes on, and only `--strict` fails on it."""
        self.findings.append(Finding(self.target, path, message))

    def error(self, path: FieldPath, message: str, because_of: FieldPath | None = None) -> None:
        """Refuse the profile for this target: the field at `path` (or, when unwritten, `because_of`) is wrong."""
        self.problems.append(Problem(path, message, because_of))
