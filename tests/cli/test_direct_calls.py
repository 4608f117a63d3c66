"""Everyday command lines are read from cli.py's declarations without typer (deploykit/cli_direct.py);
they must behave exactly as typer would.

Every invocation here runs twice, directly and through typer alone, in identical directories: exit
code, stdout, stderr and the files left behind must be the same. Invocations the direct reader is not
sure about must go to typer.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import pytest
import typer
from helpers import REPO, run_cli

from deploykit import cli_direct
from deploykit.cli import app

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
    ("validate", "--env", "prod"),
    ("validate", "-e", "staging", "-f", "json", "--strict"),
    ("validate", "--env", "prod", "--set", "replicas=0"),
    ("validate", "--profile", "profiles/dev.yaml", "--profiles", "profiles"),
    ("explain", "--env", "prod"),
    ("explain", "--env", "dev", "--format", "json"),
    ("check", "--format=json"),
    ("render", "k8s", "--env", "prod", "-o", "json"),
    ("render", "compose", "--env", "prod", "--output", "yaml"),
    ("explain", "--env", "dev", "-f", "json"),
    ("explain", "-e", "nowhere"),
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
    ("validate", "--env", "prod", "--env", "dev"),
    ("explain", "--help"),
    ("explain", "prod"),
    ("validate", "--env", "prod", "-o", "json"),
    ("check", "--output=json"),
    ("envs",),
    ("version",),
    ("--version",),
]


def _workspace(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    shutil.copytree(REPO / "profiles", root / "profiles")
    shutil.copytree(REPO / "manifests", root / "manifests")
    return root


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


CALLBACKS = {command.name: command.callback for command in app.registered_commands}


@pytest.mark.parametrize("args", FAST, ids=[" ".join(a) for a in FAST])
def test_a_direct_call_does_what_typer_does(tmp_path: Path, args: tuple[str, ...]):
    assert cli_direct.call(CALLBACKS, list(args)) is not None
    direct_root, typer_root = _workspace(tmp_path, "direct"), _workspace(tmp_path, "typer")
    direct = run_cli(*args, cwd=direct_root)
    slow = run_cli(*args, cwd=typer_root, whole_app=True)
    assert (direct.returncode, direct.stdout, direct.stderr) == (slow.returncode, slow.stdout, slow.stderr)
    assert _files(direct_root) == _files(typer_root)


@pytest.mark.parametrize("args", TYPER_ONLY, ids=[" ".join(a) for a in TYPER_ONLY])
def test_anything_unusual_goes_to_typer(args: tuple[str, ...]):
    assert cli_direct.call(CALLBACKS, list(args)) is None


@pytest.mark.parametrize("command", cli_direct.COMMANDS)
def test_every_parameter_of_the_direct_commands_is_read_from_its_declaration(command: str):
    """Each option typer would accept is one the direct reader knows, under the same names."""
    import typer.main

    parameters = cli_direct.parameters_of(CALLBACKS[command])
    assert parameters is not None, f"{command} declares a parameter feature cli_direct does not read"
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    declared = {name for param in click_command.params for name in param.opts}
    read = {name for parameter in parameters for name in parameter.names}
    assert read == {name for name in declared if name.startswith("-")} - {"--help", "-h"}
    flags = {name for param in click_command.params if getattr(param, "is_flag", False) for name in param.opts}
    assert {name for parameter in parameters if parameter.flag for name in parameter.names} == flags - {"--help", "-h"}
    repeatable = {name for param in click_command.params if getattr(param, "multiple", False) for name in param.opts}
    assert {name for parameter in parameters if parameter.repeatable for name in parameter.names} == repeatable


def test_a_declaration_feature_the_reader_does_not_know_leaves_the_command_to_typer():
    def command(
        name: Annotated[str, typer.Option("--name", envvar="NAME")] = "x",
    ) -> None:
        pass

    assert cli_direct.parameters_of(command) is None
    assert cli_direct.call({"render": command}, ["render", "--name", "y"]) is None
