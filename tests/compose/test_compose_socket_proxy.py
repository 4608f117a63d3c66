"""The rendered haproxy configuration, checked and run with the real haproxy (Debian package `haproxy`)."""

from __future__ import annotations

import http.client
import http.server
import socket
import socketserver
import subprocess
import threading
import time
from pathlib import Path

import pytest
from helpers import free_port
from tooling import require_tool

from deploykit.targets.compose.socket_proxy import PORT, SOCKET_PATH, render_config

HAPROXY_HINT = "apt-get install haproxy"


def test_rendered_configuration_is_valid(tmp_path: Path):
    haproxy = require_tool("haproxy", HAPROXY_HINT)
    config = tmp_path / "socket-proxy.cfg"
    config.write_text(render_config(), encoding="utf-8")
    result = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


class _FakeEngine(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """Stands in for the Docker engine on a unix socket: answers 200 with the path it was asked for."""

    daemon_threads = True


class _Echo(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        body = self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_DELETE = do_PUT = _answer

    def address_string(self) -> str:  # a unix socket peer has no (host, port)
        return "engine"

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def proxy_port(tmp_path: Path):
    """haproxy running the rendered rules, in front of a fake engine; only bind and socket are moved."""
    haproxy = require_tool("haproxy", HAPROXY_HINT)
    engine_socket = tmp_path / "engine.sock"
    engine = _FakeEngine(str(engine_socket), _Echo)
    threading.Thread(target=engine.serve_forever, daemon=True).start()
    port = free_port()
    config = (
        render_config()
        .replace(f"bind :{PORT}", f"bind 127.0.0.1:{port}")
        .replace(f"server engine {SOCKET_PATH}", f"server engine {engine_socket}")
    )
    (tmp_path / "haproxy.cfg").write_text(config, encoding="utf-8")
    process = subprocess.Popen(
        [haproxy, "-db", "-f", str(tmp_path / "haproxy.cfg")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        engine.shutdown()
        engine.server_close()


ALLOWED = [
    ("HEAD", "/_ping"),
    ("GET", "/_ping"),
    ("GET", "/v1.44/version"),
    ("GET", "/v1.51/containers/json?all=1"),
    ("GET", "/containers/3f2a_b-c.d/json"),
    ("GET", "/v1.44/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D"),
    ("GET", "/v1.44/networks"),
    ("GET", "/networks/items-api_proxy"),
]
DENIED = [
    ("POST", "/v1.44/containers/create"),
    ("POST", "/containers/abc/start"),
    ("DELETE", "/containers/abc"),
    ("POST", "/containers/abc/exec"),
    ("GET", "/containers/abc/logs"),
    ("GET", "/containers/abc/archive?path=/etc"),
    ("GET", "/containers/abc/export"),
    ("GET", "/v1.44/images/json"),
    ("GET", "/info"),
    ("GET", "/volumes"),
    ("GET", "/secrets"),
    ("POST", "/networks/create"),
    ("GET", "/containers/../images/json"),
    ("GET", "/containers/a%2F..%2F..%2Fimages/json"),
    ("PUT", "/v1.44/version"),
]


def _status(port: int, method: str, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_only_read_requests_for_traefiks_endpoints_pass(proxy_port: int):
    assert {request: _status(proxy_port, *request) for request in ALLOWED} == {request: 200 for request in ALLOWED}
    assert {request: _status(proxy_port, *request) for request in DENIED} == {request: 403 for request in DENIED}
