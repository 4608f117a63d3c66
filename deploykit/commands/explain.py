"""`deploykit explain`: the six deployment concepts, per target, from each target's summary."""

from __future__ import annotations

import sys

from deploykit.commands.common import ProfileChoice, check_output_format, error_records, print_json
from deploykit.errors import DeployKitError


def run(choice: ProfileChoice, output_format: str) -> int:
    """Print, per concept, what each target's rendered output does, as text or JSON.

    With json, a refused profile still gives a document on stdout: `{"errors": [...]}`.
    """
    check_output_format(output_format)
    from deploykit import pipeline
    from deploykit.explain import CONCEPT_TITLES, CONCEPTS, EXPLAINERS, explain

    try:
        loaded = choice.load()
        outputs = pipeline.render_targets(loaded, [name for name in EXPLAINERS if name in loaded.profile.target_names])
    except DeployKitError as exc:
        if output_format == "json":
            print_json({"errors": error_records(exc)})
        raise
    answers: dict[str, dict[str, str]] = {}
    for output in outputs:
        summary = output.rendering.summary
        assert summary is not None, f"{output.target} renders a deployment, so it returns a summary"
        answers[output.target] = explain(summary)
    by_concept = {concept: {target: answers[target][concept] for target in answers} for concept in CONCEPTS}
    if output_format == "json":
        print_json({"app": loaded.profile.app, "environment": loaded.profile.environment, "concepts": by_concept})
        return 0
    width = max(len(target) for target in answers)
    heading = loaded.profile.app + (f" ({loaded.profile.environment})" if loaded.profile.environment else "")
    lines = [heading]
    for concept in CONCEPTS:
        lines.append(f"\n{CONCEPT_TITLES[concept]}:")
        lines += [f"  {target.ljust(width)}  {sentence}" for target, sentence in by_concept[concept].items()]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
