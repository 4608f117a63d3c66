"""Everyday `render`, `check`, `validate` and `explain` command lines, read from their typer declarations.

Pipelines run `deploykit render TARGET --env ENV` and `deploykit check` on every commit and every sync.
typer converts a command's parameters for Click before it parses anything, and since typer 0.29 it
builds a pydantic TypeAdapter for each, which imports pydantic: more than a whole render of a profile
the compiled schema accepts (spec/compiled.py). So for these commands `call` reads the argument list
with the parameters as cli.py declares them (names, flags, repeatable options, path kinds) and calls
the command's function with them, as typer would call it.

Nothing here declares an option: everything is derived from cli.py, and anything this reader is not
certain to read as typer would (help, a combined short flag, an unknown or misspelt option, a value
that looks like an option, a path Click would refuse, a declaration using a feature not handled here)
is left to typer, which owns every message. tests/cli/test_direct_calls.py holds the two to the same
exit codes, output and files.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.models import ArgumentInfo, OptionInfo
from typer.utils import get_params_from_function

# The commands read here: those pipelines run on every commit, and those a person runs to see a profile.
COMMANDS = ("render", "check", "validate", "explain")
# Declaration attributes this reader understands; any other one set on a parameter of a command (a
# callback, an environment variable, a prompt, a range...) leaves that command to typer. Completion
# (`autocompletion`, `shell_complete`) only answers the shell's completion requests, which typer serves:
# it does not change how a command line is read.
_UNDERSTOOD = frozenset(
    {
        "param_decls",
        "help",
        "metavar",
        "file_okay",
        "dir_okay",
        "default",
        "show_default",
        "autocompletion",
        "shell_complete",
    }
)


@dataclass(frozen=True)
class Parameter:
    """One parameter of a command's function, as its typer declaration reads on the command line."""

    name: str
    names: tuple[str, ...]  # option names (`--env`, `-e`); empty for an argument
    flag: bool  # a bool option: given or not
    repeatable: bool  # a list option
    path: str | None  # a Path: "file" or "dir" when Click refuses the other kind of existing path, else "any"
    default: Any


def call(callbacks: dict[str, Callable[..., Any]], args: Sequence[str]) -> Callable[[], Any] | None:
    """The call of the command `args` names, with its arguments read, when certain; else None (typer reads them)."""
    if not args or args[0] not in COMMANDS or args[0] not in callbacks:
        return None
    function = callbacks[args[0]]
    parameters = parameters_of(function)
    if parameters is None:
        return None
    values = _read(list(args[1:]), parameters)
    if values is None:
        return None
    return lambda: function(**values)


def parameters_of(function: Callable[..., Any]) -> list[Parameter] | None:
    """The declared parameters of a command function, as typer itself reads the declarations, or None
    when one uses a feature not read here."""
    parameters = []
    for name, meta in get_params_from_function(function).items():
        declaration = meta.default
        if not isinstance(declaration, (OptionInfo, ArgumentInfo)):
            return None  # typer's Context, or an undeclared parameter
        blank = type(declaration)()
        if any(value != getattr(blank, key) for key, value in vars(declaration).items() if key not in _UNDERSTOOD):
            return None
        kinds = {meta.annotation, *typing.get_args(meta.annotation)} - {type(None)}
        path = None
        if Path in kinds:
            path = "dir" if not declaration.file_okay else "file" if not declaration.dir_okay else "any"
        names = tuple(declaration.param_decls or ()) if isinstance(declaration, OptionInfo) else ()
        if isinstance(declaration, OptionInfo) and not names:
            return None  # typer would derive the name from the parameter's; not worth imitating
        repeatable = any(typing.get_origin(kind) is list for kind in kinds)
        parameters.append(Parameter(name, names, bool in kinds, repeatable, path, declaration.default))
    return parameters


def _read(args: list[str], parameters: list[Parameter]) -> dict[str, Any] | None:
    by_name = {option: parameter for parameter in parameters for option in parameter.names}
    positional = [parameter for parameter in parameters if not parameter.names]
    values: dict[str, Any] = {}
    given: list[str] = []
    index = 0
    while index < len(args):
        token = args[index]
        index += 1
        if token == "-":
            return None
        if not token.startswith("-"):
            given.append(token)
            continue
        name, has_value, value = token.partition("=")
        parameter = by_name.get(name)
        if parameter is None:
            return None  # --help, -h, --, combined short flags, unknown or misspelt options: typer explains
        if parameter.flag:
            if has_value:
                return None
            values[parameter.name] = True
            continue
        if not has_value:
            if index >= len(args):
                return None
            value = args[index]
            index += 1
        if not value or value.startswith("-") or not _path_accepted(parameter, value):
            return None
        if parameter.repeatable:
            values.setdefault(parameter.name, []).append(value)
        elif parameter.name in values:
            return None  # given twice: typer keeps the last one; not worth imitating
        else:
            values[parameter.name] = Path(value) if parameter.path is not None else value
    if len(given) != len(positional):
        return None
    for parameter, value in zip(positional, given, strict=True):
        if not _path_accepted(parameter, value):
            return None
        values[parameter.name] = Path(value) if parameter.path is not None else value
    for parameter in parameters:
        if parameter.name not in values:
            if parameter.default is Ellipsis:  # required, and missing: typer says so
                return None
            values[parameter.name] = parameter.default
    return values


def _path_accepted(parameter: Parameter, value: str) -> bool:
    """Whether click.Path would accept `value`: it refuses an existing directory for a file option and vice versa."""
    if parameter.path == "file":
        return not os.path.isdir(value)
    if parameter.path == "dir":
        return not os.path.isfile(value)
    return True
