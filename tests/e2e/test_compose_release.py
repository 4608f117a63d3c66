"""`deploykit release compose` on the items-api stack, for real: Compose v2 on podman, Traefik, TLS.

A bounded load loop on loopback runs through Traefik during a release with a new image: no request may
fail. A release whose migration fails must exit non-zero and leave the old version answering.
The new versions are images built FROM the stack's image (a label, or a migration that fails), and
the release is rendered into a directory of its own, as a new version is rendered and copied to the
server, with the stack's certificate and secret files beside it.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine import Podman
from helpers import REPO
from stacks import (
    PROJECT_LABEL,
    Stack,
    docker_reference,
    https_get,
    render,
    running_stack,
    stack_settings,
)
from tooling import compose_binary

pytestmark = pytest.mark.e2e

PROFILE = REPO / "tests" / "e2e" / "profiles" / "e2e.yaml"
EXAMPLE_APP = REPO / "examples" / "items-api"
DATABASE_URL = "sqlite:////data/items.db"
# Checks every 2 s (what podman's timer would do is done by `health_timer` below); 20 s to start.
HEALTH_SETTINGS = ("health.interval_seconds=2", "health.timeout_seconds=1", "health.startup_seconds=20")
LOAD_PATH = "/items/7?q=release"
RELEASE_TIMEOUT = 300


@pytest.fixture(scope="module")
def stack(podman, tmp_path_factory):
    with running_stack(
        podman,
        tmp_path_factory.mktemp("release"),
        PROFILE,
        EXAMPLE_APP,
        {"DATABASE_URL": DATABASE_URL},
        "release",
        HEALTH_SETTINGS,
    ) as running:
        yield running


def service_containers(stack: Stack, service: str) -> list[dict]:
    """`podman inspect` of every container of `service` in the stack's project (one-off runs excluded)."""
    names = stack.podman.run(
        "ps",
        "--all",
        "--filter",
        f"label={PROJECT_LABEL}={stack.project}",
        "--filter",
        f"label=com.docker.compose.service={service}",
        "--format",
        "{{.Names}}",
    ).stdout.split()
    if not names:
        return []
    found = json.loads(stack.podman.run("container", "inspect", *names).stdout)
    return [c for c in found if c["Config"]["Labels"].get("com.docker.compose.oneoff", "False") != "True"]


@contextlib.contextmanager
def health_timer(stack: Stack, interval: float) -> Iterator[None]:
    """Run the app containers' health checks every `interval`, as podman's systemd timer would.

    There is no systemd here (see stacks.wait_until_served): without this, a container's health would
    never change, and neither the release nor Traefik could see a new container become healthy or an
    old one being drained.
    """
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            for container in service_containers(stack, stack.profile.app):
                if container["State"]["Running"]:
                    stack.podman.run("healthcheck", "run", container["Name"], check=False, timeout=30)
            stop.wait(interval)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=60)


@contextlib.contextmanager
def load_loop(stack: Stack, limit_seconds: float) -> Iterator[dict[str, list]]:
    """GET LOAD_PATH through Traefik over HTTPS, one request after another, until the block ends (at most
    `limit_seconds`): every answer and every failure recorded."""
    stop = threading.Event()
    results: dict[str, list] = {"ok": [], "failed": []}

    def loop() -> None:
        deadline = time.monotonic() + limit_seconds
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                response = https_get(stack, LOAD_PATH)
            except OSError as exc:
                results["failed"].append(repr(exc))
                continue
            if response.status == 200:
                results["ok"].append(response.status)
            else:
                results["failed"].append(f"{response.status}: {response.body[:200]!r}")

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield results
    finally:
        stop.set()
        thread.join(timeout=limit_seconds + 30)


def new_image(podman: Podman, workdir: Path, tag: str, dockerfile_tail: str, files: dict[str, str]) -> str:
    """An image FROM the stack's app image with `dockerfile_tail` (no RUN: nothing to download)."""
    context = workdir / tag.rsplit(":", 1)[-1]
    context.mkdir()
    for name, text in files.items():
        (context / name).write_text(text)
    (context / "Dockerfile").write_text(f"FROM {docker_reference(stack_image())}\n{dockerfile_tail}")
    podman.build(context, context / "Dockerfile", tag, host_ca=False)
    return tag


def stack_image() -> str:
    from deploykit import pipeline

    return pipeline.load(PROFILE).profile.image


def render_release(stack: Stack, workdir: Path, image: str) -> Path:
    """The new version, rendered for the same project, ports and subnet, with the stack's TLS and secret files."""
    directory = workdir / "compose"
    settings = stack_settings(stack.podman, stack.project, stack.http_port, stack.https_port, stack.subnet)
    render(PROFILE, directory, "compose", *settings, *HEALTH_SETTINGS, f"image={image}")
    current = stack.compose_file.parent
    for name in ("tls", "secrets"):
        shutil.copytree(current / name, directory / name)
    return directory


