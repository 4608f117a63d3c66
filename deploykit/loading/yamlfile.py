"""Reading one YAML file safely, keeping where every value came from.

The file is composed into nodes by ruamel.yaml and converted here by hand, so that this module alone
decides what a plain scalar means. That closes the classic YAML traps before the spec model sees them:
duplicate keys, anchors and aliases (billion laughs), custom tags, and plain scalars that YAML 1.1
tools read as something other than what the author meant (`no` is false, `1.10` is 1.1, `0755` is 493).
"""

from __future__ import annotations

import functools
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploykit.errors import DeployKitError, FieldPath, Location

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 32

_TAG_PREFIX = "tag:yaml.org,2002:"

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL_TRUE = re.compile(r"^(?:true|True|TRUE)$")
_BOOL_FALSE = re.compile(r"^(?:false|False|FALSE)$")
_INT_DECIMAL = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_FLOAT_SPECIAL = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
# Plain scalars that YAML 1.1 loaders (PyYAML, go-yaml v2, kubectl) read as booleans, octal or
# base-60 numbers, numbers with underscores, dates, or the special `=` and `<<` keys. Their meaning
# depends on the reader, so they are refused.
_AMBIGUOUS = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|=|<<"
    r"|[-+]?0[0-7_]+|[-+]?0b[01_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?0o[0-7_]+"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"
    r"|[-+]?[0-9][0-9_]*_[0-9_]*(?:\.[0-9_]*)?"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?)$"
)
# C0 controls other than tab and newline, DEL, and the C1 range: never meaningful in a profile.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# The same, as raw characters in the file, where a carriage return is only part of a CRLF line end.
_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A decimal whose fraction ends in a zero after another digit: `1.10` reads as 1.1, the classic
# version-number trap (`python: 3.10` becomes 3.1), so the author must say which one they meant.
_LOSSY_DECIMAL = re.compile(r"^[-+]?[0-9]*\.[0-9]+0$")
# A tag as written in the source: `!!str`, `!custom`, `!<tag:yaml.org,2002:str>`.
_WRITTEN_TAG = re.compile(r"!(?:<[^>]*>|[^\s,\[\]{}]*)")


@dataclass(frozen=True)
class Document:
    """The plain data of one YAML file and the location of every key and list item in it."""

    data: dict[str, Any]
    positions: dict[FieldPath, Location]
    file: str


