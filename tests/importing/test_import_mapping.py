"""Smaller Compose files, one mapping rule each, imported and then validated with --strict: what each
rule writes, and the line it prints."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli
from import_support import run_import
from tooling import compose_binary


def _imported(tmp_path: Path, compose: str, *arguments: str) -> tuple[str, str, str]:
    """(base.yaml, prod.yaml, stderr) of importing `compose`, after `validate --strict` accepted them."""
    compose_binary()  # read by the real CLI: skip on a laptop without it, fail in CI
    directory = tmp_path / "app"
    directory.mkdir()
    (directory / "compose.yaml").write_text(compose, encoding="utf-8")
    result = run_import(directory, "--reader", "compose", *arguments)
    assert result.returncode == 0, result.stderr
    validated = run_cli("validate", "--env", "prod", "--strict", cwd=directory)
    assert validated.returncode == 0, validated.stderr
    profiles = directory / "profiles"
    return (
        (profiles / "base.yaml").read_text(encoding="utf-8"),
        (profiles / "prod.yaml").read_text(encoding="utf-8"),
        result.stderr,
    )


def test_a_traefik_route_and_its_acme_email_become_proxy(tmp_path: Path):
    _, prod, stderr = _imported(
        tmp_path,
        """\
services:
  traefik:
    image: traefik:v3.1.2
    command:
      - --providers.docker=true
      - --certificatesresolvers.le.acme.email=ops@example.com
    ports: ["80:80", "443:443"]
  web:
    image: ghcr.io/acme/web:1.2.0
    command: [gunicorn, web.wsgi, -w, "2"]
    labels:
      traefik.enable: "true"
      traefik.http.routers.web.rule: Host(`shop.example.com`) && PathPrefix(`/`)
      traefik.http.routers.web.tls.certresolver: le
""",
    )
    assert "\nproxy:\n  host: shop.example.com\n  tls: acme\n  email: ops@example.com\n" in prod
    assert "\nk8s:\n  routing: gateway\n  gateway:\n    name: platform\n    namespace: gateway-system\n" in prod
    assert (
        "not imported: compose.yaml:2:3: services.traefik: deploykit runs its own Traefik (TLS, HTTP to HTTPS, "
        "routing); the host it routed to the app became proxy"
    ) in stderr.splitlines()
    assert "no-route" not in prod


def test_containers_times_workers_and_compose_workers(tmp_path: Path):
    _, prod, _ = _imported(
        tmp_path,
        """\
services:
  web:
    image: ghcr.io/acme/web:1.2.0
    command: [gunicorn, web.wsgi, --workers, "3"]
    ports: ["8000:8000"]
    deploy:
      replicas: 2
""",
    )
    assert "\nreplicas: 6\n" in prod
    assert "\ncompose:\n  workers: 3\n" in prod
    assert "# 3 workers (--workers 3 in services.web.command (compose.yaml:4)) x 2 containers" in prod


def test_an_unknown_server_runs_as_generic_and_keeps_its_probe(tmp_path: Path):
    base, _, stderr = _imported(
        tmp_path,
        """\
services:
  web:
    image: ghcr.io/acme/web-node:4.0.0
    command: ["node", "dist/server.js"]
    environment:
      PORT: "3000"
    expose: ["3000"]
    healthcheck:
      test: ["CMD", "wget", "-qO-", "http://localhost:3000/healthz"]
