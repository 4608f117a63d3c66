"""Real-world shaped Compose files, imported, validated, rendered for Compose, and read back by the real
Compose CLI: the app keeps its image, command, port, memory and environment."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import run_cli
from import_support import FIXTURES, NO_CLI_NOTE, import_fixture, rendered_compose
from tooling import resolved

MIB = 2**20


@dataclass(frozen=True)
class Expected:
    """What the app is in the Compose file, and what deploykit's Compose output must keep of it."""

    fixture: str
    app: str
    service: str  # the web service in the fixture
    image: str
    command: list[str]  # the profile's command: the original without the flags deploykit owns
    flags: dict[str, str]  # what deploykit appends that the original said: same port, same workers
    port: int
    memory: int  # the rendered container limit, in bytes
    environment: dict[str, str]  # plain variables the app still gets
    secrets: dict[str, str]  # variable -> the Compose secret (file) deploykit mounts for it
    health: str = "/healthz"  # the path of the Compose healthcheck's HTTP probe
    left_out: set[str] = field(default_factory=set)  # original variables deploykit sets itself (now fields)
    arguments: tuple[str, ...] = ()
    processes: set[str] = field(default_factory=set)  # other services of the rendered project
    jobs: set[str] = field(default_factory=set)  # scheduled jobs, run by host timers (not Compose's `up`)
    never: tuple[str, ...] = ()  # credentials in the Compose files, which no profile may contain


CASES = [
    Expected(
        fixture="shop-api",
        app="shop-api",
        service="api",
        image="ghcr.io/acme/shop-api:2.3.1",
        command=["uvicorn", "shop.main:app", "--proxy-headers"],
        flags={"--port": "8000", "--workers": "4", "--timeout-graceful-shutdown": "40"},
        port=8000,
        memory=1280 * MIB,  # 5 processes (4 workers + supervisor) x 256Mi: exactly what Compose gave
        environment={"LOG_LEVEL": "info", "REDIS_URL": "redis://redis:6379/0", "SENTRY_ENVIRONMENT": "production"},
        secrets={"DATABASE_URL": "shop-api__database-url", "JWT_SECRET": "shop-api__jwt-secret"},
        processes={"migrate", "worker"},
        jobs={"prune-carts"},
        never=("s3cr3t-pw", "dev-only-change-me"),
    ),
    Expected(
        fixture="blog",
        app="blog",
        service="web",
        image="registry.example.com/blog/web:5.2.0",
        command=["gunicorn", "blog.wsgi:application", "--timeout", "60", "--access-logfile", "-"],
        flags={"--bind": "0.0.0.0:8000", "--workers": "3"},
        port=8000,
        # (1088 MiB - 64 MiB arbiter) / 3 = 341.3 MiB, rounded down: 3 x 341 + 64 = 1087 MiB, never more than Compose's.
        memory=1087 * MIB,
        environment={
            "CELERY_BROKER_URL": "redis://redis:6379/1",
            "DJANGO_ALLOWED_HOSTS": "blog.example.com",
            "DJANGO_SETTINGS_MODULE": "blog.settings.production",
            "EMAIL_HOST": "smtp.example.com",
        },
        secrets={"DATABASE_URL": "blog__database-url", "DJANGO_SECRET_KEY": "blog__django-secret-key"},
        health="/health/",
        processes={"migrate", "collectstatic", "celery", "celery-beat"},
        never=("hunter2", "7f#k!q2z"),
    ),
    Expected(
        fixture="notes-api",
        app="notes-api",
        service="api",
        image="ghcr.io/example/notes-api:0.9.4",
        command=["fastapi", "run", "notes/main.py"],
        flags={"--port": "8080", "--workers": "2"},
        port=8080,
        memory=768 * MIB,
        environment={
            "CORS_ORIGINS": "https://notes.example.com",
            "LOG_FORMAT": "json",
            "NOTES_DATABASE": "sqlite:////data/notes.db",
        },
        secrets={},
        health="/health",
        left_out={"WEB_CONCURRENCY"},
    ),
    Expected(
        fixture="orders",
        app="orders",
        service="orders",
        image="registry.example.com/shop/orders:3.1.0",
        command=["hypercorn", "orders.app:app"],
        flags={"--bind": "0.0.0.0:8100", "--workers": "2"},
        port=8100,
        memory=1088 * MIB,
        environment={
            "FEATURE_FLAGS": "checkout-v2,fast-refunds",
            "LOG_LEVEL": "warning",
            "PAYMENT_API_URL": "https://payments.internal.example.com/v2",
            "TZ": "UTC",
        },
        # A Sentry DSN carries the project's key: the loader's rule makes it a secret.
        secrets={"AMQP_URL": "orders__amqp-url", "SENTRY_DSN": "orders__sentry-dsn"},
        arguments=("-f", "compose.yaml", "-f", "compose.prod.yaml"),
        processes={"consumer"},
        never=("guest", "4f1c2a"),
    ),
    Expected(
        fixture="vault",
        app="vault-api",
        service="app",
        image="quay.io/acme/vault-api:2.0.1@sha256:4a8f1e0c2b6d7e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071",
        command=["granian", "--interface", "asgi", "vault.asgi:app"],
        flags={"--host": "0.0.0.0", "--port": "9000", "--workers": "2"},
        port=9000,
        memory=576 * MIB,
        environment={"DB_HOST": "db", "DB_USER": "vault"},
        # secrets_as: file: the app finds each file through NAME_FILE, as it did under Compose.
        secrets={
            "DB_PASSWORD_FILE": "vault-api__db_password",
            "SIGNING_KEY_FILE": "vault-api__signing-key",
            "UPSTREAM_TOKEN_FILE": "vault-api__upstream_token",
        },
        health="/livez",
        never=("pw-from-file-never-copied",),
    ),
]


