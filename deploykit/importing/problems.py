"""The one error type of the Compose reading and mapping code, before it has a location."""

from __future__ import annotations

from collections.abc import Sequence

from deploykit.errors import DeployKitError, Location


class ComposeProblem(Exception):
    """Compose input deploykit cannot import: a message about the Compose field at `path`.

    `location` is set when the reader knows it (a YAML syntax error); otherwise the command finds
    `path` in the files (locate.py), so every error reaches the user as `FILE:LINE:COL: path: message`.
    """

    def __init__(self, message: str, path: Sequence[str | int] = (), location: Location | None = None):
        self.message = message
        self.path: tuple[str | int, ...] = tuple(path)
        self.location = location
        super().__init__(message)

    def located(self, location: Location | None) -> DeployKitError:
        """The user's error, at this problem's own location or else at `location`."""
        return DeployKitError(self.message, self.location or location, self.path)


# Compose file format v1: services at the top level, without `services:` (docker-compose 1.x only).
_TOP_LEVEL = frozenset({"version", "name", "services", "networks", "volumes", "secrets", "configs", "include"})


def version_1_service(document: object) -> str | None:
    """The first top-level key of a Compose v1 file that is a service (`image:` or `build:`), else None."""
    if not isinstance(document, dict) or "services" in document:
        return None
    for key, value in document.items():
        is_service = isinstance(value, dict) and ("image" in value or "build" in value)
        if key not in _TOP_LEVEL and not str(key).startswith("x-") and is_service:
            return str(key)
    return None


def version_1_problem(service: str) -> ComposeProblem:
    """The located error for a Compose v1 file, naming the format to write instead."""
    return ComposeProblem(
        "this is the Compose file format v1 (services at the top level), which Docker Compose v2 no longer reads: "
        "move the services under a top-level `services:` key (the Compose specification's format), then import again",
        (service,),
    )
