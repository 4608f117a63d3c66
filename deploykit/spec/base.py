"""The base class and field types every spec model uses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from deploykit.spec import names, values
from deploykit.targets import TARGETS

if TYPE_CHECKING:
    TargetName = str
else:
    # The registry is the one list of targets; the spec takes its names from there.
    TargetName = Literal[tuple(sorted(TARGETS))]


class SpecModel(BaseModel):
    """Strict: no type coercion (a string field refuses 8000) and no unknown keys."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, validate_default=False)


def text_schema(pattern: str, max_length: int | None = None) -> WithJsonSchema:
    """The JSON Schema of a validated text type: its pattern and length, so editors refuse what the loader refuses."""
    schema: dict[str, object] = {"type": "string", "pattern": pattern}
    if max_length is not None:
        schema["maxLength"] = max_length
    return WithJsonSchema(schema)


DnsLabel = Annotated[str, AfterValidator(names.check_dns_label), text_schema(names.DNS_LABEL_PATTERN, 63)]
Hostname = Annotated[str, AfterValidator(names.check_hostname), text_schema(names.HOSTNAME_PATTERN, 253)]
ImageReference = Annotated[str, AfterValidator(names.check_image), text_schema(names.IMAGE_PATTERN, 255)]
HttpPath = Annotated[str, AfterValidator(names.check_http_path), text_schema(names.HTTP_PATH_PATTERN, 1024)]
EnvName = Annotated[str, AfterValidator(values.check_env_name), text_schema(names.ENV_NAME_PATTERN)]
LabelKey = Annotated[str, AfterValidator(values.check_label_key), text_schema(names.LABEL_KEY_PATTERN, 316)]
# A label key as it may appear in a selector for objects deploykit does not make (reserved prefixes allowed).
SelectorKey = Annotated[str, AfterValidator(values.check_selector_key), text_schema(names.METADATA_KEY_PATTERN, 316)]
LabelValue = Annotated[str, AfterValidator(values.check_label_value), text_schema(names.LABEL_VALUE_PATTERN, 63)]
Command = Annotated[list[Annotated[str, Field(max_length=4096)]], Field(min_length=1, max_length=256)]
# Durations: up to an hour (graceful shutdown, probes), or up to a day (deployment deadlines).
Seconds = Annotated[int, Field(ge=1, le=3600)]
LongSeconds = Annotated[int, Field(ge=1, le=86400)]
