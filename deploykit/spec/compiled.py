"""Validating a profile without importing pydantic: the spec models' own core schema, run by pydantic-core.

Importing pydantic and building the spec models takes longer than the rest of a render put together
(README, "Benchmarks"). So the core schema pydantic builds from the models is written, as Python
source, into BUILT_SCHEMA beside this file (compiler.py), with each model replaced by a view class: a
plain class carrying the model's fields and its derived properties (derived.py). Loading a profile
runs that schema with pydantic-core alone; the checks it calls are the models' own (values.py, ...).

Nothing of it is committed. It is built from the models on first use: a profile loaded through the
models (none built yet, or a stale one) builds it afterwards, when this process may write beside the
package's own files as their owner; `python -m deploykit.spec.compiler` builds it at install time. It
is used only while it is trusted (a regular file, owned like this package's files, in a directory only
their owner may write: code is never imported from a place another user could write) and current:
its first line records the files it was built from (the modules importing the spec models loads) and a
fingerprint of them with pydantic's and pydantic-core's versions. A new pydantic or an edited spec
module takes the models path for one load, which rebuilds it; editing any other module changes
nothing. `deploykit --version` says which path this install takes and why (`status`).

The spec models stay the definition: anything the compiled schema refuses is validated again by the
models, whose errors are the ones reported. Views support the part of pydantic's model interface
deploykit uses; anything else fails loudly, and every load in the test suite goes through views.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import importlib.util
import json
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import Self

    from pydantic_core import SchemaValidator

    from deploykit.spec.model import Profile

# The directory holding the deploykit package: the sources a built schema names are relative to it.
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
# The built schema, as a module of this package (git ignores it).
BUILT_MODULE = "deploykit.spec._built_schema"
BUILT_SCHEMA = Path(__file__).resolve().with_name("_built_schema.py")
# The first line of BUILT_SCHEMA: this prefix, then JSON with "fingerprint", "sources" and "unsupported"
# (why the models cannot be compiled, or null).
HEADER_PREFIX = "# deploykit built spec schema: "
_HEADER_LIMIT = 64 * 1024


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

    None means: `data` is refused (the models word the errors), or no current, trusted schema is built.
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


@dataclass(frozen=True)
class Status:
    """Which path loading takes: `compiled` (BUILT_SCHEMA) or the models, and why."""

    compiled: bool
    reason: str
    # Whether this process may (re)build BUILT_SCHEMA: it is missing or stale, and the place is ours.
    buildable: bool = False

    def describe(self) -> str:
        return f"{'compiled schema' if self.compiled else 'spec models (slower start)'}: {self.reason}"


def status() -> Status:
    """Whether BUILT_SCHEMA is there, trusted and current for these sources and this pydantic."""
    try:
        owner = os.stat(__file__).st_uid
    except OSError as exc:
        return Status(False, f"cannot inspect the package: {exc.strerror}")
    untrusted = _untrusted_place(owner)
    if untrusted is not None:
        return Status(False, untrusted)
    ours = os.geteuid() == owner
    header = _read_header()
    if header is None or not isinstance(header.get("sources"), list):
        return Status(False, f"{BUILT_SCHEMA} is not built {_next_load(ours, owner)}", buildable=ours)
    if fingerprint(header["sources"]) != header.get("fingerprint"):
        why = "was built for another pydantic or other spec modules"
        return Status(False, f"{BUILT_SCHEMA} {why} {_next_load(ours, owner)}", buildable=ours)
    if header.get("unsupported"):
        return Status(False, f"the spec models cannot be compiled: {header['unsupported']}")
    import pydantic_core

    return Status(True, f"{BUILT_SCHEMA} (pydantic-core {pydantic_core.__version__})")


def _next_load(ours: bool, owner: int) -> str:
    if ours:
        return "(the next profile loaded builds it)"
    return f"(only the package's owner, uid {owner}, may build it: `python -m deploykit.spec.compiler` as that user)"


def _untrusted_place(owner: int) -> str | None:
    """Why BUILT_SCHEMA must be neither imported nor written, or None: it is trusted when owned like this
    package's own files, in a directory only that owner can write."""
    built: os.stat_result | None
    try:
        directory = os.stat(BUILT_SCHEMA.parent)
        try:
            built = os.lstat(BUILT_SCHEMA)
        except FileNotFoundError:
            built = None
    except OSError as exc:
        return f"cannot inspect {exc.filename}: {exc.strerror}"
    if directory.st_uid != owner or directory.st_mode & 0o022:
        return f"{BUILT_SCHEMA.parent} may be written by users other than the package's owner"
    if built is not None and (not stat.S_ISREG(built.st_mode) or built.st_uid != owner or built.st_mode & 0o022):
        return f"{BUILT_SCHEMA} is not a regular file that only the package's owner may write"
    return None


def _read_header() -> dict[str, Any] | None:
    try:
        with open(BUILT_SCHEMA, encoding="utf-8") as file:
            line = file.readline(_HEADER_LIMIT)
    except (OSError, UnicodeDecodeError):
        return None
    if not line.startswith(HEADER_PREFIX):
        return None
    try:
        header = json.loads(line.removeprefix(HEADER_PREFIX))
    except ValueError:
        return None
    return header if isinstance(header, dict) else None


@functools.cache
def _validator() -> SchemaValidator | None:
    if not status().compiled:
        return None
    import importlib

    import pydantic_core

    try:
        built = importlib.import_module(BUILT_MODULE)
    except (ImportError, AttributeError):  # built before a module or function it names was renamed
        return None
    return pydantic_core.SchemaValidator(built.SCHEMA)


def build_if_missing() -> None:
    """Build BUILT_SCHEMA from the spec models when it is missing or stale and this process may write it.

    Called after a profile was loaded through the models (so pydantic is imported already). A failure to
    write leaves loading on the models path; it never fails the command.
    """
    if _validator() is not None or not status().buildable:
        return
    import subprocess

    from deploykit.spec import compiler

    try:
        compiler.build()
    except (OSError, subprocess.SubprocessError):  # a read-only or full disk; the probe interpreter failing
        return
    _validator.cache_clear()


def fingerprint(sources: Iterable[str]) -> str | None:
    """SHA-256 of the files `sources` names, pydantic's version file and pydantic-core's version; None
    when one cannot be read. Reading pydantic's version file does not import pydantic."""
    import pydantic_core

    spec = importlib.util.find_spec("pydantic")
    if spec is None or spec.origin is None:
        return None
    digest = hashlib.sha256(pydantic_core.__version__.encode())
    try:
        for path in (*(PACKAGE_ROOT / str(source) for source in sources), Path(spec.origin).with_name("version.py")):
            content = path.read_bytes()
            digest.update(f"{path.name}:{len(content)}:".encode() + content)
    except OSError:
        return None
    return digest.hexdigest()
