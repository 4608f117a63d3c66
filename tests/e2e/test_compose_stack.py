"""The items-api example's Compose stack, run for real: the source document's "check it" step, over HTTPS.

tests/e2e/stacks.py builds the app's image from the rendered Dockerfile and starts the rendered
Compose project on podman, with real Traefik and haproxy; the profile (tests/e2e/profiles/e2e.yaml)
is rendered exactly as a user would, with per-run values given through `--set`.
"""

from __future__ import annotations

import json
import re

import pytest
from engine import wait_for
from helpers import REPO
from stacks import PROJECT_LABEL, container_processes, http_get, https_get, running_stack, timestamp

pytestmark = pytest.mark.e2e

PROFILE = REPO / "tests" / "e2e" / "profiles" / "e2e.yaml"
EXAMPLE_APP = REPO / "examples" / "items-api"
# The profile's database URL secret points into its state volume (compose.volumes, build.data_dirs).
DATA_DIR = "/data"
DATABASE_URL = f"sqlite:///{DATA_DIR}/items.db"


@pytest.fixture(scope="module")
def stack(podman, tmp_path_factory):
    with running_stack(
        podman, tmp_path_factory.mktemp("items"), PROFILE, EXAMPLE_APP, {"DATABASE_URL": DATABASE_URL}, "items"
    ) as running:
        yield running


# --- the tests, in the order the source document checks things ---


def test_state_volume_is_mounted_in_the_steps_and_the_app(stack):
    """The profile's own compose.volumes: the migration writes the database the app then reads."""
    services = stack.config(stack.compose_file)["services"]
    for name in [step.name for step in stack.profile.prestart] + [stack.profile.app]:
        assert [(v["type"], v["source"], v["target"]) for v in services[name]["volumes"]] == [
            ("volume", "data", DATA_DIR)
        ]


def test_items_endpoint_answers_through_traefik_over_verified_https(stack):
    response = https_get(stack, "/items/5?q=somequery")
    assert response.status == 200
    assert response.json() == {"item_id": 5, "q": "somequery"}
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_interactive_documentation_is_served(stack):
    response = https_get(stack, "/docs")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert b"SwaggerUIBundle" in response.body
    assert https_get(stack, "/openapi.json").json()["paths"]["/items/{item_id}"]


def test_plain_http_is_permanently_redirected_to_https(stack):
    response = http_get(stack, "/items/5?q=somequery")
    assert response.status in (301, 308)
    host = stack.profile.proxy.host
    assert response.headers["Location"] == f"https://{host}:{stack.https_port}/items/5?q=somequery"


def test_the_second_host_name_serves_the_app_with_its_own_host(stack):
    (alias,) = stack.profile.proxy.aliases
    response = https_get(stack, "/items/5?q=somequery", host=alias)
    assert response.status == 200
    assert response.json() == {"item_id": 5, "q": "somequery"}
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_a_redirected_host_is_permanently_sent_to_the_first_keeping_path_and_query(stack):
    (moved,) = stack.profile.proxy.redirects
    response = https_get(stack, "/items/5?q=somequery", host=moved)
    assert response.status in (301, 308)
    # The port the client asked (Host: name:port) is kept, as the scheme is.
    host = stack.profile.proxy.host
    assert response.headers["Location"] == f"https://{host}:{stack.https_port}/items/5?q=somequery"
    # Plain HTTP for it goes to https first, as for every host.
    plain = http_get(stack, "/items/5", host=moved)
    assert plain.status in (301, 308)
    assert plain.headers["Location"] == f"https://{moved}:{stack.https_port}/items/5"


