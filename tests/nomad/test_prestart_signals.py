"""The multi-step prestart task's shell, as Nomad's docker driver runs it: PID 1 of its container.

The script is read from the rendered job with HashiCorp's HCL parser and run unchanged as the
container's command on podman (a Debian image: dash as /bin/sh). `docker stop` (Nomad's kill, a
redeploy, a drain) sends SIGTERM to PID 1, which the kernel gives no default action: without a
trap the shell ignored it until kill_timeout's SIGKILL. It must now stop the running step, exit
with 143 at once, and start no later step; a failing step must stop the sequence with its status.
"""

from __future__ import annotations

import copy
import os
import time
import uuid

import pytest
from nomad_support import BASE, render, tasks
from tooling import require_tool

pytestmark = pytest.mark.e2e

MARKS = "/tmp/marks"  # a directory the steps write to, shared with the host


def prestart_argv(parse_hcl, steps: list[list[str]]) -> list[str]:
    data = copy.deepcopy(BASE)
    data["prestart"] = [{"name": f"step{index}", "command": command} for index, command in enumerate(steps)]
    rendering, _ = render(data)
    job = parse_hcl(next(file.content for file in rendering.files if file.path == "items-api.nomad.hcl"))
    ((_, body),) = job["job"][0].items()
    config = tasks(body)["prestart"]["config"][0]
    return [config["command"], *config["args"]]


@pytest.fixture(scope="module")
def engine():
    from e2e.engine import DEBIAN_IMAGE, Podman, debian_image  # the end-to-end tests' engine and base image

    podman = Podman(require_tool("podman", "apt-get install podman (scripts/setup-machine.sh does)"))
    debian_image(podman, require_tool("debootstrap", "apt-get install debootstrap"))
    return podman, DEBIAN_IMAGE


def start(engine, argv: list[str], marks) -> str:
    podman, image = engine
    name = f"dk-prestart-{uuid.uuid4().hex[:12]}"
    os.chmod(marks, 0o777)
    podman.run("run", "-d", "--name", name, "--volume", f"{marks}:{MARKS}", image, *argv)
    return name


def exit_code(engine, name: str, timeout: float) -> int | None:
    """The container's exit code once it stopped within `timeout` seconds, else None."""
    podman, _ = engine
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = podman.container_state(name)
        assert state is not None
        if state["Status"] == "exited":
            return state["ExitCode"]
        time.sleep(0.05)
    return None


def test_sigterm_stops_the_running_step_and_the_sequence_at_once(parse_hcl, engine, tmp_path):
    argv = prestart_argv(
        parse_hcl,
        [
            ["sh", "-c", f"echo 1 > {MARKS}/first"],
            # A long step (a migration) that records the SIGTERM it gets, then stops.
            [
                "sh",
                "-c",
                f"trap 'echo stopped > {MARKS}/long; exit 0' TERM; echo running > {MARKS}/long; sleep 600 & wait",
            ],
            ["sh", "-c", f"echo 1 > {MARKS}/never"],
        ],
    )
    podman, _ = engine
    name = start(engine, argv, tmp_path)
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "long").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (tmp_path / "long").read_text() == "running\n"
        # The shell is the container's PID 1.
        assert podman.run("exec", name, "cat", "/proc/1/cmdline").stdout.split("\0")[:-1] == argv  # PID 1
        sent = time.monotonic()
        podman.run("kill", "--signal", "TERM", name)
        code = exit_code(engine, name, 2)
        took = time.monotonic() - sent
        assert code == 143, (code, took, podman.run("logs", name, check=False).stderr)
        assert (tmp_path / "long").read_text() == "stopped\n"  # the step got SIGTERM and stopped
        assert (tmp_path / "first").exists() and not (tmp_path / "never").exists()
    finally:
        podman.run("rm", "-f", name, check=False)


def test_the_first_failing_step_stops_the_sequence_with_its_status(parse_hcl, engine, tmp_path):
    argv = prestart_argv(
        parse_hcl,
        [
            ["sh", "-c", f"echo 1 > {MARKS}/first"],
            ["sh", "-c", "exit 7"],
            ["sh", "-c", f"echo 1 > {MARKS}/never"],
        ],
    )
    podman, _ = engine
    name = start(engine, argv, tmp_path)
    try:
        assert exit_code(engine, name, 30) == 7
        assert (tmp_path / "first").exists() and not (tmp_path / "never").exists()
    finally:
        podman.run("rm", "-f", name, check=False)


def test_every_step_runs_in_order_and_the_task_succeeds(parse_hcl, engine, tmp_path):
    argv = prestart_argv(
        parse_hcl,
        [["sh", "-c", f"echo {index} >> {MARKS}/order"] for index in range(3)]
        + [["sh", "-c", f'echo "$0 $1" >> {MARKS}/order', "quoted $HOME", "'; exit 9"]],
    )
    podman, _ = engine
    name = start(engine, argv, tmp_path)
    try:
        assert exit_code(engine, name, 30) == 0
        assert (tmp_path / "order").read_text() == "0\n1\n2\nquoted $HOME '; exit 9\n"
    finally:
        podman.run("rm", "-f", name, check=False)
