"""The real Compose v2 CLI accepts every rendered file and resolves it to the intended values."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from compose_support import GOLDEN_FILES, PROVIDED_TLS, TWO_STEPS, VARIANTS, container_value, profile_of, render, write
from helpers import REPO
from tooling import compose_binary, compose_config, resolved


@pytest.mark.parametrize("compose_file", GOLDEN_FILES, ids=[path.parent.parent.name for path in GOLDEN_FILES])
def test_golden_files_pass_compose_config(compose_file: Path):
    result = compose_config(compose_file, "-q")
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variants_pass_compose_config(variant: str, tmp_path: Path):
    rendering, _ = render(profile_of(**VARIANTS[variant]))
    result = compose_config(write(rendering, tmp_path / "out"), "-q")
    assert (result.returncode, result.stderr) == (0, "")


def test_prod_resolves_to_four_workers_and_memory_for_five_processes():
    project = resolved(REPO / "manifests" / "prod" / "compose" / "compose.yaml")
    app = project["services"]["items-api"]
    assert app["command"] == [
        "fastapi",
        "run",
        "app/main.py",
        "--port",
        "8000",
        "--workers",
        "4",
        "--forwarded-allow-ips",
        "172.30.0.0/24",
    ]
    # 4 workers + the supervisor, 512Mi each.
    assert app["deploy"]["resources"]["limits"] == {"cpus": 1, "memory": str(5 * 512 * 2**20), "pids": 320}
    assert app["depends_on"] == {"migrate": {"condition": "service_completed_successfully", "required": True}}
    assert app["labels"]["traefik.http.routers.items-api.rule"] == "Host(`api.example.com`)"
    assert app["labels"]["traefik.http.routers.items-api.tls.certResolver"] == "le"
    assert app["labels"]["traefik.http.services.items-api.loadbalancer.server.port"] == "8000"
    assert app["labels"]["traefik.docker.network"] == project["networks"]["proxy"]["name"] == "items-api_proxy"
    assert "ports" not in app
    assert (app["user"], app["read_only"], app["cap_drop"], app["restart"]) == (
        "10001:10001",
        True,
        ["ALL"],
        "unless-stopped",
    )
    assert project["networks"]["proxy"]["ipam"]["config"] == [{"subnet": "172.30.0.0/24"}]
    assert project["networks"]["socket"]["internal"] is True
    assert project["services"]["socket-proxy"]["networks"] == {"socket": None}
    assert project["services"]["migrate"]["restart"] == "no"


def test_host_names_reach_traefik_as_written_through_compose_interpolation(tmp_path: Path):
    """The `$` of the redirect's replacement survives Compose (written `$$`), and every router is there."""
    rendering, _ = render(profile_of(**VARIANTS["host-names"]))
    written = resolved(write(rendering, tmp_path / "out"))["services"]["items-api"]["labels"]
    labels = {key: container_value(value) for key, value in written.items()}
    routers, middlewares = "traefik.http.routers", "traefik.http.middlewares"
    assert labels[f"{routers}.items-api.rule"] == (
        "(Host(`api.example.com`) || Host(`www.api.example.com`)) && (Path(`/v1`) || PathPrefix(`/v1/`))"
    )
    assert labels[f"{routers}.items-api.middlewares"] == "items-api-headers,items-api-strip,items-api-retry"
    assert labels[f"{middlewares}.items-api-strip.stripPrefix.prefixes"] == "/v1"
    assert (
        labels[f"{routers}.items-api-moved.rule"]
        == "Host(`old-api.example.com`) && (Path(`/v1`) || PathPrefix(`/v1/`))"
    )
    assert labels[f"{routers}.items-api-moved.tls.certResolver"] == "le"
    assert labels[f"{middlewares}.items-api-moved.redirectRegex.regex"] == "^(https?)://[^/:]+(:[0-9]+)?(.*)$"
    assert labels[f"{middlewares}.items-api-moved.redirectRegex.replacement"] == "$1://api.example.com$2$3"
    # The health check goes straight to the app: its own path, with the first host.
    assert labels["traefik.http.services.items-api.loadbalancer.healthCheck.path"] == "/healthz"
    assert labels["traefik.http.services.items-api.loadbalancer.healthCheck.hostname"] == "api.example.com"


