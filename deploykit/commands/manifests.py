"""Rendering every environment for every target in memory: shared by `render all` and `check`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deploykit import pipeline
from deploykit.commands.common import ManifestsChoice, report_warnings, warning_lines
from deploykit.errors import DeployKitError
from deploykit.loading.workspace import environment_profiles
from deploykit.targets import TARGETS, get_target


@dataclass(frozen=True)
class RenderedTarget:
    """One target's rendering of one environment, and the directory it belongs in."""

    output: pipeline.TargetOutput
    directory: Path


def render_everything(choice: ManifestsChoice, strict: bool, show_warnings: bool) -> list[RenderedTarget]:
    """Render all (or the selected) environments and targets; nothing is written here."""
    for target in choice.targets:
        get_target(target)  # an unknown name fails before any profile is read
    chosen = choice.targets or tuple(TARGETS)
    results: list[RenderedTarget] = []
    entries = environment_profiles(choice.profiles_dir, choice.assignments, choice.environments)
    warnings: dict[str, list[str]] = {}  # warning line -> the environments that have it, in order
    for entry in entries:
        listed = entry.loaded.profile.target_names
        outputs = pipeline.render_targets(entry.loaded, [target for target in chosen if target in listed])
        for line in warning_lines(entry.loaded, outputs):
            warnings.setdefault(line, []).append(entry.environment)
        results += [
            RenderedTarget(output, choice.manifests_dir / entry.environment / output.target) for output in outputs
        ]
    if show_warnings or strict:
        report_warnings(_shared_once(warnings), strict, quiet=not show_warnings)
    if not results and entries:  # environments were found, but none runs the chosen targets
        chosen_names = " or ".join(choice.targets)
        if len(entries) == 1:
            only = entries[0]
            raise DeployKitError(
                f"environment {only.environment} does not run {chosen_names}: it runs "
                f"{', '.join(only.loaded.profile.target_names)} (`targets` in {only.loaded.source.file}); nothing to render"
            )
        runs = "; ".join(
            f"{entry.environment} runs {', '.join(entry.loaded.profile.target_names)}" for entry in entries
        )
        raise DeployKitError(f"no environment in {choice.profiles_dir} runs {chosen_names} ({runs}); nothing to render")
    if not results:
        raise DeployKitError(f"no profile in {choice.profiles_dir} declares an environment; nothing to render")
    return results


def _shared_once(warnings: dict[str, list[str]]) -> list[str]:
    """Each warning line once: one a parent profile gives several environments names them, instead of
    being repeated per environment."""
    return [
        line if len(environments) == 1 else f"{line} (environments {', '.join(environments)})"
        for line, environments in warnings.items()
    ]


def stale_directories(choice: ManifestsChoice, rendered: list[RenderedTarget]) -> list[Path]:
    """Directories under manifests/ that no profile renders any more (only when nothing was narrowed)."""
    stale: list[Path] = []
    manifests_dir = choice.manifests_dir
    if not manifests_dir.is_dir():
        return stale
    wanted = {entry.directory for entry in rendered}
    environments_dirs = {entry.directory.parent for entry in rendered}
    if not choice.environments:
        stale += [
            path
            for path in sorted(manifests_dir.iterdir())
            if path.is_dir() and path not in environments_dirs and not path.name.startswith(".")
        ]
    if not choice.targets:
        for environment_dir in sorted(environments_dirs):
            if environment_dir.is_dir():
                stale += [
                    path
                    for path in sorted(environment_dir.iterdir())
                    if path.is_dir() and path not in wanted and not path.name.startswith(".")
                ]
    return stale
