"""The installed entry points, as users and pipelines start them: the console script and `python -m`.

Every other CLI test runs in-process (helpers.run_cli) for speed; these prove the same code path is
what a new process gets: exit codes, one-line errors, stdout holding only manifests.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from helpers import REPO, run_cli, run_installed
from tooling import missing


def test_python_m_renders_exactly_what_the_in_process_cli_renders():
    installed = run_installed("render", "k8s", "--env", "prod")
    in_process = run_cli("render", "k8s", "--env", "prod")
    assert (installed.returncode, installed.stdout, installed.stderr) == (0, in_process.stdout, in_process.stderr)
    # The header files carry, then the stream (a YAML comment: `kubectl apply -f -` reads it as files).
    assert installed.stdout.startswith(
        "# Rendered by deploykit. Do not edit: change the profile and render again.\n---\napiVersion: v1\nkind: ServiceAccount\n"
    )


def test_console_script_is_installed_and_answers():
    # Beside the interpreter running the tests (a venv's bin/, not necessarily on PATH), else on PATH.
    beside = Path(sys.executable).parent / "deploykit"
    script = str(beside) if beside.is_file() else shutil.which("deploykit")
    if script is None:
        missing("the deploykit console script is not installed: pip install -e .")
    result = subprocess.run(
        [script, "validate", "--env", "staging"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.endswith("profiles/staging.yaml: valid (k8s, compose, nomad, dockerfile, quadlet)\n")


def test_bad_input_in_a_new_process_is_one_line_and_exit_two(tmp_path):
    (tmp_path / "profile.yaml").write_text(
        "app: items-api\nimage: registry.example.com/acme/items-api:1.4.2\nreplica: 2\n"
    )
    result = run_installed("render", "k8s", "-p", "profile.yaml", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: profile.yaml:3:1: replica: unknown field 'replica'; did you mean 'replicas'?\n"


def test_usage_errors_exit_two():
    result = run_installed("render")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
