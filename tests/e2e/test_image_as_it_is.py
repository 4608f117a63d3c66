"""An image deploykit did not build, run as it is from the rendered compose.yaml behind Traefik.

The image (tests/e2e/hostcheck/) has no python, its own USER (uid 20002) and CMD, writes under /var
when it starts, and refuses any Host but its public one, as Django's ALLOWED_HOSTS does. The profile
(tests/e2e/profiles/hostcheck.yaml) gives no command, `run_as: image`, the directory it writes as a
writable path, and the image's own probe. It must start, pass its health check, be routed by
Traefik over verified HTTPS under its path prefix (stripped: the image serves from /), and see the
public host on every probe. Its scheduled jobs run without anything inside the image: the test runs
the rendered systemd units' command lines as the timers would.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from engine import Podman, debian_image, wait_for
from helpers import REPO
from quadlet_support import systemd_words
from stacks import PROJECT_LABEL, Stack, https_get, running_stack
from tooling import compose_binary

pytestmark = pytest.mark.e2e

PROFILE = REPO / "tests" / "e2e" / "profiles" / "hostcheck.yaml"
IMAGE_DIR = REPO / "tests" / "e2e" / "hostcheck"
HOST = "hostcheck.e2e.test"
PREFIX = "/hc"  # proxy.path_prefix, stripped by Traefik


def build_image(workdir: Path):
    def build(podman: Podman, debootstrap: str, tag: str) -> None:
        debian_image(podman, debootstrap)
        context = workdir / "hostcheck-context"
        shutil.copytree(IMAGE_DIR, context)
        podman.build(context, context / "Containerfile", tag, host_ca=False)

    return build


@pytest.fixture(scope="module")
def hostcheck(podman, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("hostcheck")
    # Where the job units find compose.yaml: running_stack renders into workdir/compose.
    settings = (f"compose.directory={workdir / 'compose'}",)
    with running_stack(
        podman, workdir, PROFILE, IMAGE_DIR, {}, "hostcheck", settings, build=build_image(workdir)
    ) as running:
        yield running


def test_it_runs_its_own_command_as_its_own_user_behind_traefik(hostcheck):
    seen = https_get(hostcheck, f"{PREFIX}/whoami").json()
    assert seen["uid"] == 20002  # the image's USER, not deploykit's 10001
    service = hostcheck.config(hostcheck.compose_file)["services"]["hostcheck"]
    assert [service.get(key) for key in ("command", "entrypoint", "user")] == [None, None, None]
    container = hostcheck.inspect("hostcheck")
    assert container["Config"]["Cmd"] == ["/usr/local/bin/hostcheck-server"]
    assert container["HostConfig"]["ReadonlyRootfs"] is True


def test_it_wrote_under_var_beside_a_read_only_root(hostcheck):
    result = hostcheck.podman.run("exec", hostcheck.container("hostcheck"), "cat", "/var/lib/hostcheck/started")
    assert result.stdout.strip().isdigit()
    denied = hostcheck.podman.run("exec", hostcheck.container("hostcheck"), "touch", "/var/other", check=False)
    assert denied.returncode != 0


def test_its_health_check_passes_and_every_probe_names_the_public_host(hostcheck):
    state = hostcheck.inspect("hostcheck")["State"]
    health = state.get("Health") or state.get("Healthcheck") or {}
    assert health.get("Status") == "healthy", state
    seen = https_get(hostcheck, f"{PREFIX}/whoami").json()
    # The container's own probe and Traefik's health check both asked with the public host; no
    # request named an address (the app would have answered 400 and never been routed).
    assert set(seen["probes"]) == {HOST} and seen["probes"][HOST] >= 1
    assert seen["refused"] == 0


def test_it_is_reached_under_its_prefix_only_and_sees_the_path_without_it(hostcheck):
    assert hostcheck.profile.proxy.path_prefix == PREFIX and hostcheck.profile.proxy.strip_prefix
    seen = https_get(hostcheck, f"{PREFIX}/whoami")
    assert seen.status == 200
    # The image's own paths (Traefik's health check asks /healthz straight, past the router) answer
    # only under the prefix; a path merely starting with its characters is not the app's.
    for path in ("/whoami", "/healthz", f"{PREFIX}x/whoami"):
        response = https_get(hostcheck, path)
        # Traefik's own 404 (text), not the app's (JSON): the request never reached the app.
        assert (response.status, response.body.startswith(b"{")) == (404, False), path


# --- scheduled jobs: host systemd timers, nothing inside the image ---


DOCKER_SHIM = """#!/bin/sh
# The Docker CLI as the job units call it: `docker compose ARGS` runs the Compose CLI (the plugin the
# Docker CLI would run), anything else the engine's CLI (podman's reads `rm -f NAME` the same way).
if [ "$1" = compose ]; then shift; exec {compose} "$@"; fi
exec {podman} "$@"
"""


def unit_commands(stack: Stack, job: str, key: str) -> tuple[list[list[str]], dict[str, str], Path]:
    """A job unit's `key` command lines exactly as systemd would run them, in order: argv lists, the
    environment and the working directory. systemd finds `docker` in its search path; here the first
    `docker` on PATH is DOCKER_SHIM, which hands the words on unchanged."""
    values: dict[str, list[str]] = {}
    unit = stack.compose_file.parent / "systemd" / f"{stack.project}-{job}.service"
    for line in unit.read_text().splitlines():
        name, _, value = line.partition("=")
        values.setdefault(name, []).append(value)
    shim = stack.compose_file.parent / "bin"
    if not (shim / "docker").exists():
        shim.mkdir()
        (shim / "docker").write_text(DOCKER_SHIM.format(compose=compose_binary(), podman=stack.podman.binary))
        (shim / "docker").chmod(0o755)
    variable, _, setting = values["Environment"][0].partition("=")
    env = dict(stack.podman.env, **{variable: setting}, PATH=f"{shim}:{os.environ['PATH']}")
    argvs = [systemd_words(line.removeprefix("-")) for line in values[key]]
    return argvs, env, Path(values["WorkingDirectory"][0])


def unit_command(stack: Stack, job: str, key: str) -> tuple[list[str], dict[str, str], Path]:
    """The unit's one `key` command line (see unit_commands)."""
    (argv,), env, directory = unit_commands(stack, job, key)
    return argv, env, directory


