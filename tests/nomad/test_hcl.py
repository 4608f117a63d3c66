"""The one escaping filter, on the cases HCL's scanner decides (hashicorp/hcl hclsyntax/scan_tokens.rl)."""

from __future__ import annotations

import hcl2
import pytest
from helpers import REPO

from deploykit.output import HEADER
from deploykit.targets.nomad.hcl import environment, hcl_identifier, hcl_value, quote


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ('say "hi"', '"say \\"hi\\""'),
        ("a\\b", '"a\\\\b"'),
        ("line\nnext\r\ttab", '"line\\nnext\\r\\ttab"'),
        ("\x00\x1b\x7f\x85\u2028", '"\\u0000\\u001b\\u007f\\u0085\\u2028"'),
        ("${x}", '"$${x}"'),
        ("%{if x}", '"%%{if x}"'),
        # A `$` before an escaped `${` stays a lone literal `$`: HCL reads `$` then `$${` (TemplateNotInterp).
        ("$${", '"$$${"'),
        ("%%{", '"%%%{"'),
        ("100% $HOME {{ .x }}", '"100% $HOME {{ .x }}"'),
        ("é😀", '"é😀"'),
    ],
)
def test_quote(text, written):
    assert quote(text) == written


def test_values_and_identifiers():
    assert hcl_value(["a", 1, True]) == '["a", 1, true]'
    assert hcl_identifier("LOG_LEVEL") == "LOG_LEVEL"
    with pytest.raises(ValueError):
        hcl_identifier("A B")
    with pytest.raises(TypeError):
        hcl_value(1.5)


def test_a_value_written_without_the_filter_fails_the_render():
    template = environment().from_string("a = {{ value }}\n")
    with pytest.raises(TypeError, match="did not pass through an escaping filter"):
        template.render(value="x")
    assert environment().from_string("a = {{ value | hcl }}\n").render(value='x"') == 'a = "x\\""\n'


def _normalised(value: object) -> object:
    """Blocks of one type sorted by label: HCL's JSON syntax keeps no order among them."""
    if isinstance(value, dict):
        return {key: _normalised(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [_normalised(item) for item in value]
        if all(isinstance(item, dict) and len(item) == 1 for item in items):
            return sorted(items, key=lambda item: next(iter(item)))  # type: ignore[arg-type]
        return items
    return value


def test_python_hcl2_reads_the_bundled_jobs_as_hashicorps_parser_does(parse_hcl):
    """python-hcl2 stays as a second, independent reader where it is reliable (no escaped openers)."""
    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
    jobs = sorted((REPO / "manifests").glob("*/nomad/*.hcl"))
    assert len(jobs) >= 3
    for job in jobs:
        text = job.read_text(encoding="utf-8").removeprefix(HEADER)
        second = hcl2.loads(HEADER + text, serialization_options=options)
        second.pop("__comments__", None)
        assert _normalised(second) == _normalised(parse_hcl(text)), job
