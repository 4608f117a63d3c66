"""Reading one YAML file safely, keeping where every value came from.

The file is composed into nodes by ruamel.yaml and converted here by hand, so that this module alone
decides what a plain scalar means. That closes the classic YAML traps before the spec model sees them:
duplicate keys, anchors and aliases (billion laughs), custom tags, and plain scalars that YAML 1.1
tools read as something other than what the author meant (`no` is false, `1.10` is 1.1, `0755` is 493).

Reading is bounded whatever the input: only regular files are opened, at most MAX_FILE_BYTES are read,
the scanner stops at twice MAX_DEPTH levels of nesting (its cost grows with the nesting), and every
pattern applied to a value runs in linear time.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploykit.errors import DeployKitError, FieldPath, Location

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 32
# The scanner keeps state per open level and rescans it for every token (2,000 nested `[` took 8 s),
# so it stops well before that; up to this depth the converter names the field that is too deep.
MAX_SCANNER_DEPTH = 2 * MAX_DEPTH
# Tokens the YAML scanner may fetch (it fetches about 3 per `key: value` line): some 5,000 pairs, far
# beyond any real profile (the bundled ones hold under 100), and few enough that a 1 MiB file of tiny
# keys is refused in a fraction of a second instead of being parsed for 10 s by the pure-Python reader.
MAX_TOKENS = 16_384
# Lines a file may hold (comments and blank lines included): the scanner pays for each.
MAX_LINES = 20_000
# No field takes a number anywhere near this long; Python refuses to convert integers over 4,300
# digits (fewer when PYTHONINTMAXSTRDIGITS says so, 640 at least), so longer ones never reach int().
MAX_INTEGER_DIGITS = 64

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
    # (at least one `_` in the integer part; the lookahead keeps this linear where `[0-9_]*_[0-9_]*`
    # backtracked quadratically: a 40 KB `1_1_1_..._x` took 10 s)
    r"|[-+]?[0-9](?=[0-9_]*_)[0-9_]*(?:\.[0-9_]*)?"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?)$"
)
# C0 controls other than tab and newline, DEL, and the C1 range: never meaningful in a profile.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# In keys not even tab and newline: no field, env name or label key holds them.
_KEY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Half of a UTF-16 pair, written as a `\ud800` escape: not a character, and no UTF-8 file can hold it.
_SURROGATE = re.compile("[\ud800-\udfff]")
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


@dataclass(frozen=True)
class ProfileFile:
    """The bytes of a profile file, and which file it is (device and inode: two paths, one file)."""

    raw: bytes
    identity: tuple[int, int]


class UnreadableFile(Exception):
    """Why a path cannot be read as a profile; the caller says where the path came from.

    `reason` is the whole sentence ("cannot read file: Permission denied"); `detail` is the part
    after "cannot read file: " when the OS said why.
    """

    def __init__(self, reason: str, missing: bool = False, detail: str | None = None):
        self.reason = reason
        self.missing = missing
        self.detail = detail or reason
        super().__init__(reason)


def _os_error(exc: OSError) -> UnreadableFile:
    return UnreadableFile(f"cannot read file: {exc.strerror}", detail=exc.strerror)


def read_profile_file(path: Path) -> ProfileFile:
    """The bytes of `path` (links followed) if it is a regular file of at most MAX_FILE_BYTES; else UnreadableFile.

    Nothing but a regular file is read: a FIFO would block forever and `/dev/zero` never ends. The
    open itself cannot block (O_NONBLOCK: opening a FIFO waits for a writer otherwise), and the read
    stops one byte past the limit whatever the size claimed beforehand.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise UnreadableFile("file not found", missing=True) from None
    except OSError as exc:
        raise _os_error(exc) from None
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise UnreadableFile("is a directory, not a profile file")
        if not stat.S_ISREG(info.st_mode):
            # A FIFO or a device would block the read, or never end: a profile is a file.
            raise UnreadableFile("is not a regular file (a FIFO, socket or device); give a profile file")
        if info.st_size > MAX_FILE_BYTES:
            raise UnreadableFile(
                f"file is {info.st_size} bytes; profiles are limited to {MAX_FILE_BYTES} bytes (1 MiB)"
            )
        raw = _read_at_most(descriptor, MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _os_error(exc) from None
    finally:
        os.close(descriptor)
    if len(raw) > MAX_FILE_BYTES:  # the file grew between fstat and read
        raise UnreadableFile(f"file is larger than {MAX_FILE_BYTES} bytes (1 MiB)")
    return ProfileFile(raw, (info.st_dev, info.st_ino))


STDIN = "-"  # `-p -`: the profile is read from standard input


def read_profile_stdin() -> ProfileFile:
    """The profile piped to `-p -`, bounded as files are: the read stops one byte past MAX_FILE_BYTES."""
    import sys

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream (tests, embedding)
        raw = (sys.stdin.read(MAX_FILE_BYTES + 1) if sys.stdin is not None else "").encode("utf-8")
    else:
        raw = stream.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise UnreadableFile(f"standard input is larger than {MAX_FILE_BYTES} bytes (1 MiB)")
    return ProfileFile(raw, (-1, -1))


def _read_at_most(descriptor: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = os.read(descriptor, min(remaining, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def load_document(path: Path, display_name: str) -> Document:
    """Read `path` as a single YAML mapping; every problem is a DeployKitError at its location."""
    try:
        raw = read_profile_file(path).raw
    except UnreadableFile as exc:
        raise DeployKitError(exc.reason, Location(display_name, 1, 1)) from None
    return parse_document(raw, display_name)


def parse_document(raw: bytes, display_name: str) -> Document:
    """The bytes of one profile file as a single YAML mapping; every problem is a DeployKitError at its location."""
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


class _TooDeep(Exception):
    """Raised by the bounded scanner at the token that opens one level too many."""

    def __init__(self, line: int, column: int):
        self.line = line
        self.column = column


class _TooManyTokens(_TooDeep):
    """Raised by the bounded scanner at the token past MAX_TOKENS."""


@functools.cache
def _bounded_scanner() -> type:
    """ruamel.yaml's scanner, refusing to open more than MAX_SCANNER_DEPTH levels.

    Built on first use: ruamel.yaml is imported only when a file is read.
    """
    from ruamel.yaml.scanner import Scanner

    class BoundedScanner(Scanner):
        tokens_fetched = 0

        def fetch_more_tokens(self) -> Any:
            self.tokens_fetched += 1
            if self.tokens_fetched > MAX_TOKENS:
                raise _TooManyTokens(self.reader.line + 1, self.reader.column + 1)
            return super().fetch_more_tokens()

        def _refuse_deeper(self, line: int, column: int) -> None:
            if self.flow_level + len(self.indents) >= MAX_SCANNER_DEPTH:
                raise _TooDeep(line, column)

        def fetch_flow_collection_start(self, TokenClass: Any, to_push: str) -> None:
            self._refuse_deeper(self.reader.line + 1, self.reader.column + 1)
            super().fetch_flow_collection_start(TokenClass, to_push)

        def add_indent(self, column: int) -> bool:
            if self.indent < column:
                # `column` is where the new level's key or `-` starts: point there, not at the `:` after it.
                self._refuse_deeper(self.reader.line + 1, column + 1)
            return super().add_indent(column)

    return BoundedScanner


def _compose(text: str, display_name: str, column_offset: int = 0):
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    _refuse_raw_controls(text, display_name, column_offset)
    if text.count("\n") > MAX_LINES:
        raise DeployKitError(
            f"more lines than any profile needs (at most {MAX_LINES})", Location(display_name, MAX_LINES + 1, 1)
        )
    yaml = YAML(typ="safe", pure=True)
    yaml.Scanner = _bounded_scanner()
    try:
        return yaml.compose(text)
    except _TooManyTokens as exc:
        raise DeployKitError(
            "more keys and values than any profile needs (some 5,000 `key: value` pairs at most)",
            Location(display_name, exc.line, exc.column + column_offset),
        ) from None
    except _TooDeep as exc:
        raise DeployKitError(
            f"nesting is deeper than any profile needs (at most {MAX_DEPTH} levels)",
            Location(display_name, exc.line, exc.column + column_offset),
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
        unquoted = _unquoted_star(text, mark, display_name, column_offset) if mark else None
        if unquoted is not None:
            message, column = unquoted
            raise DeployKitError(message, Location(display_name, mark.line + 1, column + 1 + column_offset)) from None
        raise DeployKitError(f"invalid YAML: {problem}", location) from None
    except YAMLError as exc:
        raise DeployKitError(f"invalid YAML: {exc}", Location(display_name, 1, 1)) from None


def _unquoted_star(text: str, mark: Any, display_name: str, column_offset: int) -> tuple[str, int] | None:
    """What to say when a plain value starts with `*` (a cron schedule, a wildcard host): YAML reads it
    as an alias (`*name`), and ruamel.yaml says "found undefined alias '/5'"."""
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    column = next((at for at in (mark.column, mark.column - 1) if 0 <= at < len(line) and line[at] == "*"), None)
    if column is None:
        return None
    value = line[column:].split(" #", 1)[0].rstrip()
    if line[:column].rstrip().endswith(("[", ",", "{")):  # in a flow collection: up to the next item
        value = re.split(r"[,\]}]", value, maxsplit=1)[0].rstrip()
    quoted = f'"{value}"' if '"' not in value else f"'{value}'"
    said = "a value starting with `*` is read by YAML as an alias (`*name`), not as text"
    if column_offset:  # a --set value: the YAML quotes go inside the shell's
        field = display_name.removeprefix("--set ").partition("=")[0]
        return f"{said}: quote it, inside the shell's quotes: --set '{field}={quoted}'", column
    return f"{said}: quote it: {quoted}", column


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
            if _KEY_CONTROL.search(key):
                raise DeployKitError("control characters are not allowed in keys", self.location(key_node), path)
            self._refuse_surrogates(key, key_node, path)
            child = (*path, key)
            if key in result:
                first = self.positions[child]
                raise DeployKitError(
                    f"duplicate key {key!r} (first defined at line {first.line})", self.location(key_node), child
                )
            self.positions[child] = self.location(key_node)
            result[key] = self.convert(value_node, child)
        return result

    def _refuse_surrogates(self, text: str, node, path: FieldPath) -> None:
        found = _SURROGATE.search(text)
        if found is not None:
            raise DeployKitError(
                f"lone surrogate U+{ord(found.group()):04X} is not Unicode text", self.location(node), path
            )

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
        self._refuse_surrogates(text, node, path)
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
            digits = len(text.lstrip("+-"))
            if digits > MAX_INTEGER_DIGITS:
                raise DeployKitError(
                    f"the plain number {text[:20]}... ({digits} digits) is longer than any field takes "
                    f"(at most {MAX_INTEGER_DIGITS} digits); quote it if it is text",
                    self.location(node),
                    path,
                )
            return int(text)
        if _FLOAT.match(text) or _FLOAT_SPECIAL.match(text):
            return float(text.lower().replace(".inf", "inf").replace(".nan", "nan"))
        return text


def _tag(node) -> str:
    return str(getattr(node.tag, "value", node.tag) or "")
