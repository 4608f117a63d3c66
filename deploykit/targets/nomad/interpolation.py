"""Nomad's run-time interpolation, which no escaping can turn off.

After parsing the job, Nomad replaces `${name}` in task config, env values and service tags with the
node attribute, meta value or environment variable of that name (`helper/args/args.go` in Nomad:
the pattern below, no escape syntax). HCL's `$${` only survives the parser, so a `${name}` in a
profile value would still reach the task as whatever Nomad finds under that name. deploykit refuses
such values; any other `${`, `%{` or `$` is written so the task sees it literally.
"""

from __future__ import annotations

import re

# Nomad's own pattern (helper/args/args.go, envRe).
RUNTIME_REFERENCE = re.compile(r"\$\{[a-zA-Z0-9_\-.]+\}")


def runtime_reference_problem(text: str) -> str | None:
    """Why Nomad would change `text` when the task starts, or None when it reaches the task as written."""
    found = RUNTIME_REFERENCE.search(text)
    if found is None:
        return None
    reference = found.group(0)
    return (
        f"{reference} would be replaced by Nomad when the task starts (Nomad interpolates ${{name}} in task "
        f"config and env, and has no escape for it); write ${reference[2:-1]} for a shell, or remove it"
    )