""",
    )
    assert "\nserver: generic\n" in base
    assert "\nport: 3000\n" in base
    assert "\nhealth:\n  path: /healthz\n  command:\n    - wget\n" in base
    assert (
        "warning: compose.yaml:4:5: services.web.command: 'node' is not a server deploykit knows: the profile runs "
        "it as `server: generic` (no flags added; PORT and WEB_CONCURRENCY=1 in its environment); make sure it "
        "listens on $PORT"
    ) in stderr.splitlines()


@pytest.mark.parametrize(
    ("command", "expected", "line"),
    [
        (
            '["fastapi", "dev", "main.py"]',
            "command:\n  - fastapi\n  - run\n  - main.py\n",
            "warning: compose.yaml:4:5: services.web.command: `fastapi dev` is the development server; the profile runs `fastapi run`",
        ),
        (
            '["uvicorn", "main:app", "--reload", "--port", "8000"]',
            "command:\n  - uvicorn\n  - main:app\n",
            "warning: compose.yaml:4:5: services.web.command: removed --reload: reloading on file changes is for "
            "development; containers are replaced, not reloaded",
        ),
    ],
)
def test_development_servers_become_production_ones(tmp_path: Path, command: str, expected: str, line: str):
    base, _, stderr = _imported(
        tmp_path,
        f"services:\n  web:\n    image: ghcr.io/acme/web:1.2.0\n    command: {command}\n    ports: ['8000:8000']\n",
    )
    assert f"\n{expected}" in base
    assert line in stderr.splitlines()


def test_a_built_image_is_named_with_image(tmp_path: Path):
    base, _, stderr = _imported(
        tmp_path,
        "services:\n  web:\n    build: .\n    command: [gunicorn, web.wsgi]\n    ports: ['8000:8000']\n",
        "--image",
        "registry.example.com/acme/web:2.0.0",
    )
    assert "# --image\nimage: registry.example.com/acme/web:2.0.0\n" in base
    assert (
        "not imported: compose.yaml:3:5: services.web.build: deploykit deploys the pushed image "
        "registry.example.com/acme/web:2.0.0: build and push it in CI (`deploykit render dockerfile` writes a "
        "Dockerfile if you want one)"
    ) in stderr.splitlines()


def test_a_schedule_without_five_fields_is_listed(tmp_path: Path):
    base, environment, stderr = _imported(
        tmp_path,
        """\
services:
  web:
    image: ghcr.io/acme/web:1.2.0
    command: [gunicorn, web.wsgi]
    ports: ["8000:8000"]
    labels:
      ofelia.enabled: "true"
      ofelia.job-exec.nightly.schedule: "@daily"
      ofelia.job-exec.nightly.command: python -m web.nightly
      ofelia.job-exec.often.schedule: "@every 5m"
      ofelia.job-exec.often.command: python -m web.often
""",
    )
    assert "\ncron:\n" in base and "  nightly:\n    schedule: 0 0 * * *\n" in base
    assert "often" not in base
    # An image deploykit did not build has no yacron: the jobs run from host timers, whatever targets follow.
    assert "\ncompose:\n  scheduler: systemd\n" in environment
    assert (
        "not imported: compose.yaml:10:7: services.web.labels.ofelia.job-exec.often.schedule: ofelia job often: its "
        "schedule '@every 5m' has no five-field cron form (deploykit's `cron` needs minute hour day-of-month month "
        "day-of-week); add it to cron by hand"
    ) in stderr.splitlines()


def _routed(rule: str, *labels: str) -> str:
    """A Compose file whose Traefik routes the web service by `rule` (line 9, column 7), with more `labels`."""
    more = "".join(f"      {label}\n" for label in labels)
    return f"""\
