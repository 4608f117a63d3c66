"""The Docker API socket proxy: Traefik reads container labels through it, never the socket itself.

A process holding the Docker socket is root on the host (it can start a privileged container), and
Traefik faces the internet. The proxy is the official haproxy image with a configuration deploykit
renders (`socket-proxy.cfg`), on an `internal` network shared with Traefik alone, so no published
port, no other service and no outside host can reach it.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import jinja2

from deploykit.spec.quantities import MEBIBYTE
from deploykit.targets.compose import naming
from deploykit.targets.compose.escaping import literal
from deploykit.targets.compose.hardening import PROXY_TMP_BYTES, hardening, limits

if TYPE_CHECKING:
    from deploykit.spec.model import Profile

CONFIG_FILE = "socket-proxy.cfg"
CONFIG_PATH = "/usr/local/etc/haproxy/haproxy.cfg"
SOCKET_PATH = "/var/run/docker.sock"
PORT = 2375
ENDPOINT = f"tcp://{naming.SOCKET_PROXY}:{PORT}"
# The Docker API paths Traefik's docker provider uses, with or without the `/v1.NN` version prefix.
# Container paths stop at `/json` (list and inspect): `/containers/{id}/logs`, `/archive` or
# `/export` are GET requests too, and would hand out logs and file systems. `[.]` instead of `\.`
# keeps the pattern free of backslashes, which haproxy's configuration parser would interpret.
ALLOWED_PATHS = r"^(/v[0-9]+[.][0-9]+)?/(_ping|version|events|containers/json|containers/[A-Za-z0-9_.-]+/json|networks|networks/[A-Za-z0-9_.-]+)$"


@cache
def _template() -> jinja2.Template:
    source = resources.files(__package__).joinpath("socket-proxy.cfg.j2").read_text(encoding="utf-8")
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
    return environment.from_string(source)


def render_config() -> str:
    """The haproxy configuration (it holds no user value, so it needs no escaping)."""
    return _template().render(port=PORT, allowed_paths=ALLOWED_PATHS, socket=SOCKET_PATH)


def build_socket_proxy_service(profile: Profile) -> dict:
    """The haproxy service that lets Traefik GET only the Docker API paths it reads, reachable on the socket network only."""
    return {
        "image": profile.compose.socket_proxy_image,
        "command": ["haproxy", "-f", CONFIG_PATH],
        "restart": "unless-stopped",
        # The image stops haproxy with SIGUSR1, which waits for open connections to end; Traefik's
        # event stream never ends, so every `down` would wait for the kill timeout.
        "stop_signal": "SIGTERM",
        # root, with no capabilities: the engine's socket is root:docker 0660 and the docker group's
        # ID differs per host, so the file's owner is the one identity that can always connect.
        **hardening("0:0", PROXY_TMP_BYTES),
        **limits(64 * MEBIBYTE, 250, 64),
        "volumes": [
            {
                "type": "bind",
                "source": literal(profile.compose.docker_socket),
                "target": SOCKET_PATH,
                "read_only": True,
            },
        ],
        "networks": [naming.SOCKET_NETWORK],
    }
