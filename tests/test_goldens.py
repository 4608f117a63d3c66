"""Every golden file matches what the code produces now; `python scripts/update_goldens.py` refreshes them.

The test never writes: a golden file that is stale fails here until it is regenerated and committed.
"""

from __future__ import annotations

import importlib.util

from helpers import REPO

_spec = importlib.util.spec_from_file_location("update_goldens", REPO / "scripts" / "update_goldens.py")
assert _spec is not None and _spec.loader is not None
update_goldens = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(update_goldens)


def test_every_golden_file_is_current():
    assert update_goldens.stale() == [], (
        "stale golden files: run `python scripts/update_goldens.py`, review the diff and commit"
    )


def test_the_goldens_cover_every_bundled_environment_and_target():
    from deploykit.targets import TARGETS

    files = update_goldens.generated_files()
    for environment in ("dev", "staging", "prod"):
        assert (
            f"tests/golden/explain/{environment}.txt" in files and f"tests/golden/explain/{environment}.json" in files
        )
        present = sorted(path.name for path in (REPO / "manifests" / environment).iterdir())
        assert present == sorted(TARGETS), environment
    assert sorted(path.name for path in (REPO / "manifests").iterdir()) == ["dev", "prod", "staging"]


def test_a_stale_golden_file_is_reported(tmp_path, monkeypatch):
    """The check cannot pass silently: a changed golden file is named."""
    monkeypatch.setattr(update_goldens, "REPO", tmp_path)
    (tmp_path / "profiles").symlink_to(REPO / "profiles")
    (tmp_path / "manifests").symlink_to(REPO / "manifests")
    expected = list(update_goldens.generated_files())
    assert sorted(update_goldens.stale()) == sorted(expected)


def test_every_warning_code_is_documented_with_when_to_accept_it():
    from deploykit.report import WARNINGS
    from deploykit.warnings_reference import WHEN_TO_ACCEPT, raised_by

    assert set(WHEN_TO_ACCEPT) == set(WARNINGS), "say in deploykit/warnings_reference.py when to accept each code"
    raised = raised_by()
    assert set(raised) <= set(WARNINGS)
    assert {"k8s", "compose", "nomad"} <= set(raised["plain-http"])  # read from the targets' sources
    # Raised in a shared module (deploykit/targets/runtime.py) by the functions each target calls.
    assert set(raised["writable-root"]) == {"k8s", "compose", "nomad", "quadlet"}
    assert set(raised["volume-size-not-enforced"]) == {"compose", "nomad", "quadlet"}
    documented = (REPO / "docs/warnings.md").read_text()
    for code in WARNINGS:
        assert f"| `{code}` |" in documented
