"""Unit files as text: sections of `Key=value` lines, every value written the way Quadlet and systemd read it.

Quadlet splits some keys into words as systemd splits a command line (`Exec=`, `Environment=`,
`PodmanArgs=`, `Label=`...), unquoting and C-unescaping each, and copies the words into the service's
`ExecStart=`, where systemd expands `%` specifiers and `$VARIABLES` before running podman. So every
word that is not plain is double-quoted with C escapes, every `%` is written `%%` and every `$` `$$`:
the container receives exactly the profile's text. `quadlet -dryrun` in the tests shows the words
arriving intact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Characters a word may hold unquoted: nothing systemd or Quadlet would read specially.
_PLAIN = re.compile(r"^[A-Za-z0-9_@+=:,./-]+$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def specifiers(text: str) -> str:
    """`text` with systemd's specifier and variable characters kept literal (`%` -> `%%`, `$` -> `$$`)."""
    return text.replace("%", "%%").replace("$", "$$")


def word(text: str) -> str:
    """One word of a word-split key: as is when plain, else double-quoted with C escapes."""
    if _PLAIN.fullmatch(text):
        return text
    quoted = "".join(_ESCAPES.get(char, f"\\x{ord(char):02x}" if ord(char) < 0x20 else char) for char in text)
    return f'"{specifiers(quoted)}"'


def words(items: list[str] | tuple[str, ...]) -> str:
    """A word-split key's value: each item one word."""
    return " ".join(word(item) for item in items)


@dataclass
class Unit:
    """One unit file: sections in order, each a list of (key, value) lines (keys may repeat)."""

    comment: str
    sections: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def add(self, section: str, key: str, value: str) -> None:
        """Append `key=value` to `section` (created in call order). Values must be single lines."""
        assert "\n" not in value and not value.endswith("\\"), f"{key}= must be one line: {value!r}"
        self.sections.setdefault(section, []).append((key, value))

    def text(self) -> str:
        """The file's text: a comment, then each section."""
        lines = [f"# {line}" if line else "#" for line in self.comment.splitlines()]
        for name, entries in self.sections.items():
            lines += ["", f"[{name}]", *(f"{key}={value}" for key, value in entries)]
        return "\n".join(lines) + "\n"
