"""The shop example (examples/shop, Django) answers every runtime target's health checks with 200.

Django refuses a request whose Host is not in ALLOWED_HOSTS (400, "Invalid HTTP_HOST header"). A
probe that names an address (127.0.0.1, the pod's IP, the node's IP) would therefore fail on the prod
profile, whose ALLOWED_HOSTS is the public host only. Each test renders the prod profile, reads the
probes back from the rendered files (Compose's healthcheck command, the Kubernetes Deployment's
httpGet probes, the Nomad job's checks as HashiCorp's parser reads them) and sends them to the real
server (gunicorn with uvicorn workers, started with the rendered arguments) as the engine, the
kubelet and the Nomad client do.
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
import time

import pytest
from helpers import REPO, free_port, run_cli, stop
from ruamel.yaml import YAML
from tooling import hcl_reader as installed_hcl_reader

from deploykit.output import HEADER

SHOP = REPO / "examples" / "shop"
PROFILE = SHOP / "profiles" / "prod.yaml"
HOST = "shop.example.com"
SECRETS = {"DJANGO_SECRET_KEY": "probe-test-only-secret-key-with-enough-length-for-django"}


def load(text: str) -> dict:
    return YAML(typ="safe", pure=True).load(text)


def deployment_container(port: int) -> dict:
    documents = YAML(typ="safe", pure=True).load_all(render("k8s", port))
    deployment = next(d for d in documents if d and d["kind"] == "Deployment")
    return deployment["spec"]["template"]["spec"]["containers"][0]


def render(target: str, port: int) -> str:
    result = run_cli("render", target, "-p", str(PROFILE), "--set", f"port={port}")
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def shop(tmp_path_factory, port):
    """The example, with its build commands run (collectstatic), served by the k8s container's arguments
    and environment (one worker: a pod)."""
    app_dir = tmp_path_factory.mktemp("shop") / "app"
    shutil.copytree(SHOP, app_dir, ignore=shutil.ignore_patterns("staticfiles", "__pycache__"))
    container = deployment_container(port)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    for variable in container["env"]:
        env[variable["name"]] = variable["value"] if "value" in variable else SECRETS[variable["name"]]
    assert env["DJANGO_ALLOWED_HOSTS"] == HOST
    # The image's build commands (collectstatic: /readyz checks the collected files).
    for command in load(PROFILE.with_name("base.yaml").read_text())["build"]["commands"]:
        assert command[0] == "python"
        subprocess.run(
            [sys.executable, *command[1:]], cwd=app_dir, env=env, check=True, capture_output=True, timeout=120
        )
    args = container["args"]
    assert args[0] == "gunicorn"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *args[1:]],
        cwd=app_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=2).connect()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    pytest.fail(f"gunicorn did not listen on {port}:\n{server.communicate(timeout=10)[1]}")
                time.sleep(0.2)
        yield server
    finally:
        stop(server)


def get(port: int, path: str, headers: dict[str, str]) -> int:
    """The status of GET `path` with exactly `headers` (Host included: http.client adds none then)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.putrequest("GET", path, skip_host="Host" in headers, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        return conn.getresponse().status
    finally:
        conn.close()


def test_an_address_as_host_is_refused(shop, port):
    """The control: what every probe sent before (an IP as Host) gets Django's 400."""
    assert get(port, "/healthz", {"Host": f"127.0.0.1:{port}"}) == 400
    assert get(port, "/healthz", {"Host": HOST}) == 200


def test_compose_healthcheck_passes(shop, port):
    service = load(render("compose", port))["services"]["shop"]
    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    # Compose reads `$$` as `$`; the probe holds none, and runs as the engine runs it: an exec, exit 0 = healthy.
    assert "$" not in test[3]
    result = subprocess.run([sys.executable, "-c", test[3]], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def test_dockerfile_healthcheck_passes(shop, port):
    line = next(line for line in render("dockerfile", port).splitlines() if line.strip().startswith('CMD ["python"'))
    argv = load(line.strip().removeprefix("CMD "))  # the exec form is a JSON array
    result = subprocess.run([sys.executable, *argv[1:]], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def test_kubernetes_probes_pass(shop, port):
    container = deployment_container(port)
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = container[kind]["httpGet"]
        assert probe["port"] == "http" and probe["scheme"] == "HTTP"
        # As the kubelet's HTTP prober asks: Host is the probe's host (the pod IP) unless a header names
        # one; User-Agent kube-probe/<version>, Accept */* (pkg/probe/http/request.go).
        headers = {"Host": f"127.0.0.1:{port}", "User-Agent": "kube-probe/1.33", "Accept": "*/*"}
        headers |= {header["name"]: header["value"] for header in probe.get("httpHeaders", [])}
        assert get(port, probe["path"], headers) == 200, kind


def test_nomad_checks_pass(shop, port):
    from nomad.hcl_reader import HclReader, as_blocks

    reader = HclReader(*installed_hcl_reader())
    try:
        job = as_blocks(reader.read(HEADER + render("nomad", port)))
    finally:
        reader.close()
    (job_body,) = job["job"][0].values()
    (web,) = job_body["group"][0].values()
    task = next(body for block in web["task"] for body in block.values() if "service" in body)
    checks = task["service"][0]["check"]
    assert len(checks) == 2
    for check in checks:
        assert check["type"] == "http"
        # Nomad's HTTP check: Host is the service's address unless `header` sets one; User-Agent Nomad.
        headers = {"Host": f"127.0.0.1:{port}", "User-Agent": "Nomad/1.10"}
        for block in check.get("header", []):
            headers |= {name: values[0] for name, values in block.items()}
        assert get(port, check["path"], headers) == 200, check["name"]
