"""The layout of a deploykit project: profiles/<name>.yaml in, manifests/<env>/<target>/ out.

`--env NAME` means one thing everywhere: the profile in profiles/ that declares `environment: NAME`.
By convention that is profiles/NAME.yaml, which is tried first (so that one render reads one
profile chain); otherwise every profile is read to find it. Without `--profiles`, the
profiles/ directory is looked for in the working directory and then in each parent, as git looks
for .git, and manifests/ is its sibling.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from deploykit.errors import DeployKitError

if TYPE_CHECKING:  # loading a profile needs ruamel.yaml and pydantic-core: only imported when one is loaded
    from deploykit.loading.validation import LoadedProfile

PROFILES_DIR = "profiles"
MANIFESTS_DIR = "manifests"


@dataclass(frozen=True)
class EnvironmentProfile:
    """A profile that declares an environment (a bare base does not), loaded and validated."""

    environment: str
    loaded: LoadedProfile


def load_profile(path: Path, assignments: Sequence[str] = ()) -> LoadedProfile:
    """Load a profile chain, apply `--set` overrides after merging, then validate."""
    from deploykit.loading.merge import load_merged
    from deploykit.loading.overrides import apply_overrides
    from deploykit.loading.validation import validate

    source = load_merged(path)
    if assignments:
        source = apply_overrides(source, list(assignments))
    return validate(source)


def find_profiles_dir(given: Path | None) -> Path:
    """`given`, or the nearest profiles/ in the working directory or above it (relative to the working directory)."""
    if given is not None:
        return given
    here = Path.cwd()
    for directory in (here, *here.parents):
        if (directory / PROFILES_DIR).is_dir():
            return Path(os.path.relpath(directory / PROFILES_DIR))
    raise DeployKitError(
        f"no {PROFILES_DIR}/ directory in {here} or any directory above it; "
        f"run deploykit inside your project, give --profiles DIR, or create one with `deploykit init`"
    )


def manifests_dir_for(given: Path | None, profiles_dir: Path) -> Path:
    """`given`, or manifests/ beside the profiles directory."""
    if given is not None:
        return given
    return Path(os.path.normpath(profiles_dir.parent / MANIFESTS_DIR))


def check_environment_name(env: str) -> None:
    """Refuse a file name or path given as an environment, saying what to write instead."""
    if env.endswith((".yaml", ".yml")) or "/" in env or "\\" in env:
        stem = Path(env).name.rsplit(".", 1)[0] if env.endswith((".yaml", ".yml")) else Path(env).name
        raise DeployKitError(
            f"--env takes an environment name, not a file: write --env {stem}, or -p {env} for that file"
        )
    if not env or env.startswith("."):
        raise DeployKitError(f"--env {env!r} is not an environment name")


def environment_profile_path(profiles_dir: Path, env: str) -> Path:
    """The profile of environment `env`: profiles/ENV.yaml when it exists, else the one that declares it.

    Whether profiles/ENV.yaml really declares `env` is checked once it is loaded (`check_declares`).
    """
    check_environment_name(env)
    conventional = profiles_dir / f"{env}.yaml"
    if conventional.is_file():
        return conventional
    if not profiles_dir.is_dir():
        raise DeployKitError(f"profiles directory {_shown(profiles_dir)} not found")
    declared = declared_environments(profiles_dir)
    if env in declared:
        return declared[env]
    known = ", ".join(sorted(declared)) or "none"
    raise DeployKitError(f"no profile in {_shown(profiles_dir)} declares environment {env!r} (found: {known})")


def check_declares(loaded: LoadedProfile, env: str) -> None:
    """Refuse `--env ENV` that found a profile declaring another environment, or none."""
    declared = loaded.profile.environment
    if declared == env:
        return
    if declared is None:
        raise DeployKitError(
            f"{loaded.source.file} declares no environment (a base that other profiles extend); "
            f"render it with -p {loaded.source.file}, or add `environment: {env}`"
        )
    raise DeployKitError(
        f"{loaded.source.file} declares environment {declared!r}, not {env!r}; use --env {declared}",
        loaded.source.location_of(("environment",)),
        ("environment",),
    )


def environment_profiles(
    profiles_dir: Path, assignments: Sequence[str] = (), only: Sequence[str] = ()
) -> list[EnvironmentProfile]:
    """Every profile in `profiles_dir` that declares `environment`, sorted by environment name.

    A profile that declares no environment must be a base that another profile extends: anything else
    is refused rather than skipped without a word (a forgotten `environment:` line).
    """
    from deploykit.loading.merge import display_name, load_merged
    from deploykit.loading.overrides import apply_overrides
    from deploykit.loading.validation import validate

    if not profiles_dir.is_dir():
        raise DeployKitError(f"profiles directory {display_name(profiles_dir)} not found")
    found: dict[str, EnvironmentProfile] = {}
    bases: list[Path] = []
    extended: set[str] = set()
    for path in _profile_files(profiles_dir):
        source = load_merged(path)
        extended.update(source.chain[:-1])
        if "environment" not in source.data:
            bases.append(path)
            continue
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
    for base in bases:
        if display_name(base) not in extended:
            raise DeployKitError(
                f"{display_name(base)} declares no environment and no profile extends it, so `render all` would skip it; "
                f"add `environment: {base.stem}`, or move it out of {display_name(profiles_dir)}/"
            )
    if only:
        missing = sorted(set(only) - set(found))
        if missing:
            known = ", ".join(sorted(found)) or "none"
            raise DeployKitError(
                f"no profile in {display_name(profiles_dir)} declares environment {missing[0]!r} (found: {known})"
            )
        return [found[name] for name in sorted(found) if name in only]
    return [found[name] for name in sorted(found)]


def declared_environments(profiles_dir: Path) -> dict[str, Path]:
    """environment -> profile, over the profiles that load; a broken one is reported when it is asked for."""
    from deploykit.loading.merge import load_merged

    declared: dict[str, Path] = {}
    for path in _profile_files(profiles_dir):
        try:
            environment = load_merged(path).data.get("environment")
        except DeployKitError:
            continue
        if isinstance(environment, str):
            declared.setdefault(environment, path)
    return declared


def _shown(path: Path) -> str:
    if path.is_absolute():
        return str(path)  # as given: a relative form of another tree would only confuse
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _profile_files(profiles_dir: Path) -> list[Path]:
    """The *.yaml files of `profiles_dir`, sorted. An unreadable directory is an OSError naming it (Path.glob
    would quietly find nothing, and the run would say no profile declares an environment)."""
    with os.scandir(profiles_dir) as entries:
        return sorted(profiles_dir / entry.name for entry in entries if entry.name.endswith(".yaml"))
