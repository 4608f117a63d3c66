"""Files `import compose` reads, made hostile: FIFOs, devices, files outside the project, huge or deeply
nested files, alias bombs. Both readers refuse each at once, in one line, exit 2, nothing written.

Each import runs as a separate process with a timeout and a memory limit, so a regression (a reader
blocked on a FIFO, or filling its memory from /dev/zero) fails the test instead of stopping the suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import run_installed
from tooling import compose_binary

from deploykit.importing import compose_cli, files
from deploykit.importing.locate import SourceFile
from deploykit.importing.problems import ComposeProblem

TIMEOUT = 60
# Well above what an import needs, well below what /dev/zero read into memory would take.
MEMORY_LIMIT = ["prlimit", f"--data={1024 * 2**20}", "--"]
WEB = "services:\n  web:\n    image: ghcr.io/acme/web:1.0\n    command: [gunicorn, web.wsgi]\n"


def fifo(path: Path) -> None:
    os.mkfifo(path)


def alias_bomb() -> str:
    lines = ['x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghij":
        lines.append(f"x-{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
        previous = name
    return "\n".join(lines) + "\n" + WEB + "    labels:\n      bomb: *j\n"


# (what the project directory holds besides compose.yaml, compose.yaml, a phrase of the error)
CASES: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "fifo-env-file": (lambda d: fifo(d / "web.env"), WEB + "    env_file: web.env\n", "web.env is not a regular file"),
    "fifo-dotenv": (lambda d: fifo(d / ".env"), WEB, ".env is not a regular file"),
    "fifo-extends": (
        lambda d: fifo(d / "base.yaml"),
        WEB + "    extends: {file: base.yaml, service: web}\n",
        "base.yaml is not a regular file",
    ),
    "fifo-include": (
        lambda d: fifo(d / "more.yaml"),
        "include: [more.yaml]\n" + WEB,
        "more.yaml is not a regular file",
    ),
    "dev-zero-extends": (
        lambda d: (d / "base.yaml").symlink_to("/dev/zero"),
        WEB + "    extends: {file: base.yaml, service: web}\n",
        "base.yaml is outside the project directory",
    ),
    "dev-zero-env-file": (
        lambda d: (d / "zero.env").symlink_to("/dev/zero"),
        WEB + "    env_file: zero.env\n",
        "zero.env is outside the project directory",
    ),
    "env-file-outside": (lambda d: None, WEB + "    env_file: /etc/os-release\n", "is outside the project directory"),
    "huge-env-file": (
        lambda d: (d / "big.env").write_text("A=" + "x" * (2 * 2**20) + "\n"),
        WEB + "    env_file: big.env\n",
        "big.env is 2097155 bytes; files over 1048576 bytes are refused",
    ),
    "alias-bomb": (lambda d: None, alias_bomb(), "more than 200000 values once its YAML aliases are expanded"),
    "deep-flow-nesting": (
        lambda d: None,
        WEB + "    labels: {a: " + "[" * 2000 + "]" * 2000 + "}\n",
        "compose.yaml:5:80: nested more than 64 levels deep",
    ),
    "deep-block-nesting": (
        lambda d: None,
        WEB + "    labels:\n      a:\n" + "".join(" " * (8 + 2 * i) + "- \n" for i in range(400)),
        "nested more than 64 levels deep",
    ),
    "deep-interpolation": (
        lambda d: None,
        WEB + "    environment:\n      A: " + "${A:-" * 2000 + "x" + "}" * 2000 + "\n",
        "",
    ),
}


@pytest.mark.parametrize("reader", ["compose", "python"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_files_are_refused_at_once_in_one_line(case: str, reader: str, tmp_path: Path):
    if reader == "compose":
        compose_binary()
    prepare, text, phrase = CASES[case]
    project = tmp_path / "app"
    project.mkdir()
    (project / "compose.yaml").write_text(text, encoding="utf-8")
    prepare(project)
    started = time.monotonic()
    result = run_installed("import", "compose", "--reader", reader, cwd=project, timeout=TIMEOUT, prefix=MEMORY_LIMIT)
    elapsed = time.monotonic() - started
    assert elapsed < 20, f"took {elapsed:.1f} s"
    if case == "deep-interpolation":  # Compose and deploykit both read it; never a RecursionError (exit 3)
        assert result.returncode in (0, 2), result.stderr
        assert len(result.stderr.splitlines()) <= 12 and "Traceback" not in result.stderr
        return
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and phrase in line, line
    assert len(line) < 600
    assert not (project / "profiles").exists()


def test_a_file_given_with_f_is_checked_too(tmp_path: Path):
    fifo(tmp_path / "compose.yaml")
    result = run_installed("import", "compose", "--reader", "python", cwd=tmp_path, timeout=TIMEOUT)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1


# --- The Compose CLI itself is bounded, for whatever the check cannot foresee.


def _cli_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str) -> Callable[[], object]:
    cli = (str(compose_binary()),)
    (tmp_path / "compose.yaml").write_text(WEB + extra, encoding="utf-8")
    monkeypatch.setattr(files, "check_project", lambda *args: None)  # as if the check had missed it
    source = SourceFile("compose.yaml", tmp_path / "compose.yaml")
    return lambda: compose_cli.read_project(cli, [source], [], {"PATH": os.environ["PATH"]})


def test_the_compose_cli_runs_with_a_memory_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    read = _cli_reading(tmp_path, monkeypatch, "    env_file: /dev/zero\n")
    started = time.monotonic()
    with pytest.raises(ComposeProblem) as raised:
        read()
    assert time.monotonic() - started < 20
    assert raised.value.message == (f"`{compose_binary()} config` ran out of memory (512 MiB) reading the project")


def test_the_compose_cli_runs_with_a_time_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    fifo(tmp_path / "web.env")
    read = _cli_reading(tmp_path, monkeypatch, "    env_file: web.env\n")
    monkeypatch.setattr(compose_cli, "TIMEOUT_SECONDS", 2)
    started = time.monotonic()
    with pytest.raises(ComposeProblem) as raised:
        read()
    assert time.monotonic() - started < 10
    assert raised.value.message == f"`{compose_binary()} config` did not answer within 2 seconds"


def test_a_go_crash_dump_becomes_its_first_line():
    stderr = "fatal error: concurrent map writes\n\ngoroutine 1 [running]:\nmain.main()\n" + "\tframe\n" * 2000
    problem = compose_cli.compose_error(stderr, [SourceFile("compose.yaml", Path("compose.yaml"))])
    assert problem.message == "compose.yaml: fatal error: concurrent map writes"


def test_prlimit_is_there():
    assert shutil.which("prlimit"), "util-linux's prlimit bounds the imports' memory"
    assert subprocess.run(["prlimit", "--version"], capture_output=True).returncode == 0


# --- Credentials: never copied into the profiles.

SECRET_VALUES = (
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "hunter2",
)


@pytest.mark.parametrize("reader", ["compose", "python"])
def test_credentials_are_never_copied_into_the_profiles(reader: str, tmp_path: Path):
    if reader == "compose":
        compose_binary()
    (tmp_path / "compose.yaml").write_text(
        WEB
        + "    ports: ['8000:8000']\n"
        + "    environment:\n"
        + f"      AWS_ACCESS_KEY_ID: {SECRET_VALUES[0]}\n"
        + f"      GH_PAT: {SECRET_VALUES[1]}\n"
        + "      LOG_LEVEL: info\n"
        + "    env_file: web.env\n"
        + "    healthcheck:\n"
        + f"      test: [CMD, curl, -f, 'http://admin:{SECRET_VALUES[3]}@localhost:8000/healthz']\n",
        encoding="utf-8",
    )
    (tmp_path / "web.env").write_text(f"STRIPE_SK={SECRET_VALUES[2]}\n", encoding="utf-8")
    result = run_installed("import", "compose", "--reader", reader, cwd=tmp_path, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    written = "".join(path.read_text() for path in sorted((tmp_path / "profiles").iterdir()))
    assert [value for value in SECRET_VALUES if value in written] == []
    assert "secrets.AWS_ACCESS_KEY_ID" in result.stderr and "secrets.STRIPE_SK" in result.stderr
    assert "services.web.healthcheck.test: holds a credential" in result.stderr
    assert "LOG_LEVEL: info" in written