def test_two_steps_run_in_order_before_the_app(tmp_path: Path):
    rendering, _ = render(profile_of(**VARIANTS["steps-and-workers"]))
    project = resolved(write(rendering, tmp_path / "out"))
    services = project["services"]
    completed = {"condition": "service_completed_successfully", "required": True}
    assert "depends_on" not in services["migrate"]
    assert services["seed"]["depends_on"] == {"migrate": completed}
    assert services["items-api"]["depends_on"] == {"seed": completed}
    assert services["seed"]["image"] == "registry.example.com/acme/tools:2.0"
    # Explicit workers win over replicas; 3 x 300Mi; CPU 2 x 0.3.
    assert services["items-api"]["command"][5:7] == ["--workers", "2"]
    assert services["items-api"]["deploy"]["resources"]["limits"] == {
        "cpus": 0.6,
        "memory": str(3 * 300 * 2**20),
        "pids": 192,
    }
    assert services["seed"]["deploy"]["resources"]["limits"]["memory"] == str(300 * 2**20)
    assert project["name"] == "shop"
    assert services["traefik"]["ports"] == [
        {"mode": "ingress", "host_ip": "::1", "target": 8080, "published": "8080", "protocol": "tcp"},
        {"mode": "ingress", "host_ip": "::1", "target": 8443, "published": "8443", "protocol": "tcp"},
    ]
    assert "--entryPoints.web.http.redirections.entryPoint.to=:8443" in services["traefik"]["command"]
    assert "--providers.docker.network=shop_proxy" in services["traefik"]["command"]


def test_traefik_is_published_on_ipv4_and_ipv6_and_tmp_is_sized(tmp_path: Path):
    data = profile_of(tmp_size="512Mi", memory="1Gi", prestart=TWO_STEPS[:1])
    project = resolved(write(render(data)[0], tmp_path / "out"))
    services = project["services"]
    # No host_ip: the engine publishes on every IPv4 and IPv6 address.
    assert services["traefik"]["ports"] == [
        {"mode": "ingress", "target": 8080, "published": "80", "protocol": "tcp"},
        {"mode": "ingress", "target": 8443, "published": "443", "protocol": "tcp"},
    ]
    # /tmp is a tmpfs of tmp_size for every service running the app's code, 64 MiB for the proxy's.
    assert services["items-api"]["tmpfs"] == services["migrate"]["tmpfs"] == [f"/tmp:size={512 * 2**20}"]
    assert services["traefik"]["tmpfs"] == services["socket-proxy"]["tmpfs"] == [f"/tmp:size={64 * 2**20}"]


def test_the_app_joins_its_callers_networks(tmp_path: Path):
    callers = {
        "callers": [{"compose_network": "storefront"}, {"namespace": "k8s-only"}, {"compose_network": "reports"}]
    }
    exposed = resolved(write(render(profile_of(network=callers))[0], tmp_path / "exposed"))
    assert exposed["services"]["items-api"]["networks"] == {
        "proxy": None,
        "callers-reports": None,
        "callers-storefront": None,
    }
    assert {key: exposed["networks"][key] for key in ("callers-reports", "callers-storefront")} == {
        "callers-reports": {"name": "reports", "external": True, "ipam": {}},
        "callers-storefront": {"name": "storefront", "external": True, "ipam": {}},
    }
    # An internal app stays on the project's default network, where its steps and processes are.
    internal = resolved(write(render(profile_of(proxy=None, network=callers))[0], tmp_path / "internal"))
    assert internal["services"]["items-api"]["networks"] == {
        "default": None,
        "callers-reports": None,
        "callers-storefront": None,
    }
    assert sorted(internal["networks"]) == ["callers-reports", "callers-storefront", "default"]


STANDALONE_CASES = {
    "acme": {},
    "provided": {"proxy": PROVIDED_TLS},
    # A `$` in a job's command reaches the inlined cron.yaml doubled, and the container single.
    "cron": {"cron": {"report": {"schedule": "0 3 * * *", "command": ["sh", "-c", "echo $HOME ${USER} $$"]}}},
}


