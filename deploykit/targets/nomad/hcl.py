"""Writing values into HCL text: the one escaping filter, and the template environment.

Every value reaches the job file as an HCL quoted string (or a number, a boolean, or a list of
those), built here. Inside quotes HCL gives meaning to `\\`, `"` and line breaks, and reads `${` and
`%{` as the start of an interpolation or a directive; `$${` and `%%{` are their literal forms. So
`hcl_value` escapes all of them (and every other control character as `\\uNNNN`), and what Nomad
parses is exactly the profile's text. Values are never placed in heredocs, whose end marker a value
could contain.

The template environment (deploykit.templating) refuses any `{{ ... }}` output that is not an `Hcl`,
so a template that forgets the filter fails on every render instead of writing a raw value.
"""

from __future__ import annotations

import re
from functools import cache

import jinja2

from deploykit.templating import package_environment

# HCL identifiers: what may stand unquoted as an attribute name (env names are a subset of these).
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_SHORT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Escaped characters, and the two-character openers of HCL templates.
_SPECIAL = re.compile(r'[\\"\x00-\x1f\x7f-\x9f\u2028\u2029]|\$\{|%\{')


class Hcl(str):
    """Text that is already valid HCL syntax (marks filter output for the `finalize` check)."""


def _escape(match: re.Match[str]) -> str:
    found = match.group(0)
    if found in ("${", "%{"):
        return found[0] + found  # `$${` and `%%{`: HCL's literal forms
    return _SHORT_ESCAPES.get(found) or f"\\u{ord(found):04x}"


def quote(text: str) -> str:
    """`text` as an HCL quoted string whose parsed value is exactly `text`."""
    return '"' + _SPECIAL.sub(_escape, text) + '"'


def hcl_value(value: object) -> Hcl:
    """A string, number, boolean or list of those as HCL expression text."""
    if isinstance(value, bool):
        return Hcl("true" if value else "false")
    if isinstance(value, int):
        return Hcl(str(value))
    if isinstance(value, str):
        return Hcl(quote(value))
    if isinstance(value, (list, tuple)):
        return Hcl("[" + ", ".join(hcl_value(item) for item in value) + "]")
    raise TypeError(f"no HCL form for {type(value).__name__} {value!r}")


def hcl_identifier(name: str) -> Hcl:
    """An attribute or block name written unquoted; the spec's validators keep names in this alphabet."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"{name!r} is not an HCL identifier")
    return Hcl(name)


@cache
def environment() -> jinja2.Environment:
    """Templates shipped beside this module; every value goes through `hcl` or `identifier`."""
    return package_environment(__package__, {"hcl": hcl_value, "identifier": hcl_identifier}, Hcl)
