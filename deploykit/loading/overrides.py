"""`--set PATH=VALUE`: override one field of a merged profile, typed like the file.

The value is read as YAML under the loader's rules (`--set replicas=6` is a number, `--set image=a:1`
a string, `--set 'prestart=[]'` a list), so validation and its messages are the same as for files.
"""

from __future__ import annotations

import re
from dataclasses import replace

from deploykit.errors import DeployKitError, FieldPath, Location
from deploykit.loading.merge import MergedProfile, forget_positions
from deploykit.loading.yamlfile import load_value

# `a.b`, `prestart[0].name`, `labels[example.com/team]`: brackets for keys that contain dots.
_SEGMENT = re.compile(r"([^.\[\]]+)|\[([^\]]+)\]")
_SHOWN_ARGUMENT = 80


def apply_overrides(source: MergedProfile, assignments: list[str]) -> MergedProfile:
    """`source` with every `PATH=VALUE` in `assignments` applied, in order."""
    data = source.data
    positions = dict(source.positions)
    for assignment in assignments:
        argument = _argument_name(assignment)
        field, separator, text = assignment.partition("=")
        if not separator or not field:
            raise DeployKitError("expected PATH=VALUE, e.g. --set replicas=6", Location(argument, 1, 1))
        path = _parse_path(field, argument)
        value, value_positions = load_value(text, argument, path, column_offset=len("--set ") + len(field) + 1)
        is_new_field = path not in positions
        _assign(data, path, value, argument)
        forget_positions(positions, path)
        positions.update(value_positions)
        # A field the profile did not have may be unknown: that error points at the path, not the value.
        for depth in range(1, len(path) + 1 if is_new_field else len(path)):
            if depth == len(path) or path[:depth] not in positions:
                positions[path[:depth]] = Location(argument, 1, len("--set ") + 1)
    return replace(source, data=data, positions=positions)


def _argument_name(assignment: str) -> str:
    """`--set ASSIGNMENT` as errors name it, in place of a file name: a long value is cut short.

    Columns still count in the whole argument; a 5,000-digit value is not worth repeating in full.
    """
    shown = assignment if len(assignment) <= _SHOWN_ARGUMENT else assignment[: _SHOWN_ARGUMENT - 3] + "..."
    return f"--set {shown}"


def _parse_path(field: str, argument: str) -> FieldPath:
    path: list[str | int] = []
    position = 0
    while position < len(field):
        match = _SEGMENT.match(field, position)
        if match is None:
            raise DeployKitError(
                f"cannot read the field path {field!r} (use a.b.c, list[0], map[key.with.dots])",
                Location(argument, 1, 7 + position),
            )
        name, bracketed = match.groups()
        segment = name if name is not None else bracketed
        path.append(int(segment) if bracketed is not None and segment.isdigit() else segment)
        position = match.end()
        if position < len(field) and field[position] == ".":
            position += 1
            if position == len(field):
                raise DeployKitError(f"the field path {field!r} ends with '.'", Location(argument, 1, 7 + position))
    return tuple(path)


def _assign(data: dict, path: FieldPath, value: object, argument: str) -> None:
    container: object = data
    for depth, part in enumerate(path[:-1]):
        container = _step(container, part, path[: depth + 1], argument)
    last = path[-1]
    if isinstance(container, list):
        if not isinstance(last, int) or not 0 <= last < len(container):
            raise DeployKitError(f"no list item {last!r} to set", Location(argument, 1, 7), path)
        container[last] = value
    elif isinstance(container, dict):
        if value is None:
            container.pop(str(last), None)
        else:
            container[str(last)] = value
    else:
        raise DeployKitError("cannot set a field inside a plain value", Location(argument, 1, 7), path)


def _step(container: object, part: str | int, path: FieldPath, argument: str) -> object:
    """The child at `part`, creating missing mappings on the way."""
    if isinstance(container, dict):
        key = str(part)
        if key not in container or container[key] is None:
            container[key] = {}
        return container[key]
    if isinstance(container, list) and isinstance(part, int) and 0 <= part < len(container):
        return container[part]
    raise DeployKitError(f"cannot follow {part!r} here", Location(argument, 1, 7), path)
