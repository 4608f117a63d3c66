"""The target registry: one package per target, each a `Target` (a `check` and a `render` function).

Packages are imported only when their target is used, so `render k8s` never pays for jinja2. Adding
a target is writing its package and adding one line to TARGETS; nothing else names the targets.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol, cast

from deploykit.errors import DeployKitError

if TYPE_CHECKING:
    from deploykit.rendering import Rendering
    from deploykit.report import Report
    from deploykit.spec.model import Profile

# The one name per target, used by the CLI, package names, manifests/<env>/<target>/, the profile's
# `overrides.<target>` keys and test ids. The order is the order of `render all` and `validate`.
TARGETS: dict[str, str] = {
    "k8s": "deploykit.targets.k8s",
    "compose": "deploykit.targets.compose",
    "nomad": "deploykit.targets.nomad",
    "dockerfile": "deploykit.targets.dockerfile",
    "quadlet": "deploykit.targets.quadlet",
}


class Target(Protocol):
    """What every target package provides. Both functions are pure: no printing, no disk, no exit."""

    def check(self, profile: Profile, report: Report) -> None:
        """Record on `report` why this target cannot render `profile` (errors) or only inexactly (warnings).

        Called before `render`, which may then assume every rule checked here holds.
        """

    def render(self, profile: Profile, report: Report) -> Rendering:
        """The target's files, stdout and summary for a profile that passed `check`."""


def get_target(name: str) -> Target:
    """The target called `name`; an unknown name is a user error with a suggestion."""
    module = TARGETS.get(name)
    if module is None:
        import difflib

        close = difflib.get_close_matches(name, TARGETS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; expected one of: {', '.join(TARGETS)}"
        raise DeployKitError(f"unknown target {name!r}{hint}")
    return cast("Target", importlib.import_module(module))
