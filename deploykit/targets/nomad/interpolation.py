"""Nomad's run-time interpolation, which no escaping can turn off.

After parsing the job, Nomad replaces `${name}` in task config, env values and service tags with the
node attribute, meta value or environment variable of that name (`helper/args/args.go` in Nomad:
the pattern below, no escape syntax). HCL's `$${` only survives the parser, so a `${name}` in a
profile value would still reach the task as whatever Nomad finds under that name. deploykit refuses
such values; any other `${`, `%{` or `$` is written so the task sees it literally.

HashiCorp's HCL parser also normalizes every string it reads to Unicode NFC, `\\uNNNN` escapes included
(tests/nomad show it with the parser itself: U+F900 arrives as U+8C48, `e` + U+0301 as `é`), so text
that is not in NFC cannot reach the task as written either, and is refused the same way.
"""

from __future__ import annotations

import re
import unicodedata

# Nomad's own pattern (helper/args/args.go, envRe).
RUNTIME_REFERENCE = re.compile(r"\$\{[a-zA-Z0-9_\-.]+\}")


def runtime_reference_problem(text: str) -> str | None:
    """Why Nomad would change `text` before the task sees it, or None when it reaches the task as written."""
    if not unicodedata.is_normalized("NFC", text):
        where = f" (U+{ord(culprit):04X})" if (culprit := _first_changed(text)) is not None else ""
        return (
            f"Nomad's HCL parser normalizes text to Unicode NFC, which would change this value{where}; "
            "write it in NFC (composed characters)"
        )
    found = RUNTIME_REFERENCE.search(text)
    if found is None:
        return None
    reference = found.group(0)
    return (
        f"{reference} would be replaced by Nomad when the task starts (Nomad interpolates ${{name}} in task "
        f"config and env, and has no escape for it); write ${reference[2:-1]} for a shell, or remove it"
    )


def _first_changed(text: str) -> str | None:
    """The first character NFC changes, alone or with the one before it (a compatibility character, an
    accent that composes with its letter); None where only a longer sequence changes."""
    for index, char in enumerate(text):
        if not unicodedata.is_normalized("NFC", text[max(index - 1, 0) : index + 1]):
            return char
    return None
