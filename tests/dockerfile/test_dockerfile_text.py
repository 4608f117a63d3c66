"""The Dockerfile escaping filter, and the guard that every template value goes through it."""

from __future__ import annotations

import pytest

from deploykit.targets.dockerfile.text import dockerfile_value, environment


def test_lists_become_one_line_json_arrays():
    assert dockerfile_value(["a b", 'say "hi"', "back\\slash", "new\nline", "é $HOME"]) == (
        '["a b", "say \\"hi\\"", "back\\\\slash", "new\\nline", "\\u00e9 $HOME"]'
    )


@pytest.mark.parametrize(
    "word", ["python:3.12-slim-bookworm", "/code/app", "10001:10001", "libpq5=15.8-0+deb12u1", 8000]
)
def test_plain_words_pass_unchanged(word):
    assert dockerfile_value(word) == str(word)


@pytest.mark.parametrize("word", ["$HOME", "a b", "-rf", "~root", "#x", "a\\", "x;y", "", "a\nFROM x", "word\n"])
def test_words_that_would_need_quoting_are_refused(word):
    with pytest.raises(ValueError, match="cannot be written as a plain Dockerfile word"):
        dockerfile_value(word)


def test_booleans_have_no_dockerfile_form():
    with pytest.raises(TypeError):
        dockerfile_value(True)


def test_a_template_value_without_the_filter_is_refused():
    with pytest.raises(TypeError, match=r"template output 'x' did not pass through an escaping filter \(dockerfile\)"):
        environment().from_string("WORKDIR {{ path }}").render(path="x")
