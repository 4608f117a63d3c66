"""Loading costs time in proportion to the profile, whatever its shape: accepted or refused, never stuck.

A file of up to 1 MiB (the size limit) is accepted or refused well under a second: the YAML reader,
pure Python, spends about 100 microseconds per key, so files are also bounded in lines (MAX_LINES)
and YAML tokens (MAX_TOKENS, some 5,000 key-value pairs, far beyond any real profile). Below those
bounds, the cost stays linear: the quadratic forms found before took 63 s for 16,000 keys under an
unknown field, 8.4 s for 2,000 nested `[`, 10 s for a 40 KB `1_1_..._x` value and 48 s for 10,000
unknown top-level keys (each error compared with every earlier one); at KEYS keys they would still
take seconds. Profiles refused for thousands of reasons are here too: every error is collected.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from deploykit import pipeline
from deploykit.errors import DeployKitError
from deploykit.loading.yamlfile import MAX_FILE_BYTES, MAX_LINES

BASE = "app: items-api\nimage: registry.example.com/acme/items-api:1.4.2\n"
# Dense shapes stay under the token bound (about 3 tokens per `key: value`), so they are read whole.
KEYS = 3_000
BOUND_SECONDS = 2.0


def filled(prefix: str, unit: str, suffix: str = "") -> str:
    """BASE + prefix + as many `unit`s as fit in 1 MiB + suffix."""
    room = MAX_FILE_BYTES - len(BASE) - len(prefix) - len(suffix)
    return BASE + prefix + unit * (room // len(unit)) + suffix


SHAPES: dict[str, tuple[dict[str, str], str | None]] = {
    # name: ({file: text}, the start of the error, or None when the profile is accepted)
    "keys-under-an-unknown-field": (
        {"profile.yaml": BASE + "junk:\n" + "".join(f"  k{index}: 1\n" for index in range(KEYS))},
        "profile.yaml:3:1: junk: unknown field 'junk'",
    ),
    "top-level-keys": (
        {"profile.yaml": BASE + "".join(f"k{index}: 1\n" for index in range(KEYS))},
        "profile.yaml:3:1: k0: unknown field 'k0'",
    ),
    "env-values-each-refused": (
        {"profile.yaml": BASE + "env:\n" + "".join(f"  K{index}: {index}\n" for index in range(KEYS))},
        "profile.yaml:4:3: env.K0: expected a string, got number 0; quote it",
    ),
    "env-names-each-a-credential": (
        {"profile.yaml": BASE + "env:\n" + "".join(f"  K{index}_TOKEN: x\n" for index in range(KEYS))},
        "profile.yaml:4:3: env.K0_TOKEN: K0_TOKEN looks like a credential",
    ),
    "env-keys-merged-over-a-parent": (
        {
            "base.yaml": BASE + "env:\n" + "".join(f"  K{index}: a\n" for index in range(KEYS)),
            "profile.yaml": "extends: base.yaml\nenv:\n" + "".join(f"  K{index}: b\n" for index in range(0, KEYS, 2)),
        },
        None,
    ),
    "list-items": (
        {"profile.yaml": BASE + "command: [fastapi, run" + ", a" * KEYS + "]\n"},
        "profile.yaml:3:1: command: must have at most 256 items, got 3002",
    ),
    "flow-nesting": (
        {"profile.yaml": filled("env: ", "[", "")},
        "profile.yaml:3:69: nesting is deeper than any profile needs",
    ),
    "block-nesting": (
        {"profile.yaml": BASE + "".join(" " * level + f"k{level}:\n" for level in range(1200))},
        "profile.yaml:67:65: nesting is deeper than any profile needs",
    ),
    "block-sequence-nesting": (
        {"profile.yaml": filled("env:\n", "- ", "x\n")},
        "profile.yaml:4:129: nesting is deeper than any profile needs",
    ),
    "one-long-value": (
        {"profile.yaml": filled("env:\n  A: ", "x", "\n")},
        "profile.yaml:4:3: env.A: must have at most 65536 characters",
    ),
    "one-long-quoted-value": (
        {"profile.yaml": filled('env:\n  A: "', "x\\n", '"\n')},
        "profile.yaml:4:3: env.A: must have at most 65536 characters",
    ),
    "underscored-number-lookalike": (
        {"profile.yaml": filled("env:\n  A: ", "1_", "x\n")},
        "profile.yaml:4:3: env.A: must have at most 65536 characters",
    ),
    "long-comment-lines": ({"profile.yaml": filled("", "#" + "a comment that goes on and on " * 4 + "\n")}, None),
    # 1 MiB of what costs most per byte: refused at the bounds, in a fraction of a second.
    "key-lines-filling-the-file": (
        {"profile.yaml": BASE + "".join(f"k{index}: 1\n" for index in range(120_000))[: MAX_FILE_BYTES - len(BASE)]},
        f"profile.yaml:{MAX_LINES + 1}:1: more lines than any profile needs (at most {MAX_LINES})",
    ),
    "keys-in-one-line-filling-the-file": (
        {
            "profile.yaml": BASE
            + "env: {"
            + ", ".join(f"K{index}: a" for index in range(90_000))[: MAX_FILE_BYTES - len(BASE) - 8]
            + "}\n"
        },
        "profile.yaml:3:39835: more keys and values than any profile needs (some 5,000 `key: value` pairs at most)",
    ),
    "flow-items-filling-the-file": (
        {"profile.yaml": filled("command: [fastapi", ", a", "]\n")},
        "profile.yaml:3:24579: more keys and values than any profile needs (some 5,000 `key: value` pairs at most)",
    ),
    "short-lines-filling-the-file": (
        {"profile.yaml": filled("", "#\n")},
        f"profile.yaml:{MAX_LINES + 1}:1: more lines than any profile needs (at most {MAX_LINES})",
    ),
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_any_shape_is_accepted_or_refused_in_bounded_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str):
    files, refusal = SHAPES[name]
    for file, text in files.items():
        assert len(text.encode()) <= MAX_FILE_BYTES
        (tmp_path / file).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    started = time.perf_counter()
    try:
        pipeline.load(Path("profile.yaml"))
        outcome = None
    except DeployKitError as exc:
        outcome = str(exc)
    elapsed = time.perf_counter() - started
    if refusal is None:
        assert outcome is None
    else:
        assert outcome is not None and outcome.startswith(refusal), outcome
    assert elapsed < BOUND_SECONDS, f"{name}: {elapsed:.1f} s"
