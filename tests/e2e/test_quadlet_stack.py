"""The items-api example as Podman Quadlet units, run for real: the containers the units describe,
started in unit order from the ExecStart lines Podman's own generator (Debian 13's) writes for them.

There is no systemd here to run the generated services. The test plays its part: it runs each
service's ExecStart in the order of the units' Requires=/After= (network, volume, migration, app
replicas, Traefik, workers), waits where systemd would (a oneshot until it exits, `Notify=healthy`
until the health check passes: `podman healthcheck run` is what podman's timer would do, then
ExecStartPost), runs the scheduled job's unit once as its timer would, and releases by restarting the
replicas one at a time (every ExecStop line in order: the drain, then podman's; then ExecStart) under
load. The host's own commands in those lines (the drain's flock, sed, sleep) run as systemd runs them. Three options of the generated command lines are systemd's
and are left out: `--cgroups=split` and `--sdnotify=...` need systemd as the parent, and `--ignore`
(create the network or volume unless it exists) is newer than this machine's podman (4.3), which
also leaves a container's CID file behind on removal (4.4 deletes it; the test does).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from engine import EngineError, wait_for
from helpers import REPO, free_port, run_cli
from quadlet_support import generate, unit_commands
from stacks import build_app_image, free_subnet, issue_certificates, traefik_image
from tooling import require_tool

from deploykit import pipeline

pytestmark = pytest.mark.e2e

PROFILE = REPO / "tests" / "e2e" / "profiles" / "quadlet.yaml"
EXAMPLE_APP = REPO / "examples" / "items-api"
DATABASE_URL = "sqlite:////data/items.db"
SYSTEMD_ONLY = ("--cgroups=split", "--ignore")
STARTUP_TIMEOUT = 120


def _argv(words: list[str]) -> list[str]:
    """A generated `podman ...` command line without its program and the options only systemd can honour."""
    assert words[0] == "/usr/bin/podman", words
    return [word for word in words[1:] if word not in SYSTEMD_ONLY and not word.startswith("--sdnotify=")]


class QuadletStack:
    """The generated services of one rendered profile, and the engine that runs them."""

    def __init__(self, podman, directory: Path, app: str, https_port: int, http_port: int, ca_file: Path, host: str):
        self.podman, self.directory, self.app = podman, directory, app
        self.https_port, self.http_port, self.ca_file, self.host = https_port, http_port, ca_file, host
        runtime = directory / "run"
        runtime.mkdir()
        generate(directory / "units", directory / "generated")
        self.commands = unit_commands(directory / "generated", runtime)
        self.settings: list[str] = []

    def release(self, name: str, *settings: str) -> None:
        """Render the profile again with `settings` (a new image, other steps) and take its units as the
        installed ones, as `cp` and `systemctl daemon-reload` would; nothing is restarted."""
        units = self.directory / name / "units"
        arguments = [f"--set={setting}" for setting in [*self.settings, *settings]]
        result = run_cli("render", "quadlet", "-p", str(PROFILE), "-o", str(units), *arguments)
        assert result.returncode == 0, result.stderr
        generate(units, self.directory / name / "generated")
        self.commands = unit_commands(self.directory / name / "generated", self.directory / "run")

    def image_of(self, unit: str) -> str:
        return self.podman.run("container", "inspect", "--format", "{{.ImageName}}", unit).stdout.strip()

    def run(self, words: list[str], *, check: bool = True) -> None:
        """One Exec line: podman's without the options only systemd honours; a host program (the
        drain's) looked up on the search path, as systemd does for a name without a slash."""
        if words[0] == "/usr/bin/podman":
            self.podman.run(*_argv(words), timeout=180, check=check)
            return
        program = shutil.which(words[0]) if "/" not in words[0] else words[0]
        assert program is not None, f"{words[0]} is not installed"
        done = subprocess.run([program, *words[1:]], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 or not check, f"{words}: {done.stderr}"

    def start(self, unit: str, *, healthy: bool = False) -> None:
        """What `systemctl start UNIT` does: ExecStart; a oneshot runs to the end, Notify=healthy waits;
        then ExecStartPost (a replica's: back into Traefik's routes)."""
        for words in self.commands[unit]["ExecStart"]:
            self.podman.run(*_argv(words), timeout=180)
        if healthy:
            try:
                wait_for(
                    f"{unit} to be healthy",
                    lambda: (
                        self.podman.run("healthcheck", "run", unit, check=False, timeout=30).returncode == 0 or None
                    ),
                    timeout=STARTUP_TIMEOUT,
                    interval=1,
                )
            except EngineError as exc:
                state = self.podman.run("container", "inspect", "--format", "{{json .State}}", unit, check=False)
                logs = self.podman.run("logs", "--tail", "30", unit, check=False)
                raise EngineError(f"{exc}\n{state.stdout}{state.stderr}\n{logs.stdout}{logs.stderr}") from None
        for words in self.commands[unit].get("ExecStartPost", []):
            self.run(words)

    def stop(self, unit: str, *, drain: bool = True) -> None:
        """What `systemctl stop UNIT` does: ExecStop in order (a replica's drain: out of Traefik's routes,
        then a wait; podman rm: SIGTERM, StopTimeout, SIGKILL), ExecStopPost. `drain=False` runs podman's
        lines only, as the units did before they drained."""
        for key in ("ExecStop", "ExecStopPost"):
            for words in self.commands[unit].get(key, []):
                if drain or words[0] == "/usr/bin/podman":
                    self.run(words, check=False)
        # Podman 4.4 and later delete the container's CID file when they remove it (libpod/runtime_ctr.go);
        # this machine's 4.3 leaves it, and the next ExecStart would refuse to overwrite it.
        (self.directory / "run" / f"{unit}.cid").unlink(missing_ok=True)

    def https_get(self, path: str, host: str | None = None):
        import http.client
        import ssl

        from stacks import Response, _get  # the Compose e2e's verified HTTPS client

        context = ssl.create_default_context(cafile=str(self.ca_file))
        connection = http.client.HTTPSConnection(host or self.host, self.https_port, timeout=10, context=context)
        response: Response = _get(connection, path)
        return response

    def http_get(self, path: str):
        import http.client

        from stacks import _get

        return _get(http.client.HTTPConnection(self.host, self.http_port, timeout=10), path)


@pytest.fixture(scope="module")
def stack(podman, tmp_path_factory):
    debootstrap = require_tool("debootstrap", "apt-get install debootstrap (scripts/setup-machine.sh does)")
    openssl = require_tool("openssl", "apt-get install openssl")
    workdir = tmp_path_factory.mktemp("quadlet")
    profile = pipeline.load(PROFILE).profile
    build_app_image(podman, PROFILE, EXAMPLE_APP, workdir, debootstrap, profile.image)
    app = f"dkq{os.getpid()}"
    http_port, https_port = free_port(), free_port()
    certificates = workdir / "certificates"
    certificates.mkdir()
    ca_file = issue_certificates(openssl, certificates, *profile.proxy.all_hosts)
    settings = [
        f"app={app}",
        f"secrets.DATABASE_URL.secret={app}-db",
        f"quadlet.subnet={free_subnet(podman)}",
        f"quadlet.http_port={http_port}",
        f"quadlet.https_port={https_port}",
        # Where the units are installed (the generator reads them there): the drain edits traefik/ in it.
        f"quadlet.install_dir={workdir / 'units'}",
        f"proxy.certificate.cert_file={certificates / 'tls' / 'tls.crt'}",
        f"proxy.certificate.key_file={certificates / 'tls' / 'tls.key'}",
    ]
    result = run_cli(
        "render", "quadlet", "-p", str(PROFILE), "-o", str(workdir / "units"), *(f"--set={s}" for s in settings)
    )
    assert result.returncode == 0, result.stderr
    (certificates / "tls" / "tls.key").chmod(0o644)
    running = QuadletStack(podman, workdir, app, https_port, http_port, ca_file, profile.proxy.host)
    running.settings = settings
    traefik_reference = next(
        word
        for word in running.commands[f"{app}-traefik"]["ExecStart"][0]
        if word.startswith("docker.io/library/traefik:")
    )
    traefik_image(podman, traefik_reference)
    secret = workdir / "database-url"
    secret.write_text(DATABASE_URL)
    # A Podman secret of this run's own (secrets are global to the engine): <secret>__<key>.
    podman.run("secret", "create", f"{app}-db__url", str(secret))
    release = f"{app}-migrate-quadlet-e2e"
    units = [f"{app}-network", f"{app}-data-volume", release]
    replicas = [f"{app}-{index}" for index in (1, 2, 3)]
    workers = [f"{app}-worker-1", f"{app}-worker-2"]
    try:
        for unit in units:
            running.start(unit)
        for unit in replicas:
            running.start(unit, healthy=True)
        running.start(f"{app}-traefik")
        for unit in workers:
            running.start(unit)
        wait_for(
            "Traefik to route to the app",
            lambda: _ok(running, "/readyz"),
            timeout=STARTUP_TIMEOUT,
            interval=1,
        )
        yield running
    finally:
        for unit in [*workers, f"{app}-traefik", *replicas, f"{app}-tick"]:
            running.stop(unit, drain=False)
        for name in ("quadlet-e2e", "quadlet-e2e-2", "quadlet-e2e-3"):
            podman.run("rm", "--force", f"{app}-migrate-{name}", check=False)
        podman.run("network", "rm", "--force", app, check=False)
        podman.run("volume", "rm", "--force", f"{app}-data", check=False)
        podman.run("secret", "rm", f"{app}-db__url", check=False)


def _ok(stack: QuadletStack, path: str):
    try:
        response = stack.https_get(path)
    except OSError:
        return None
    return response if response.status == 200 else None


def test_the_migration_ran_before_the_app_which_answers_over_verified_https(stack):
    ready = stack.https_get("/readyz")
    assert ready.status == 200 and ready.json() == {"status": "ok", "database": "ready"}
    response = stack.https_get("/items/5?q=somequery")
    assert response.json() == {"item_id": 5, "q": "somequery"}
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_the_file_provider_serves_the_second_host_and_redirects_the_old_one(stack):
    """quadlet.yaml inherits e2e.yaml's proxy.aliases and proxy.redirects: the routes file has them too."""
    profile = pipeline.load(PROFILE).profile
    (alias,), (moved,) = profile.proxy.aliases, profile.proxy.redirects
    assert stack.https_get("/items/5?q=somequery", host=alias).json() == {"item_id": 5, "q": "somequery"}
    response = stack.https_get("/items/5?q=somequery", host=moved)
    assert response.status in (301, 308)
    assert response.headers["Location"] == f"https://{stack.host}:{stack.https_port}/items/5?q=somequery"


def test_plain_http_is_redirected_to_https(stack):
    response = stack.http_get("/items/1")
    assert response.status in (301, 308)
    assert response.headers["Location"] == f"https://{stack.host}:{stack.https_port}/items/1"


def test_the_app_believes_traefik_and_no_one_else(stack):
    """X-Forwarded-Proto from Traefik (its pinned address) is trusted: the app sees https."""
    assert stack.https_get("/whoami").json()["scheme"] == "https"


def test_the_workers_beat_in_the_state_volume(stack):
    def beats():
        listing = stack.podman.run(
            "exec",
            f"{stack.app}-1",
            "python",
            "-c",
            "import os; print(sorted(os.listdir('/data/workers')))",
            check=False,
        )
        return listing.stdout.strip() if listing.returncode == 0 and listing.stdout.count("'") >= 4 else None

    assert wait_for("two workers' heartbeats", beats, timeout=60, interval=1)


def test_the_timers_job_runs_to_completion_with_the_apps_secrets(stack):
    stack.start(f"{stack.app}-tick")  # a oneshot: returns when the run has exited 0
    log = stack.podman.run("exec", f"{stack.app}-1", "cat", "/data/ticks.log").stdout
    assert log.strip().endswith("from-the-scheduler")


class Load:
    """Steady HTTPS requests through Traefik in a thread, counting those served and those that failed."""

    def __init__(self, stack: QuadletStack, path: str = "/items/1"):
        self.stack, self.path = stack, path
        self.failures: list[str] = []
        self.served = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop)

    def _loop(self) -> None:
        while not self.done.is_set():
            try:
                response = self.stack.https_get(self.path)
                if response.status != 200:
                    self.failures.append(f"{response.status} {response.body[:200]!r}")
                else:
                    self.served += 1
            except OSError as error:
                self.failures.append(repr(error))
            time.sleep(0.02)

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *_) -> None:
        self.done.set()
        self.thread.join()


