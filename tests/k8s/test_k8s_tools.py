"""The rendered `-o` directories through the real tools: `kubectl kustomize` and checkov."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from k8s_support import BUNDLED, REPO, bundled, parse_stream, rendering_of, write_rendering
from ruamel.yaml import YAML
from tooling import checkov_binary, require_tool


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """manifests-like tree: <root>/<environment>/ as `render k8s --env ENV -o DIR` writes it."""
    root = tmp_path_factory.mktemp("k8s-rendered")
    for environment in BUNDLED:
        write_rendering(bundled(environment), root / environment)
    return root


@pytest.mark.parametrize("environment", BUNDLED)
def test_kubectl_kustomize_accepts_the_output_directory(rendered, environment):
    kubectl = require_tool("kubectl", "install kubectl (the client alone; kustomize is built in)")
    result = subprocess.run(
        [kubectl, "kustomize", str(rendered / environment)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    built = {(obj["kind"], obj["metadata"]["name"]) for obj in parse_stream(result.stdout)}
    expected = {
        (obj["kind"], obj["metadata"]["name"]) for obj in parse_stream(rendering_of(bundled(environment)).stdout)
    }
    assert built == expected


def accepted_checkov_findings() -> set[str]:
    data = YAML(typ="safe").load((REPO / "security-exceptions.yaml").read_text(encoding="utf-8")) or {}
    return set((data.get("checkov") or {}).get("kubernetes") or {})


def test_checkov_finds_exactly_the_listed_exceptions(rendered):
    command = [
        checkov_binary(),
        "-d",
        str(rendered),
        "--framework",
        "kubernetes",
        "--compact",
        "--quiet",
        "--skip-download",
        "-o",
        "json",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode in (0, 1), result.stderr
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    (report,) = [entry for entry in reports if entry.get("check_type") == "kubernetes"]
    assert report["summary"]["parsing_errors"] == 0
    # --quiet lists failures only; the count proves every rendered object was scanned.
    objects = sum(len(parse_stream(rendering_of(bundled(environment)).stdout)) for environment in BUNDLED)
    assert report["summary"]["resource_count"] >= objects
    found = {check["check_id"] for check in report["results"]["failed_checks"]}
    accepted = accepted_checkov_findings()
    assert found - accepted == set(), (
        "new checkov findings: fix the output, or list them with a reason in security-exceptions.yaml"
    )
    assert accepted - found == set(), "listed exceptions no longer found: remove them from security-exceptions.yaml"
