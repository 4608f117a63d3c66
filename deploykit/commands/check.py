"""`deploykit check`: fail when committed manifests differ from what the profiles render now."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

from deploykit import output
from deploykit.commands.common import ManifestsChoice
from deploykit.commands.manifests import render_everything, stale_directories

EXIT_STALE = 1


def run(choice: ManifestsChoice, strict: bool) -> int:
    """0 when manifests/ holds exactly what the profiles render now; else EXIT_STALE, with a diff or a line per difference."""
    rendered = render_everything(choice, strict, show_warnings=True)
    stale = missing = extra = 0
    for entry in rendered:
        expected = {file.path: output.with_header(file) for file in entry.output.rendering.files}
        present = _files_under(entry.directory)
        for path in sorted(expected):
            actual_file = entry.directory / path
            if path not in present:
                missing += 1
                print(f"missing: {actual_file}", file=sys.stderr)
                continue
            actual = actual_file.read_text(encoding="utf-8", errors="replace")
            if actual != expected[path]:
                stale += 1
                sys.stdout.writelines(
                    difflib.unified_diff(
                        actual.splitlines(keepends=True),
                        expected[path].splitlines(keepends=True),
                        fromfile=f"{actual_file} (committed)",
                        tofile=f"{actual_file} (rendered)",
                    )
                )
        for path in sorted(present - expected.keys()):
            extra += 1
            print(f"extra: {entry.directory / path} (no longer rendered)", file=sys.stderr)
    for directory in stale_directories(choice, rendered):
        extra += 1
        print(f"extra: {directory}/ (no profile renders it any more)", file=sys.stderr)
    if stale or missing or extra:
        print(
            f"manifests are stale: {stale} changed, {missing} missing, {extra} extra; run `deploykit render all` and commit",
            file=sys.stderr,
        )
        return EXIT_STALE
    return 0


def _files_under(directory: Path) -> set[str]:
    if not directory.is_dir():
        return set()
    return {path.relative_to(directory).as_posix() for path in directory.rglob("*") if path.is_file()}
