"""The base class and field types every spec model uses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from deploykit.spec import names
from deploykit.targets import TARGETS

if TYPE_CHECKING:
    TargetName = str
else:
    # The registry is the one list of targets; the spec takes its names from there.
    TargetName = Literal[tuple(sorted(TARGETS))]


class SpecModel(BaseModel):
    """Strict: no type coercion (a string field refuses 8000) and no unknown keys."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, validate_default=False)


def _check_selector_key(value: str) -> str:
    if len(value) > 316 or not names.METADATA_KEY.fullmatch(value) or len(value.rsplit("/", 1)[-1]) > 63:
        raise ValueError(f"{value!r} is not a valid label or annotation key (prefix/name, name at most 63 characters)")
    return value


def _check_label_key(value: str) -> str:
    _check_selector_key(value)
    if value.startswith(("app.kubernetes.io/", "traefik.", "deploykit.")):
        raise ValueError(f"{value!r} is reserved: deploykit sets app.kubernetes.io/*, traefik.* and deploykit.* itself")
    return value


def _check_label_value(value: str) -> str:
    if len(value) > 63 or not names.LABEL_VALUE.fullmatch(value):
        raise ValueError(f"{value!r} is not a valid label value (at most 63 letters, digits, '-', '_', '.')")
    return value


def _check_env_name(value: str) -> str:
    if not names.ENV_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid environment variable name (letters, digits and '_', not starting with a digit)"
        )
    return value


DnsLabel = Annotated[str, AfterValidator(names.check_dns_label)]
Hostname = Annotated[str, AfterValidator(names.check_hostname)]
ImageReference = Annotated[str, AfterValidator(names.check_image)]
HttpPath = Annotated[str, AfterValidator(names.check_http_path)]
EnvName = Annotated[str, AfterValidator(_check_env_name)]
LabelKey = Annotated[str, AfterValidator(_check_label_key)]
# A label key as it may appear in a selector for objects deploykit does not make (reserved prefixes allowed).
SelectorKey = Annotated[str, AfterValidator(_check_selector_key)]
LabelValue = Annotated[str, AfterValidator(_check_label_value)]
Command = Annotated[list[Annotated[str, Field(max_length=4096)]], Field(min_length=1, max_length=256)]
# Durations: up to an hour (graceful shutdown, probes), or up to a day (deployment deadlines).
Seconds = Annotated[int, Field(ge=1, le=3600)]
LongSeconds = Annotated[int, Field(ge=1, le=86400)]
