"""`deploykit validate`: check a profile, and that every target can render it, without writing anything."""

from __future__ import annotations

import sys

from deploykit import pipeline
from deploykit.commands.common import ProfileChoice, show_findings
from deploykit.targets import TARGETS


def run(choice: ProfileChoice, strict: bool) -> int:
    """Render every target in memory, writing nothing: a profile is valid only if all targets accept it."""
    loaded = choice.load()
    outputs = [pipeline.render(loaded, target) for target in TARGETS]
    show_findings(loaded, outputs, strict)
    print(f"{loaded.source.file}: valid ({', '.join(TARGETS)})", file=sys.stderr)
    return 0
