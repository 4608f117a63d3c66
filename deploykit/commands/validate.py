"""`deploykit validate`: check a profile, and that every target can render it, without writing anything."""

from __future__ import annotations

import sys
from pathlib import Path

from deploykit.commands.common import emit_findings, load_selected_profile, render_target
from deploykit.targets import TARGETS


def run(profile: Path | None, env: str | None, profiles_dir: Path, assignments: list[str], strict: bool) -> int:
    """Render every target in memory, writing nothing: a profile is valid only if all targets accept it."""
    loaded = load_selected_profile(profile, env, profiles_dir, assignments)
    outputs = [render_target(loaded, target) for target in TARGETS]
    emit_findings(loaded, outputs, strict)
    print(f"{loaded.source.file}: valid ({', '.join(TARGETS)})", file=sys.stderr)
    return 0
