"""Helpers shared by tests that drive external tools."""

from __future__ import annotations

import os
import shutil

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
    reason = f"{name} not found on PATH: {hint}"
    if in_ci():
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)
