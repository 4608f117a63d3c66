"""What teams' Compose files really hold: images without a command, unpinned or only built, healthchecks
that are not HTTP, Traefik-looking proxies they build, brokers, and workers built from the app's code."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli
from import_support import run_import
from ruamel.yaml import YAML


def imported(tmp_path: Path, text: str, *arguments: str) -> tuple[dict, str]:
    (tmp_path / "compose.yaml").write_text(text, encoding="utf-8")
    result = run_import(tmp_path, "--reader", "python", *arguments)
    assert result.returncode == 0, result.stderr
    base = YAML(typ="safe", pure=True).load((tmp_path / "profiles" / "base.yaml").read_text())
    return base, result.stderr


def validate(tmp_path: Path) -> tuple[int, str]:
    result = run_cli("validate", "--env", "prod", "--strict", cwd=tmp_path)
    return result.returncode, result.stderr


def test_a_service_without_a_command_runs_the_images_own(tmp_path: Path):
    base, _ = imported(tmp_path, "services:\n  web:\n    image: ghcr.io/acme/web:1.0\n    ports: ['8000:8000']\n")
    assert "command" not in base and base["server"] == "generic" and base["port"] == 8000
    assert validate(tmp_path) == (0, "profiles/prod.yaml: valid (k8s, compose, nomad, quadlet)\n")


def test_an_unpinned_image_is_written_with_a_comment_and_refused_by_validate(tmp_path: Path):
    base, notes = imported(
        tmp_path, "services:\n  web:\n    image: ghcr.io/acme/web:latest\n    command: [gunicorn, web.wsgi]\n"
    )
    assert base["image"] == "ghcr.io/acme/web:latest"
    assert "warning: compose.yaml:3:5: services.web.image: 'ghcr.io/acme/web:latest' uses the tag 'latest'" in notes
    text = (tmp_path / "profiles" / "base.yaml").read_text()
    assert "# check: 'ghcr.io/acme/web:latest' uses the tag 'latest'" in text
    code, errors = validate(tmp_path)
    assert code == 2
    assert "image: 'ghcr.io/acme/web:latest' uses the tag 'latest'; pin a version tag or a digest" in errors


def test_a_built_only_service_is_the_app_and_its_image_is_named_as_compose_names_it(tmp_path: Path):
    compose = (
        "name: shop\nservices:\n"
        "  web:\n    build: .\n    command: [gunicorn, shop.wsgi]\n    expose: ['8000']\n"
        "  worker:\n    build: {context: ., target: worker}\n    image: shop-worker:dev\n"
        "    command: [celery, -A, shop, worker]\n"
        "  proxy:\n    build: ./traefik\n    ports: ['443:443']\n"
        "  broker:\n    image: redpandadata/redpanda:v24.1.1\n    ports: ['9092:9092']\n"
        "  cache:\n    image: redislabs/redismod:edge\n    ports: ['6379:6379']\n"
    )
    base, notes = imported(tmp_path, compose)
    assert base["image"] == "shop-web"
    assert base["command"] == ["gunicorn", "shop.wsgi"]
    # Built from the app's context: a process, whatever its image name.
    assert list(base["processes"]) == ["worker"]
    assert "services.proxy: deploykit runs its own Traefik" in notes or "services.proxy" in notes
    assert "services.broker: Redpanda" in notes
    assert "services.cache: Redis" in notes


def test_a_healthcheck_that_is_not_http_is_carried_as_a_command_on_every_target(tmp_path: Path):
    compose = (
        "services:\n  web:\n    image: ghcr.io/acme/web:1.0\n    ports: ['3000:3000']\n"
        "    healthcheck:\n      test: [CMD-SHELL, 'pg_isready || exit 1']\n"
    )
    base, _ = imported(tmp_path, compose)
    assert base["health"] == {"check": "command", "command": ["/bin/sh", "-c", "pg_isready || exit 1"]}
    assert validate(tmp_path) == (0, "profiles/prod.yaml: valid (k8s, compose, nomad, quadlet)\n")


@pytest.mark.parametrize("label", ["traefik.http.routers.web.rule=Host(`shop.example.com`)"])
def test_traefik_host_labels_become_the_proxy_host(tmp_path: Path, label: str):
    compose = (
        "services:\n  web:\n    image: ghcr.io/acme/web:1.0\n    expose: ['8000']\n"
        f"    labels: ['traefik.enable=true', '{label}']\n"
    )
    imported(tmp_path, compose)
    prod = YAML(typ="safe", pure=True).load((tmp_path / "profiles" / "prod.yaml").read_text())
    assert prod["proxy"]["host"] == "shop.example.com" and prod["proxy"]["tls"] == "acme"
    assert validate(tmp_path)[0] == 0
