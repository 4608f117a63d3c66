"""The commands people reach for first: --version, help with examples, shell completion, envs, JSON output."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import REPO, run_cli
from tooling import require_tool

COMMANDS = [
    "render",
    "check",
    "validate",
    "explain",
    "envs",
    "schema",
    "init",
    "diff",
    "apply",
    "completion",
    "version",
    "import",
    "release",
]


def test_version_flag_and_command_print_the_package_version():
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    for args in (("--version",), ("version",)):
        result = run_cli(*args)
        assert (result.returncode, result.stderr) == (0, "")
        assert result.stdout.startswith(f"deploykit {version}\nvalidator: "), result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_an_example_and_no_type_placeholders(command: str):
    result = run_cli(command, "--help")
    assert result.returncode == 0, result.stderr
    assert re.search(rf"\n  Example:\n    deploykit {command}\b", result.stdout), result.stdout
    # typer's defaults would show `{TARGET}`, `TARGET <str>`, `--env <list[str]>`, `--profile <file>`.
    assert not re.search(
        r"\{[A-Za-z_]+\}|<(?:str|int|float|bool|text|file|dir|path|list\[[a-z]+\])[^>]*>", result.stdout
    ), result.stdout


def test_the_top_level_help_lists_every_command():
    result = run_cli("--help")
    listed = re.findall(r"^  ([a-z]+)  +[A-Z]", result.stdout.split("Commands:", 1)[1], re.MULTILINE)
    assert sorted(listed) == sorted(COMMANDS)


def test_bare_deploykit_prints_the_whole_help_on_stdout():
    result = run_cli()
    assert (result.returncode, result.stderr) == (0, "")
    commands = result.stdout.split("Commands:", 1)[1]
    assert "..." not in commands  # descriptions whole, not cut at 45 characters
    assert (
        "Render a profile for one target (print it, or write it with -o\n              DIR), or `all` into manifests/."
        in commands
    )


# --- completion, loaded into the real shells ---------------------------------------------------------


@pytest.fixture
def shell_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH has a `deploykit` that runs this checkout, as an installed script would."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "deploykit"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m deploykit "$@"\n')
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(REPO), "HOME": str(tmp_path)}


def _shell(shell: str, script: str, env: dict[str, str]) -> str:
    result = subprocess.run([shell, "-c", script], env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_bash_completion_script_registers_and_completes(shell_env: dict[str, str]):
    bash = require_tool("bash", "apt-get install bash")
    out = _shell(
        bash,
        "source <(deploykit completion bash)\n"
        "complete -p deploykit\n"
        "COMP_WORDS=(deploykit ren); COMP_CWORD=1; _deploykit_completion deploykit; printf '%s\\n' \"${COMPREPLY[@]}\"\n"
        "COMP_WORDS=(deploykit render k8s --en); COMP_CWORD=3; _deploykit_completion deploykit\n"
        "printf '%s\\n' \"${COMPREPLY[@]}\"\n",
        shell_env,
    )
    assert out == "complete -o default -F _deploykit_completion deploykit\nrender\n--env\n"


def test_zsh_completion_script_defines_its_function_and_completes(shell_env: dict[str, str]):
    zsh = require_tool("zsh", "apt-get install zsh (scripts/setup-machine.sh does)")
    out = _shell(
        zsh,
        "autoload -Uz compinit && compinit -u\n"
        "source <(deploykit completion zsh)\n"
        "whence -w _deploykit_completion\n"
        '_TYPER_COMPLETE_ARGS="deploykit ren" _DEPLOYKIT_COMPLETE=complete_zsh deploykit\n',
        shell_env,
    )
    assert out.startswith("_deploykit_completion: function\n_arguments ")
    assert '"render":"Render a profile' in out


def test_fish_completion_script_completes(shell_env: dict[str, str]):
    fish = require_tool("fish", "apt-get install fish (scripts/setup-machine.sh does)")
    out = _shell(fish, 'deploykit completion fish | source; complete -C "deploykit ren"', shell_env)
    assert out.startswith("render\tRender a profile for one target")


def _complete_in_a_terminal(argv: list[str], setup: str, line: str, expected: list[str], env: dict[str, str]) -> str:
    """What an interactive `argv` shows on a real terminal (a pty) after `setup`, `line` and TAB TAB: the
    shell's own completion, as a person sees it. Reads until every `expected` text is shown (or 60 s)."""
    import fcntl
    import select
    import struct
    import termios
    import time

    controller, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))

    def controlling_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        argv, stdin=terminal, stdout=terminal, stderr=terminal, env=env, cwd=REPO, preexec_fn=controlling_terminal
    )
    os.close(terminal)
    shown = b""

    def read_until(done: Callable[[], bool], seconds: float) -> None:
        nonlocal shown
        end = time.monotonic() + seconds
        while time.monotonic() < end and not done():
            if select.select([controller], [], [], 0.1)[0]:
                try:
                    shown += os.read(controller, 65536)
                except OSError:  # the shell exited
                    return

    try:
        os.write(controller, setup.encode() + b"\n")
        read_until(lambda: False, 1.5)
        start = len(shown)
        os.write(controller, line.encode() + b"\t\t")

        def text() -> str:
            return re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]|\x1b[>=]|\r", "", shown[start:].decode(errors="replace"))

        read_until(lambda: all(word in text() for word in expected), 60)
        return text()
    finally:
        process.kill()
        process.wait()
        os.close(controller)


