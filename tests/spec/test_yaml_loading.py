"""`load_document`: one YAML file in, plain data and positions out, or one located error."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from deploykit.errors import DeployKitError, Location
from deploykit.loading.yamlfile import MAX_FILE_BYTES, load_document


def load_bytes(tmp_path: Path, content: bytes):
    path = tmp_path / "profile.yaml"
    path.write_bytes(content)
    return load_document(path, "profile.yaml")


def error_of(tmp_path: Path, content: bytes) -> str:
    with pytest.raises(DeployKitError) as caught:
        load_bytes(tmp_path, content)
    return str(caught.value)


def ambiguous(text: str, line: int = 1, column: int = 8) -> str:
    return (
        f"profile.yaml:{line}:{column}: value: the plain value {text!r} means different things to different YAML readers; "
        f'quote it ("{text}") if it is text, or write true/false or a plain number'
    )


def test_plain_data_and_positions_of_keys_and_items(tmp_path):
    document = load_bytes(
        tmp_path, b"app: items-api\nport: 8000\ncommand:\n  - fastapi\n  - run\nhealth:\n  path: /healthz\n"
    )
    assert document.data == {
        "app": "items-api",
        "port": 8000,
        "command": ["fastapi", "run"],
        "health": {"path": "/healthz"},
    }
    assert document.positions[("port",)] == Location("profile.yaml", 2, 1)
    assert document.positions[("command", 1)] == Location("profile.yaml", 5, 5)
    assert document.positions[("health", "path")] == Location("profile.yaml", 7, 3)
    assert document.file == "profile.yaml"


def test_duplicate_key_points_at_the_second_and_names_the_first(tmp_path):
    assert error_of(tmp_path, b"app: a\nhealth:\n  path: /a\n  path: /b\n") == (
        "profile.yaml:4:3: health.path: duplicate key 'path' (first defined at line 3)"
    )


def test_anchor_is_refused_where_it_is_defined(tmp_path):
    assert error_of(tmp_path, b"env: &shared {A: b}\nother: *shared\n") == (
        "profile.yaml:1:6: env: YAML anchors and aliases are not allowed in profiles"
    )


def test_billion_laughs_fails_fast_with_bounded_memory(tmp_path):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    content = ("\n".join(lines) + "\n").encode()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        message = error_of(tmp_path, content)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message == "profile.yaml:1:5: a0: YAML anchors and aliases are not allowed in profiles"
    # Expanded, the document holds 9**10 strings; refused, it costs what a small file costs.
    assert elapsed < 1.0
    assert peak < 5 * 1024 * 1024


@pytest.mark.parametrize(
    ("content", "written"),
    [
        (b"value: !!str 1\n", "!!str"),  # a core tag: it once let `1` through as a number
        (b"value: !!binary aGVsbG8=\n", "!!binary"),
        (b"value: !custom x\n", "!custom"),
        (b"value: !!python/object:os.system x\n", "!!python/object:os.system"),
        (b"value: !<tag:yaml.org,2002:str> 1\n", "!<tag:yaml.org,2002:str>"),
        (b"value: ! 1\n", "!"),
        (b"value: !!map {a: 1}\n", "!!map"),
    ],
)
def test_explicit_tags_are_refused(tmp_path, content, written):
    assert error_of(tmp_path, content) == (
        f"profile.yaml:1:8: value: explicit YAML tags are not allowed (found {written!r}); write the plain value, quoted if it is text"
    )


def test_explicit_tag_on_a_key_is_refused(tmp_path):
    assert error_of(tmp_path, b"!!str app: x\n") == (
        "profile.yaml:1:1: explicit YAML tags are not allowed (found '!!str'); write the plain value, quoted if it is text"
    )


def test_invalid_utf8_points_at_the_byte(tmp_path):
    assert error_of(tmp_path, b"app: items\nimage: caf\xe9:1\n") == "profile.yaml:2:11: not valid UTF-8 (byte 0xe9)"


def test_invalid_utf8_column_counts_characters_not_bytes(tmp_path):
    # "é" is two bytes; editors show the bad byte in column 6.
    assert error_of(tmp_path, 'a: "é'.encode() + b'\xff"\n') == "profile.yaml:1:6: not valid UTF-8 (byte 0xff)"


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    assert load_bytes(tmp_path, b"\xef\xbb\xbfapp: items\n").data == {"app": "items"}


def test_file_over_one_mebibyte_is_refused_before_parsing(tmp_path):
    # Invalid UTF-8 and invalid YAML throughout: only the size check can have produced the message.
    content = b"\xff: [" * (MAX_FILE_BYTES // 3 + 1)
    started = time.perf_counter()
    assert error_of(tmp_path, content) == (
        f"profile.yaml:1:1: file is {len(content)} bytes; profiles are limited to 1048576 bytes (1 MiB)"
    )
    assert time.perf_counter() - started < 0.5


def test_file_of_exactly_one_mebibyte_is_read(tmp_path):
    content = b"app: items\n" + b"#" * (MAX_FILE_BYTES - 12) + b"\n"
    assert len(content) == MAX_FILE_BYTES
    assert load_bytes(tmp_path, content).data == {"app": "items"}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        # Control characters raw in the file: ruamel.yaml would report them on several lines, without a position.
        (b'app: "a\x01b"\n', "profile.yaml:1:8: control character U+0001 is not allowed"),
        (b"app: a\nimage: b\x1bc\n", "profile.yaml:2:9: control character U+001B is not allowed"),
        ("app: a\u0085b\n".encode(), "profile.yaml:1:7: control character U+0085 is not allowed"),
        (b"app: a\x7f\n", "profile.yaml:1:7: control character U+007F is not allowed"),
        # Control characters written as escapes in double quotes.
        (b'app: "a\\x07b"\n', "profile.yaml:1:6: app: control characters are not allowed in values"),
        (b'app: "a\\rb"\n', "profile.yaml:1:6: app: control characters are not allowed in values"),
        (b'"a\\x00": b\n', "profile.yaml:1:1: control characters are not allowed in keys"),
        # Syntax errors.
        (b"app: [a, b\nimage: x\n", "profile.yaml:2:6: invalid YAML: expected ',' or ']', but got ':'"),
        (
            b"health:\n  path: /a\n port: 1\n",
            "profile.yaml:3:2: invalid YAML: expected <block end>, but found '<block mapping start>'",
        ),
        (b"app: 'open\n", "profile.yaml:2:1: invalid YAML: found unexpected end of stream"),
        (b"\tapp: a\n", "profile.yaml:1:1: invalid YAML: found character '\\t' that cannot start any token"),
        (b"app: a: b\n", "profile.yaml:1:7: invalid YAML: mapping values are not allowed here"),
        (
            b"app: a\n---\napp: b\n",
            "profile.yaml:2:1: invalid YAML: expected a single document in the stream, but found another document",
        ),
    ],
)
def test_refused_with_its_position(tmp_path, content, expected):
    assert error_of(tmp_path, content) == expected


def test_tabs_newlines_and_crlf_line_ends_are_fine(tmp_path):
    document = load_bytes(tmp_path, b'app: items\r\nvalue: "a\\tb\\nc"\r\nblock: |\r\n  x\ty\r\n')
    assert document.data == {"app": "items", "value": "a\tb\nc", "block": "x\ty\n"}


@pytest.mark.parametrize(
    "text",
    [
        "no",
        "No",
        "off",
        "on",
        "ON",
        "y",
        "n",
        "yes",
        "0755",
        "0o17",
        "0x1F",
        "0b101",
        "1_000",
        "12:30",
        "1:2:3",
        "2024-01-01",
        "=",
        "<<",
    ],
)
def test_plain_values_that_yaml_readers_disagree_on_are_refused(tmp_path, text):
    assert error_of(tmp_path, f"app: items\nvalue: {text}\n".encode()) == ambiguous(text, line=2)


@pytest.mark.parametrize(
    ("text", "number"), [("1.10", "1.1"), ("3.10", "3.1"), ("0.50", "0.5"), ("2.00", "2.0"), ("-1.20", "-1.2")]
)
def test_decimals_that_lose_a_trailing_zero_are_refused(tmp_path, text, number):
    assert error_of(tmp_path, f"value: {text}\n".encode()) == (
        f"profile.yaml:1:8: value: the plain value {text!r} is read as the number {number}, losing its trailing zero; "
        f'quote it ("{text}") if it is text, or write {number} if it is a number'
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("~", None),
        ("null", None),
        ("", None),
        ("true", True),
        ("False", False),
        ("8000", 8000),
        ("-3", -3),
        ("0", 0),
        ("1.5", 1.5),
        ("1.0", 1.0),
        ("1e3", 1000.0),
        ("'no'", "no"),
        ('"1.10"', "1.10"),
        ('"0755"', "0755"),
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("2001:db8::1", "2001:db8::1"),
        ("items-api", "items-api"),
    ],
)
def test_plain_values_keep_one_meaning(tmp_path, text, value):
    assert load_bytes(tmp_path, f"value: {text}\n".encode()).data == {"value": value}


def test_block_scalar_is_always_text(tmp_path):
    assert load_bytes(tmp_path, b"value: |\n  no\n").data == {"value": "no\n"}


@pytest.mark.parametrize("content", [b"", b"\n\n", b"# only a comment\n", b"---\n"])
def test_empty_file(tmp_path, content):
    assert error_of(tmp_path, content) == "profile.yaml:1:1: the profile is empty; expected a mapping of fields"


@pytest.mark.parametrize(
    ("content", "column"), [(b"- app\n- image\n", 1), (b"just text\n", 1), (b"8000\n", 1), (b"---\n[a, b]\n", 1)]
)
def test_top_level_must_be_a_mapping(tmp_path, content, column):
    line = 2 if content.startswith(b"---") else 1
    assert error_of(tmp_path, content) == (
        f"profile.yaml:{line}:{column}: the profile must be a mapping of fields, not a list or a single value"
    )


@pytest.mark.parametrize("content", [b"? [a, b]\n: 1\n", b"<<: {app: a}\n"])
def test_complex_and_merge_keys_are_refused(tmp_path, content):
    message = error_of(tmp_path, content)
    assert message.endswith(": mapping keys must be plain strings (no merge keys or complex keys)")


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DeployKitError) as caught:
        load_document(tmp_path / "absent.yaml", "absent.yaml")
    assert str(caught.value) == "absent.yaml:1:1: file not found"
    with pytest.raises(DeployKitError) as caught:
        load_document(tmp_path, "dir")
    assert str(caught.value) == "dir:1:1: is a directory, not a profile file"


def test_special_files_are_refused_without_reading_them(tmp_path):
    """A FIFO or a device would be read without end (`-p /dev/zero` grew past 20 GB): only regular files are opened."""
    import os

    fifo = tmp_path / "profile.yaml"
    os.mkfifo(fifo)
    started = time.perf_counter()
    with pytest.raises(DeployKitError) as caught:
        load_document(fifo, "profile.yaml")
    assert (
        str(caught.value) == "profile.yaml:1:1: is not a regular file (a FIFO, socket or device); give a profile file"
    )
    for device in ("/dev/zero", "/dev/urandom"):
        with pytest.raises(DeployKitError) as caught:
            load_document(Path(device), device)
        assert (
            str(caught.value) == f"{device}:1:1: is not a regular file (a FIFO, socket or device); give a profile file"
        )
    assert time.perf_counter() - started < 1.0


def test_a_link_to_a_regular_file_is_read_and_a_link_to_a_device_is_not(tmp_path):
    (tmp_path / "real.yaml").write_text("app: items\n")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "real.yaml")
    assert load_document(tmp_path / "link.yaml", "link.yaml").data == {"app": "items"}
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    with pytest.raises(DeployKitError) as caught:
        load_document(tmp_path / "zero.yaml", "zero.yaml")
    assert str(caught.value) == "zero.yaml:1:1: is not a regular file (a FIFO, socket or device); give a profile file"


def test_a_symlink_loop_is_a_located_error(tmp_path):
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    with pytest.raises(DeployKitError) as caught:
        load_document(tmp_path / "a.yaml", "a.yaml")
    assert str(caught.value) == "a.yaml:1:1: cannot read file: Too many levels of symbolic links"


@pytest.mark.parametrize(
    ("depth", "opener", "closer"),
    [(2000, "[", "]"), (2000, "{a: ", "}"), (100_000, "[", "]")],
    ids=["2k-lists", "2k-maps", "100k-lists"],
)
def test_deep_flow_nesting_is_refused_quickly_where_it_gets_too_deep(tmp_path, depth, opener, closer):
    """2,000 nested `[` (4 KB) took 8.4 s: the scanner's cost grows with the nesting, so it stops at twice the limit."""
    content = ("value: " + opener * depth + closer * depth + "\n").encode()
    started = time.perf_counter()
    message = error_of(tmp_path, content)
    assert time.perf_counter() - started < 2.0
    column = 8 + 63 * len(opener)  # the 65th open level, counting the top-level mapping
    assert message == f"profile.yaml:1:{column}: nesting is deeper than any profile needs (at most 32 levels)"


