"""From merged profile data to a validated `Profile`, with every error pointing at its file, line and column."""

from __future__ import annotations

import functools
import typing
from dataclasses import dataclass
from typing import Any

from deploykit.errors import DeployKitError, FieldPath, Problem, combined
from deploykit.spec import checks, compiled

if typing.TYPE_CHECKING:
    from pydantic import ValidationError

    from deploykit.loading.merge import MergedProfile
    from deploykit.spec.model import Profile

# Pydantic's number bounds, as the words of a message: the `ctx` key holding the limit, and its wording.
_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "less_than_equal": ("le", "at most"),
    "greater_than": ("gt", "more than"),
    "less_than": ("lt", "less than"),
}
_TYPE_NAMES = {
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "list",
    dict: "mapping",
    type(None): "null",
}


@dataclass(frozen=True)
class LoadedProfile:
    """A validated profile and the merged source it came from (for locating later errors)."""

    profile: Profile
    source: MergedProfile

    def error(self, problem: Problem) -> DeployKitError:
        """`problem` as a DeployKitError located in the file that set its field.

        A field that is written is pointed at; an unwritten one at the field that requires it
        (`because_of`), else at its nearest written ancestor.
        """
        location = self.source.positions.get(problem.path)
        if location is None and problem.because_of is not None:
            location = self.source.location_of(problem.because_of)
        if location is None:
            location = self.source.location_of(problem.path)
        return DeployKitError(problem.message, location, problem.path)


def validate(source: MergedProfile) -> LoadedProfile:
    """Validate merged profile data (after `--set` overrides, if any): field types, then cross-field rules.

    Every problem found is reported at once (DeployKitErrors): all field errors, or, when every field is
    valid, every cross-field rule the profile breaks.
    """
    profile = compiled.validate(source.data)
    if profile is None:
        profile = _validate_with_models(source)
        compiled.build_if_missing()  # only once the models accepted it: a profile in error stays quick
    loaded = LoadedProfile(profile, source)
    broken = [loaded.error(problem) for problem in checks.problems(profile)]
    if broken:
        raise combined(broken)
    return loaded


def _validate_with_models(source: MergedProfile) -> Profile:
    """The spec models' verdict, with every field error located: for what the compiled schema refuses
    (or cannot run), so that pydantic is imported only to word an error."""
    from pydantic import ValidationError

    from deploykit.spec.model import Profile

    try:
        return Profile.model_validate(source.data)
    except ValidationError as exc:
        errors = _translate(exc, source)
        raise combined(errors + _rules_broken_by_the_rest(source, errors)) from None


def _rules_broken_by_the_rest(source: MergedProfile, errors: list[DeployKitError]) -> list[DeployKitError]:
    """The cross-field rules (server flags in `command`, hosts, schedules...) the fields without errors
    break, so that one run reports every problem: the profile without its wrong fields is validated again
    and checked, and only problems about fields not already in error are kept. A profile that cannot be
    validated without its wrong fields (a required one is among them) has only its field errors."""
    from pydantic import ValidationError

    from deploykit.spec.model import Profile

    removed: list[FieldPath] = []
    for error in errors:
        if error.message == "required field is missing" or not error.path:
            return []
        # Up to the first list index: removing one item would shift the others' positions.
        cut = next((i for i, part in enumerate(error.path) if isinstance(part, int)), len(error.path))
        if cut == 0:
            return []
        removed.append(error.path[:cut])
    data = _without(source.data, removed)
    try:
        profile = Profile.model_validate(data)
    except ValidationError:
        return []
    loaded = LoadedProfile(profile, source)

    def overlaps(path: FieldPath | None) -> bool:
        return path is not None and any(path[: len(gone)] == gone or gone[: len(path)] == path for gone in removed)

    return [
        loaded.error(problem)
        for problem in checks.problems(profile)
        if not overlaps(problem.path) and not overlaps(problem.because_of)
    ]


def _without(data: Any, paths: list[FieldPath]) -> Any:
    """A copy of `data` without the fields at `paths` (mapping keys only)."""
    import copy

    pruned = copy.deepcopy(data)
    for path in paths:
        container = pruned
        for part in path[:-1]:
            container = container.get(part) if isinstance(container, dict) else None
        if isinstance(container, dict):
            container.pop(path[-1], None)
    return pruned


def _translate(exc: ValidationError, source: MergedProfile) -> list[DeployKitError]:
    errors = exc.errors(include_url=False)
    # A misspelt key shows up as a missing field plus an unknown one: the unknown one says why.
    unknown_parents = {tuple(error["loc"][:-1]) for error in errors if error["type"] == "extra_forbidden"}
    translated: dict[FieldPath, DeployKitError] = {}
    for error in errors:
        if error["type"] == "missing" and tuple(error["loc"][:-1]) in unknown_parents:
            continue
        one = _translate_one(error, source)
        # One error per field: a field that takes a value or a list fails once per form, for one reason.
        translated.setdefault(one.path, one)
    return list(translated.values())


def _translate_one(error: Any, source: MergedProfile) -> DeployKitError:
    loc = _as_written(tuple(part for part in error["loc"] if part != "[key]"), source.data)
    kind = error["type"]
    value = error.get("input")
    if kind == "missing":
        # Removed by `--set field=null` (its location is the argument), or never written (the parent's).
        where = source.positions.get(loc) or source.location_of(loc[:-1])
        return DeployKitError("required field is missing", where, loc)
    if kind == "extra_forbidden":
        return DeployKitError(_unknown_field_message(loc), source.location_of(loc), loc)
    message = _message(kind, error["msg"], value, error.get("ctx", {})) + _hint(loc, kind, value, error.get("ctx", {}))
    return DeployKitError(message, source.location_of(loc), loc)