SHELL_SESSIONS = {
    "bash": (["bash", "--norc", "--noprofile", "-i"], "source <(deploykit completion bash)"),
    "zsh": (["zsh", "-f", "-i"], "autoload -Uz compinit && compinit -u && source <(deploykit completion zsh)"),
    "fish": (["fish", "--no-config", "-i"], "deploykit completion fish | source"),
}
# What each shell lists: bash the values, zsh `value -- help`, fish `value  (help)`.
VALUE_COMPLETIONS = {
    "environments": ("deploykit render k8s --env ", ["dev", "prod", "staging"], "profiles/staging.yaml"),
    "targets": ("deploykit render ", ["k8s", "compose", "nomad", "dockerfile", "all"], "Kubernetes manifests"),
    "shells": ("deploykit completion ", ["bash", "zsh", "fish"], "the zsh completion script"),
    "formats": ("deploykit validate --format ", ["text", "json"], "for machines"),
}


@pytest.mark.parametrize("shell", list(SHELL_SESSIONS))
@pytest.mark.parametrize("kind", list(VALUE_COMPLETIONS))
def test_values_complete_in_each_real_shell(shell_env: dict[str, str], shell: str, kind: str):
    argv, setup = SHELL_SESSIONS[shell]
    require_tool(shell, f"apt-get install {shell} (scripts/setup-machine.sh does)")
    line, values, help_text = VALUE_COMPLETIONS[kind]
    expected = values + ([help_text] if shell != "bash" else [])
    env = {**shell_env, "PS1": "$ ", "PROMPT": "$ ", "TERM": "xterm"}
    shown = _complete_in_a_terminal(argv, setup, line, expected, env)
    listing = shown.split(line.rstrip(), 1)[-1]
    for word in expected:
        assert word in listing, f"{shell}: {word!r} not offered after {line!r}:\n{shown}"
    if kind == "environments":  # not file names (zsh offered them for --env)
        assert "pyproject.toml" not in listing


def test_completion_for_an_unknown_shell_is_a_usage_error():
    result = run_cli("completion", "tcsh")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: unknown shell 'tcsh'; expected one of: bash, zsh, fish\n"


# --- envs ---------------------------------------------------------------------------------------------


def test_envs_lists_environments_profiles_targets_and_directories():
    result = run_cli("envs")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "ENVIRONMENT  PROFILE                TARGETS                               RENDERS INTO",
        "dev          profiles/dev.yaml      k8s,compose,nomad,dockerfile,quadlet  manifests/dev/<target>/",
        "prod         profiles/prod.yaml     k8s,compose,nomad,dockerfile,quadlet  manifests/prod/<target>/",
        "staging      profiles/staging.yaml  k8s,compose,nomad,dockerfile,quadlet  manifests/staging/<target>/",
    ]
    records = json.loads(run_cli("envs", "--format", "json").stdout)
    assert [record["environment"] for record in records] == ["dev", "prod", "staging"]
    assert records[1] == {
        "environment": "prod",
        "profile": "profiles/prod.yaml",
        "targets": ["k8s", "compose", "nomad", "dockerfile", "quadlet"],
        "directories": {
            "k8s": "manifests/prod/k8s",
            "compose": "manifests/prod/compose",
            "nomad": "manifests/prod/nomad",
            "dockerfile": "manifests/prod/dockerfile",
            "quadlet": "manifests/prod/quadlet",
        },
    }


# --- --format json ---------------------------------------------------------------------------------------

BROKEN = "app: Shop\nimage: registry.example.com/shop\nreplica: 2\nport: 80\n"


