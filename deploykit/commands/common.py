"""What several commands share: finding the profile, rendering a target, reporting findings."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from deploykit.errors import DeployKitError
from deploykit.rendering import Rendering
from deploykit.report import Report
from deploykit.spec.load import LoadedProfile
from deploykit.spec.per_target import for_target
from deploykit.targets import get_target
from deploykit.workspace import load_with_overrides


def resolve_profile(profile: Path | None, env: str | None, profiles_dir: Path) -> Path:
    """`-p FILE` or `--env NAME` (meaning `<profiles_dir>/NAME.yaml`): exactly one of them."""
    if (profile is None) == (env is None):
        raise DeployKitError("give exactly one of -p/--profile FILE or --env NAME")
    if profile is not None:
        return profile
    if not env or "/" in env or "\\" in env or env.startswith("."):
        raise DeployKitError(f"--env {env!r} is not an environment name")
    return profiles_dir / f"{env}.yaml"


@dataclass(frozen=True)
class TargetOutput:
    """One target's rendering of one profile, with its warnings."""

    target: str
    rendering: Rendering
    report: Report


def render_target(loaded: LoadedProfile, target: str) -> TargetOutput:
    """`target`'s rendering of the profile's per-target copy; a target's field error is located in the profile file."""
    module = get_target(target)
    report = Report(target)
    try:
        rendering = module.render(for_target(loaded.profile, target), report)
    except DeployKitError as exc:
        # Targets name the field; the location comes from the profile source.
        if exc.location is None and exc.path:
            raise loaded.error(exc.path, exc.message) from None
        raise
    return TargetOutput(target, rendering, report)


def emit_findings(loaded: LoadedProfile, outputs: list[TargetOutput], strict: bool, quiet: bool = False) -> None:
    """Print every warning on stderr (unless `quiet`), located in the profile; with `strict`, fail on any.

    Under `strict` the warnings are printed even when quiet: a failure must say what failed.
    """
    findings = [finding for output in outputs for finding in output.report.findings]
    for finding in findings if not quiet or strict else ():
        location = loaded.source.location_of(finding.path)
        print(f"warning: {location}: {finding}", file=sys.stderr)
    if strict and findings:
        raise DeployKitError(f"{len(findings)} warning(s) and --strict is set")


def load_selected_profile(
    profile: Path | None, env: str | None, profiles_dir: Path, assignments: list[str] = ()
) -> LoadedProfile:
    """The profile named by `-p` or `--env`, merged, overridden by `--set`, validated."""
    return load_with_overrides(resolve_profile(profile, env, profiles_dir), list(assignments))
