"""Shared by the import tests: fixture projects copied into a scratch directory, `deploykit import
compose` run there, and the rendered Compose project as the real Compose CLI resolves it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from helpers import CliResult, run_cli
from tooling import resolved

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NO_CLI_NOTE = "note: no Compose CLI found"


@dataclass(frozen=True)
class Imported:
    """An import's project directory and what the command printed."""

    directory: Path
    result: CliResult

    @property
    def profiles(self) -> Path:
        """The directory the profiles were written to."""
        return self.directory / "profiles"

    def text(self, name: str) -> str:
        """A written profile's text."""
        return (self.profiles / name).read_text(encoding="utf-8")


def project(name: str, parent: Path) -> Path:
    """A fresh copy of fixture `name` at `parent/name` (the directory name is the Compose project's name)."""
    target = parent / name
    shutil.copytree(FIXTURES / name, target)
    return target


def run_import(directory: Path, *arguments: str, env: dict[str, str] | None = None) -> CliResult:
    """`deploykit import compose ARGS` in `directory`."""
    return run_cli("import", "compose", *arguments, cwd=directory, env=env)


def import_fixture(name: str, parent: Path, *arguments: str, env: dict[str, str] | None = None) -> Imported:
    """Copy fixture `name` under `parent` and import it; the import must succeed."""
    directory = project(name, parent)
    result = run_import(directory, *arguments, env=env)
    assert result.returncode == 0, result.stderr
    return Imported(directory, result)


def rendered_compose(imported: Imported, environment: str = "prod") -> dict:
    """The imported environment rendered for Compose (`render compose -o`), resolved by the real Compose CLI."""
    out = imported.directory / "rendered"
    result = run_cli("render", "compose", "--env", environment, "-o", str(out), cwd=imported.directory)
    assert result.returncode == 0, result.stderr
    return resolved(out / "compose.yaml")
