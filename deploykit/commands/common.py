"""What several commands share: the profile they were asked for, and showing the pipeline's warnings."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from deploykit.errors import DeployKitError

if TYPE_CHECKING:  # the pipeline (ruamel.yaml, pydantic-core) is imported only by commands that load a profile
    from deploykit import pipeline
    from deploykit.loading.validation import LoadedProfile


@dataclass(frozen=True)
class ProfileChoice:
    """`-p FILE` or `--env NAME` (the profile declaring `environment: NAME`), and the `--set` assignments.

    `profiles_dir` None means the nearest profiles/ in the working directory or above it.
    """

    profile: Path | None
    env: str | None
    profiles_dir: Path | None = None
    assignments: tuple[str, ...] = ()

    def path(self) -> Path:
        """The profile file: exactly one of -p and --env must be given."""
        from deploykit.loading.workspace import environment_profile_path, find_profiles_dir

        if (self.profile is None) == (self.env is None):
            raise DeployKitError("give exactly one of -p/--profile FILE or --env NAME")
        if self.profile is not None:
            return self.profile
        return environment_profile_path(find_profiles_dir(self.profiles_dir), self.env or "")

    def load(self) -> LoadedProfile:
        """The chosen profile, merged, overridden by `--set`, validated; with --env, it must declare that environment."""
        from deploykit import pipeline
        from deploykit.loading.workspace import check_declares

        loaded = pipeline.load(self.path(), self.assignments)
        if self.env is not None:
            check_declares(loaded, self.env)
        return loaded


@dataclass(frozen=True)
class ManifestsChoice:
    """What `render all` and `check` work on: every environment profile, every target, or a selection."""

    profiles_dir: Path
    manifests_dir: Path
    environments: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    assignments: tuple[str, ...] = ()

    @classmethod
    def found(
        cls,
        profiles_dir: Path | None,
        manifests_dir: Path | None,
        environments: tuple[str, ...] = (),
        targets: tuple[str, ...] = (),
        assignments: tuple[str, ...] = (),
    ) -> ManifestsChoice:
        """The choice with defaults filled in: the nearest profiles/ (or above), and manifests/ beside it."""
        from deploykit.loading.workspace import check_environment_name, find_profiles_dir, manifests_dir_for

        for environment in environments:
            check_environment_name(environment)
        profiles = find_profiles_dir(profiles_dir)
        return cls(profiles, manifests_dir_for(manifests_dir, profiles), environments, targets, assignments)


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


OUTPUT_FORMATS = ("text", "json")


def check_output_format(output_format: str) -> None:
    """Refuse a `--format` other than text or json before any work is done."""
    if output_format not in OUTPUT_FORMATS:
        raise DeployKitError(f"unknown format {output_format!r}; expected text or json")


def error_records(exc: DeployKitError) -> list[dict[str, object]]:
    """Each problem of `exc` as a JSON record: file, line, column, field and message (null where it has none)."""
    from deploykit.errors import DeployKitErrors, format_path

    errors = exc.errors if isinstance(exc, DeployKitErrors) else (exc,)
    return [
        {
            "file": error.location.file if error.location else None,
            "line": error.location.line if error.location else None,
            "column": error.location.column if error.location else None,
            "field": format_path(error.path) or None,
            "message": error.message,
        }
        for error in errors
    ]


def warning_records(loaded: LoadedProfile, outputs: Sequence[pipeline.TargetOutput]) -> list[dict[str, object]]:
    """Each warning of `outputs` as a JSON record: file, line, column, field, message, target and code."""
    from deploykit.errors import format_path

    records: list[dict[str, object]] = []
    for output in outputs:
        for finding in output.findings:
            location = loaded.source.location_of(finding.path)
            records.append(
                {
                    "file": location.file,
                    "line": location.line,
                    "column": location.column,
                    "field": format_path(finding.path) or None,
                    "message": finding.message,
                    "target": finding.target,
                    "code": finding.code,
                }
            )
    return records


def print_json(document: object) -> None:
    """`document` on stdout as indented JSON, keys in the order given (stable for bots diffing it)."""
    import json

    sys.stdout.write(json.dumps(document, indent=2) + "\n")
