"""`render` must never import the `kubernetes` client: it costs about a second, and only diff/apply need it."""

from __future__ import annotations

import os
import subprocess
import sys

from helpers import REPO


def imported_modules(*args: str) -> list[str]:
    """Every module `python -X importtime -m deploykit ARGS` imported, by its dotted name."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "deploykit", *args],
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:") and "|" in line]
    return [line.rsplit("|", 1)[1].strip() for line in lines[1:]]  # the first line is the column header


def test_render_k8s_never_imports_kubernetes():
    modules = imported_modules("render", "k8s", "-p", "profiles/prod.yaml")
    # The target package itself is loaded by importlib.import_module, which -X importtime does not list.
    assert "deploykit.targets.k8s.workload" in modules, "the measurement must see the target's imports"
    assert [
        name for name in modules if name == "kubernetes" or name.startswith(("kubernetes.", "deploykit.cluster"))
    ] == []