@pytest.mark.parametrize("case", sorted(STANDALONE_CASES))
def test_stdout_is_one_compose_document_with_the_files_inlined(case: str, tmp_path: Path):
    rendering, _ = render(profile_of(**STANDALONE_CASES[case]))
    written = resolved(write(rendering, tmp_path))
    result = subprocess.run(
        [str(compose_binary()), "-f", "-", "config", "--format", "json"],
        input=rendering.stdout,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert (result.returncode, result.stderr) == (0, "")
    standalone = json.loads(result.stdout)
    # The same project, service for service; only where each config's text comes from differs.
    assert standalone["services"] == written["services"]
    files = {file.path: file.content for file in rendering.files}
    assert sorted(standalone["configs"]) == sorted(written["configs"])
    for key, config in written["configs"].items():
        inlined = standalone["configs"][key]["content"]
        assert container_value(inlined) == files[Path(config["file"]).name]


def test_provided_certificates_are_mounted_read_only(tmp_path: Path):
    rendering, _ = render(profile_of(proxy=PROVIDED_TLS))
    compose_file = write(rendering, tmp_path / "out")
    volumes = resolved(compose_file)["services"]["traefik"]["volumes"]
    assert [(volume["source"], volume["target"], volume.get("read_only")) for volume in volumes] == [
        ("/srv/tls/api.crt", "/etc/traefik/certs/tls.crt", True),
        # Relative paths are resolved from compose.yaml's directory; a ':' is safe in the long syntax.
        (str(tmp_path / "out" / "certs" / "api:key.pem"), "/etc/traefik/certs/tls.key", True),
    ]
    # The dynamic file that declares them is a config, a bind mount of the file beside compose.yaml.
    project = resolved(compose_file)
    assert project["services"]["traefik"]["configs"] == [
        {"source": "traefik-dynamic", "target": "/etc/traefik/dynamic.yaml"}
    ]
    assert project["configs"]["traefik-dynamic"]["file"] == str(tmp_path / "out" / "traefik-dynamic.yaml")


TWO_NAMES_ONE_SECRET = {
    "DATABASE_URL": {"secret": "items-db", "key": "url"},
    "API_TOKEN": {"secret": "items-db", "key": "url"},
}


def _run_entrypoint(entrypoint: list[str], secrets_dir: Path) -> subprocess.CompletedProcess[str]:
    """Runs the resolved entrypoint with the real /bin/sh, its files read from `secrets_dir`, and a
    command that prints what it received."""
    script = container_value(entrypoint[2]).replace("/run/secrets/", f"{secrets_dir}/")
    show = "import json, os, sys; print(json.dumps([sys.argv[1:], os.environ.get('DATABASE_URL'), os.environ.get('API_TOKEN')]))"
    command = [sys.executable, "-c", show, "first arg", "$HOME"]
    return subprocess.run(
        [*entrypoint[:2], script, entrypoint[3], *command], capture_output=True, text=True, check=False
    )


def test_secrets_reach_the_app_as_variables_and_never_the_configuration(tmp_path: Path):
    project = resolved(write(render(profile_of(secrets=TWO_NAMES_ONE_SECRET))[0], tmp_path / "out"))
    app = project["services"]["items-api"]
    assert app["environment"] == {"FORWARDED_ALLOW_IPS": "172.30.0.0/24"}
    assert app["secrets"] == [{"source": "items-db__url", "target": "/run/secrets/items-db__url"}]
    assert app["entrypoint"][0] == "/bin/sh"

    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    value = 'postgresql://u:it\'s "$quoted" `x`;@db/items\nsecond line'
    (secrets_dir / "items-db__url").write_text(value + "\n", encoding="utf-8")
    result = _run_entrypoint(app["entrypoint"], secrets_dir)
    # The command runs with its arguments untouched; the file's final newline is not part of the value.
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout) == [["first arg", "$HOME"], value, value]

    (secrets_dir / "items-db__url").unlink()
    result = _run_entrypoint(app["entrypoint"], secrets_dir)
    # A missing file stops the container before the command starts.
    assert result.returncode != 0
    assert result.stdout == ""
    assert "items-db__url" in result.stderr


def test_secret_files_are_mounted_and_announced_by_path(tmp_path: Path):
    rendering, _ = render(profile_of(secrets=TWO_NAMES_ONE_SECRET, secrets_as="file"))
    project = resolved(write(rendering, tmp_path / "out"))
    app = project["services"]["items-api"]
    assert app.get("entrypoint") is None
    assert app["environment"] == {
        "API_TOKEN_FILE": "/run/secrets/items-db__url",
        "DATABASE_URL_FILE": "/run/secrets/items-db__url",
        "FORWARDED_ALLOW_IPS": "172.30.0.0/24",
    }
    assert app["secrets"] == [{"source": "items-db__url", "target": "/run/secrets/items-db__url"}]
    assert project["secrets"] == {
        "items-db__url": {
            "name": "items-api_items-db__url",
            "file": str(tmp_path / "out" / "secrets" / "items-db" / "url"),
        }
    }
