"""`deploykit render all`: every environment profile, every target, into manifests/<env>/<target>/."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from deploykit import output
from deploykit.commands.manifests import render_everything, stale_directories

if TYPE_CHECKING:
    from deploykit.commands.common import ManifestsChoice

# For tests only: seconds to wait once everything is staged, with the locks held, so that a second run
# provably overlaps this one (tests/workflow/test_filesystem.py). Nothing else sets it.
TEST_DELAY_VARIABLE = "DEPLOYKIT_TEST_DELAY_BEFORE_SWAP"


def run(choice: ManifestsChoice, strict: bool, quiet: bool) -> int:
    """Write every profile's targets to manifests/<env>/<target>/ and remove directories no profile renders any more.

    Everything is rendered in memory first, then every directory is staged, then all are swapped in:
    bad input or a failing write leaves manifests/ as it was. An exclusive lock on manifests/ keeps two
    runs (and `check`) from seeing each other's half-done work.
    """
    # Warnings go to stderr wherever it goes (CI logs must show them), unless --quiet; progress lines
    # are for people: on a terminal only.
    chatty = not quiet and sys.stderr.isatty()
    rendered = render_everything(choice, strict, show_warnings=not quiet)
    plans = [
        output.PlannedDirectory(entry.directory, entry.output.target, entry.output.rendering.files)
        for entry in rendered
    ]
    manifests_dir = choice.manifests_dir
    with output.locked(manifests_dir, create=True, waiting=_say_waiting(manifests_dir, chatty)):
        output.write_directories(plans, before_swap=_test_delay())
        if chatty:
            for entry in rendered:
                print(f"rendered {entry.directory} ({len(entry.output.rendering.files)} files)", file=sys.stderr)
        for directory in stale_directories(choice, rendered):
            # Only directories holding nothing but deploykit's own files; anything else stays (check reports it).
            if output.remove_rendered_directory(directory) and chatty:
                print(f"removed {directory} (no profile renders it any more)", file=sys.stderr)
    return 0


def _say_waiting(manifests_dir: os.PathLike[str], chatty: bool) -> Callable[[], None] | None:
    if not chatty:
        return None
    return lambda: print(f"waiting for another deploykit run to finish with {manifests_dir}", file=sys.stderr)


def _test_delay() -> Callable[[], None] | None:
    seconds = os.environ.get(TEST_DELAY_VARIABLE)
    if not seconds:
        return None
    return lambda: time.sleep(float(seconds))
