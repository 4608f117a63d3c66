"""The one YAML emitter for every YAML file deploykit writes.

Output is deterministic (keys in the order the builders chose, no timestamps) and safe for YAML 1.1
readers: strings such as `yes`, `on`, `1.10` or `0755`, which a 1.1 reader (go-yaml v2, kubectl, PyYAML)
would retype, are double-quoted.

ruamel.yaml's emitter (`reference_dump`) defines the output. It is pure Python and spent three quarters
of `check`'s time, and the C emitters (libyaml, through PyYAML or ruamel.yaml.clib) cannot write block
sequences indented under their key, which every golden file does. So `dump` writes the plain data the
targets build (mappings, lists, strings, integers, booleans, null) itself, deciding each string's style
with ruamel.yaml's own scalar analysis and resolver, and hands anything else (floats, long or unusual
keys, strings long enough to wrap, Unicode line separators) to `reference_dump` whole. Tests hold `dump`
byte-identical to `reference_dump` over every golden file and over generated data.
"""

from __future__ import annotations

import io
import re
import sys
from functools import cache, lru_cache
from typing import Any

# Plain scalars that any YAML 1.1 or 1.2 reader would read as a non-string.
_RETYPED = re.compile(
    r"^(?:~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0[0-7_]+|[-+]?0b[01_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?0o[0-7_]+"
    r"|[-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|=|<<)$"
)
# Strings that are plain for certain: they start with a letter or `_` (YAML 1.2 resolves such a word only
# as true/false/null, which _RETYPED catches), hold no space, and every `:` is followed by more text.
_SURELY_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9._/-]*(?::[A-Za-z0-9._/-]+)*")
# ruamel.yaml's emitter folds lines longer than its width (65536 here); strings this short never reach it.
_MAX_FAST_LENGTH = 8192
# ruamel.yaml's emitter splits plain, single-quoted and block scalars at these (YAML 1.1 line breaks),
# but its reader, like every YAML 1.2 reader, keeps them as text: the value would come back changed.
# Double quotes escape them (\N, \L, \P), so text holding one is always double-quoted.
_UNICODE_BREAKS = re.compile("[\x85\u2028\u2029]")
# Characters a block scalar cannot hold as they are (control characters other than \n, DEL, C1 controls,
# surrogates, BOM and non-characters): YAML readers refuse them raw, so such text is double-quoted and escaped.
_NOT_IN_BLOCK = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")
# What a double-quoted scalar escapes, as ruamel.yaml's write_double_quoted (allow_unicode) does.
_ESCAPES = {
    "\0": "0",
    "\x07": "a",
    "\x08": "b",
    "\x09": "t",
    "\x0a": "n",
    "\x0b": "v",
    "\x0c": "f",
    "\x0d": "r",
    "\x1b": "e",
    '"': '"',
    "\\": "\\",
    "\x85": "N",
    "\xa0": "_",
    "\u2028": "L",
    "\u2029": "P",
}
_NEEDS_ESCAPE = re.compile('[^\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|["\\\\\x85\u2028\u2029\ufeff]')


class _Unsupported(Exception):
    """Data the fast writer leaves to ruamel.yaml."""


def dump(data: Any) -> str:
    """One YAML document."""
    out: list[str] = []
    try:
        if type(data) is dict and data:
            _mapping(data, 0, out, inline=False)
        elif type(data) is list and data:
            _sequence(data, 2, out, inline=False)
        else:
            raise _Unsupported
    except _Unsupported:
        return reference_dump(data)
    if out[-1].startswith((" |+", " |2+")):
        # A document ending in a "keep" block scalar is open-ended: ruamel.yaml closes it with `...`.
        out.append("...\n")
    return "".join(out)


def _mapping(mapping: dict, indent: int, out: list[str], inline: bool) -> None:
    """A block mapping whose keys start at column `indent`; with `inline`, the first key ends a `- ` line."""
    pad = " " * indent
    first = True
    for key, value in mapping.items():
        prefix = "" if first and inline else pad
        first = False
        key_text = _key(key)
        kind = type(value)
        if kind is dict:
            if value:
                out.append(f"{prefix}{key_text}:\n")
                _mapping(value, indent + 2, out, inline=False)
            else:
                out.append(f"{prefix}{key_text}: {{}}\n")
        elif kind is list:
            if value:
                out.append(f"{prefix}{key_text}:\n")
                _sequence(value, indent + 2, out, inline=False)
            else:
                out.append(f"{prefix}{key_text}: []\n")
        else:
            out.append(f"{prefix}{key_text}:")
            _scalar(value, indent + 2, out)


def _sequence(sequence: list, dash: int, out: list[str], inline: bool) -> None:
    """A block sequence whose dashes are at column `dash` and items at `dash + 2` (ruamel's offset 2, indent 4)."""
    pad = " " * dash
    for index, item in enumerate(sequence):
        prefix = "" if index == 0 and inline else pad
        kind = type(item)
        if kind is dict and item:
            out.append(f"{prefix}- ")
            _mapping(item, dash + 2, out, inline=True)
        elif kind is list and item:
            out.append(f"{prefix}-   ")
            _sequence(item, dash + 4, out, inline=True)
        elif kind is dict:
            out.append(f"{prefix}- {{}}\n")
        elif kind is list:
            out.append(f"{prefix}- []\n")
        else:
            out.append(f"{prefix}-")
            _scalar(item, dash + 2, out)