def _routes(stack: QuadletStack) -> Path:
    return stack.directory / "units" / "traefik" / "routes.yaml"


def _set_routes(stack: QuadletStack, text: str) -> None:
    """Replace the installed routes as the drain does (a new file renamed over the old one), then give
    Traefik's file provider time to apply it (its throttle, 2 s)."""
    routes = _routes(stack)
    draft = routes.with_name("routes.draft")
    draft.write_text(text)
    draft.replace(routes)
    time.sleep(4)


def test_the_drain_drops_no_request_without_traefiks_retry_where_a_plain_stop_does(stack):
    """Traefik's retry middleware off: restarting a replica with its drain (ExecStop's edit of the routes
    and wait, then podman's stop) fails no request; the same restart with podman's lines only (the
    units before the drain) fails some, sent to the stopping or stopped replica."""
    routes = _routes(stack)
    rendered = routes.read_text()
    retry = f"        - {stack.app}-retry\n"
    assert retry in rendered
    _set_routes(stack, rendered.replace(retry, ""))
    try:
        with Load(stack) as drained:
            stack.stop(f"{stack.app}-1")
            stack.start(f"{stack.app}-1", healthy=True)
            time.sleep(3)
        assert routes.read_text() == rendered.replace(retry, "")  # replica 1 is back in the rotation
        with Load(stack) as plain:
            stack.stop(f"{stack.app}-2", drain=False)
            stack.start(f"{stack.app}-2", healthy=True)
            time.sleep(3)
    finally:
        _set_routes(stack, rendered)
    print(
        f"\nwithout retry: drained restart {drained.served} served, {len(drained.failures)} failed; "
        f"plain restart {plain.served} served, {len(plain.failures)} failed"
    )
    assert drained.served > 100
    assert drained.failures == []
    assert plain.failures, "a plain stop should fail requests without Traefik's retry: is the measure sensitive?"


