"""Jinja2 environments for the text formats deploykit writes from templates (Dockerfile, HCL).

Only targets that render text import this (and so jinja2). Each format has its own escaping filters,
which return a marker type; `finalize` refuses any `{{ ... }}` output of another type, so a template
cannot print a user value raw by forgetting the filter.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

import jinja2


def package_environment(package: str, filters: dict[str, Callable[..., str]], escaped: type[str]) -> jinja2.Environment:
    """An environment loading the templates shipped in `package`; every output must be an `escaped`."""

    def only_escaped(value: object) -> object:
        if not isinstance(value, escaped):
            raise TypeError(f"template output {value!r} did not pass through an escaping filter ({', '.join(filters)})")
        return value

    def source(name: str) -> str:
        return resources.files(package).joinpath(name).read_text(encoding="utf-8")

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(source),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=only_escaped,
    )
    env.filters.update(filters)
    return env
