"""manifests/ holds the rendered example profiles; this test fails when they drift from the code.

Regenerate them with `deploykit render all` (the explicit switch), review the diff, and commit.
"""

from __future__ import annotations

from helpers import REPO, run_cli


def test_committed_manifests_match_the_code():
    result = run_cli("check")
    assert result.returncode == 0, (
        "manifests/ is stale; run `deploykit render all` and commit.\n" + result.stdout + result.stderr
    )
    assert result.stdout == ""


def test_every_environment_and_target_is_committed():
    from deploykit.targets import TARGETS

    environments = sorted(path.name for path in (REPO / "manifests").iterdir() if path.is_dir())
    assert environments == ["dev", "prod", "staging"]
    for environment in environments:
        present = sorted(path.name for path in (REPO / "manifests" / environment).iterdir())
        assert present == sorted(TARGETS), environment