def test_app_sees_the_original_scheme_and_client_from_traefik_only(stack):
    app = stack.inspect(stack.profile.app)
    command = app["Config"]["Cmd"]
    assert command[command.index("--forwarded-allow-ips") + 1] == stack.subnet

    seen = https_get(stack, "/whoami").json()
    assert seen["scheme"] == "https"
    # Podman forwards the published loopback port through the proxy network's gateway, so the
    # peer Traefik sees (and forwards) is that gateway, not 127.0.0.1. The gateway lies inside the
    # trusted subnet: anything on the host can reach the app directly and be trusted too, as with
    # Docker; the subnet keeps out other containers and networks.
    # Traefik's address on the proxy network is not what the app reports: it took the client
    # from X-Forwarded-For, which Traefik set to the peer it saw (the last access log line).
    traefik = stack.inspect("traefik")
    traefik_addresses = {net["IPAddress"] for net in traefik["NetworkSettings"]["Networks"].values()}
    assert seen["client"] not in traefik_addresses
    access_log = stack.podman.run("logs", "--tail", "20", stack.container("traefik")).stdout
    peers = re.findall(r'^(\S+) - - \[[^]]+\] "GET /whoami HTTP/[0-9.]+" 200 ', access_log, re.MULTILINE)
    assert peers, access_log
    assert peers[-1] == seen["client"]

    # The same headers from an address outside the proxy subnet (the app's own loopback) are ignored.
    spoofed = (
        "import json, urllib.request; "
        f"request = urllib.request.Request('http://127.0.0.1:{stack.profile.port}/whoami', "
        "headers={'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.7'}); "
        "print(urllib.request.urlopen(request, timeout=5).read().decode())"
    )
    result = stack.podman.run("exec", stack.container(stack.profile.app), "python", "-c", spoofed)
    assert json.loads(result.stdout) == {"scheme": "http", "client": "127.0.0.1"}


def test_migration_ran_and_finished_before_the_app_started(stack):
    app = stack.inspect(stack.profile.app)
    for step in stack.profile.prestart:
        state = stack.inspect(step.name)["State"]
        assert (state["Status"], state["ExitCode"]) == ("exited", 0)
        assert timestamp(state["FinishedAt"]) < timestamp(app["State"]["StartedAt"])
    logs = stack.podman.run("logs", stack.container(stack.profile.prestart[0].name)).stdout
    assert logs == f"migrate: {DATA_DIR}/items.db: migrated to schema version 1\n"
    assert https_get(stack, "/readyz").json() == {"status": "ok", "database": "ready"}


def test_the_secret_is_a_variable_of_the_app_and_not_of_its_container(stack):
    """secrets_as: env, as on Kubernetes and Nomad: the app's process has DATABASE_URL; the container's
    configuration (what `inspect` shows to anyone who may inspect containers) has neither the value
    nor a file path."""
    app = stack.inspect(stack.profile.app)
    configured = dict(entry.split("=", 1) for entry in app["Config"]["Env"])
    assert "DATABASE_URL" not in configured and "DATABASE_URL_FILE" not in configured
    assert DATABASE_URL not in json.dumps(app)
    environ = stack.podman.run("exec", stack.container(stack.profile.app), "cat", "/proc/1/environ").stdout
    variables = dict(entry.split("=", 1) for entry in environ.split("\0") if entry)
    assert variables["DATABASE_URL"] == DATABASE_URL
    # The entrypoint's shell replaced itself with the server: PID 1 is the command, which gets the signals.
    cmdline = stack.podman.run("exec", stack.container(stack.profile.app), "cat", "/proc/1/cmdline").stdout
    # (fastapi is a Python script: the kernel runs its interpreter with the script's path.)
    interpreter, script, *arguments = cmdline.rstrip("\0").split("\0")
    assert (interpreter, script.rsplit("/", 1)[-1], arguments) == (
        "/usr/bin/python3",
        *app["Config"]["Cmd"][:1],
        app["Config"]["Cmd"][1:],
    )


def test_app_container_runs_the_configured_worker_processes(stack):
    workers = stack.profile.compose.workers or stack.profile.replicas
    rows = container_processes(stack, stack.profile.app)
    table = "\n".join(" ".join(row) for row in rows)
    supervisor = [pid for pid, ppid, args in rows if ppid == "0"]
    assert len(supervisor) == 1, table
    # uvicorn starts each worker with multiprocessing's spawn method.
    spawned = [pid for pid, ppid, args in rows if ppid == supervisor[0] and "multiprocessing.spawn" in args]
    assert len(spawned) == workers == 3, table