def test_validate_json_for_a_valid_profile():
    result = run_cli("validate", "--env", "prod", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document == {
        "profile": "profiles/prod.yaml",
        "valid": True,
        "targets": ["k8s", "compose", "nomad", "dockerfile", "quadlet"],
        "errors": [],
        "warnings": [],
    }


def test_validate_json_lists_warnings_with_their_codes():
    # prod accepts the concurrent-prestart warning (and proxy-keep-alive, accept_warnings in prod.yaml);
    # without the first, it is reported.
    only_keep_alive = "accept_warnings=[proxy-keep-alive]"
    result = run_cli("validate", "--env", "prod", "--format", "json", "--set", only_keep_alive)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["warnings"] == [
        {
            "file": "profiles/base.yaml",
            "line": 12,
            "column": 1,
            "field": "prestart",
            "message": "init containers run in every pod (web, processes and scheduled runs), concurrently: each step must take a lock (e.g. a Postgres advisory lock) or use k8s.prestart: job",
            "target": "k8s",
            "code": "concurrent-prestart",
        },
        {
            "file": "profiles/base.yaml",
            "line": 12,
            "column": 1,
            "field": "prestart",
            "message": "prestart tasks run in every allocation (web, processes and periodic runs), concurrently: each step must take a lock (e.g. a Postgres advisory lock)",
            "target": "nomad",
            "code": "concurrent-prestart",
        },
    ]
    strict = run_cli("validate", "--env", "prod", "--format", "json", "--set", only_keep_alive, "--strict")
    assert strict.returncode == 2
    assert json.loads(strict.stdout)["errors"] == [
        {"file": None, "line": None, "column": None, "field": None, "message": "2 warning(s) and --strict is set"}
    ]


def test_validate_json_for_a_broken_profile_lists_every_error(tmp_path: Path):
    (tmp_path / "profile.yaml").write_text(BROKEN)
    result = run_cli("validate", "-p", "profile.yaml", "-f", "json", cwd=tmp_path)
    assert result.returncode == 2
    document = json.loads(result.stdout)
    assert document["valid"] is False
    assert [(error["line"], error["field"]) for error in document["errors"]] == [
        (1, "app"),
        (2, "image"),
        (3, "replica"),
        (4, "port"),
    ]
    assert document["errors"][3] == {
        "file": "profile.yaml",
        "line": 4,
        "column": 1,
        "field": "port",
        "message": "must be at least 1024, got 80 (the app runs without privileges, and ports below 1024 are privileged; the proxy or Service publishes 80 and 443 in front of it)",
    }
    assert len(result.stderr.splitlines()) == 4  # and the same errors, one line each, for people


def test_check_json_when_current_and_when_stale(tmp_path: Path):
    import shutil

    shutil.copytree(REPO / "profiles", tmp_path / "profiles")
    shutil.copytree(REPO / "manifests", tmp_path / "manifests")
    current = run_cli("check", "--format", "json", cwd=tmp_path)
    assert current.returncode == 0, current.stderr
    assert json.loads(current.stdout) == {"current": True, "changed": [], "missing": [], "extra": [], "errors": []}
    edited = tmp_path / "manifests/prod/k8s/service-items-api.yaml"
    edited.write_text(edited.read_text() + "# hand edit\n")
    (tmp_path / "manifests/prod/k8s/kustomization.yaml").unlink()
    stale = run_cli("check", "--format", "json", cwd=tmp_path)
    assert stale.returncode == 1
    assert json.loads(stale.stdout) == {
        "current": False,
        "changed": ["manifests/prod/k8s/service-items-api.yaml"],
        "missing": ["manifests/prod/k8s/kustomization.yaml"],
        "extra": [],
        "errors": [],
    }


def test_check_json_for_a_broken_profile(tmp_path: Path):
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles/prod.yaml").write_text("environment: prod\n" + BROKEN)
    result = run_cli("check", "--format", "json", cwd=tmp_path)
    assert result.returncode == 2
    document = json.loads(result.stdout)
    assert document["current"] is False
    assert [error["field"] for error in document["errors"]] == ["app", "image", "replica", "port"]


def test_explain_json_with_output_and_on_errors(tmp_path: Path):
    with_output = run_cli("explain", "--env", "prod", "--format", "json")
    assert with_output.stdout == run_cli("explain", "--env", "prod", "-f", "json").stdout
    assert json.loads(with_output.stdout)["environment"] == "prod"
    (tmp_path / "profile.yaml").write_text(BROKEN)
    broken = run_cli("explain", "-p", "profile.yaml", "--format", "json", cwd=tmp_path)
    assert broken.returncode == 2
    assert [error["field"] for error in json.loads(broken.stdout)["errors"]] == ["app", "image", "replica", "port"]


@pytest.mark.parametrize("command", ["validate", "check", "explain", "envs"])
def test_o_is_a_path_and_a_format_given_to_it_says_to_use_format(command: str):
    args = (command, "-o", "json") if command in ("check", "envs") else (command, "--env", "prod", "-o", "json")
    result = run_cli(*args)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: No such option: -o; -o/--output is a path (render, import compose); "
        f"a format is --format: `deploykit {command} --format json`\n"
    )


