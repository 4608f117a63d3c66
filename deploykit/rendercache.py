"""A cache of `render TARGET` results, so an unchanged profile renders without being loaded again.

An Argo CD plugin or a pipeline renders the same profile on every sync and every commit. Loading and
rendering it (ruamel.yaml, pydantic-core, the target) takes about as long again as `kubectl kustomize`
takes to build the same directory, and the result depends only on the inputs. So a successful render
is stored under the question that was asked (working directory, profile path, target, `--set`,
deploykit's code), and the answer is reused only while every file it read has the same SHA-256 as then. Errors are never
cached: a refused profile goes through the whole pipeline every time, for its located message.

The code fingerprint covers deploykit's own files (path, size, modification time) and the installed
versions of the libraries that shape the output, so an upgrade or an edited checkout starts afresh.
`DEPLOYKIT_CACHE_DIR` moves the cache (default `$XDG_CACHE_HOME/deploykit`, else `~/.cache/deploykit`);
`DEPLOYKIT_CACHE=off` turns it off. Any problem reading or writing the cache only means a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# Bumped when the entry format changes.
_FORMAT = 1
# The libraries whose version can change what a target writes.
_OUTPUT_LIBRARIES = ("jinja2", "pydantic", "pydantic_core", "ruamel.yaml")


@dataclass(frozen=True)
class CachedRender:
    """What `render TARGET` prints or writes for one profile: output, files and warning lines."""

    stdout: str
    files: tuple[tuple[str, str], ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    """What was asked: the same question with the same input files has the same answer."""

    profile: Path
    target: str
    assignments: tuple[str, ...]

    def key(self) -> str:
        parts = [_FORMAT, _code_fingerprint(), os.getcwd(), str(self.profile), self.target, list(self.assignments)]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def lookup(question: Question) -> CachedRender | None:
    """The stored answer, if there is one and every input file is unchanged."""
    directory = _directory()
    if directory is None:
        return None
    try:
        entry = json.loads((directory / f"{question.key()}.json").read_text(encoding="utf-8"))
        for name, digest in entry["inputs"]:
            if _digest(Path(name)) != digest:
                return None
        return CachedRender(entry["stdout"], tuple(map(tuple, entry["files"])), tuple(entry["warnings"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(question: Question, inputs: Sequence[str], answer: CachedRender) -> None:
    """Remember `answer` for `question`, with the digests of the files it was computed from."""
    directory = _directory()
    if directory is None:
        return
    try:
        entry = {
            "inputs": [[name, _digest(Path(name))] for name in inputs],
            "stdout": answer.stdout,
            "files": [list(file) for file in answer.files],
            "warnings": list(answer.warnings),
        }
        directory.mkdir(parents=True, exist_ok=True)
        final = directory / f"{question.key()}.json"
        partial = final.with_name(f"{final.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(entry), encoding="utf-8")
        os.replace(partial, final)  # readers see the old entry or the new one, never half of one
    except OSError:
        return


def _directory() -> Path | None:
    if os.environ.get("DEPLOYKIT_CACHE", "").lower() in ("off", "0", "false", "no"):
        return None
    configured = os.environ.get("DEPLOYKIT_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "deploykit"


def _digest(path: Path) -> str:
    """The SHA-256 of a regular file; anything else (a FIFO would block the read) never matches."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        return "not a regular file"
    return hashlib.sha256(path.read_bytes()).hexdigest()


@cache
def _code_fingerprint() -> str:
    """deploykit's files and the output libraries' versions, as one digest (about a millisecond)."""
    import importlib.util

    from deploykit import __version__

    package = Path(__file__).parent
    parts: list[object] = [__version__, sys.version]
    for root, directories, files in os.walk(package):
        directories[:] = sorted(d for d in directories if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".j2")):
                stat = os.stat(os.path.join(root, name))
                parts.append([os.path.relpath(os.path.join(root, name), package), stat.st_size, stat.st_mtime_ns])
    for library in _OUTPUT_LIBRARIES:
        spec = importlib.util.find_spec(library)
        origin = spec.origin if spec is not None else None
        # Where the library's __init__ is, its size and modification time: any upgrade or reinstall changes them.
        found = os.stat(origin) if origin else None
        parts.append([library, origin, found.st_size if found else None, found.st_mtime_ns if found else None])
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()
