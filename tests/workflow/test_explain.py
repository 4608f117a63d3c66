"""`explain`: six concepts per target, read from each target's summary.

The full text and JSON for the bundled profiles are golden files (tests/test_goldens.py).
"""

from __future__ import annotations

import json

from helpers import run_cli


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
        == "limit 2g for the container (3 worker processes + 1 supervisor process), cpus 0.75"
    )


def test_explain_rejects_an_unknown_format():
    result = run_cli("explain", "--env", "prod", "--format", "yaml")
    assert (result.returncode, result.stderr) == (2, "error: unknown format 'yaml'; expected text or json\n")
