"""`deploykit init`: scaffold profiles for a new app, never overwriting a file."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from deploykit import output, pipeline
from deploykit.errors import DeployKitError, format_path
from deploykit.scaffold import SCHEMA_FILE, scaffold_profiles
from deploykit.spec import names
from deploykit.spec.schema import profile_schema

if TYPE_CHECKING:
    from deploykit.rendering import RenderedFile


def run(profiles_dir: Path, app: str | None, image: str | None, domain: str, email: str) -> int:
    """Create starter profiles and the JSON Schema, asking for a missing app or image; refuses to overwrite any file."""
    app = app or _ask("App name (a DNS label, e.g. items-api)", "--app", names.check_dns_label)
    image = image or _ask("Image, pinned (e.g. registry.example.com/team/app:1.0.0)", "--image", names.check_image)
    for check, value, option in (
        (names.check_dns_label, app, "--app"),
        (names.check_image, image, "--image"),
        (names.check_hostname, domain, "--domain"),
    ):
        try:
            check(value)
        except ValueError as exc:
            raise DeployKitError(f"{option}: {exc}") from None
    schema_file = profiles_dir.parent / SCHEMA_FILE
    schema_path = os.path.relpath(schema_file, profiles_dir)
    files = scaffold_profiles(app, image, domain, email, schema_path)
    targets = [profiles_dir / file.path for file in files] + [schema_file]
    existing = [str(path) for path in targets if path.exists()]
    if existing:
        raise DeployKitError(f"refusing to overwrite {', '.join(existing)}; init only creates new files")
    _check_scaffold(files)
    contents = [file.content for file in files] + [json.dumps(profile_schema(), indent=2, sort_keys=True) + "\n"]
    # All or none, each created exclusively: a file that appeared since the check is never overwritten.
    output.write_files(list(zip(targets, contents, strict=True)))
    for path in targets:
        print(f"created {path}", file=sys.stderr)
    return 0


def _ask(question: str, option: str, check: Callable[[str], object]) -> str:
    """Prompt on a terminal until the answer is valid; in a pipeline a missing value is an error, never a hang."""
    if not sys.stdin.isatty():
        raise DeployKitError(f"{option} is required (no terminal to ask on)")
    while True:
        try:
            answer = input(f"{question}: ").strip()
        except EOFError:
            raise DeployKitError(f"{option} is required") from None
        try:
            check(answer)
        except ValueError as exc:
            print(f"{exc}; try again (Ctrl-D to stop)", file=sys.stderr)
            continue
        return answer


def _check_scaffold(files: tuple[RenderedFile, ...]) -> None:
    """Validate the scaffolded profiles for every target (e.g. against a malformed --email) before writing any of them."""
    with tempfile.TemporaryDirectory() as scratch:
        for file in files:
            (Path(scratch) / file.path).write_text(file.content, encoding="utf-8")
        for file in files:
            try:
                loaded = pipeline.load(Path(scratch) / file.path)
                for target in loaded.profile.target_names:
                    pipeline.render(loaded, target)
            except DeployKitError as exc:
                raise DeployKitError(
                    f"the options give an invalid {file.path}: {(exc.path and format_path(exc.path) + ': ') or ''}{exc.message}"
                ) from None
