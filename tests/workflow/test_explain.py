"""`explain` for the bundled profiles, pinned as golden files.

Regenerate after a deliberate change with `DEPLOYKIT_UPDATE_GOLDENS=1 python -m pytest tests/workflow/test_explain.py`.
"""

from __future__ import annotations

import json
import os

import pytest
from helpers import REPO, run_cli

GOLDEN = REPO / "tests/golden/explain"
UPDATE = os.environ.get("DEPLOYKIT_UPDATE_GOLDENS") == "1"


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
@pytest.mark.parametrize("output_format", ["text", "json"])
def test_explain_matches_golden(environment: str, output_format: str):
    result = run_cli("explain", "--env", environment, "--format", output_format)
    assert result.returncode == 0, result.stderr
    golden = GOLDEN / f"{environment}.{'txt' if output_format == 'text' else 'json'}"
    if UPDATE:
        golden.write_text(result.stdout)
    assert result.stdout == golden.read_text()


def test_explain_json_covers_six_concepts_for_every_target():
    document = json.loads(run_cli("explain", "--env", "prod", "--format", "json").stdout)
    assert list(document["concepts"]) == ["https", "startup", "restarts", "replication", "memory", "prestart"]
    for sentences in document["concepts"].values():
        assert list(sentences) == ["compose", "k8s", "nomad"]
    replication = document["concepts"]["replication"]
    assert replication == {
        "compose": "1 container x 4 worker processes (fastapi run --workers 4)",
        "k8s": "4 pods x 1 process",
        "nomad": "group count 4 x 1 process",
    }


def test_explain_follows_overrides():
    document = json.loads(
        run_cli(
            "explain", "--env", "prod", "--format", "json", "--set", "replicas=6", "--set", "compose.workers=3"
        ).stdout
    )
    assert (
        document["concepts"]["replication"]["compose"] == "1 container x 3 worker processes (fastapi run --workers 3)"
    )
    assert document["concepts"]["replication"]["k8s"] == "6 pods x 1 process"
    assert (
        document["concepts"]["memory"]["compose"]
        == "limit 2g for the container (3 workers + 1 supervisor process), cpus 0.75"
    )


def test_explain_rejects_an_unknown_format():
    result = run_cli("explain", "--env", "prod", "--format", "yaml")
    assert (result.returncode, result.stderr) == (2, "error: unknown format 'yaml'; expected text or json\n")