def _original(case: Expected) -> dict:
    """The fixture's web service as the real Compose CLI resolves it."""
    files = [argument for argument in case.arguments if argument != "-f"] or [
        next(name for name in ("compose.yaml", "docker-compose.yml") if (FIXTURES / case.fixture / name).exists())
    ]
    return resolved(FIXTURES / case.fixture / files[0], more_files=files[1:])["services"][case.service]


def _pairs(argv: list[str]) -> dict[str, str]:
    return {flag: value for flag, value in itertools.pairwise(argv) if flag.startswith("--")}


@pytest.mark.parametrize("case", CASES, ids=[case.fixture for case in CASES])
def test_import_validate_render_and_compose_accepts_it(case: Expected, tmp_path: Path):
    imported = import_fixture(case.fixture, tmp_path, *case.arguments)
    assert NO_CLI_NOTE not in imported.result.stderr  # read by the Compose CLI itself
    validated = run_cli("validate", "--env", "prod", "--strict", cwd=imported.directory)
    assert (validated.returncode, validated.stderr) == (0, "profiles/prod.yaml: valid (k8s, compose, nomad, quadlet)\n")

    for secret in case.never:
        assert secret not in imported.text("base.yaml") + imported.text("prod.yaml")
    original = _original(case)
    project = rendered_compose(imported)
    app = project["services"][case.app]

    assert app["image"] == original["image"] == case.image
    assert app["command"][: len(case.command)] == case.command
    appended = _pairs(app["command"][len(case.command) :])
    assert {flag: appended.get(flag) for flag in case.flags} == case.flags
    original_pairs = _pairs(original["command"])
    for flag in ("--port", "--bind", "--workers"):
        if flag in original_pairs:
            assert appended[flag] == original_pairs[flag]
    # The container's healthcheck probes the same port and path as the Compose file's did.
    assert f"http://127.0.0.1:{case.port}{case.health}'" in " ".join(app["healthcheck"]["test"])

    limit = int(app["deploy"]["resources"]["limits"]["memory"])
    compose_limit = (original.get("deploy") or {}).get("resources", {}).get("limits", {}).get("memory") or original[
        "mem_limit"
    ]
    assert limit == case.memory <= int(compose_limit)

    environment = {key: value for key, value in (app.get("environment") or {}).items() if key != "FORWARDED_ALLOW_IPS"}
    secret_variables = {
        name: target.removeprefix("/run/secrets/") for name, target in environment.items() if name.endswith("_FILE")
    }
    plain = {key: value for key, value in environment.items() if key not in secret_variables}
    assert plain == case.environment
    mounted = {secret["source"] for secret in app.get("secrets", [])}
    assert mounted == set(case.secrets.values())
    if secret_variables:  # secrets_as: file
        assert secret_variables == case.secrets
    for variable, secret in case.secrets.items() if not secret_variables else ():
        # The entrypoint exports each variable from its file.
        assert f'{variable}="$$(cat /run/secrets/{secret})"' in app["entrypoint"][2]
    # Every variable the app had is still there, as a plain value or a secret, or became a field.
    assert set(original["environment"]) == set(case.environment) | set(case.secrets) | case.left_out
    assert set(project["services"]) - {case.app} == case.processes
    # The image was built elsewhere (no yacron in it): each job has a host timer, none a service `up` starts.
    timers = {path.name for path in (imported.directory / "rendered" / "systemd").glob("*.timer")}
    assert timers == {f"{case.app}-{job}.timer" for job in case.jobs}
