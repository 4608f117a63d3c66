"""`deploykit explain`: the six deployment concepts, per target, from each target's summary."""

from __future__ import annotations

import json
import sys

from deploykit import pipeline
from deploykit.commands.common import ProfileChoice
from deploykit.errors import DeployKitError
from deploykit.explain import CONCEPT_TITLES, CONCEPTS, EXPLAINERS, explain


def run(choice: ProfileChoice, output_format: str) -> int:
    """Print, per concept, what each target's rendered output does, as text or JSON."""
    if output_format not in ("text", "json"):
        raise DeployKitError(f"unknown format {output_format!r}; expected text or json")
    loaded = choice.load()
    answers: dict[str, dict[str, str]] = {}
    for target in (name for name in EXPLAINERS if name in loaded.profile.target_names):
        summary = pipeline.render(loaded, target).rendering.summary
        assert summary is not None, f"{target} renders a deployment, so it returns a summary"
        answers[target] = explain(summary)
    by_concept = {concept: {target: answers[target][concept] for target in answers} for concept in CONCEPTS}
    if output_format == "json":
        document = {"app": loaded.profile.app, "environment": loaded.profile.environment, "concepts": by_concept}
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return 0
    width = max(len(target) for target in answers)
    heading = loaded.profile.app + (f" ({loaded.profile.environment})" if loaded.profile.environment else "")
    lines = [heading]
    for concept in CONCEPTS:
        lines.append(f"\n{CONCEPT_TITLES[concept]}:")
        lines += [f"  {target.ljust(width)}  {sentence}" for target, sentence in by_concept[concept].items()]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
