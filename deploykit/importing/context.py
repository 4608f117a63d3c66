"""What every part of the mapping shares: the project, the roles, where fields are written, and the notes."""

from __future__ import annotations

from dataclasses import dataclass, field

from deploykit.importing.locate import ComposePath, Locator
from deploykit.importing.model import Project, Service
from deploykit.importing.notes import Note, NoteKind
from deploykit.importing.roles import Roles

MEBIBYTE = 2**20


@dataclass
class Context:
    """One import: its input, the names it chose, and the notes it collects in order."""

    project: Project
    roles: Roles
    locator: Locator
    app: str
    environment: str
    image: str = ""  # the app's image, once chosen
    notes: list[Note] = field(default_factory=list)

    @property
    def web(self) -> Service:
        """The web service."""
        return self.roles.web

    def note(self, kind: NoteKind, path: ComposePath, message: str) -> None:
        """Record a note about the Compose field at `path`, located in the files."""
        # Located at the field, or at least at its service: a bare `services:` line would point at a
        # file that does not define the service at all (one from an `include`).
        location = self.locator.find(path, min_depth=min(len(path), 2))
        self.notes.append(Note(kind, dotted(path), message, location))

    def variable_path(self, service: Service, name: str) -> ComposePath:
        """Where a service's variable is written: `environment.NAME`, or its `env_file` when only that sets it."""
        written = (*service.path, "environment", name)
        env_file = (*service.path, "env_file")
        if self.locator.exact(written) is None and self.locator.exact(env_file) is not None:
            return env_file
        return written

    def source(self, path: ComposePath) -> str:
        """`services.web.image (docker-compose.yml:5)`: a Compose field and where a file writes it."""
        location = self.locator.exact(path)
        where = f" ({location.file}:{location.line})" if location is not None else ""
        return f"{dotted(path)}{where}"


def dotted(path: ComposePath) -> str:
    """("services", "web", "ports", 0) -> "services.web.ports[0]"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def size(value: int) -> str:
    """Bytes for people, exact where a unit divides them: `1 GiB`, `1280 MiB`, `204.8 MiB`."""
    for unit, factor in (("GiB", 2**30), ("MiB", MEBIBYTE), ("KiB", 2**10)):
        if value >= factor and value % factor == 0:
            return f"{value // factor} {unit}"
    if value >= MEBIBYTE:
        return f"{value / MEBIBYTE:.1f} MiB"
    return f"{value} bytes"


def dns_label(name: str) -> str:
    """A Compose name as a DNS label (`celery_beat` -> `celery-beat`), or "" when nothing is left."""
    label = "".join(char if char.isalnum() and char.isascii() else "-" for char in name.lower())
    label = "-".join(part for part in label.split("-") if part)
    while label and not label[0].isalpha():
        label = label[1:].lstrip("-")
    return label[:63].rstrip("-")