def written(file) -> str:
    file.seek(0)
    return file.read()


def job_containers(stack: Stack, job: str) -> list[str]:
    listed = stack.podman.run(
        "ps", "-a", "--filter", f"label={PROJECT_LABEL}={stack.project}",
        "--filter", f"label=com.docker.compose.service={job}", "--format", "{{.Names}}",
    )  # fmt: skip
    return listed.stdout.split()


def run_unit(stack: Stack, job: str, key: str) -> subprocess.CompletedProcess[str]:
    """Every `key` line of the unit, in order, as systemd runs them; the last one's result. (Each line the
    units write for ExecStartPre and ExecStopPost starts with `-`: systemd ignores its failure.)"""
    argvs, env, directory = unit_commands(stack, job, key)
    done = [subprocess.run(argv, cwd=directory, env=env, capture_output=True, text=True, timeout=120) for argv in argvs]
    return done[-1]


def test_up_started_no_job_and_a_timer_run_starts_one_container_of_the_image(hostcheck):
    assert [job_containers(hostcheck, job) for job in ("tick", "fail", "slow")] == [[], [], []]
    assert run_unit(hostcheck, "tick", "ExecStartPre").returncode == 0  # nothing to remove
    done = run_unit(hostcheck, "tick", "ExecStart")
    assert done.returncode == 0, done.stderr
    # The image's own user, the app's environment.
    assert done.stdout.strip().splitlines()[-1] == f"tick as 20002 for {HOST}"
    assert job_containers(hostcheck, "tick") == [f"{hostcheck.project}-tick-run"]
    assert run_unit(hostcheck, "tick", "ExecStopPost").returncode == 0
    assert job_containers(hostcheck, "tick") == []
    # A failed run fails the unit with the job's status (and is not retried: no Restart=).
    failed = run_unit(hostcheck, "fail", "ExecStart")
    assert failed.returncode == 3, failed.stderr
    assert run_unit(hostcheck, "fail", "ExecStopPost").returncode == 0
    assert job_containers(hostcheck, "fail") == []


