"""The container engine every end-to-end test shares: one podman API service per test session."""

from __future__ import annotations

import pytest
from engine import Podman
from tooling import require_tool

PODMAN_HINT = "apt-get install podman uidmap slirp4netns fuse-overlayfs runc (scripts/setup-machine.sh does)"


@pytest.fixture(scope="session")
def podman():
    with Podman(require_tool("podman", PODMAN_HINT)) as engine:
        yield engine
