"""Reading the spec models' type annotations (for "did you mean" hints and the field reference)."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel


def unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional wrappers: `Annotated[X | None, ...]` -> X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def is_model(annotation: Any) -> bool:
    """Whether `annotation` is a spec model class, i.e. a nested section of the profile rather than a value."""
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
