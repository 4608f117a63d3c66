"""Shared by the Compose target's tests: rendering profiles in memory, and the real Compose CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers import REPO, render_data
from ruamel.yaml import YAML

from deploykit import pipeline
from deploykit.output import write_directory
from deploykit.rendering import Rendering
from deploykit.report import Finding
from deploykit.targets import compose

BASE = {
    "app": "items-api",
    "image": "registry.example.com/acme/items-api:1.4.2",
    "command": ["fastapi", "run", "app/main.py"],
    "proxy": {"host": "api.example.com", "tls": "acme", "email": "ops@example.com"},
}

# The committed example outputs, and profiles that exercise every choice the target makes.
GOLDEN_FILES = sorted((REPO / "manifests").glob("*/compose/compose.yaml"))

PROVIDED_TLS = {
    "host": "api.example.com",
    "tls": "provided",
    "certificate": {"cert_file": "/srv/tls/api.crt", "key_file": "certs/api:key.pem"},
}
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
    "external-secrets": {
        "secrets": {"DATABASE_URL": {"secret": "db", "key": "url"}},
        "compose": {"secrets_source": "external"},
    },
    # An image deploykit did not build, run as it is (no command, its own user, directories it writes),
    # with an ACME account without an e-mail.
    "image-as-is": {
        "command": None,
        "run_as": "image",
        "writable_paths": ["/var/cache/app", "/var/run/app"],
        "health": {"check": "command", "command": ["/usr/local/bin/healthcheck", "--ready"]},
        "volumes": {"data": {"path": "/var/lib/app", "size": "5Gi"}},
        "proxy": {"host": "api.example.com", "tls": "acme"},
    },
    # Several host names, one redirected, under a stripped path prefix.
    "host-names": {
        "proxy": {
            "host": "api.example.com",
            "aliases": ["www.api.example.com"],
            "redirects": ["old-api.example.com"],
            "path_prefix": "/v1",
            "strip_prefix": True,
            "tls": "acme",
        }
    },
    # Behind a load balancer of one's own: the app's port on the host, no Traefik.
    "published": {"proxy": None, "publish": {"port": 8080}, "compose": {"bind_address": "127.0.0.1"}},
    "file-secrets": {"secrets": {"DATABASE_URL": {"secret": "db", "key": "url"}}, "secrets_as": "file"},
    # Jobs run by host timers: each its own service, in the `cron` profile (an image built elsewhere).
    "systemd-scheduler": {
        "targets": ["compose"],
        "prestart": TWO_STEPS[:1],
        "cron": {
            "report": {"schedule": "17 3 * * *", "command": ["python", "-m", "app.report"]},
            "export": {"schedule": "0 * * * *", "command": ["export"], "image": "registry.example.com/acme/tools:2.0"},
        },
    },
    "steps-and-workers": {
        "replicas": 3,
        "memory": "300Mi",
        "cpu": "0.3",
        "prestart": TWO_STEPS,
        "compose": {"workers": 2, "project": "shop", "https_port": 8443, "http_port": 8080, "bind_address": "::1"},
    },
}


def profile_of(**fields: Any) -> dict[str, Any]:
    """Profile data: BASE with `fields` replacing its top-level keys (None removes one)."""
    return {key: value for key, value in {**BASE, **fields}.items() if value is not None}


def render(profile: dict[str, Any] | Path) -> tuple[Rendering, list[Finding]]:
    """The Compose output and warnings for profile data or a profile file, through the whole pipeline."""
    output = (
        pipeline.render_profile(profile, "compose") if isinstance(profile, Path) else render_data(profile, "compose")
    )
    return output.rendering, list(output.findings)


def project_of(**fields: Any) -> dict:
    """The rendered compose.yaml of BASE + `fields`, parsed."""
    rendering, _ = render(profile_of(**fields))
    return YAML(typ="safe", pure=True).load(rendering.files[0].content)


def write(rendering: Rendering, directory: Path) -> Path:
    """Write the files as `-o` does (header line included); returns compose.yaml's path."""
    write_directory(directory, rendering.files)
    return directory / compose.COMPOSE_FILE


def container_value(text: str) -> str:
    """What a container gets for a string in `config` output.

    `config` prints the project after interpolation, then escapes it again so the output is itself a
    valid compose file: every `$` of the resolved value is printed as `$$` (observed with Compose
    2.40: `X: "$$HOME"` prints `$$HOME`, `Y: "${HOME}"` prints `/root`). A lone `$` in the output
    would mean the escaping was not Compose's, so it fails here.
    """
    assert "$" not in text.replace("$$", ""), f"unpaired $ in Compose's output: {text!r}"
    return text.replace("$$", "$")
