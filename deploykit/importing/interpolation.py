"""Compose's variables, for the fallback reader: `${VAR}` interpolation and `.env` / `env_file` files.

The rules are the Compose specification's (12-interpolation.md; "Env_file format" in 05-services.md):
`$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`,
`${VAR:+replacement}`, `${VAR+replacement}`, nested defaults, and `$$` for a literal `$`. An unset
variable without a default becomes the empty string with the same warning the Compose CLI prints.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from deploykit.importing.problems import ComposeProblem

_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
# The operators a braced expression may use after the name, longest first.
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")


class Variables:
    """The values `${...}` reads, and the warnings about unset ones (each variable once, in order)."""

    def __init__(self, values: Mapping[str, str]):
        self.values = dict(values)
        self.warnings: list[str] = []

    def unset(self, name: str) -> str:
        """The empty string for an unset variable, with Compose's warning."""
        warning = f'The "{name}" variable is not set. Defaulting to a blank string.'
        if warning not in self.warnings:
            self.warnings.append(warning)
        return ""

    def substitute(self, text: str, path: tuple[str | int, ...]) -> str:
        """`text` with every variable replaced; a required variable without a value is a ComposeProblem at `path`."""
        return _substitute(text, self.values.get, self.unset, path)


def _substitute(
    text: str,
    lookup: Callable[[str], str | None],
    unset: Callable[[str], str],
    path: tuple[str | int, ...],
) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        dollar = text.find("$", index)
        if dollar < 0:
            out.append(text[index:])
            break
        out.append(text[index:dollar])
        following = text[dollar + 1 : dollar + 2]
        if following == "$":
            out.append("$")
            index = dollar + 2
        elif following == "{":
            end = _closing_brace(text, dollar + 2)
            if end is None:
                raise _invalid(text[dollar:], path)
            out.append(_braced(text[dollar + 2 : end], text[dollar : end + 1], lookup, unset, path))
            index = end + 1
        elif match := _NAME.match(text, dollar + 1):
            value = lookup(match.group())
            out.append(value if value is not None else unset(match.group()))
            index = match.end()
        else:
            out.append("$")  # "$" before anything else is kept as it is
            index = dollar + 1
    return "".join(out)


def _closing_brace(text: str, start: int) -> int | None:
    depth = 1
    index = start
    while index < len(text):
        if text.startswith("${", index):
            depth += 1
            index += 2
            continue
        if text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return None


def _braced(
    inner: str,
    whole: str,
    lookup: Callable[[str], str | None],
    unset: Callable[[str], str],
    path: tuple[str | int, ...],
) -> str:
    match = _NAME.match(inner)
    if match is None:
        raise _invalid(whole, path)
    name, rest = match.group(), inner[match.end() :]
    value = lookup(name)
    if rest == "":
        return value if value is not None else unset(name)
    operator = next((operator for operator in _OPERATORS if rest.startswith(operator)), None)
    if operator is None:
        raise _invalid(whole, path)
    argument = rest[len(operator) :]
    # With a colon, an empty value counts as unset (as in POSIX shells).
    missing = value is None or (operator.startswith(":") and value == "")
    if operator.endswith("-"):
        return _substitute(argument, lookup, unset, path) if missing else str(value)
    if operator.endswith("+"):
        return "" if missing else _substitute(argument, lookup, unset, path)
    if missing:
        message = _substitute(argument, lookup, unset, path)
        raise ComposeProblem(f"error while interpolating: required variable {name} is missing a value: {message}", path)
    return str(value)


def _invalid(expression: str, path: tuple[str | int, ...]) -> ComposeProblem:
    return ComposeProblem(
        f"invalid interpolation format {expression!r}: you may need to escape any $ with another $", path
    )


# `export NAME=...` is accepted, as in the Compose CLI's dotenv reader.
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([^=\s#]+)\s*(=?)(.*)$", re.DOTALL)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"'}


def parse_env_file(
    text: str, variables: Variables, path: tuple[str | int, ...], interpolate: bool = True
) -> dict[str, str | None]:
    """The variables of a `.env` or `env_file` file: `NAME=value` lines, comments, quotes as Compose reads them.

    Unquoted and double-quoted values are interpolated, from the file's earlier variables first and
    then `variables`; single-quoted ones are literal. `NAME` alone is unset (None). With `interpolate`
    False (`format: raw`), every value is taken as written.
    """
    result: dict[str, str | None] = {}

    def lookup(name: str) -> str | None:
        value = result.get(name)
        return value if value is not None else variables.values.get(name)

    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if match is None:
            raise ComposeProblem(f"line {index}: unexpected character in {line!r}", path)
        name, equals, rest = match.groups()
        if not equals:
            result[name] = None
            continue
        if not interpolate:
            result[name] = rest
            continue
        rest = rest.lstrip()
        if rest[:1] in ("'", '"'):
            quote = rest[0]
            # A quoted value may span lines, up to the closing quote that is not escaped.
            while _closing_quote(rest, quote) is None and index < len(lines):
                rest += "\n" + lines[index]
                index += 1
            end = _closing_quote(rest, quote)
            if end is None:
                raise ComposeProblem(f"line {index}: {name}: the {quote} quote is never closed", path)
            body = rest[1:end]
            if quote == "'":
                result[name] = body.replace("\\'", "'")
            else:
                unescaped = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body)
                result[name] = _substitute(unescaped, lookup, variables.unset, path)
            continue
        # An unquoted value's comment must follow a space: `VAL# not a comment` keeps the `#`.
        value = re.split(r"\s+#", rest, maxsplit=1)[0].rstrip()
        result[name] = _substitute(value, lookup, variables.unset, path)
    return result


def _closing_quote(text: str, quote: str) -> int | None:
    index = 1
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == quote:
            return index
        index += 1
    return None
