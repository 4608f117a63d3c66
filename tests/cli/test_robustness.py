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
