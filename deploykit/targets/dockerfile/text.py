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

import jinja2

from deploykit.templating import package_environment

# Characters that mean nothing special to the Dockerfile parser, variable expansion or /bin/sh; a
# leading `-` (an option to the command) or `~` (a home directory to the shell) is refused too.
_PLAIN_WORD = re.compile(r"^[A-Za-z0-9_./:@][A-Za-z0-9_./:@+=~-]*$")


class DockerfileText(str):
    """Text that went through `dockerfile_value`, fit to stand where the template puts it."""


def dockerfile_value(value: object) -> DockerfileText:
    """`value` as Dockerfile text: a list as an exec-form JSON array, a number or plain word as is."""
    if isinstance(value, (list, tuple)):
        # ensure_ascii: the line holds no raw newline or other character a reader could mistake.
        return DockerfileText(json.dumps([str(item) for item in value], ensure_ascii=True))
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"no Dockerfile form for {type(value).__name__} {value!r}")
    text = str(value)
    if not _PLAIN_WORD.fullmatch(text):  # not match: `$` would let a trailing newline through
        raise ValueError(f"{text!r} cannot be written as a plain Dockerfile word")
    return DockerfileText(text)


@cache
def environment() -> jinja2.Environment:
    """The templates shipped beside this module; every value goes through the `dockerfile` filter."""
    return package_environment(__package__, {"dockerfile": dockerfile_value}, DockerfileText)