def test_a_release_migrates_once_then_replaces_the_replicas_one_at_a_time_without_a_failed_request(stack):
    """The documented release: the new release's migration unit first, then `systemctl restart` of each
    replica in turn (ExecStop, ExecStart, healthy), while requests keep coming."""
    new_image = "localhost/items-api:quadlet-e2e-2"
    stack.podman.tag("localhost/items-api:quadlet-e2e", new_image)
    stack.release("release-2", f"image={new_image}")
    with Load(stack) as load:
        stack.start(f"{stack.app}-migrate-quadlet-e2e-2")
        for index in (1, 2, 3):
            unit = f"{stack.app}-{index}"
            # The drain takes the replica out of Traefik's routes first; ExecStartPost puts the new
            # container back once healthy, so the next one may go at once.
            stack.stop(unit)
            stack.start(unit, healthy=True)
    assert [stack.image_of(f"{stack.app}-{index}") for index in (1, 2, 3)] == [new_image] * 3
    assert load.served > 50
    assert load.failures == []


def test_a_failed_migration_leaves_the_old_version_running(stack):
    failing = "localhost/items-api:quadlet-e2e-3"
    stack.podman.tag("localhost/items-api:quadlet-e2e", failing)
    stack.release("release-3", f"image={failing}", 'prestart[0].command=[python, -c, "raise SystemExit(3)"]')
    with pytest.raises(EngineError, match="exited 3"):
        stack.start(f"{stack.app}-migrate-quadlet-e2e-3")
    assert stack.https_get("/readyz").status == 200
    assert {stack.image_of(f"{stack.app}-{index}") for index in (1, 2, 3)} == {"localhost/items-api:quadlet-e2e-2"}
