"""The one escaping rule for user text in a compose file."""

from __future__ import annotations


def literal(text: str) -> str:
    """Escape `text` so Compose's interpolation leaves it exactly as written.

    Compose expands `$NAME` and `${NAME...}` from the shell and `.env` in every string value of the
    file, and turns `$$` into `$`. Doubling every `$` therefore makes the container see the profile's
    text: `pa$word` would otherwise become `pa` plus the value of a variable `word`, or empty.
    """
    return text.replace("$", "$$")
