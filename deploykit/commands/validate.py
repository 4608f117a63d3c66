"""`deploykit validate`: check a profile, and that every target can render it, without writing anything."""

from __future__ import annotations

import sys

from deploykit.commands.common import (
    ProfileChoice,
    check_output_format,
    error_records,
    print_json,
    show_findings,
    warning_lines,
    warning_records,
)
from deploykit.errors import DeployKitError


def run(choice: ProfileChoice, strict: bool, output_format: str = "text") -> int:
    """Render every target the profile lists in memory, writing nothing: a profile is valid only if they all accept it.

    Every problem is reported in one run. With `output_format` json, stdout holds one document
    (`profile`, `valid`, `targets`, `errors`, `warnings`) whatever the outcome; the exit code is the same.
    """
    from deploykit import pipeline

    check_output_format(output_format)
    if output_format == "text":
        loaded = choice.load()
        targets = list(loaded.profile.target_names)
        outputs = pipeline.render_targets(loaded, targets)
        show_findings(loaded, outputs, strict)
        print(f"{loaded.source.file}: valid ({', '.join(targets)})", file=sys.stderr)
        return 0
    document: dict[str, object] = {"profile": None, "valid": False, "targets": [], "errors": [], "warnings": []}
    try:
        document["profile"] = str(choice.path())
        loaded = choice.load()
        document["profile"] = loaded.source.file
        document["targets"] = targets = list(loaded.profile.target_names)
        outputs = pipeline.render_targets(loaded, targets)
        document["warnings"] = warning_records(loaded, outputs)
        if strict and warning_lines(loaded, outputs):
            raise DeployKitError(f"{len(document['warnings'])} warning(s) and --strict is set")  # type: ignore[arg-type]
    except DeployKitError as exc:
        document["errors"] = error_records(exc)
        print_json(document)
        raise
    document["valid"] = True
    print_json(document)
    return 0
