"""Loading costs time in proportion to the profile, whatever its shape: accepted or refused, never stuck.

The bounds are generous (several times what this takes on a busy two-core machine) and still far
below what the quadratic forms took: 16,000 keys under an unknown field took 63 s, 2,000 nested `[`
8.4 s, a 40 KB `1_1_..._x` value 10 s, 10,000 unknown top-level keys 48 s (each error compared with
every earlier one). Profiles refused for thousands of reasons are here too: every error is collected. Shapes that cost little per byte are tried at the full 1 MiB
size limit; shapes dense in keys and items at about 10,000 of them, because the pure-Python YAML
reader spends about 100 microseconds per key (`python scripts/benchmark.py --loading` prints the
1k/10k/100k-key figures).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from deploykit import pipeline
from deploykit.errors import DeployKitError
from deploykit.loading.yamlfile import MAX_FILE_BYTES

BASE = "app: items-api\nimage: registry.example.com/acme/items-api:1.4.2\n"
KEYS = 10_000
BOUND_SECONDS = 6.0


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
        "profile.yaml:3:1: command: must have at most 256 items, got 10002",
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
    "comments": ({"profile.yaml": filled("", "# a comment that goes on and on\n")}, None),
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
