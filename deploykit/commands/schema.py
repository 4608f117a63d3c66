"""`deploykit schema`: the JSON Schema of the profile format, for editors and CI."""

from __future__ import annotations

import json
import sys

from deploykit.errors import DeployKitError


def run(output_format: str) -> int:
    """Print the profile format as JSON Schema, as the Markdown field reference, or its warning codes (Markdown)."""
    if output_format == "json":
        from deploykit.spec.schema import profile_schema

        sys.stdout.write(json.dumps(profile_schema(), indent=2, sort_keys=True) + "\n")
    elif output_format == "markdown":
        from deploykit.spec.reference import reference_markdown

        sys.stdout.write(reference_markdown())
    elif output_format == "warnings":
        from deploykit.warnings_reference import warnings_markdown

        sys.stdout.write(warnings_markdown())
    else:
        raise DeployKitError(f"unknown format {output_format!r}; expected json, markdown or warnings")
    return 0