def test_a_run_past_its_timeout_is_stopped_and_leaves_no_container(hostcheck):
    argv, env, directory = unit_command(hostcheck, "slow", "ExecStart")
    with tempfile.TemporaryFile("w+") as output:
        run = subprocess.Popen(argv, cwd=directory, env=env, stdout=output, stderr=subprocess.STDOUT, text=True)
        try:
            wait_for("the slow job to start", lambda: "started" in written(output), timeout=60)
            # What systemd does at TimeoutStartSec: SIGTERM to the unit's processes (the Compose CLI),
            # which passes it to the job in its container.
            started = time.monotonic()
            run.send_signal(signal.SIGTERM)
            run.wait(timeout=30)
            stopped_after = time.monotonic() - started
        finally:
            if run.poll() is None:
                run.kill()
                run.wait()
        text = written(output)
    assert "stopping" in text, text
    assert stopped_after < 15, stopped_after
    assert run_unit(hostcheck, "slow", "ExecStopPost").returncode == 0
    assert job_containers(hostcheck, "slow") == []


def test_a_run_that_ignores_sigterm_is_killed_by_execstoppost(hostcheck):
    """A job that outlives SIGTERM and its CLI (systemd kills the CLI after TimeoutStopSec): ExecStopPost kills it."""
    argv, env, directory = unit_command(hostcheck, "slow", "ExecStart")
    stubborn = [*argv, "/bin/sh", "-c", "trap '' TERM; echo started; while :; do sleep 1; done"]
    with tempfile.TemporaryFile("w+") as output:
        run = subprocess.Popen(stubborn, cwd=directory, env=env, stdout=output, stderr=subprocess.STDOUT, text=True)
        try:
            wait_for("the stubborn job to start", lambda: "started" in written(output), timeout=60)
        finally:
            run.kill()
            run.wait()
    assert job_containers(hostcheck, "slow") == [f"{hostcheck.project}-slow-run"]
    started = time.monotonic()
    assert run_unit(hostcheck, "slow", "ExecStopPost").returncode == 0
    assert job_containers(hostcheck, "slow") == []
    assert time.monotonic() - started < 10  # killed at once: it had SIGTERM and TimeoutStopSec already


def test_a_run_waits_for_the_releases_migration(hostcheck):
    """ExecCondition: the last step's container must come from compose.yaml's configuration and have exited 0."""
    podman, step = hostcheck.podman, hostcheck.container("prepare")
    assert run_unit(hostcheck, "tick", "ExecCondition").returncode == 0
    labels = hostcheck.inspect("prepare")["Config"]["Labels"]
    image = hostcheck.inspect("prepare")["Config"]["Image"]

    def step_left(hash_label: str, status: int, state: str = "exited") -> int:
        """The condition's status with the step's container replaced by one that exited `status` (or is still
        `running`, or only `created`), labelled by Compose as the step of the configuration `hash_label`."""
        podman.run("rm", "-f", step)
        flags = [
            f"--label={key}={value}" for key, value in {**labels, "com.docker.compose.config-hash": hash_label}.items()
        ]
        command = [image, "/bin/sh", "-c", f"exit {status}" if state != "running" else "sleep 600"]
        verb = {"exited": ["run"], "running": ["run", "-d"], "created": ["create"]}[state]
        podman.run(*verb, "--name", step, *flags, *command, check=False)
        return run_unit(hostcheck, "tick", "ExecCondition").returncode

    current = labels["com.docker.compose.config-hash"]
    assert step_left(current, 0) == 0
    # The release's migration failed: the run is skipped (1 is ExecCondition's "skip", not a failure).
    assert step_left(current, 1) == 1
    # A new compose.yaml whose migration has not run yet: the last one succeeded for another configuration.
    assert step_left("0" * 64, 0) == 1
    # The release's migration still running, or created and not started: Compose reports exit code 0 for
    # both, and neither is done.
    assert step_left(current, 0, "running") == 1
    assert step_left(current, 0, "created") == 1
    podman.run("rm", "-f", step)
    assert run_unit(hostcheck, "tick", "ExecCondition").returncode == 1  # no migration at all
    # A `docker compose run` of the step (a one-off, even a successful one) is not the release's migration.
    ran = podman.compose(hostcheck.compose_file, hostcheck.project, "run", "--no-deps", "prepare")
    assert ran.returncode == 0
    assert run_unit(hostcheck, "tick", "ExecCondition").returncode == 1
    # Detached, then waited for: an attached `up` runs Compose 2.40's event monitor, which panics now and then
    # on a die event for a container already gone (docker/compose#13559, seen here after the `run` above).
    podman.compose(hostcheck.compose_file, hostcheck.project, "up", "-d", "--no-deps", "prepare")
    assert podman.run("wait", step).stdout.strip() == "0"
    assert run_unit(hostcheck, "tick", "ExecCondition").returncode == 0