def _key(key: Any) -> str:
    if type(key) is not str or len(key) >= 128 or not _SURELY_PLAIN.fullmatch(key):
        raise _Unsupported  # a long key becomes a `? ` complex key; unusual ones get ruamel's analysis
    return f'"{key}"' if _RETYPED.fullmatch(key) else key


def _scalar(value: Any, indent: int, out: list[str]) -> None:
    """` value\\n` after a key or dash; a literal block's lines are indented to `indent`."""
    kind = type(value)
    if kind is str:
        _string(value, indent, out)
    elif kind is bool:
        out.append(" true\n" if value else " false\n")
    elif kind is int:
        out.append(f" {value}\n")
    elif value is None:
        out.append(" null\n")
    else:
        raise _Unsupported  # floats and anything else: ruamel.yaml's representer decides


def _string(text: str, indent: int, out: list[str]) -> None:
    if _SURELY_PLAIN.fullmatch(text):
        out.append(f' "{text}"\n' if _RETYPED.fullmatch(text) else f" {text}\n")
        return
    if len(text) > _MAX_FAST_LENGTH:
        raise _Unsupported
    style = _style(text)
    if style == "":
        out.append(f" {text}\n")
    elif style == "'":
        out.append(f" '{text}'\n")  # chosen only for text without `'` or line breaks
    elif style == '"':
        out.append(f' "{_NEEDS_ESCAPE.sub(_escape, text)}"\n')
    else:
        out.append(_literal(text, indent))


@lru_cache(maxsize=4096)  # the same image names, commands and hosts recur in every environment
def _style(text: str) -> str:
    """The style ruamel.yaml's emitter chooses for `text` in block context: '', "'", '"' or '|'.

    The first two steps are the representer's (`represent_str` below); the rest is the emitter's
    choose_scalar_style, with its own analysis and resolver.
    """
    representer_style = _representer_style(text)
    if representer_style is not None:
        return representer_style
    analysis = _analyze(text)
    if analysis.allow_block_plain and _resolves_to_string(text):
        return ""
    if "'" in text or "\n" in text:
        return '"'
    return "'" if analysis.allow_single_quoted else '"'


def _representer_style(text: str) -> str | None:
    """The style deploykit asks for: quoted when a YAML 1.1 reader would retype the text, a literal block for
    multi-line text that one can hold exactly, else None (the emitter decides)."""
    if text == "" or _RETYPED.fullmatch(text) or _UNICODE_BREAKS.search(text):
        return '"'
    if "\n" in text and not text.endswith((" ", "\t")) and not _NOT_IN_BLOCK.search(text):
        return "|"
    return None


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _ESCAPES:
        return "\\" + _ESCAPES[char]
    if char <= "\xff":
        return f"\\x{ord(char):02X}"
    if char <= "\uffff":
        return f"\\u{ord(char):04X}"
    return f"\\U{ord(char):08X}"


def _literal(text: str, indent: int) -> str:
    """A `|` block scalar as ruamel.yaml's write_literal writes it (only \\n breaks reach here)."""
    hints = "2" if text[0] in " \n" else ""
    if text[-1] != "\n":
        hints += "-"
    elif len(text) == 1 or text[-2] == "\n":
        hints += "+"
    pad = " " * indent
    parts = [f" |{hints}\n"]
    # Each line is indented unless it is empty; the text's own line breaks are kept as they are.
    body = text[:-1] if text.endswith("\n") else text
    for line in body.split("\n"):
        parts.append(f"{pad}{line}\n" if line else "\n")
    return "".join(parts)


@cache
def _emitter_shim() -> Any:
    """What ruamel.yaml's Emitter.analyze_scalar reads from its emitter, set as `reference_dump` sets it."""
    from types import SimpleNamespace

    return SimpleNamespace(
        serializer=SimpleNamespace(use_version=None),
        unicode_supplementary=sys.maxunicode > 0xFFFF,
        allow_unicode=True,
        allow_space_break=None,
    )


def _analyze(text: str) -> Any:
    from ruamel.yaml.emitter import Emitter

    return Emitter.analyze_scalar(_emitter_shim(), text)


@cache
def _resolver() -> Any:
    from ruamel.yaml.resolver import VersionedResolver

    return VersionedResolver()


def _resolves_to_string(text: str) -> bool:
    from ruamel.yaml.nodes import ScalarNode

    return _resolver().resolve(ScalarNode, text, (True, False)) == "tag:yaml.org,2002:str"


def reference_dump(data: Any) -> str:
    """One YAML document through ruamel.yaml's emitter: the definition of deploykit's YAML output."""
    stream = io.StringIO()
    _ruamel_yaml().dump(data, stream)
    return stream.getvalue()


@cache
def _representer() -> Any:
    from ruamel.yaml.representer import SafeRepresenter

    class Representer(SafeRepresenter):
        def ignore_aliases(self, data: Any) -> bool:
            # Never `&id001`/`*id001`: a builder may reuse one dict in two places, and Kubernetes, Compose and
            # people expect every value written out where it belongs (the fast writer never writes aliases).
            return True

        def represent_str(self, data: str) -> Any:
            return self.represent_scalar("tag:yaml.org,2002:str", data, style=_representer_style(data))

    Representer.add_representer(str, Representer.represent_str)
    return Representer


def _ruamel_yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.Representer = _representer()
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]  # ruamel annotates only its default, None
    yaml.width = 1 << 16  # never fold long lines: folding is valid but makes diffs noisy
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    return yaml
