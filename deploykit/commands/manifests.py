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
    """One target's rendering of one environment, and the directory it belongs in."""

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
        results += [RenderedTarget(output, manifests_dir / entry.environment / output.target) for output in outputs]
    if not results:
        raise DeployKitError(f"no profile in {profiles_dir} declares an environment; nothing to render")
    return results


def stale_directories(manifests_dir: Path, rendered: list[RenderedTarget], environments: list[str], targets: list[str]) -> list[Path]:
    """Directories under manifests/ that no profile renders any more (only when nothing was narrowed)."""
    stale: list[Path] = []
    if not manifests_dir.is_dir():
        return stale
    wanted = {entry.directory for entry in rendered}
    environments_dirs = {entry.directory.parent for entry in rendered}
    if not environments:
        stale += [path for path in sorted(manifests_dir.iterdir()) if path.is_dir() and path not in environments_dirs and not path.name.startswith(".")]
    if not targets:
        for environment_dir in sorted(environments_dirs):
            if environment_dir.is_dir():
                stale += [path for path in sorted(environment_dir.iterdir()) if path.is_dir() and path not in wanted and not path.name.startswith(".")]
    return stale