def _hint(loc: FieldPath, kind: str, value: Any, context: dict[str, Any]) -> str:
    """The expected form, for the mistakes new users make most (a string for a list, a short form of a
    secret reference, a privileged port)."""
    if kind == "list_type" and isinstance(value, str) and value.strip():
        import shlex  # error path only

        try:
            words = shlex.split(value)
        except ValueError:
            words = value.split()
        return f"; write it as a list (exec form, no shell): [{', '.join(_flow_item(word) for word in words)}]"
    if len(loc) == 2 and loc[0] == "secrets" and kind in ("dict_type", "model_type") and isinstance(value, str):
        secret, _, key = value.partition("/")
        if secret and key:
            return f"; write a reference to the secret and its key: {{secret: {secret}, key: {key}}}"
        return "; write a reference to the secret and its key: {secret: NAME, key: KEY}"
    if loc[-1:] == ("port",) and kind == "greater_than_equal" and context.get("ge") == 1024:
        return " (the app runs without privileges, and ports below 1024 are privileged; the proxy or Service publishes 80 and 443 in front of it)"
    return ""


def _flow_item(word: str) -> str:
    """`word` as an item of a YAML flow list: quoted when it holds YAML punctuation."""
    import json

    plain = word and word[0] not in "?:!&*|>'\"%@`#" and not any(char in word for char in ",[]{}#:\"'")
    return word if plain else json.dumps(word)


def _as_written(loc: FieldPath, data: Any) -> FieldPath:
    """`loc` without list indexes the profile did not write: a field that accepts one value or a list
    (`build.app_path: app`) is validated as a list, but the error is about the value as written."""
    written: list[str | int] = []
    current = data
    for part in loc:
        if isinstance(part, int) and not isinstance(current, list):
            continue
        written.append(part)
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        else:
            current = None
    return tuple(written)


def _message(kind: str, msg: str, value: Any, context: dict[str, Any]) -> str:
    shown = _show(value)
    kind_name = _TYPE_NAMES.get(type(value), type(value).__name__)
    found = kind_name + (f" {shown}" if shown and shown != kind_name else "")
    if kind == "string_type":
        hint = "; quote it" if isinstance(value, (int, float, bool)) or value is None else ""
        return f"expected a string, got {found}{hint}"
    if kind in ("int_type", "int_from_float"):
        return f"expected a whole number, got {found}"
    if kind == "bool_type":
        return f"expected true or false, got {found}"
    if kind in ("dict_type", "model_type"):
        return f"expected a mapping, got {found}"
    if kind == "list_type":
        return f"expected a list, got {found}"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "literal_error":
        return f"{_show(value)} is not allowed; {msg.replace('Input should be', 'expected')}"
    if kind == "string_pattern_mismatch":
        return f"{_show(value)} has an invalid format"
    if kind in _BOUNDS:
        bound, words = _BOUNDS[kind]
        return f"must be {words} {context[bound]}, got {shown}"
    if kind in ("too_short", "too_long") and context.get("field_type") == "List":
        limit = context["min_length" if kind == "too_short" else "max_length"]
        words = "at least" if kind == "too_short" else "at most"
        return f"must have {words} {limit} item{'s' if limit != 1 else ''}, got {context['actual_length']}"
    return f"{msg.replace('Input should', 'must').replace('Value should', 'must').replace('List should', 'must').replace('String should', 'must')}"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return ""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _unknown_field_message(loc: FieldPath) -> str:
    name = str(loc[-1])
    allowed = _allowed_keys(loc[:-1])
    message = f"unknown field {name!r}"
    import difflib  # error path only

    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    elsewhere = _where_else(name, loc[:-1])
    if close:
        message += f"; did you mean {close[0]!r}?"
    elif elsewhere:
        message += f" here; did you mean {' or '.join(elsewhere)}?"
    elif allowed:
        message += f"; expected one of: {', '.join(sorted(allowed))}"
    return message


def _allowed_keys(loc: FieldPath) -> list[str]:
    """The field names accepted at `loc`, found by walking the model's annotations."""
    from deploykit.spec.introspect import is_model, unwrap
    from deploykit.spec.model import Profile

    current: Any = Profile
    for part in loc:
        current = unwrap(current)
        if is_model(current):
            field = current.model_fields.get(str(part))
            if field is None:
                return []
            current = field.annotation
        elif typing.get_origin(current) in (dict, list):
            current = typing.get_args(current)[-1]
        else:
            return []
    current = unwrap(current)
    if is_model(current):
        return list(current.model_fields)
    return []


def _where_else(name: str, parent: FieldPath) -> list[str]:
    """The paths of fields called `name` elsewhere in the profile format (`email` -> `proxy.email`): a
    key written at the wrong level."""
    here = ".".join(str(part) for part in parent)
    return [path for path in _field_paths().get(name, ()) if path.rpartition(".")[0] != here][:3]


@functools.cache
def _field_paths() -> dict[str, tuple[str, ...]]:
    """Every field name of the profile format (models, three levels deep) and its dotted paths, shortest first."""
    from deploykit.spec.introspect import is_model, unwrap
    from deploykit.spec.model import Profile

    found: dict[str, list[str]] = {}

    def walk(model: Any, prefix: tuple[str, ...], depth: int) -> None:
        for field_name, field in model.model_fields.items():
            path = (*prefix, field_name)
            found.setdefault(field_name, []).append(".".join(path))
            inner = unwrap(field.annotation)
            if is_model(inner) and depth < 3:
                walk(inner, path, depth + 1)

    walk(Profile, (), 0)
    return {key: tuple(sorted(paths, key=lambda path: (path.count("."), path))) for key, paths in found.items()}
