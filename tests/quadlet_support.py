"""Running Podman's own Quadlet generator and systemd's verifier on rendered units."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tooling import quadlet_binary, require_tool

from deploykit.rendering import Rendering


def write(rendering: Rendering, directory: Path) -> Path:
    """The rendered files, as `render -o` writes them (marker comments aside), under `directory`."""
    for file in rendering.files:
        path = directory / file.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file.content, encoding="utf-8")
    return directory


def dry_run(units: Path) -> tuple[int, str, str]:
    """`quadlet -dryrun` over `units`: (exit code, the generated units, the generator's log)."""
    done = subprocess.run(
        [str(quadlet_binary()), "-dryrun"],
        env={**os.environ, "QUADLET_UNIT_DIRS": str(units)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout, done.stderr


def generated_services(stdout: str) -> dict[str, str]:
    """`---name.service---` sections of the dry run, by name."""
    services: dict[str, str] = {}
    name = None
    for line in stdout.splitlines():
        if line.startswith("---") and line.endswith("---") and len(line) > 6:
            name = line.strip("-")
            services[name] = ""
        elif name is not None:
            services[name] += line + "\n"
    return services


def generate(units: Path, output: Path) -> list[Path]:
    """The generator run for real into `output` (as systemd runs it), plus the timers beside the units."""
    output.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [str(quadlet_binary()), str(output)],
        env={**os.environ, "QUADLET_UNIT_DIRS": str(units)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    for timer in units.glob("*.timer"):
        shutil.copy(timer, output / timer.name)
    return sorted([*output.glob("*.service"), *output.glob("*.timer")])


def verify(units: list[Path]) -> subprocess.CompletedProcess:
    """`systemd-analyze verify` on generated units, with their directory as the unit path."""
    analyze = require_tool("systemd-analyze", "apt-get install systemd")
    require_tool("podman", "apt-get install podman (systemd-analyze checks that ExecStart's program exists)")
    directory = units[0].parent
    return subprocess.run(
        [analyze, "verify", "--man=no", *map(str, units)],
        env={**os.environ, "SYSTEMD_UNIT_PATH": f"{directory}:"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def systemd_words(exec_start: str) -> list[str]:
    """ExecStart's words as systemd reads them: unquoted, C escapes resolved, `%%` and `$$` made literal.
    (A reader written for the tests, for the quoting the generator writes; other specifiers are kept.)"""
    found: list[str] = []
    index, text = 0, exec_start
    escapes = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}
    while index < len(text):
        while index < len(text) and text[index] == " ":
            index += 1
        if index >= len(text):
            break
        word, quote = "", None
        while index < len(text):
            char = text[index]
            if quote is None and char == " ":
                break
            if char in "\"'" and (quote is None or quote == char):
                quote = None if quote == char else char
            elif char == "\\":
                nxt = text[index + 1]
                if nxt == "x":
                    word += chr(int(text[index + 2 : index + 4], 16))
                    index += 2
                else:
                    word += escapes[nxt]
                index += 1
            elif char in "%$" and text[index + 1 : index + 2] == char:
                word += char
                index += 1
            else:
                word += char
            index += 1
        found.append(word)
    return found


def unit_commands(
    generated: Path, runtime_dir: Path, config_dir: Path | None = None
) -> dict[str, dict[str, list[list[str]]]]:
    """Each generated service's Exec* lines as argv lists (`%t`, `%n`, `%N` resolved as systemd would for
    a system unit with `runtime_dir` as its runtime directory, and `%E` as `config_dir` when given), by
    service name without `.service`. A line's `-` prefix (its failure ignored) is dropped."""
    import re

    commands: dict[str, dict[str, list[list[str]]]] = {}
    for path in sorted(generated.glob("*.service")):
        unit = path.name.removesuffix(".service")
        specifiers = {"t": str(runtime_dir), "n": path.name, "N": unit, "%": "%%"}
        if config_dir is not None:
            specifiers["E"] = str(config_dir)
        found: dict[str, list[list[str]]] = {}
        for line in path.read_text().splitlines():
            key, _, value = line.partition("=")
            if key in ("ExecStart", "ExecStartPre", "ExecStartPost", "ExecStop", "ExecStopPost"):
                resolved = re.sub(r"%(.)", lambda match, known=specifiers: known[match.group(1)], value)
                found.setdefault(key, []).append(systemd_words(resolved.lstrip("-")))
        commands[unit] = found
    return commands
