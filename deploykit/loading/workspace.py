"""The layout of a deploykit project: profiles/<name>.yaml in, manifests/<env>/<target>/ out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from deploykit.errors import DeployKitError
from deploykit.loading.merge import display_name, load_merged
from deploykit.loading.overrides import apply_overrides
from deploykit.loading.validation import LoadedProfile, validate


@dataclass(frozen=True)
class EnvironmentProfile:
    """A profile that declares an environment (a bare base does not), loaded and validated."""

    environment: str
    loaded: LoadedProfile


def load_profile(path: Path, assignments: Sequence[str] = ()) -> LoadedProfile:
    """Load a profile chain, apply `--set` overrides after merging, then validate."""
    source = load_merged(path)
    if assignments:
        source = apply_overrides(source, list(assignments))
    return validate(source)


def environment_profiles(
    profiles_dir: Path, assignments: Sequence[str] = (), only: Sequence[str] = ()
) -> list[EnvironmentProfile]:
    """Every profile in `profiles_dir` that declares `environment`, sorted by environment name."""
    if not profiles_dir.is_dir():
        raise DeployKitError(f"profiles directory {display_name(profiles_dir)} not found")
    found: dict[str, EnvironmentProfile] = {}
    for path in sorted(profiles_dir.glob("*.yaml")):
        source = load_merged(path)
        if "environment" not in source.data:
            continue  # a base that others extend
        if assignments:
            source = apply_overrides(source, list(assignments))
        loaded = validate(source)
        environment = loaded.profile.environment
        assert environment is not None  # declared, and validated as a name
        if environment in found:
            first = found[environment].loaded.source.file
            raise DeployKitError(
                f"environment {environment!r} is also declared by {first}",
                loaded.source.location_of(("environment",)),
                ("environment",),
            )
        found[environment] = EnvironmentProfile(environment, loaded)
    if only:
        missing = sorted(set(only) - set(found))
        if missing:
            known = ", ".join(sorted(found)) or "none"
            raise DeployKitError(
                f"no profile in {display_name(profiles_dir)} declares environment {missing[0]!r} (found: {known})"
            )
        return [found[name] for name in sorted(found) if name in only]
    return [found[name] for name in sorted(found)]
