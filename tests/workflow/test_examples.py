"""The bundled examples' own profiles validate for every target, and their Compose output is a file
the real Compose CLI accepts: the examples cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import REPO, run_cli
from tooling import resolved

EXAMPLE_PROFILES = sorted((REPO / "examples").glob("*/profiles/*.yaml"))


@pytest.mark.parametrize("profile", EXAMPLE_PROFILES, ids=lambda path: f"{path.parts[-3]}/{path.name}")
def test_example_profile_is_valid_for_every_target(profile: Path):
    result = run_cli("validate", "-p", str(profile))
    assert result.returncode == 0, result.stderr


def test_the_shop_example_runs_gunicorn_workers_that_compose_accepts(tmp_path: Path):
    result = run_cli("render", "compose", "-p", str(REPO / "examples/shop/profiles/prod.yaml"), "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    shop = resolved(tmp_path / "compose.yaml")["services"]["shop"]
    assert shop["command"][:4] == ["gunicorn", "-k", "uvicorn_worker.UvicornWorker", "shop.asgi:application"]
    assert shop["command"][shop["command"].index("--workers") + 1] == "3"
    # 3 workers of 192 MiB and gunicorn's arbiter.
    assert shop["deploy"]["resources"]["limits"]["memory"] == str((3 * 192 + 64) * 2**20)
