"""`import compose` on real Compose files from public repositories (tests/importing/corpus/MANIFEST.json
names each one's repository, commit and licence).

Each is imported by both readers (the real Compose CLI and deploykit's own), validated with `--strict` (an image the files leave unpinned is refused there with
the fix, and validated again with a pinned stand-in given by --set), rendered for every target its
environment lists, and each rendering read by its real consumer: the Compose CLI's `config`,
Kubernetes' strict schemas (kubernetes-validate), HashiCorp's HCL parser. No credential value of the
files (environment, env files) may reach a profile.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import kubernetes_validate
import pytest
from helpers import CliResult, run_cli
from ruamel.yaml import YAML
from tooling import compose_binary
from tooling import hcl_reader as installed_hcl_reader

from deploykit.output import HEADER
from deploykit.spec.names import URL_WITH_PASSWORD, looks_like_credential
from deploykit.spec.options.k8s import K8sOptions

CORPUS = Path(__file__).resolve().parent / "corpus"
MANIFEST = json.loads((CORPUS / "MANIFEST.json").read_text(encoding="utf-8"))["entries"]
# The share of the corpus that must import (the rest is refused with one located line).
IMPORTED_AT_LEAST = 0.85
PINNED = "registry.example.com/corpus/app:1.0.0"
# API groups Kubernetes serves itself ("" is the core group).
BUILTIN_GROUPS = frozenset({"", "apps", "batch", "policy", "autoscaling", "networking.k8s.io"})
# Profile fields that name things rather than hold configuration values.
_NAMING_FIELDS = frozenset({"app", "image", "extends", "environment", "targets", "accept_warnings", "secrets"})
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*(.*?)\s*$")


@dataclass(frozen=True)
class Outcome:
    """One corpus entry, imported: the project directory and what the import printed."""

    entry: dict
    directory: Path
    result: CliResult


@pytest.fixture(scope="module", params=["compose", "python"])
def outcomes(request, tmp_path_factory) -> list[Outcome]:
    """Every corpus entry imported once by each reader: the real Compose CLI, and deploykit's own."""
    reader = request.param
    if reader == "compose":
        compose_binary()  # skip on a laptop without the CLI, fail in CI
    found = []
    for entry in MANIFEST:
        directory = tmp_path_factory.mktemp("corpus") / entry["id"]
        shutil.copytree(CORPUS / entry["id"], directory)
        files = [argument for name in entry["compose_files"] for argument in ("-f", name)]
        result = run_cli("import", "compose", *files, "--reader", reader, cwd=directory)
        found.append(Outcome(entry, directory, result))
    return found


def test_the_corpus_is_real_and_documented():
    assert len(MANIFEST) >= 40
    for entry in MANIFEST:
        assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", entry["repository"]), entry
        assert re.fullmatch(r"[0-9a-f]{40}", entry["commit"]), entry
        assert entry["licence"], entry
        assert all((CORPUS / entry["id"] / name).is_file() for name in entry["compose_files"]), entry


def test_most_files_import_and_none_crashes(outcomes: list[Outcome]):
    crashed = [(o.entry["id"], o.result.stderr) for o in outcomes if o.result.returncode not in (0, 2)]
    assert crashed == []
    refused = {o.entry["id"]: o.result.stderr for o in outcomes if o.result.returncode != 0}
    for message in refused.values():
        # One located line each, nothing written.
        assert re.fullmatch(r"error: [^\n]+\n", message), message
    share = (len(outcomes) - len(refused)) / len(outcomes)
    assert share >= IMPORTED_AT_LEAST, refused


def _imported(outcomes: list[Outcome]) -> Iterator[Outcome]:
    return (outcome for outcome in outcomes if outcome.result.returncode == 0)


def _validated(outcome: Outcome) -> list[str]:
    """`validate --strict`; with an unpinned image, its refusal naming the fix, then the --set a user would try."""
    result = run_cli("validate", "--env", "prod", "--strict", cwd=outcome.directory)
    if result.returncode == 0:
        return []
    errors = result.stderr.splitlines()
    assert all(
        re.match(r"error: profiles/base\.yaml:\d+:\d+: image: .*(pin the image|pin a version tag)", line)
        for line in errors
    ), (
        outcome.entry["id"],
        result.stderr,
    )
    result = run_cli("validate", "--env", "prod", "--strict", "--set", f"image={PINNED}", cwd=outcome.directory)
    assert result.returncode == 0, (outcome.entry["id"], result.stderr)
    return ["--set", f"image={PINNED}"]