def test_deep_block_nesting_is_refused_where_it_gets_too_deep(tmp_path):
    lines = [" " * level + f"k{level}:" for level in range(1000)]
    content = ("\n".join(lines) + " 1\n").encode()
    started = time.perf_counter()
    message = error_of(tmp_path, content)
    assert time.perf_counter() - started < 2.0
    assert message == "profile.yaml:65:65: nesting is deeper than any profile needs (at most 32 levels)"


def test_nesting_just_past_the_limit_still_names_the_field(tmp_path):
    content = ("value: " + "[" * 40 + "]" * 40 + "\n").encode()
    message = error_of(tmp_path, content)
    assert message.startswith("profile.yaml:1:40: value" + "[0]" * 32 + ": nesting is deeper than any profile needs")


@pytest.mark.parametrize(
    "text", ["1_" * 20_000 + "x", "0" + "_" * 100_000 + "x"], ids=["underscores", "zero-underscores"]
)
def test_plain_values_are_classified_in_linear_time(tmp_path, text):
    started = time.perf_counter()
    assert load_bytes(tmp_path, f"value: {text}\n".encode()).data == {"value": text}
    assert time.perf_counter() - started < 1.0


def test_an_integer_longer_than_any_field_takes_is_refused_where_it_is_written(tmp_path):
    """Python refuses to convert integers over 4,300 digits (a ValueError that ended in exit 3)."""
    for digits in (65, 4301, 100_000):
        assert error_of(tmp_path, f"app: items\nreplicas: {'1' * digits}\n".encode()) == (
            f"profile.yaml:2:11: replicas: the plain number 11111111111111111111... ({digits} digits) is longer than any field takes "
            "(at most 64 digits); quote it if it is text"
        )
    assert load_bytes(tmp_path, f"value: {'9' * 64}\n".encode()).data == {"value": int("9" * 64)}
    assert load_bytes(tmp_path, f"value: '{'9' * 5000}'\n".encode()).data == {"value": "9" * 5000}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'extends: "\\ud800"\n', "profile.yaml:1:10: extends: lone surrogate U+D800 is not Unicode text"),
        (b'env:\n  A: "ok \\udfff"\n', "profile.yaml:2:6: env.A: lone surrogate U+DFFF is not Unicode text"),
        (b'"\\ud83d": 1\n', "profile.yaml:1:1: lone surrogate U+D83D is not Unicode text"),
    ],
)
def test_lone_surrogates_are_refused(tmp_path, content, expected):
    """A `\\ud800` escape is not a character: no file can hold it as UTF-8, and writing it failed with exit 3."""
    assert error_of(tmp_path, content) == expected


@pytest.mark.parametrize("key", ['"a\\nb"', '"a\\tb"', '"a\\rb"'])
def test_keys_with_line_breaks_or_tabs_are_refused(tmp_path, key):
    """No key in a profile holds white space other than a space; a newline in one split the error line in two."""
    assert (
        error_of(tmp_path, f"app: items\n{key}: 1\n".encode())
        == "profile.yaml:2:1: control characters are not allowed in keys"
    )
