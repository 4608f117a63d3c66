"""`deploykit render TARGET`: print a target's output, or write it to a directory."""

from __future__ import annotations

import sys
from pathlib import Path

from deploykit.commands.common import emit_findings, load_selected_profile, render_target


def run(target: str, profile: Path | None, env: str | None, profiles_dir: Path, output_dir: Path | None, assignments: list[str], strict: bool) -> int:
    """Render one target to stdout, or as files into `output_dir`; warnings go to stderr."""
    loaded = load_selected_profile(profile, env, profiles_dir, assignments)
    result = render_target(loaded, target)
    emit_findings(loaded, [result], strict)
    if output_dir is None:
        sys.stdout.write(result.rendering.stdout)
    else:
        from deploykit import output  # only when writing: stdout renders skip its imports

        output.write_directory(output_dir, result.rendering.files)
    return 0