def test_memory_limit_restart_policy_and_read_only_root(stack):
    profile = stack.profile
    workers = profile.compose.workers or profile.replicas
    rendered = stack.config(stack.compose_file)["services"][profile.app]["deploy"]["resources"]["limits"]["memory"]
    assert int(rendered) == (workers + 1) * profile.memory_bytes
    host_config = stack.inspect(profile.app)["HostConfig"]
    assert host_config["Memory"] == (workers + 1) * profile.memory_bytes
    assert host_config["RestartPolicy"]["Name"] == "unless-stopped"
    assert host_config["ReadonlyRootfs"] is True
    # The only writable place, /tmp, is a tmpfs of tmp_size, never more than the container's memory.
    size = min(profile.tmp_bytes, (workers + 1) * profile.memory_bytes)
    assert host_config["Tmpfs"]["/tmp"].split(",")[0] == f"size={size}"
    # Logs are rotated: Docker reports the options it was given, podman the size it rotates at.
    log = host_config["LogConfig"]
    assert (log.get("Config") or {}).get("max-size") == "10m" or log.get("Size") == "10MB", log
    for step in profile.prestart:
        step_config = stack.inspect(step.name)["HostConfig"]
        assert step_config["ReadonlyRootfs"] is True
        assert step_config["Memory"] == profile.memory_bytes


def test_the_worker_runs_beside_the_app_in_its_own_containers(stack):
    """processes.worker: 2 containers of the app's image, with its secret and state volume, each
    limited to the process's memory, each beating."""
    for index in (1, 2):
        worker = json.loads(stack.podman.run("container", "inspect", f"{stack.project}-worker-{index}").stdout)[0]
        assert worker["State"]["Status"] == "running"
        assert worker["HostConfig"]["Memory"] == 64 * 2**20
        assert worker["HostConfig"]["ReadonlyRootfs"] is True

    def beating() -> list[str] | None:
        listed = stack.podman.run("exec", stack.container(stack.profile.app), "ls", f"{DATA_DIR}/workers", check=False)
        names = listed.stdout.split()
        return names if listed.returncode == 0 and len(names) == 2 else None

    wait_for("both workers' heartbeats", beating, timeout=30, interval=1)


def test_the_scheduler_runs_the_job_on_its_schedule(stack):
    """cron.tick runs every minute in the scheduler container: the app's image, env and state volume."""
    scheduler = stack.inspect("scheduler")
    assert scheduler["State"]["Status"] == "running"
    assert scheduler["Config"]["Cmd"] == ["/opt/deploykit/yacron/bin/yacron", "-c", "/etc/deploykit/cron.yaml"]

    def ticked() -> str | None:
        read = stack.podman.run("exec", stack.container(stack.profile.app), "cat", f"{DATA_DIR}/ticks.log", check=False)
        return read.stdout if read.returncode == 0 and "from-the-scheduler" in read.stdout else None

    # yacron wakes at each minute boundary: at most a minute and a little after the stack came up.
    wait_for("the scheduled job's first run", ticked, timeout=90, interval=2)
    logs = (
        stack.podman.run("logs", stack.container("scheduler")).stdout
        + stack.podman.run("logs", stack.container("scheduler")).stderr
    )
    assert "tick: /data/ticks.log" in logs


def test_compose_down_removes_everything(stack):
    stack.podman.compose(stack.compose_file, stack.project, "down", "-t", "5", "--volumes", timeout=120)
    label = f"label={PROJECT_LABEL}={stack.project}"
    assert stack.podman.run("ps", "--all", "--quiet", "--filter", label).stdout == ""
    assert stack.podman.run("network", "ls", "--quiet", "--filter", label).stdout == ""
    assert stack.podman.run("volume", "ls", "--quiet", "--filter", label).stdout == ""
