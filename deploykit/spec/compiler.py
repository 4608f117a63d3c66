"""Builds compiled.BUILT_SCHEMA: the core schema pydantic builds from the spec models, as Python source.

Run after a profile was loaded through the models, when none is built or the built one is stale
(compiled.build_if_missing), or at install time as `python -m deploykit.spec.compiler`; never on the
path of a profile the built schema accepts. What the source holds, and why (compiled.py says how it is
used):

- a first line recording the files it was built from (every deploykit module importing the models
  loads, this generator and compiled.py) and their fingerprint with pydantic's and pydantic-core's
  versions: compiled.py uses the schema only while that fingerprint still holds;
- every part of the schema that pydantic-core validates with, in pydantic's order (field order is the
  order of a model's `__dict__`, which some output follows);
- each model class replaced by a view class of the same name, mixing in the model's derived properties;
- each function by its import path, and functools.partial of one with its arguments; pydantic's own
  length checks by their equivalents in compiled.py;
- defaults that are models as views built with the same fields and the same `model_fields_set`.

Dropped from schema nodes (never from field names or defaults): `ref` (it holds the id of a class
object, so it differs between runs, and no schema here refers to another by it), `metadata` (JSON Schema
hooks) and `serialization` (deploykit never serializes with pydantic). Anything else it cannot write as
it is (a lambda, a closure, a validator method on a model such as `@field_validator`, a recursive model)
is recorded as the reason the models cannot be compiled: loading then takes the models path, correctly
and slower, and `deploykit --version` says why.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import sys
import types
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from deploykit.spec import compiled, derived
from deploykit.spec import model as model_module
from deploykit.spec.model import Profile

_DROPPED_KEYS = frozenset({"ref", "metadata", "serialization"})
# pydantic's internal length checks (pydantic/_internal/_validators.py) -> deploykit's equivalents.
_REPLACED_FUNCTIONS = {
    "pydantic._internal._validators.min_length_validator": "deploykit.spec.compiled.min_length",
    "pydantic._internal._validators.max_length_validator": "deploykit.spec.compiled.max_length",
}
_PREAMBLE = """\
# The spec models' core schema for pydantic-core alone (deploykit/spec/compiled.py), built by
# deploykit/spec/compiler.py from the models on this machine; not committed, rebuilt when stale.
# ruff: noqa
# mypy: ignore-errors
"""


def build() -> None:
    """Write compiled.BUILT_SCHEMA for the installed pydantic and the current spec models, atomically."""
    text = source()
    temporary = compiled.BUILT_SCHEMA.with_name(f".{compiled.BUILT_SCHEMA.name}.{os.getpid()}.tmp")
    # O_EXCL: never follow or reuse what is at the temporary name; the directory is the owner's alone.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, compiled.BUILT_SCHEMA)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def source() -> str:
    """The text of compiled.BUILT_SCHEMA for the installed pydantic and the current spec models."""
    sources = _sources()
    header = {"fingerprint": compiled.fingerprint(sources), "sources": sources, "unsupported": None}
    writer = _Writer()
    try:
        schema = writer.schema(Profile.__pydantic_core_schema__, 0)
    except TypeError as exc:
        header["unsupported"] = str(exc)
        return f"{compiled.HEADER_PREFIX}{json.dumps(header)}\n{_PREAMBLE}\nSCHEMA = None\n"
    lines = [f"{compiled.HEADER_PREFIX}{json.dumps(header)}", _PREAMBLE, "import functools", ""]
    lines += [f"import {module}" for module in sorted(writer.modules | {derived.__name__})]
    lines += ["from deploykit.spec.compiled import SpecView, construct"]
    for model in writer.models:
        lines += ["", "", *_view_class(model)]
    lines += ["", "", f"SCHEMA = {schema}", ""]
    return "\n".join(lines)


def _sources() -> list[str]:
    """The files the built schema depends on, relative to the package's parent directory.

    The modules of the spec package that the models import, the modules those import from outside it
    (the server names, the target registry, the warning codes shape the schema), this generator and
    compiled.py. Other modules, even when loaded on the way (errors.py), cannot change the schema.
    """
    spec_package = Path(compiled.__file__).parent
    found: set[Path] = set()
    pending = [Path(model_module.__file__ or "")]
    while pending:
        path = pending.pop().resolve()
        if path in found:
            continue
        found.add(path)
        if path.is_relative_to(spec_package):
            pending += _imported_files(path)
    found |= {Path(compiled.__file__).resolve(), Path(__file__).resolve()}
    return sorted(path.relative_to(compiled.PACKAGE_ROOT).as_posix() for path in found)


def _imported_files(path: Path) -> list[Path]:
    """The files of the deploykit modules that `path` imports when it runs (not under TYPE_CHECKING)."""
    names: list[str] = []
    for statement in ast.parse(path.read_bytes()).body:
        if isinstance(statement, ast.ImportFrom) and statement.level == 0 and statement.module:
            names.append(statement.module)
            names += [f"{statement.module}.{alias.name}" for alias in statement.names]
        elif isinstance(statement, ast.Import):
            names += [alias.name for alias in statement.names]
    # This process imported the models, so every module among those names is loaded; a name imported
    # from a module (`from deploykit.spec.values import check`) is not.
    modules = (sys.modules.get(name) for name in names if name.split(".")[0] == "deploykit")
    return [Path(module.__file__) for module in modules if module is not None and module.__file__]


def _view_class(model: type[BaseModel]) -> list[str]:
    mixins = [base for base in model.__mro__ if base.__module__ == derived.__name__]
    bases = ", ".join([*(f"{base.__module__}.{base.__qualname__}" for base in mixins), "SpecView"])
    return [f"class {model.__name__}({bases}):", f'    """The view of {model.__module__}.{model.__qualname__}."""']


class _Writer:
    """Python source for a core schema, collecting the modules and models it needs.

    A schema node (a dict with a `type`) is written without the keys pydantic-core does not validate
    with; a model's `fields` maps field names to nodes; a `default` is data, written as it is.
    """

    def __init__(self) -> None:
        self.modules: set[str] = set()
        self.models: list[type[BaseModel]] = []

    def schema(self, value: Any, depth: int) -> str:
        if isinstance(value, dict):
            if value.get("type") == "definition-ref":
                raise TypeError("recursive spec models cannot be compiled")
            items = {}
            for key, item in value.items():
                if "type" in value and key in _DROPPED_KEYS:
                    continue
                if key == "cls" and value.get("type") == "model":
                    items[key] = self._model(item)
                elif key == "fields":
                    items[key] = self._mapping(
                        {name: self.schema(field, depth + 2) for name, field in item.items()}, depth + 1
                    )
                elif key == "default":
                    items[key] = self.data(item, depth + 1)
                else:
                    items[key] = self.schema(item, depth + 1)
            return self._mapping(items, depth)
        if isinstance(value, list):
            return self._sequence([self.schema(item, depth + 1) for item in value], depth)
        if isinstance(value, functools.partial):
            arguments = [self.data(argument, depth) for argument in value.args]
            arguments += [f"{name}={self.data(item, depth)}" for name, item in value.keywords.items()]
            return f"functools.partial({', '.join([self._function(value.func), *arguments])})"
        if isinstance(value, (types.FunctionType, types.MethodType)):
            return self._function(value)
        return self.data(value, depth)

    def data(self, value: Any, depth: int) -> str:
        if isinstance(value, dict):
            return self._mapping(
                {repr(key): self.data(item, depth + 1) for key, item in value.items()}, depth, quoted=True
            )
        if isinstance(value, list):
            return self._sequence([self.data(item, depth + 1) for item in value], depth)
        if value is None or isinstance(value, (bool, int, float, str)):
            return repr(value)
        if isinstance(value, BaseModel):
            fields = {name: getattr(value, name) for name in type(value).model_fields}
            fields_set = sorted(value.model_fields_set)
            return f"construct({self._model(type(value))}, {self.data(fields, depth)}, {self.data(fields_set, depth)})"
        raise TypeError(f"cannot compile {value!r} ({type(value).__name__}) into the spec's schema")

    @staticmethod
    def _mapping(items: dict[str, str], depth: int, quoted: bool = False) -> str:
        if not items:
            return "{}"
        inner = "    " * (depth + 1)
        body = "".join(f"{inner}{key if quoted else repr(key)}: {item},\n" for key, item in items.items())
        return "{\n" + body + "    " * depth + "}"

    @staticmethod
    def _sequence(items: list[str], depth: int) -> str:
        if not items:
            return "[]"
        inner = "    " * (depth + 1)
        return "[\n" + "".join(f"{inner}{item},\n" for item in items) + "    " * depth + "]"

    def _model(self, model: Any) -> str:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"cannot compile the model class {model!r}")
        if model not in self.models:
            if any(known.__name__ == model.__name__ for known in self.models):
                raise TypeError(f"two spec models are named {model.__name__}")
            self.models.append(model)
        return model.__name__

    def _function(self, function: Any) -> str:
        path = f"{function.__module__}.{function.__qualname__}"
        if path in _REPLACED_FUNCTIONS:
            path = _REPLACED_FUNCTIONS[path]
        elif not function.__module__.startswith("deploykit.") or "<" in path or "." in function.__qualname__:
            # A method (`@field_validator`), a lambda or a closure: only a module-level function can be
            # named without importing its class, and the classes here are pydantic models.
            raise TypeError(f"{path} is not a module-level function of deploykit (write checks in spec/values.py)")
        self.modules.add(path.rpartition(".")[0])
        return path


def main() -> int:
    """`python -m deploykit.spec.compiler`, at install time as the package's owner: build it unless current."""
    if compiled.status().buildable:
        build()
    status = compiled.status()
    print(f"validator: {status.describe()}", file=sys.stdout if status.compiled else sys.stderr)
    return 0 if status.compiled else 1


if __name__ == "__main__":
    sys.exit(main())
