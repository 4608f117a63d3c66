"""The target registry: one module per target, each exposing `render(profile, report) -> Rendering`.

Modules are imported only when their target is rendered, so `render k8s` never pays for jinja2.
"""

from __future__ import annotations

import importlib
from typing import Protocol

from deploykit.errors import DeployKitError
from deploykit.rendering import Rendering
from deploykit.report import Report
from deploykit.spec.model import Profile

# The one name per target, used by the CLI, module names, manifests/<env>/<target>/ and test ids.
TARGETS: dict[str, str] = {
    "k8s": "deploykit.targets.k8s",
    "compose": "deploykit.targets.compose",
    "nomad": "deploykit.targets.nomad",
    "dockerfile": "deploykit.targets.dockerfile",
}


class Target(Protocol):
    """What every target module provides."""

    def render(self, profile: Profile, report: Report) -> Rendering:
        """The target's files and stdout for `profile`; what it cannot express exactly goes to `report`."""


def get_target(name: str) -> Target:
    """The target module called `name`; an unknown name is a user error with a suggestion."""
    module = TARGETS.get(name)
    if module is None:
        import difflib

        close = difflib.get_close_matches(name, TARGETS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; expected one of: {', '.join(TARGETS)}"
        raise DeployKitError(f"unknown target {name!r}{hint}")
    return importlib.import_module(module)
