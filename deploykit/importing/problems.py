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
