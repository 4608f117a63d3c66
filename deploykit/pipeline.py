"""The one pipeline from profile files to a target's output; commands and tests call it.

    profile path + `--set`  --loading-->  LoadedProfile (validated spec, every value located)
    LoadedProfile + target  --overrides.<target>, spec rules, target.check-->  errors or a checked spec
    checked spec            --target.render-->  Rendering (files, stdout, summary) + warnings

Nothing here prints or writes: errors are raised as DeployKitError (located in the profile), and
warnings are returned for the caller to show.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploykit.errors import DeployKitError, DeployKitErrors, Problem, combined
from deploykit.loading.merge import MergedProfile
from deploykit.loading.per_target import for_target
from deploykit.loading.validation import LoadedProfile, validate
from deploykit.loading.workspace import load_profile
from deploykit.report import Finding, Report
from deploykit.spec import checks
from deploykit.targets import get_target

if TYPE_CHECKING:
    from deploykit.rendering import Rendering


@dataclass(frozen=True)
class TargetOutput:
    """One target's rendering of one profile, with its warnings: those to show, and those the profile
    accepts (`accept_warnings`)."""

    target: str
    rendering: Rendering
    findings: tuple[Finding, ...]
    accepted: tuple[Finding, ...] = ()


def load(path: Path, assignments: Sequence[str] = ()) -> LoadedProfile:
    """The profile at `path` with its `extends` chain merged, `--set` applied, validated."""
    return load_profile(path, assignments)


def load_data(data: Mapping[str, Any], name: str = "profile.yaml") -> LoadedProfile:
    """A profile given as data (already merged, no `extends`), validated exactly like a file called `name`.

    Errors point at `name` without line numbers (1:1): data has no source text.
    """
    return validate(MergedProfile(copy.deepcopy(dict(data)), {}, name, (name,)))


def render(loaded: LoadedProfile, target: str) -> TargetOutput:
    """`target`'s output for a loaded profile; any error is a DeployKitError at the field's FILE:LINE:COL.

    Every problem the target finds is reported at once (DeployKitErrors when there are several).
    """
    module = get_target(target)
    if target not in loaded.profile.target_names:
        listed = ", ".join(loaded.profile.target_names)
        raise loaded.error(
            Problem(("targets",), f"this environment runs on {listed} only; {target} is not among its targets")
        )
    view = for_target(loaded.profile, target)
    report = Report(target)
    if view.overridden:  # an override may break a rule the profile itself kept
        broken = [loaded.error(view.in_source(problem)) for problem in checks.problems(view.profile)]
        if broken:
            raise combined(broken)
    module.check(view.profile, report)
    if report.problems:
        raise combined([loaded.error(view.in_source(problem)) for problem in report.problems])
    rendering = module.render(view.profile, report)
    accepted = set(loaded.profile.accept_warnings)
    shown = tuple(finding for finding in report.findings if finding.code not in accepted)
    return TargetOutput(
        target, rendering, shown, tuple(finding for finding in report.findings if finding.code in accepted)
    )


def render_targets(loaded: LoadedProfile, targets: Sequence[str]) -> list[TargetOutput]:
    """`render` for each of `targets`; when some refuse the profile, every target's problems are raised together."""
    outputs: list[TargetOutput] = []
    errors: list[DeployKitError] = []
    for target in targets:
        try:
            outputs.append(render(loaded, target))
        except DeployKitErrors as exc:
            errors += exc.errors
        except DeployKitError as exc:
            errors.append(exc)
    if errors:
        raise combined(errors)
    return outputs


def render_profile(path: Path, target: str, assignments: Sequence[str] = ()) -> TargetOutput:
    """Load the profile at `path` (with `--set` assignments) and render it for `target`."""
    return render(load(path, assignments), target)