@pytest.mark.parametrize("word", ["json", "yaml", "wide"])
def test_render_o_with_a_format_name_creates_no_directory(tmp_path: Path, word: str):
    result = run_cli("render", "k8s", "--env", "prod", "--profiles", str(REPO / "profiles"), "-o", word, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: -o {word}: -o/--output is the directory to write files into, not a format "
        f"(`render k8s` prints its one format on stdout without -o); to write into a new directory named {word}, create it first\n"
    )
    assert list(tmp_path.iterdir()) == []
    (tmp_path / word).mkdir()  # an existing directory of that name is a directory
    written = run_cli("render", "k8s", "--env", "prod", "--profiles", str(REPO / "profiles"), "-o", word, cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert (tmp_path / word / "kustomization.yaml").is_file()


@pytest.mark.parametrize("command", ["validate", "check", "explain"])
def test_an_unknown_output_format_is_refused(command: str):
    args = (command, "-f", "yaml") if command == "check" else (command, "--env", "prod", "-f", "yaml")
    result = run_cli(*args)
    assert (result.returncode, result.stderr) == (2, "error: unknown format 'yaml'; expected text or json\n")


# --- -p - ---------------------------------------------------------------------------------------------


def test_a_profile_read_from_stdin_renders_like_the_file():
    text = (REPO / "profiles/prod.yaml").read_text()
    piped = run_cli("render", "k8s", "-p", "-", cwd=REPO / "profiles", stdin=text)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == run_cli("render", "k8s", "-p", "prod.yaml", cwd=REPO / "profiles").stdout


def test_errors_in_a_profile_from_stdin_name_stdin_and_its_size_is_bounded():
    result = run_cli("validate", "-p", "-", stdin="app: shop\nimage: registry.example.com/shop:1.0\nreplica: 2\n")
    assert (result.returncode, result.stderr) == (
        2,
        "error: <stdin>:3:1: replica: unknown field 'replica'; did you mean 'replicas'?\n",
    )
    big = run_cli("validate", "-p", "-", stdin="#" * (1024 * 1024 + 1))
    assert (big.returncode, big.stderr) == (
        2,
        "error: <stdin>:1:1: standard input is larger than 1048576 bytes (1 MiB)\n",
    )


# --- what render says -----------------------------------------------------------------------------------


def test_render_o_says_what_it_wrote_on_a_terminal_only(tmp_path: Path):
    """stderr on a terminal (a pty): one line naming the directory and the number of files; in a pipeline, nothing."""
    arguments = [sys.executable, "-m", "deploykit", "render", "k8s", "--env", "prod"]
    arguments += ["--profiles", str(REPO / "profiles"), "-o", "out"]
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    controller, terminal = os.openpty()
    try:
        on_terminal = subprocess.run(
            arguments, cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=terminal, timeout=120
        )
        said = os.read(controller, 4096).decode()
    finally:
        os.close(controller)
        os.close(terminal)
    files = len(list((tmp_path / "out").iterdir())) - 1  # and the .deploykit marker
    assert (on_terminal.returncode, on_terminal.stdout, said) == (0, b"", f"rendered out ({files} files)\r\n")
    piped = subprocess.run(
        [*arguments[:-1], "again"], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120
    )
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, "", "")


@pytest.mark.parametrize("target", ["k8s", "compose", "nomad", "dockerfile", "quadlet"])
def test_stdout_carries_the_header_files_carry(target: str):
    result = run_cli("render", target, "--env", "prod")
    assert result.stdout.startswith("# Rendered by deploykit. Do not edit: change the profile and render again.\n")
    first_file = sorted(p for p in (REPO / "manifests/prod" / target).iterdir() if not p.name.startswith("."))[0]
    assert first_file.read_text().splitlines()[0] == result.stdout.splitlines()[0]
