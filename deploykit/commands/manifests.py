"""Rendering every environment for every target in memory: shared by `render all` and `check`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deploykit.commands.common import TargetOutput, emit_findings, render_target
from deploykit.errors import DeployKitError
from deploykit.targets import TARGETS, get_target
from deploykit.workspace import environment_profiles


@dataclass(frozen=True)
class RenderedTarget:
    """One target of one environment, and the directory it belongs in."""

    environment: str
    output: TargetOutput
    directory: Path


def render_everything(
    profiles_dir: Path,
    manifests_dir: Path,
    environments: list[str],
    targets: list[str],
    assignments: list[str],
    strict: bool,
    show_warnings: bool,
) -> list[RenderedTarget]:
    """Render all (or the selected) environments and targets; nothing is written here."""
    for target in targets:
        get_target(target)  # an unknown name fails before any profile is read
    chosen = targets or list(TARGETS)
    results: list[RenderedTarget] = []
    for entry in environment_profiles(profiles_dir, assignments, environments):
        outputs = [render_target(entry.loaded, target) for target in chosen]
        if show_warnings or strict:
            emit_findings(entry.loaded, outputs, strict, quiet=not show_warnings)
        results += [RenderedTarget(entry.environment, output, manifests_dir / entry.environment / output.target) for output in outputs]
    if not results:
        raise DeployKitError(f"no profile in {profiles_dir} declares an environment; nothing to render")
    return results
