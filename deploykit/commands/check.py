"""`deploykit check`: fail when committed manifests differ from what the profiles render now."""

from __future__ import annotations

import contextlib
import difflib
import sys

from deploykit import output
from deploykit.commands.common import ManifestsChoice, check_output_format, error_records, print_json
from deploykit.commands.manifests import render_everything, stale_directories
from deploykit.errors import DeployKitError

EXIT_STALE = 1


def run(choice: ManifestsChoice, strict: bool, output_format: str = "text") -> int:
    """0 when manifests/ holds exactly what the profiles render now; else EXIT_STALE, with a diff or a line per difference.

    With `output_format` json, stdout holds one document (`current`, `changed`, `missing`, `extra`, `errors`)
    instead of the diff; the exit code is the same.
    """
    check_output_format(output_format)
    as_json = output_format == "json"
    try:
        rendered = render_everything(choice, strict, show_warnings=True)
    except DeployKitError as exc:
        if as_json:
            print_json({"current": False, "changed": [], "missing": [], "extra": [], "errors": error_records(exc)})
        raise
    changed: list[str] = []
    missing: list[str] = []
    extra: list[str] = []
    # A shared lock: `render all` (exclusive) never swaps directories while they are being compared.
    lock = (
        output.locked(choice.manifests_dir, shared=True) if choice.manifests_dir.is_dir() else contextlib.nullcontext()
    )
    with lock:
        for entry in rendered:
            expected = output.directory_contents(entry.output.target, entry.output.rendering.files)
            present = output.files_under(entry.directory)
            for path in sorted(expected):
                actual_file = entry.directory / path
                if path not in present:
                    missing.append(str(actual_file))
                    if not as_json:
                        print(f"missing: {actual_file}", file=sys.stderr)
                    continue
                actual = output.read_regular_file(actual_file)
                if actual is None:  # a link, a FIFO or a device: never opened
                    changed.append(str(actual_file))
                    if not as_json:
                        print(f"changed: {actual_file} is not a regular file", file=sys.stderr)
                elif actual != expected[path]:
                    changed.append(str(actual_file))
                    if not as_json:
                        sys.stdout.writelines(
                            difflib.unified_diff(
                                actual.splitlines(keepends=True),
                                expected[path].splitlines(keepends=True),
                                fromfile=f"{actual_file} (committed)",
                                tofile=f"{actual_file} (rendered)",
                            )
                        )
            for path in sorted(present - expected.keys()):
                extra.append(str(entry.directory / path))
                if not as_json:
                    print(f"extra: {entry.directory / path} (no longer rendered)", file=sys.stderr)
        for directory in stale_directories(choice, rendered):
            extra.append(f"{directory}/")
            if not as_json:
                print(f"extra: {directory}/ (no profile renders it any more)", file=sys.stderr)
    stale = bool(changed or missing or extra)
    if as_json:
        print_json({"current": not stale, "changed": changed, "missing": missing, "extra": extra, "errors": []})
    if stale:
        print(
            f"manifests are stale: {len(changed)} changed, {len(missing)} missing, {len(extra)} extra; run `deploykit render all` and commit",
            file=sys.stderr,
        )
        return EXIT_STALE
    return 0
