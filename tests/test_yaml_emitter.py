"""deploykit's YAML writer is byte-identical to ruamel.yaml's emitter, which defines the output.

`yamldump.dump` writes the plain data targets build without ruamel.yaml's event machinery (it was three
quarters of `check`'s time); `yamldump.reference_dump` is ruamel.yaml itself. They must agree on every
golden file, on the strings YAML readers retype or need quoted, and on generated data.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from deploykit.yamldump import dump, reference_dump

GOLDEN_YAML = sorted(path for path in (REPO / "manifests").rglob("*.yaml") if path.is_file()) + sorted(
    (REPO / "profiles").glob("*.yaml")
)

# Strings whose style matters: YAML 1.1/1.2 lookalikes, indicators, white space, breaks, escapes, Unicode.
TRICKY = [
    "", "yes", "no", "on", "off", "y", "n", "true", "False", "null", "~", "1.10", "0755", "0o755", "0x1F",
    "1e3", ".inf", "-.inf", ".nan", "1_000", "12:30:00", "2026-12-01", "2026-12-01T10:00:00Z", "=", "<<",
    "1.4.2", "+1", "-1", "-", "--", "---", "...", "- a", "? a", ": a", "a:", "a: b", "a:b", "a #b", "a#b",
    "#a", "@a", "`a", "%a", "&a", "*a", "!a", "|a", ">a", "'a", '"a', "[a]", "{a}", "a,b", "it's",
    'say "hi"', "back\\slash", " lead", "trail ", " ", "\t", "tab\there", "a\nb", "a\nb\n", "a\nb\n\n",
    "\n", "\n\n", "\nlead", " \nx", "x\n ", "x \ny", "a\n\nb", "a\r\nb", "\x00", "\x07", "\x1b", "\x7f",
    "\x85", "\xa0", "\u2028", "a\u2029b", "\ufeff", "unicode: ünï ✓ 😀", "Host(`api.example.com`)",
    "python -c \"import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')\"",
    "x" * 9000, "a b " * 3000,
]  # fmt: skip


def _load(path: Path):
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", GOLDEN_YAML, ids=[str(p.relative_to(REPO)) for p in GOLDEN_YAML])
def test_golden_files_are_written_identically(path: Path):
    data = _load(path)
    assert dump(data) == reference_dump(data)


@pytest.mark.parametrize("text", TRICKY, ids=[repr(t)[:40] for t in TRICKY])
def test_tricky_strings_are_written_identically(text: str):
    for data in ({"k": text}, [text], {"k": [text, {"m": text}]}, {"outer": {"inner": [[text, text]]}}):
        assert dump(data) == reference_dump(data)
    if text and "\n" not in text and len(text) < 100:
        assert dump({text: 1}) == reference_dump({text: 1})


def test_yaml_1_1_lookalikes_are_double_quoted():
    assert dump({"a": "yes", "b": "1.10", "c": "0755", "d": "", "e": "on"}) == (
        'a: "yes"\nb: "1.10"\nc: "0755"\nd: ""\ne: "on"\n'
    )


def test_multi_line_text_is_a_literal_block():
    assert dump({"script": "set -e\necho ok\n"}) == "script: |\n  set -e\n  echo ok\n"


scalars = st.one_of(
    st.text(),
    st.sampled_from(TRICKY[:-2]),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
)
keys = st.one_of(st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-/]{0,20}", fullmatch=True), st.text(max_size=10))
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.dictionaries(keys, documents, max_size=5), st.lists(documents, max_size=5)))
def test_generated_documents_are_written_identically_and_read_back_unchanged(data):
    text = dump(data)
    assert text == reference_dump(data)
    assert YAML(typ="safe", pure=True).load(text) == data


def test_unicode_line_separators_are_escaped_so_they_read_back():
    # ruamel.yaml's emitter splits lines at U+2028 inside block scalars; its reader (YAML 1.2) does not.
    text = dump({"a": "x\n\u2028$", "b": "y\u2029z"})
    assert text == 'a: "x\\n\\L$"\nb: "y\\Pz"\n'
    assert YAML(typ="safe", pure=True).load(text) == {"a": "x\n\u2028$", "b": "y\u2029z"}
