"""`deploykit validate`: check a profile, and that every target can render it, without writing anything."""

from __future__ import annotations

import sys

from deploykit import pipeline
from deploykit.commands.common import ProfileChoice, show_findings


def run(choice: ProfileChoice, strict: bool) -> int:
    """Render every target the profile lists in memory, writing nothing: a profile is valid only if they all accept it."""
    loaded = choice.load()
    targets = loaded.profile.target_names
    outputs = [pipeline.render(loaded, target) for target in targets]
    show_findings(loaded, outputs, strict)
    print(f"{loaded.source.file}: valid ({', '.join(targets)})", file=sys.stderr)
    return 0
