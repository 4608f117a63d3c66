"""`render` and `check` start without typer (deploykit/entry.py); they must behave exactly as typer would.

Every invocation here runs twice, through the fast path and through typer alone, in identical
directories: exit code, stdout, stderr and the files left behind must be the same. Invocations the
fast parser is not sure about must go to typer.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import REPO, run_cli

from deploykit.entry import fast_command

FAST = [
    ("render", "k8s", "--env", "prod"),
    ("render", "compose", "-e", "staging", "--strict"),
    ("render", "k8s", "--env=dev", "-o", "out"),
    ("render", "nomad", "-p", "profiles/prod.yaml", "--set", "replicas=6", "--set=memory=1Gi"),
    ("render", "dockerfile", "--env", "prod", "--output=out/docker"),
    ("render", "--env", "prod", "k8s"),
    ("render", "all", "-q"),
    ("render", "all", "--env", "prod", "--target", "k8s", "-t", "compose", "--quiet"),
    ("render", "all", "--manifests", "elsewhere"),
    ("render", "all", "-p", "profiles/prod.yaml"),
    ("render", "k8", "--env", "prod"),
    ("render", "k8s", "--env", "prod", "--env", "dev"),
    ("render", "k8s", "--env", "prod", "-t", "k8s"),
    ("render", "k8s", "--env", "nowhere"),
    ("render", "k8s", "--env", "prod", "--set", "replicas=zero"),
    ("render", "k8s", "-p", "missing.yaml"),
    ("render", "k8s"),
    ("render", "k8s", "--env", "prod", "-o", "manifests/prod/compose"),
    ("render", "k8s", "--env", "prod", "-o", "manifests/prod/compose", "--replace-other-target"),
    ("check",),
    ("check", "--env", "prod", "-t", "k8s"),
    ("check", "--profiles", "profiles", "--manifests", "manifests", "--strict"),
    ("check", "--set", "replicas=7"),
]
TYPER_ONLY = [
    ("render",),
    ("render", "--help"),
    ("render", "k8s", "-eprod"),
    ("render", "k8s", "--env"),
    ("render", "k8s", "--env", "prod", "extra"),
    ("render", "k8s", "--envv", "prod"),
    ("render", "k8s", "--strict=yes", "--env", "prod"),
    ("render", "k8s", "-p", "profiles"),
    ("render", "k8s", "--env", "prod", "-o", "profiles/prod.yaml"),
    ("render", "k8s", "--env", "prod", "-p", "a.yaml", "-p", "b.yaml"),
    ("render", "k8s", "--", "--env"),
    ("check", "all"),
    ("check", "-q"),
    ("check", "--env", "-x"),
    ("check", "--replace-other-target"),
    ("validate", "--env", "prod"),
]


def _workspace(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    shutil.copytree(REPO / "profiles", root / "profiles")
    shutil.copytree(REPO / "manifests", root / "manifests")
    return root


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("args", FAST, ids=[" ".join(a) for a in FAST])
def test_the_fast_path_does_what_typer_does(tmp_path: Path, args: tuple[str, ...]):
    assert fast_command(list(args)) is not None
    fast_root, typer_root = _workspace(tmp_path, "fast"), _workspace(tmp_path, "typer")
    fast = run_cli(*args, cwd=fast_root)
    slow = run_cli(*args, cwd=typer_root, via_typer=True)
    assert (fast.returncode, fast.stdout, fast.stderr) == (slow.returncode, slow.stdout, slow.stderr)
    assert _files(fast_root) == _files(typer_root)


@pytest.mark.parametrize("args", TYPER_ONLY, ids=[" ".join(a) for a in TYPER_ONLY])
def test_anything_unusual_goes_to_typer(args: tuple[str, ...]):
    assert fast_command(list(args)) is None
