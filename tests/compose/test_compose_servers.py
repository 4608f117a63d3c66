"""How Compose runs each kind of server: workers in one container, or one container per process for a
server that forks none; checked with the real Compose CLI's resolved project."""

from __future__ import annotations

from compose_support import profile_of, render, write
from tooling import resolved

MEBIBYTE = 2**20


def _app(tmp_path, **fields) -> dict:
    rendering, _ = render(profile_of(**fields))
    return resolved(write(rendering, tmp_path))["services"]["items-api"]


def test_a_generic_server_runs_as_replicated_containers_told_their_port(tmp_path):
    app = _app(
        tmp_path, server="generic", command=["node", "server.js"], port=3000, replicas=3, memory="200Mi", cpu="0.5"
    )
    assert app["command"] == ["node", "server.js"]
    assert app["deploy"]["replicas"] == 3
    # One process per container: each container gets one process's memory and CPU.
    assert app["deploy"]["resources"]["limits"]["memory"] == str(200 * MEBIBYTE)
    assert app["deploy"]["resources"]["limits"]["cpus"] == 0.5
    assert app["environment"] == {"FORWARDED_ALLOW_IPS": "172.30.0.0/24", "PORT": "3000", "WEB_CONCURRENCY": "1"}
    # No python in a Node image: no python probe; Traefik checks the readiness path itself.
    assert app["healthcheck"] == {"disable": True}
    assert app["labels"]["traefik.http.services.items-api.loadbalancer.healthCheck.path"] == "/healthz"
    assert "container_name" not in app


def test_an_image_s_own_probe_is_the_healthcheck(tmp_path):
    health = {"path": "/healthz", "command": ["/usr/local/bin/probe", "--ready"]}
    app = _app(tmp_path, server="generic", command=["/usr/local/bin/api"], health=health)
    assert app["healthcheck"]["test"] == ["CMD", "/usr/local/bin/probe", "--ready"]


def test_gunicorn_workers_share_one_container_with_a_light_master(tmp_path):
    app = _app(tmp_path, command=["gunicorn", "shop.wsgi:application"], replicas=4, memory="256Mi")
    assert app["command"] == [
        "gunicorn", "shop.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4",
        "--forwarded-allow-ips", "172.30.0.0/24", "--graceful-timeout", "25", "--keep-alive", "95",
    ]  # fmt: skip
    # 4 workers of 256 MiB, and gunicorn's arbiter, which does not import the app.
    assert app["deploy"]["resources"]["limits"]["memory"] == str(4 * 256 * MEBIBYTE + 64 * MEBIBYTE)
    assert "replicas" not in app["deploy"]


def test_traefik_keeps_idle_connections_shorter_than_the_server(tmp_path):
    rendering, _ = render(profile_of())
    traefik = resolved(write(rendering, tmp_path))["services"]["traefik"]["command"]
    # fastapi run keeps idle connections 5 s (no flag changes it): Traefik drops them after 4 s.
    assert "--serversTransport.forwardingTimeouts.idleConnTimeout=4s" in traefik
    rendering, _ = render(profile_of(command=["uvicorn", "app.main:app"]))
    traefik = resolved(write(rendering, tmp_path / "uvicorn"))["services"]["traefik"]["command"]
    # uvicorn is told 95 s: Traefik's default of 90 s is already shorter.
    assert not [argument for argument in traefik if "idleConnTimeout" in argument]
