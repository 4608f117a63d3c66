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

    def lines(self) -> list[str]:
        """The error as the lines `deploykit` prints after `error: `: one, or one per problem."""
        return [str(self)]


# A profile with many mistakes is reported whole, but a generated file with thousands should not flood a terminal.
MAX_REPORTED_ERRORS = 20


class DeployKitErrors(DeployKitError):
    """Several problems found in one run (every field error of a profile, every rule it breaks): one line each.

    It is also the first of them (message, location, path), so code that shows one error still works.
    """

    def __init__(self, errors: list[DeployKitError]):
        unique: list[DeployKitError] = []
        seen: set[str] = set()  # a set kept as it grows: 10,000 unknown keys took 48 s when rebuilt per error
        for error in errors:
            if str(error) not in seen:
                seen.add(str(error))
                unique.append(error)
        # In file order: by file, then line and column; problems without a place after those with one.
        unique.sort(key=_file_order)
        self.errors = tuple(unique)
        first = unique[0]
        super().__init__(first.message, first.location, first.path)

    def lines(self) -> list[str]:
        """One line per problem, up to MAX_REPORTED_ERRORS, then how many more there are."""
        shown = [str(error) for error in self.errors[:MAX_REPORTED_ERRORS]]
        hidden = len(self.errors) - len(shown)
        if hidden:
            shown.append(f"{hidden} more error(s) not shown; fix these and run again")
        return shown


def _file_order(error: DeployKitError) -> tuple[int, str, int, int]:
    where = error.location
    if where is None:
        return (1, "", 0, 0)
    return (0, where.file, where.line, where.column)


def combined(errors: list[DeployKitError]) -> DeployKitError:
    """`errors` (at least one) as one DeployKitError to raise: itself when alone, else DeployKitErrors."""
    return errors[0] if len(errors) == 1 else DeployKitErrors(errors)
