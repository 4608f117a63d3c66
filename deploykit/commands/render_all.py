"""`deploykit render all`: every environment profile, every target, into manifests/<env>/<target>/."""

from __future__ import annotations

import sys
from pathlib import Path

from deploykit import output
from deploykit.commands.manifests import render_everything, stale_directories


def run(profiles_dir: Path, manifests_dir: Path, environments: list[str], targets: list[str], assignments: list[str], strict: bool, quiet: bool) -> int:
    # Progress is for people: on a terminal only, and never with --quiet (pipelines want errors only).
    """Write every profile's targets to manifests/<env>/<target>/ and remove directories no profile renders any more."""
    chatty = not quiet and sys.stderr.isatty()
    rendered = render_everything(profiles_dir, manifests_dir, environments, targets, assignments, strict, show_warnings=chatty)
    # Every target was rendered before the first write: bad input leaves manifests/ untouched.
    for entry in rendered:
        output.check_writable(entry.directory)
    for entry in rendered:
        output.write_directory(entry.directory, entry.output.rendering.files)
        if chatty:
            print(f"rendered {entry.directory} ({len(entry.output.rendering.files)} files)", file=sys.stderr)
    for directory in stale_directories(manifests_dir, rendered, environments, targets):
        # Only directories holding nothing but deploykit's own files; anything else stays (check reports it).
        if output.remove_rendered_directory(directory) and chatty:
            print(f"removed {directory} (no profile renders it any more)", file=sys.stderr)
    return 0