services:
  traefik:
    image: traefik:v3.1.2
    command: [--providers.docker=true]
  web:
    image: ghcr.io/acme/web:1.2.0
    command: [gunicorn, web.wsgi, -w, "2"]
    labels:
      traefik.http.routers.web.rule: {rule}
{more}"""


STRIPPED = (
    "traefik.http.routers.web.middlewares: api-strip@docker",
    "traefik.http.middlewares.api-strip.stripprefix.prefixes",
)
RULE = "not imported: compose.yaml:9:7: services.web.labels.traefik.http.routers.web.rule: "


def test_several_hosts_and_a_stripped_prefix_of_the_traefik_route_become_proxy(tmp_path: Path):
    rule = "(Host(`shop.example.com`) || Host(`www.shop.example.com`)) && PathPrefix(`/api`)"
    _, prod, _ = _imported(tmp_path, _routed(rule, STRIPPED[0], f"{STRIPPED[1]}: /api"))
    assert (
        "\nproxy:\n  host: shop.example.com\n  aliases:\n    - www.shop.example.com\n  path_prefix: /api\n"
        "  strip_prefix: true\n  tls: acme\n"
    ) in prod


def test_a_prefix_written_with_a_trailing_slash_is_kept_and_an_unreadable_one_is_listed(tmp_path: Path):
    """Traefik's PathPrefix(`/api/`) (its most common spelling) is the app under /api, never the whole host;
    a prefix deploykit cannot route is said, not silently dropped (the app would take the whole host)."""
    (tmp_path / "slash").mkdir()
    (tmp_path / "unreadable").mkdir()
    rule = "Host(`shop.example.com`) && PathPrefix(`/api/`)"
    _, prod, _ = _imported(tmp_path / "slash", _routed(rule, STRIPPED[0], f"{STRIPPED[1]}: /api/"))
    assert "\nproxy:\n  host: shop.example.com\n  path_prefix: /api\n  strip_prefix: true\n  tls: acme\n" in prod
    rule = "(Host(`shop.example.com`) || Host(`shop_old.example.com`)) && PathPrefix(`/a b`)"
    _, prod, stderr = _imported(tmp_path / "unreadable", _routed(rule))
    assert "\nproxy:\n  host: shop.example.com\n  tls: acme\n" in prod
    lines = stderr.splitlines()
    assert (
        f"{RULE}PathPrefix(`/a b`): '/a b' is not a valid path prefix: '/'-separated segments of letters, digits "
        "and ._~- (no '//', '.' or '..' segment, query or wildcard); the app is served on the whole host: set "
        "proxy.path_prefix by hand"
    ) in lines, stderr
    assert any(line.startswith(f"{RULE}Host(`shop_old.example.com`): ") for line in lines), stderr


def test_several_path_prefixes_are_listed_not_narrowed_to_one(tmp_path: Path):
    """v2's PathPrefix(`/a`, `/b`) and a rule of two PathPrefix() serve more than one prefix can say."""
    _, prod, stderr = _imported(tmp_path, _routed("Host(`shop.example.com`) && PathPrefix(`/api`, `/admin`)"))
    assert "\nproxy:\n  host: shop.example.com\n  tls: acme\n" in prod
    assert (
        f"{RULE}PathPrefix: the rule serves several prefixes (/api, /admin) and path_prefix is one; the app is "
        "served on the whole host: set proxy.path_prefix by hand"
    ) in stderr.splitlines(), stderr


def test_a_middleware_defined_elsewhere_that_may_strip_the_prefix_is_said(tmp_path: Path):
    """The router's stripprefix may live in Traefik's files (`@file`): the import cannot see it, and says so."""
    rule = "Host(`shop.example.com`) && PathPrefix(`/api`)"
    middlewares = "traefik.http.routers.web.middlewares: api-strip@file, web-headers@docker"
    _, prod, stderr = _imported(
        tmp_path, _routed(rule, middlewares, "traefik.http.middlewares.web-headers.headers.framedeny: 'true'")
    )
    assert "\nproxy:\n  host: shop.example.com\n  path_prefix: /api\n  tls: acme\n" in prod
    assert (
        "warning: compose.yaml:9:7: services.web.labels.traefik.http.routers.web.rule: the router's middlewares "
        "api-strip are defined elsewhere (another service's labels or Traefik's files): if one strips /api, set "
        "proxy.strip_prefix: true (the app sees the full path)"
    ) in stderr.splitlines(), stderr


def test_negated_hosts_and_prefixes_are_not_what_the_app_serves(tmp_path: Path):
    """`!Host(...)` and `!PathPrefix(...)` exclude: they are neither an alias nor the app's prefix."""
    rule = "Host(`shop.example.com`) && ! Host(`admin.shop.example.com`) && !PathPrefix(`/internal`)"
    _, prod, _ = _imported(tmp_path, _routed(rule))
    assert "\nproxy:\n  host: shop.example.com\n  tls: acme\n" in prod