def test_every_import_validates_strictly(outcomes: list[Outcome]):
    for outcome in _imported(outcomes):
        _validated(outcome)


def _render(outcome: Outcome, target: str, assignments: list[str]) -> Path:
    out = outcome.directory / "rendered" / target
    result = run_cli("render", target, "--env", "prod", "-o", str(out), *assignments, cwd=outcome.directory)
    assert result.returncode == 0, (outcome.entry["id"], target, result.stderr)
    return out


def _targets(outcome: Outcome) -> list[str]:
    prod = YAML(typ="safe", pure=True).load((outcome.directory / "profiles" / "prod.yaml").read_text())
    return list(prod.get("targets") or ["k8s", "compose", "nomad", "dockerfile"])


def test_every_rendering_is_read_by_its_real_consumer(outcomes: list[Outcome]):
    from nomad.hcl_reader import HclReader

    compose = compose_binary()
    reader = HclReader(*installed_hcl_reader())
    try:
        for outcome in _imported(outcomes):
            assignments = _validated(outcome)
            for target in _targets(outcome):
                out = _render(outcome, target, assignments)
                if target == "compose":
                    (out / "secrets").mkdir(exist_ok=True)
                    result = subprocess.run(
                        [str(compose), "-f", "compose.yaml", "config", "--quiet"],
                        cwd=out,
                        capture_output=True,
                        text=True,
                        timeout=60,
                        env={"PATH": "/usr/bin:/bin"},
                        check=False,
                    )
                    assert result.returncode == 0, (outcome.entry["id"], result.stderr)
                elif target == "k8s":
                    for path in sorted(out.glob("*.yaml")):
                        if path.name == "kustomization.yaml":
                            continue
                        obj = YAML(typ="safe", pure=True).load(path.read_text())
                        group = obj["apiVersion"].rpartition("/")[0]
                        if group not in BUILTIN_GROUPS:
                            continue  # Gateway API, cert-manager, Traefik objects: checked against their CRDs by tests/k8s
                        kubernetes_validate.validate(obj, K8sOptions().version, strict=True)
                elif target == "nomad":
                    for path in sorted(out.glob("*.nomad.hcl")):
                        reader.read(HEADER + path.read_text().removeprefix(HEADER))
    finally:
        reader.close()


def _credentials(directory: Path) -> set[str]:
    """Values the Compose files and env files give credential-looking names (or that are URLs with a
    password), except those the files also give a plain name (`DB_USER=gitea` beside `DB_PASSWD=gitea`)."""
    values: set[str] = set()
    plain: set[str] = set()
    for path in directory.rglob("*"):
        if not path.is_file() or "profiles" in path.parts or "rendered" in path.parts:
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            match = _ASSIGNMENT.match(line.strip().lstrip("- ").strip("'\""))
            if match is None:
                continue
            name, value = match.group(1), match.group(2).strip("'\"")
            if len(value) >= 4 and "$" not in value and (looks_like_credential(name) or URL_WITH_PASSWORD.match(value)):
                values.add(value)
            else:
                plain.add(value)
    return values - plain


def _values(data: object) -> Iterator[str]:
    """Every string value in profile data (keys are names, not values)."""
    if isinstance(data, dict):
        for value in data.values():
            yield from _values(value)
    elif isinstance(data, list):
        for item in data:
            yield from _values(item)
    elif isinstance(data, str):
        yield data


def test_no_credential_value_reaches_a_profile(outcomes: list[Outcome]):
    checked = 0
    for outcome in _imported(outcomes):
        written: list[str] = []
        for path in (outcome.directory / "profiles").glob("*.yaml"):
            data = YAML(typ="safe", pure=True).load(path.read_text()) or {}
            written += _values({key: value for key, value in data.items() if key not in _NAMING_FIELDS})
        for value in _credentials(outcome.directory):
            checked += 1
            assert not any(value == text or (len(value) >= 6 and value in text) for text in written), (
                outcome.entry["id"],
                value,
            )
    assert checked >= 10  # the corpus holds credentials (passwords in environments and env files)
