"""What several commands share: the profile they were asked for, and showing the pipeline's warnings."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from deploykit.errors import DeployKitError

if TYPE_CHECKING:  # the pipeline (pydantic, ruamel.yaml) is imported only by commands that load a profile
    from deploykit import pipeline
    from deploykit.loading.validation import LoadedProfile


@dataclass(frozen=True)
class ProfileChoice:
    """`-p FILE` or `--env NAME` (meaning `<profiles_dir>/NAME.yaml`), and the `--set` assignments."""

    profile: Path | None
    env: str | None
    profiles_dir: Path
    assignments: tuple[str, ...] = ()

    def path(self) -> Path:
        """The profile file: exactly one of -p and --env must be given."""
        if (self.profile is None) == (self.env is None):
            raise DeployKitError("give exactly one of -p/--profile FILE or --env NAME")
        if self.profile is not None:
            return self.profile
        env = self.env or ""
        if not env or "/" in env or "\\" in env or env.startswith("."):
            raise DeployKitError(f"--env {env!r} is not an environment name")
        return self.profiles_dir / f"{env}.yaml"

    def load(self) -> LoadedProfile:
        """The chosen profile, merged, overridden by `--set`, validated."""
        from deploykit import pipeline

        return pipeline.load(self.path(), self.assignments)


@dataclass(frozen=True)
class ManifestsChoice:
    """What `render all` and `check` work on: every environment profile, every target, or a selection."""

    profiles_dir: Path
    manifests_dir: Path
    environments: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    assignments: tuple[str, ...] = ()


def warning_lines(loaded: LoadedProfile, outputs: Sequence[pipeline.TargetOutput]) -> list[str]:
    """Every warning of `outputs` as the line `warning: FILE:LINE:COL: field.path: message [target]`."""
    return [
        f"warning: {loaded.source.location_of(finding.path)}: {finding}"
        for output in outputs
        for finding in output.findings
    ]


def report_warnings(lines: Sequence[str], strict: bool, quiet: bool = False) -> None:
    """Print warning lines on stderr (unless `quiet`); with `strict`, fail on any.

    Under `strict` the warnings are printed even when quiet: a failure must say what failed.
    """
    for line in lines if not quiet or strict else ():
        print(line, file=sys.stderr)
    if strict and lines:
        raise DeployKitError(f"{len(lines)} warning(s) and --strict is set")


def show_findings(
    loaded: LoadedProfile, outputs: Sequence[pipeline.TargetOutput], strict: bool, quiet: bool = False
) -> None:
    """Print every warning on stderr (unless `quiet`), located in the profile; with `strict`, fail on any."""
    report_warnings(warning_lines(loaded, outputs), strict, quiet)
