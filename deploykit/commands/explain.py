"""`deploykit explain`: the six deployment concepts, per target, from the rendered output."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from deploykit.commands.common import load_selected_profile, render_target
from deploykit.errors import DeployKitError
from deploykit.explain import CONCEPT_TITLES, CONCEPTS, EXPLAINERS, explain
from deploykit.targets import TARGETS


def run(profile: Path | None, env: str | None, profiles_dir: Path, assignments: list[str], output_format: str) -> int:
    """Print, per concept, what each target's rendered output does, as text or JSON."""
    if output_format not in ("text", "json"):
        raise DeployKitError(f"unknown format {output_format!r}; expected text or json")
    loaded = load_selected_profile(profile, env, profiles_dir, assignments)
    targets = [target for target in EXPLAINERS if target in TARGETS]
    answers = {target: explain(target, render_target(loaded, target).rendering.model) for target in targets}
    by_concept = {concept: {target: answers[target][concept] for target in targets} for concept in CONCEPTS}
    if output_format == "json":
        document = {"app": loaded.profile.app, "environment": loaded.profile.environment, "concepts": by_concept}
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return 0
    width = max(len(target) for target in targets)
    heading = loaded.profile.app + (f" ({loaded.profile.environment})" if loaded.profile.environment else "")
    lines = [heading]
    for concept in CONCEPTS:
        lines.append(f"\n{CONCEPT_TITLES[concept]}:")
        lines += [f"  {target.ljust(width)}  {sentence}" for target, sentence in by_concept[concept].items()]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
