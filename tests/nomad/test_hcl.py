"""The one escaping filter, on the cases HCL's scanner decides (hashicorp/hcl hclsyntax/scan_tokens.rl)."""

from __future__ import annotations

import pytest

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
