"""Writing values into Dockerfile text: the one escaping filter, and the template environment.

A Dockerfile has no single quoting rule: exec-form instructions (CMD, HEALTHCHECK ... CMD) take a JSON
array, while FROM, WORKDIR, COPY, USER and EXPOSE take bare words in which `$` is expanded, white
space splits, a trailing `\\` continues the line and a leading `#` starts a comment. So lists become
JSON (which escapes quotes, backslashes and newlines, and stays on one line), and words are refused
unless they need no quoting at all. The spec's validators keep users' words inside that alphabet, so
a refusal here is a bug in deploykit, never a user error.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

import jinja2

# Characters that mean nothing special to the Dockerfile parser, variable expansion or /bin/sh; a
# leading `-` (an option to the command) or `~` (a home directory to the shell) is refused too.
_PLAIN_WORD = re.compile(r"^[A-Za-z0-9_./:@][A-Za-z0-9_./:@+=~-]*$")


def dockerfile_value(value: object) -> str:
    """`value` as Dockerfile text: a list as an exec-form JSON array, a number or plain word as is."""
    if isinstance(value, (list, tuple)):
        # ensure_ascii: the line holds no raw newline or other character a reader could mistake.
        return json.dumps([str(item) for item in value], ensure_ascii=True)
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"no Dockerfile form for {type(value).__name__} {value!r}")
    text = str(value)
    if not _PLAIN_WORD.match(text):
        raise ValueError(f"{text!r} cannot be written as a plain Dockerfile word")
    return text


@cache
def environment() -> jinja2.Environment:
    """Templates shipped beside this module; every user value goes through the `dockerfile` filter."""
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["dockerfile"] = dockerfile_value
    return env


def _template_source(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