def load_document(path: Path, display_name: str) -> Document:
    """Read `path` as a single YAML mapping; every problem is a DeployKitError at its location."""
    start = Location(display_name, 1, 1)
    try:
        status = path.stat()
        if stat.S_ISDIR(status.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(status.st_mode):
            # A FIFO or a device would block the read, or never end: a profile is a file.
            raise DeployKitError("is not a regular file (a FIFO, socket or device); give a profile file", start)
        size = status.st_size
        if size > MAX_FILE_BYTES:
            raise DeployKitError(f"file is {size} bytes; profiles are limited to {MAX_FILE_BYTES} bytes (1 MiB)", start)
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DeployKitError("file not found", start) from None
    except IsADirectoryError:
        raise DeployKitError("is a directory, not a profile file", start) from None
    except OSError as exc:
        raise DeployKitError(f"cannot read file: {exc.strerror}", start) from None
    if len(raw) > MAX_FILE_BYTES:  # the file grew between stat and read
        raise DeployKitError(f"file is larger than {MAX_FILE_BYTES} bytes (1 MiB)", start)
    data, positions = _parse(raw, display_name)
    # The parse is shared by every profile that extends this file: each caller gets its own data to change.
    return Document(_copied(data), dict(positions), display_name)


@functools.lru_cache(maxsize=64)
def _parse(raw: bytes, display_name: str) -> tuple[dict[str, Any], dict[FieldPath, Location]]:
    """The data and positions of one file's bytes; `render all` and `check` read a shared base once, not once per environment."""
    start = Location(display_name, 1, 1)
    text = _decode_utf8(raw, display_name)
    node = _compose(text, display_name)
    converter = _Converter(display_name, text)
    data = None if node is None else converter.convert(node, ())
    if data is None:  # no document, or one holding nothing (`---` alone)
        raise DeployKitError("the profile is empty; expected a mapping of fields", start)
    if not isinstance(data, dict):
        raise DeployKitError(
            "the profile must be a mapping of fields, not a list or a single value", converter.location(node)
        )
    return data, converter.positions


def _copied(value: Any) -> Any:
    """A copy of loaded data (mappings, lists and immutable scalars), faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


def load_value(
    text: str, display_name: str, path: FieldPath, column_offset: int = 0
) -> tuple[object, dict[FieldPath, Location]]:
    """Read one YAML value (a `--set` value) under the same rules as a file, placed at `path`."""
    node = _compose(text, display_name, column_offset)
    if node is None:
        return None, {path: Location(display_name, 1, column_offset + 1)}
    converter = _Converter(display_name, text, column_offset)
    value = converter.convert(node, path)
    return value, converter.positions


def _decode_utf8(raw: bytes, display_name: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        # Columns count characters, as editors do; everything before the bad byte decodes.
        column = len(raw[line_start : exc.start].decode("utf-8")) + 1
        raise DeployKitError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", Location(display_name, line, column)
        ) from None


def _compose(text: str, display_name: str, column_offset: int = 0):
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    _refuse_raw_controls(text, display_name, column_offset)
    yaml = YAML(typ="safe", pure=True)
    try:
        return yaml.compose(text)
    except RecursionError:
        # ruamel composes nested collections recursively: a few hundred levels exhaust the stack.
        raise DeployKitError(
            f"nesting is deeper than any profile needs (at most {MAX_DEPTH} levels)", Location(display_name, 1, 1)
        ) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = (
            Location(display_name, mark.line + 1, mark.column + 1 + column_offset)
            if mark
            else Location(display_name, 1, 1)
        )
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.problem and exc.context and exc.problem.startswith("but "):
            # "but found another document" only makes sense after its context.
            problem = f"{exc.context}, {exc.problem}"
        raise DeployKitError(f"invalid YAML: {problem}", location) from None
    except YAMLError as exc:
        raise DeployKitError(f"invalid YAML: {exc}", Location(display_name, 1, 1)) from None


def _refuse_raw_controls(text: str, display_name: str, column_offset: int) -> None:
    """Point at a raw control character; ruamel.yaml would report it on several lines, without a position."""
    found = _RAW_CONTROL.search(text)
    if found is None:
        return
    index = found.start()
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1 + column_offset
    raise DeployKitError(
        f"control character U+{ord(found.group()):04X} is not allowed", Location(display_name, line, column)
    )


class _Converter:
    """Turns composed nodes into dicts, lists and scalars, recording positions as it goes."""

    def __init__(self, display_name: str, text: str, column_offset: int = 0):
        self.file = display_name
        self.text = text
        self.column_offset = column_offset
        self.positions: dict[FieldPath, Location] = {}
        self._seen: set[int] = set()

    def location(self, node) -> Location:
        return Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1 + self.column_offset)

    def convert(self, node, path: FieldPath) -> Any:
        from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

        # An alias is the same node object reached twice; refusing it keeps memory bounded.
        if id(node) in self._seen or getattr(node, "anchor", None):
            raise DeployKitError("YAML anchors and aliases are not allowed in profiles", self.location(node), path)
        self._seen.add(id(node))
        if len(path) > MAX_DEPTH:
            raise DeployKitError(
                f"nesting is deeper than any profile needs (at most {MAX_DEPTH} levels)", self.location(node), path
            )
        self.positions.setdefault(path, self.location(node))
        self._refuse_written_tag(node, path)
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.convert(item, (*path, index)) for index, item in enumerate(node.value)]
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        raise DeployKitError("unsupported YAML node", self.location(node), path)

    def _mapping(self, node, path: FieldPath) -> dict[str, Any]:
        from ruamel.yaml.nodes import ScalarNode

        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or _tag(key_node) == f"{_TAG_PREFIX}merge":
                raise DeployKitError(
                    "mapping keys must be plain strings (no merge keys or complex keys)", self.location(key_node), path
                )
            self._refuse_written_tag(key_node, path)
            key = str(key_node.value)
            if _CONTROL.search(key):
                raise DeployKitError("control characters are not allowed in keys", self.location(key_node), path)
            child = (*path, key)
            if key in result:
                first = self.positions[child]
                raise DeployKitError(
                    f"duplicate key {key!r} (first defined at line {first.line})", self.location(key_node), child
                )
            self.positions[child] = self.location(key_node)
            result[key] = self.convert(value_node, child)
        return result

    def _refuse_written_tag(self, node, path: FieldPath) -> None:
        """Refuse any tag written in the file, `!!str` included: the converter alone decides what a value means.

        A tagged node starts at its tag, and a plain scalar cannot start with `!`, so the source text tells.
        """
        written = _WRITTEN_TAG.match(self.text, node.start_mark.index)
        if written is not None:
            raise DeployKitError(
                f"explicit YAML tags are not allowed (found {written.group()!r}); write the plain value, quoted if it is text",
                self.location(node),
                path,
            )

    def _scalar(self, node, path: FieldPath) -> Any:
        text = str(node.value)
        if _CONTROL.search(text):
            raise DeployKitError("control characters are not allowed in values", self.location(node), path)
        if node.style is not None:  # quoted or block scalar: always a string
            return text
        if _NULL.match(text):
            return None
        if _BOOL_TRUE.match(text):
            return True
        if _BOOL_FALSE.match(text):
            return False
        if _AMBIGUOUS.match(text):
            raise DeployKitError(
                f"the plain value {text!r} means different things to different YAML readers; "
                f'quote it ("{text}") if it is text, or write true/false or a plain number',
                self.location(node),
                path,
            )
        if _LOSSY_DECIMAL.match(text):
            number = float(text)
            raise DeployKitError(
                f"the plain value {text!r} is read as the number {number!r}, losing its trailing zero; "
                f'quote it ("{text}") if it is text, or write {number!r} if it is a number',
                self.location(node),
                path,
            )
        if _INT_DECIMAL.match(text):
            return int(text)
        if _FLOAT.match(text) or _FLOAT_SPECIAL.match(text):
            return float(text.lower().replace(".inf", "inf").replace(".nan", "nan"))
        return text


def _tag(node) -> str:
    return str(getattr(node.tag, "value", node.tag) or "")
