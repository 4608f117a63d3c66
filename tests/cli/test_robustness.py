"""Inputs found by trying odd things: each is one located line and exit 2, never a hang or a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import run_cli

BASE = "app: items-api\nimage: registry.example.com/acme/items-api:1.4.2\n"


@pytest.mark.parametrize("args", [("render", "k8s", "-p", "fifo"), ("validate", "-p", "fifo")])
def test_a_fifo_given_as_a_profile_is_refused_not_read(tmp_path: Path, args: tuple[str, ...]):
    os.mkfifo(tmp_path / "fifo")  # reading it would block until a writer came: forever, in a pipeline
    result = run_cli(*args, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: fifo:1:1: is not a regular file (a FIFO, socket or device); give a profile file\n"


def test_an_absolute_profiles_directory_is_named_as_given(tmp_path: Path):
    result = run_cli("validate", "--env", "prod", "--profiles", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert (result.returncode, result.stderr) == (2, f"error: profiles directory {tmp_path / 'nowhere'} not found\n")


class _InterruptedImport:
    """A meta path finder that raises KeyboardInterrupt when `name` is imported: Ctrl-C while a command's
    own modules load, before any handler of the command runs."""

    def __init__(self, name: str):
        self.name = name

    def find_spec(self, fullname: str, path: object, target: object = None) -> None:
        if fullname == self.name:
            raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("module", "args"),
    [
        ("deploykit.commands.import_compose", ("import", "compose")),  # a typer command
        ("deploykit.commands.render", ("render", "k8s", "--env", "prod")),  # a direct one (cli_direct)
    ],
)
def test_ctrl_c_while_a_command_loads_is_one_line_and_130(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, module: str, args: tuple[str, ...]
):
    import importlib
    import sys

    monkeypatch.delitem(sys.modules, module, raising=False)
    # `from package import name` takes a submodule already set on its package without importing it again:
    # without this the test passed or failed by whether an earlier test had loaded the command.
    package, _, name = module.rpartition(".")
    monkeypatch.delattr(importlib.import_module(package), name, raising=False)
    monkeypatch.setattr(sys, "meta_path", [_InterruptedImport(module), *sys.meta_path])
    result = run_cli(*args, cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (130, "", "interrupted\n")
    assert list(tmp_path.iterdir()) == []
