"""Regenerate every golden file from the current code, or (--check) list the stale ones and exit 1.

Golden files are outputs committed so that reviews see what a change does: the rendered example
profiles (manifests/), `explain` for each bundled environment (tests/golden/explain/), the JSON
Schema (deploykit.schema.json), the field reference (docs/reference.md) and the warning codes
(docs/warnings.md). tests/test_goldens.py
fails when any of them differs from what the code produces; this script is the one way to refresh
them all:

    python scripts/update_goldens.py            # write them, then review `git diff` and commit
    python scripts/update_goldens.py --check    # exit 1, naming each stale file
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run(*args: str) -> tuple[int, str, str]:
    """`deploykit ARGS` in this process, from the repository root: (exit code, stdout, stderr)."""
    from deploykit.cli import app

    stdout, stderr = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr), contextlib.chdir(REPO):
        try:
            app(args=list(args), prog_name="deploykit", standalone_mode=True)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
    return code, stdout.getvalue(), stderr.getvalue()


def environments() -> list[str]:
    """The bundled environments, as `render all` finds them in profiles/."""
    from deploykit.loading.workspace import environment_profiles

    with contextlib.chdir(REPO):
        return [entry.environment for entry in environment_profiles(Path("profiles"))]


def generated_files() -> dict[str, list[str]]:
    """Each golden file (relative to the repository) and the deploykit command that prints it."""
    files = {
        "deploykit.schema.json": ["schema"],
        "docs/reference.md": ["schema", "--format", "markdown"],
        "docs/warnings.md": ["schema", "--format", "warnings"],
    }
    for environment in environments():
        files[f"tests/golden/explain/{environment}.txt"] = ["explain", "--env", environment]
        files[f"tests/golden/explain/{environment}.json"] = ["explain", "--env", environment, "--format", "json"]
    return files


def stale() -> list[str]:
    """The golden files that differ from what the code produces now (manifests/ as one entry)."""
    found = []
    for name, command in generated_files().items():
        code, out, err = run(*command)
        if code != 0:
            raise SystemExit(f"deploykit {' '.join(command)} failed: {err}")
        if _read(REPO / name) != out:
            found.append(name)
    code, _, err = run("check")
    if code != 0:
        found.append(f"manifests/ ({err.strip().splitlines()[-1] if err.strip() else 'deploykit check failed'})")
    return found


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def update() -> None:
    """Write every golden file."""
    for name, command in generated_files().items():
        code, out, err = run(*command)
        if code != 0:
            raise SystemExit(f"deploykit {' '.join(command)} failed: {err}")
        path = REPO / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(out, encoding="utf-8", newline="\n")
    code, _, err = run("render", "all")
    if code != 0:
        raise SystemExit(f"deploykit render all failed: {err}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a golden file is stale")
    options = parser.parse_args()
    sys.path.insert(0, str(REPO))
    os.environ.pop("COLUMNS", None)
    if options.check:
        found = stale()
        for name in found:
            print(f"stale: {name}", file=sys.stderr)
        return 1 if found else 0
    update()
    return 0


if __name__ == "__main__":
    sys.exit(main())
