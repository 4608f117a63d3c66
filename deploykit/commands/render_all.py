"""`deploykit render all`: every environment profile, every target, into manifests/<env>/<target>/."""

from __future__ import annotations

import sys

from deploykit import output
from deploykit.commands.common import ManifestsChoice
from deploykit.commands.manifests import render_everything, stale_directories


def run(choice: ManifestsChoice, strict: bool, quiet: bool) -> int:
    """Write every profile's targets to manifests/<env>/<target>/ and remove directories no profile renders any more."""
    # Warnings go to stderr wherever it goes (CI logs must show them), unless --quiet; progress lines
    # are for people: on a terminal only.
    chatty = not quiet and sys.stderr.isatty()
    rendered = render_everything(choice, strict, show_warnings=not quiet)
    # Every target was rendered before the first write: bad input leaves manifests/ untouched.
    for entry in rendered:
        output.check_writable(entry.directory)
    for entry in rendered:
        output.write_directory(entry.directory, entry.output.rendering.files)
        if chatty:
            print(f"rendered {entry.directory} ({len(entry.output.rendering.files)} files)", file=sys.stderr)
    for directory in stale_directories(choice, rendered):
        # Only directories holding nothing but deploykit's own files; anything else stays (check reports it).
        if output.remove_rendered_directory(directory) and chatty:
            print(f"removed {directory} (no profile renders it any more)", file=sys.stderr)
    return 0
