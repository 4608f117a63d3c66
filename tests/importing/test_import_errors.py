"""Bad input: a file Compose rejects gives Compose's own message, located, exit 2, and nothing written;
and so do Compose files the import cannot turn into a profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from import_support import run_import
from tooling import compose_binary

# (compose.yaml, extra arguments, the error line with the Compose CLI reading, and with the fallback reader)
CASES = {
    "unknown-key": (
        "services:\n  web:\n    imagee: ghcr.io/acme/web:1.0\n",
        (),
        "error: compose.yaml:2:3: services.web: additional properties 'imagee' not allowed",
        # The fallback does not validate the Compose schema (docs/import.md): it finds no web service.
        "error: compose.yaml:1:1: services: no service looks like the web app (a known server command such as "
        "gunicorn or uvicorn, or a published port); name it with --service NAME",
    ),
    "yaml-syntax": (
        "services:\n  web:\n    image: ghcr.io/acme/web:1.0\n   ports: 1\n",
        (),
        "error: compose.yaml:4:4: yaml: did not find expected key",
        "error: compose.yaml:4:4: yaml: expected <block end>, but found '<block mapping start>'",
    ),
    "required-variable": (
        "services:\n  web:\n    image: ghcr.io/acme/web:${TAG:?set TAG first}\n    command: [gunicorn, web.wsgi]\n",
        (),
        "error: compose.yaml:3:5: services.web.image: error while interpolating: required variable TAG is missing a value: set TAG first",
        "error: compose.yaml:3:5: services.web.image: error while interpolating: required variable TAG is missing a value: set TAG first",
    ),
    "undefined-dependency": (
        "services:\n  web:\n    image: ghcr.io/acme/web:1.0\n    command: [gunicorn, web.wsgi]\n    depends_on: [db]\n",
        (),
        'error: compose.yaml:5:18: services.web.depends_on.db: service "web" depends on undefined service "db": invalid compose project',
        'error: compose.yaml:5:18: services.web.depends_on.db: service "web" depends on undefined service "db": invalid compose project',
    ),
    "bad-size": (
        "services:\n  web:\n    image: ghcr.io/acme/web:1.0\n    command: [gunicorn, web.wsgi]\n    mem_limit: 1Q\n",
        (),
        "error: compose.yaml:5:5: services.web.mem_limit: invalid suffix: 'q'",
        "error: compose.yaml:5:5: services.web.mem_limit: '1Q' is not a size (e.g. 512m, 1g)",
    ),
    "service-name": (
        'services:\n  "web app":\n    image: ghcr.io/acme/web:1.0\n    command: [gunicorn, web.wsgi]\n',
        (),
        "error: compose.yaml:1:1: services: additional properties 'web app' not allowed",
        None,
    ),
    "non-string-service-name": (
        "services:\n  1:\n    image: ghcr.io/acme/web:1.0\n    command: [gunicorn, web.wsgi]\n",
        (),
        "error: compose.yaml: non-string key in services: 1",
        "error: compose.yaml:1:1: services: non-string key in services: 1",
    ),
    "include-itself": (
        "include: [compose.yaml]\nservices:\n  web:\n    image: ghcr.io/acme/web:1.0\n    command: [gunicorn, web.wsgi]\n",
        (),
        "error: compose.yaml: include cycle detected: compose.yaml include compose.yaml",
        "error: compose.yaml:1:11: include[0]: include cycle detected: compose.yaml include compose.yaml",
    ),
    "compose-v1": (
        "web:\n  image: ghcr.io/acme/web:1.0\n  ports: ['8000:8000']\ndb:\n  image: postgres:16\n",
        (),
        "error: compose.yaml:1:1: web: this is the Compose file format v1 (services at the top level), which Docker "
        "Compose v2 no longer reads: move the services under a top-level `services:` key (the Compose specification's "
        "format), then import again",
        None,
    ),
    "no-web-service": (
        "services:\n  db:\n    image: postgres:16\n  cache:\n    image: redis:7\n",
        (),
        "error: compose.yaml:1:1: services: no service looks like the web app (a known server command such as "
        "gunicorn or uvicorn, or a published port); name it with --service NAME",
        None,
    ),
    "two-web-services": (
        "services:\n  web:\n    image: ghcr.io/acme/web:1.0\n    command: [gunicorn, web.wsgi]\n    ports: ['8000:8000']\n"
        "  api:\n    image: ghcr.io/acme/api:1.0\n    command: [uvicorn, api:app]\n    ports: ['8001:8000']\n",
        (),
        "error: compose.yaml:1:1: services: several services could be the web app (api, web); name one with --service NAME",
        None,
    ),
    "unknown-service": (
        "services:\n  web:\n    image: ghcr.io/acme/web:1.0\n    command: [gunicorn, web.wsgi]\n",
        ("--service", "wbe"),
        "error: compose.yaml:1:1: services: --service 'wbe': no such service; did you mean 'web'?",
        None,
    ),
    "bad-environment-name": (
        "services:\n  web:\n    image: ghcr.io/acme/web:1.0\n    command: [gunicorn, web.wsgi]\n",
        ("--env", "Prod"),
        "error: --env: 'Prod' is not a valid environment name: use at most 63 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (a DNS-1035 label)",
        None,
    ),
}


@pytest.mark.parametrize("reader", ["compose", "python"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_located_line_and_nothing_is_written(case: str, reader: str, tmp_path: Path):
    if reader == "compose":
        compose_binary()  # skip on a laptop without the CLI, fail in CI
    text, arguments, with_cli, with_fallback = CASES[case]
    expected = with_cli if reader == "compose" else (with_fallback or with_cli)
    (tmp_path / "compose.yaml").write_text(text, encoding="utf-8")
    result = run_import(tmp_path, "--reader", reader, *arguments)
    assert (result.returncode, result.stderr, result.stdout) == (2, expected + "\n", "")
    assert not (tmp_path / "profiles").exists()


def test_a_missing_file_is_named(tmp_path: Path):
    result = run_import(tmp_path, "-f", "docker-compose.prod.yml")
    assert (result.returncode, result.stderr) == (2, "error: docker-compose.prod.yml: no such Compose file\n")
    result = run_import(tmp_path)
    assert (result.returncode, result.stderr) == (
        2,
        "error: no Compose file here (compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml); name one with -f FILE\n",
    )


def test_an_unknown_reader_is_refused(tmp_path: Path):
    (tmp_path / "compose.yaml").write_text("services: {}\n", encoding="utf-8")
    result = run_import(tmp_path, "--reader", "go")
    assert (result.returncode, result.stderr) == (2, "error: --reader must be one of auto, compose, python, not 'go'\n")


@pytest.mark.parametrize("reader", ["compose", "python"])
def test_an_include_cycle_through_another_file_is_refused(reader: str, tmp_path: Path):
    """deploykit's reader read one level of `include` only: a cycle passed, and a nested include was lost."""
    if reader == "compose":
        compose_binary()
    web = "services:\n  web:\n    image: ghcr.io/acme/web:1.0\n    command: [gunicorn, web.wsgi]\n"
    (tmp_path / "compose.yaml").write_text("include: [db.yaml]\n" + web, encoding="utf-8")
    (tmp_path / "db.yaml").write_text("include: [compose.yaml]\nservices:\n  db:\n    image: postgres:16\n")
    result = run_import(tmp_path, "--reader", reader)
    assert (result.returncode, result.stdout) == (2, "")
    (line,) = result.stderr.splitlines()
    assert line.endswith("include cycle detected: compose.yaml include db.yaml include compose.yaml"), line
    assert not (tmp_path / "profiles").exists()
    # Without the cycle, the nested include's services are read by both readers alike.
    (tmp_path / "db.yaml").write_text("include: [cache.yaml]\nservices:\n  db:\n    image: postgres:16\n")
    (tmp_path / "cache.yaml").write_text("services:\n  cache:\n    image: redis:7\n")
    result = run_import(tmp_path, "--reader", reader)
    assert result.returncode == 0, result.stderr
    assert "services.cache" in result.stderr, result.stderr