def release(stack: Stack, directory: Path, compose: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(stack.podman.env, DOCKER_HOST=stack.podman.docker_host)
    command = [sys.executable, "-m", "deploykit", "release", "compose", "--dir", str(directory)]
    command += ["--compose", str(compose or compose_binary()), "--engine", stack.podman.binary]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=RELEASE_TIMEOUT, check=False)


def running_ids(stack: Stack, service: str) -> set[str]:
    return {c["Id"] for c in service_containers(stack, service) if c["State"]["Running"]}


def broken_migration_image(stack: Stack, tmp_path: Path) -> str:
    return new_image(
        stack.podman,
        tmp_path,
        "localhost/items-api:e2e-broken-migration",
        "COPY migrate.py /code/app/migrate.py\n",
        {"migrate.py": 'raise SystemExit("this migration fails")\n'},
    )


def test_a_release_whose_migration_fails_exits_non_zero_and_the_old_version_still_answers(stack, tmp_path):
    directory = render_release(stack, tmp_path, broken_migration_image(stack, tmp_path))
    before = {service: running_ids(stack, service) for service in (stack.profile.app, "worker", "scheduler")}

    with health_timer(stack, 2):
        result = release(stack, directory)

    assert result.returncode == 1, result.stderr
    assert "release failed: migration step migrate exited 1" in result.stderr, result.stderr
    assert "the old version still serves" in result.stderr
    # Nothing was replaced: the same containers of every service run, and the app answers.
    assert {service: running_ids(stack, service) for service in before} == before
    assert https_get(stack, LOAD_PATH).status == 200
    assert {c["ImageName"] for c in service_containers(stack, stack.profile.app)} == {
        docker_reference(stack.profile.image)
    }


def test_a_release_with_a_new_image_under_load_fails_no_request(stack, tmp_path):
    image = new_image(
        stack.podman, tmp_path, "localhost/items-api:e2e-next", "LABEL io.deploykit.e2e.version=next\n", {}
    )
    directory = render_release(stack, tmp_path, image)
    old_app = running_ids(stack, stack.profile.app)
    old_worker = running_ids(stack, "worker")

    with health_timer(stack, 2), load_loop(stack, RELEASE_TIMEOUT) as results:
        time.sleep(2)  # the loop is running before the release starts
        started = time.monotonic()
        result = release(stack, directory)
        took = time.monotonic() - started
        time.sleep(2)  # and after it ended

    assert result.returncode == 0, result.stderr
    assert results["failed"] == [], f"{len(results['failed'])} failed of {len(results['ok'])}: {results['failed'][:5]}"
    assert len(results["ok"]) > 50, f"only {len(results['ok'])} requests in {took:.0f} s"
    # The app and the worker now run only the new image, in new containers.
    app = [c for c in service_containers(stack, stack.profile.app) if c["State"]["Running"]]
    assert len(app) == 1
    assert {c["ImageName"] for c in app} == {docker_reference(image)}
    assert {c["Id"] for c in app}.isdisjoint(old_app)
    workers = [c for c in service_containers(stack, "worker") if c["State"]["Running"]]
    assert len(workers) == 2 and {c["ImageName"] for c in workers} == {docker_reference(image)}
    assert {c["Id"] for c in workers}.isdisjoint(old_worker)
    # The old app container is gone, not left stopped.
    assert not [c for c in service_containers(stack, stack.profile.app) if c["Id"] in old_app]


def test_the_step_s_own_exit_code_counts_when_the_compose_cli_fails_by_itself(stack, tmp_path):
    """Compose 2.40's event monitor has crashed on Podman's API (a nil pointer) after the step exited,
    so `up --exit-code-from` exited 2 whatever the step did. The real Compose CLI runs every command
    here; only its exit code after the step's `up` is replaced by 2, as in that crash."""
    crashing = tmp_path / "compose-that-crashes-after-the-step"
    crashing.write_text(
        f'#!/bin/sh\n{shlex.quote(str(compose_binary()))} "$@"\ncode=$?\n'
        'case " $* " in *" --exit-code-from "*) exit 2 ;; esac\nexit $code\n'
    )
    crashing.chmod(0o755)
    directory = render_release(stack, tmp_path, broken_migration_image(stack, tmp_path))
    before = running_ids(stack, stack.profile.app)

    result = release(stack, directory, compose=crashing)

    assert result.returncode == 1, result.stderr
    # The step's own code (1), read from the engine, not the CLI's 2.
    assert "release failed: migration step migrate exited 1" in result.stderr, result.stderr
    assert running_ids(stack, stack.profile.app) == before
