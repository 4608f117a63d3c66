"""Validating a profile without importing pydantic: the spec models' own core schema, run by pydantic-core.

Importing pydantic and building the spec models takes longer than the rest of a render put together
(README, "Benchmarks"). So `scripts/update_goldens.py` writes the core schema that pydantic builds from
the models into compiled_schema.py (compiler.py), with each model replaced by a view class: a plain
class carrying the model's fields and its derived properties (derived.py). Loading a profile runs that
schema with pydantic-core alone; the checks it calls are the models' own (values.py, names.py, ...).

The spec models stay the definition. The compiled form is only a shortcut for profiles they accept:
anything it refuses is validated again by the models, whose errors are the ones reported. It is used
only while the files it was compiled from, pydantic and pydantic-core are the ones it was compiled with
(their fingerprint, below): an edited checkout that was not regenerated, or another pydantic, loads
through the models, correctly and slower. The tests hold it to the models on every bundled and
generated profile, and `update_goldens.py --check` fails when it is stale.

Views support the part of pydantic's model interface deploykit uses; anything else fails loudly, and
every load in the test suite goes through views.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import importlib.util
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import Self

    from pydantic_core import SchemaValidator

    from deploykit.spec.model import Profile

# The directory holding the deploykit package: compiled_schema.SOURCES are relative to it.
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


class SpecView:
    """A validated spec object as pydantic-core builds it: the model's fields, frozen, and the parts of
    pydantic's model interface deploykit uses (`model_fields_set`, `model_dump`, `model_copy`)."""

    # pydantic-core sets these on every object it builds; slots keep them out of `__dict__` (the fields).
    __slots__ = ("__pydantic_extra__", "__pydantic_fields_set__", "__pydantic_private__")

    if TYPE_CHECKING:
        __pydantic_fields_set__: set[str]

    @property
    def model_fields_set(self) -> set[str]:
        """The fields the profile wrote (the others hold their defaults)."""
        return self.__pydantic_fields_set__

    def model_dump(self, *, exclude_unset: bool = False) -> dict[str, Any]:
        """The fields as plain data, nested objects included; with `exclude_unset`, only written fields."""
        return {
            name: _dump(value, exclude_unset)
            for name, value in self.__dict__.items()
            if not exclude_unset or name in self.__pydantic_fields_set__
        }

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> Self:
        """A copy with `update`'s fields replaced (not validated: the caller validated them)."""
        changes = dict(update or {})
        return construct(type(self), {**self.__dict__, **changes}, self.__pydantic_fields_set__ | changes.keys())

    def __copy__(self) -> Self:
        return self.model_copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        # pydantic-core copies a default it cannot hash (a view holding a list) for every object it builds.
        return construct(type(self), copy.deepcopy(self.__dict__, memo), self.__pydantic_fields_set__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        # Like a frozen pydantic model: hashable when every field value is.
        return hash((type(self), *self.__dict__.values()))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: {name} cannot be set")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: {name} cannot be deleted")

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self.__dict__.items())
        return f"{type(self).__name__}({fields})"


def _dump(value: Any, exclude_unset: bool) -> Any:
    if isinstance(value, SpecView):
        return value.model_dump(exclude_unset=exclude_unset)
    if isinstance(value, list):
        return [_dump(item, exclude_unset) for item in value]
    if isinstance(value, dict):
        return {key: _dump(item, exclude_unset) for key, item in value.items()}
    return value


def construct(cls: type[SpecView], fields: dict[str, Any], fields_set: Iterable[str]) -> Any:
    """An object of `cls` with these field values, as pydantic-core would build it (defaults use this)."""
    made = object.__new__(cls)
    object.__setattr__(made, "__dict__", fields)
    object.__setattr__(made, "__pydantic_fields_set__", set(fields_set))
    object.__setattr__(made, "__pydantic_extra__", None)
    object.__setattr__(made, "__pydantic_private__", None)
    return made


# pydantic's own length checks, which it adds as functions where a length constraint follows a
# BeforeValidator; the compiled schema calls these instead, so that it needs nothing from pydantic.
def min_length(value: Any, min_length: int) -> Any:
    if len(value) < min_length:
        raise ValueError(f"must have at least {min_length} items")
    return value


def max_length(value: Any, max_length: int) -> Any:
    if len(value) > max_length:
        raise ValueError(f"must have at most {max_length} items")
    return value


def validate(data: Any) -> Profile | None:
    """`data` as a validated profile, or None when the compiled schema cannot say (the models then decide).

    None means: `data` is refused (the models word the errors), or this pydantic-core is not the one the
    schema was compiled by.
    """
    validator = _validator()
    if validator is None:
        return None
    from pydantic_core import ValidationError

    try:
        profile: Profile = validator.validate_python(data)
    except ValidationError:
        return None
    return profile


@functools.cache
def _validator() -> SchemaValidator | None:
    import pydantic_core

    try:
        from deploykit.spec import compiled_schema
    except (ImportError, AttributeError):  # compiled before a module or function it names was renamed
        return None
    if fingerprint(compiled_schema.SOURCES) != compiled_schema.FINGERPRINT:
        return None
    return pydantic_core.SchemaValidator(compiled_schema.SCHEMA)


def fingerprint(sources: Iterable[str]) -> str | None:
    """SHA-256 of the files `sources` names, pydantic's version file and pydantic-core's version; None
    when one cannot be read. Reading pydantic's version file does not import pydantic."""
    import pydantic_core

    spec = importlib.util.find_spec("pydantic")
    if spec is None or spec.origin is None:
        return None
    digest = hashlib.sha256(pydantic_core.__version__.encode())
    try:
        for path in (*(PACKAGE_ROOT / source for source in sources), Path(spec.origin).with_name("version.py")):
            content = path.read_bytes()
            digest.update(f"{path.name}:{len(content)}:".encode() + content)
    except OSError:
        return None
    return digest.hexdigest()
