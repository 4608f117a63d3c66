"""The `compose:` block of a profile (the single-server Docker Compose target)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from deploykit.spec import names, values
from deploykit.spec.base import DnsLabel, ImageReference, SpecModel
from deploykit.spec.values import DEFAULT_PROXY_SUBNET

HostPort = Annotated[int, Field(ge=1, le=65535)]
RelativeOrAbsolutePath = Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^[^\s$'\"`\\]+$")]


class ComposeOptions(SpecModel):
    """Docker Compose-only settings: one server, one app container running several worker processes."""

    project: DnsLabel | None = Field(
        None, description="Compose project name (default: the app name). It prefixes the names of networks and volumes."
    )
    volumes: Annotated[
        dict[DnsLabel, Annotated[str, AfterValidator(values.check_absolute_mount_path)]], Field(max_length=16)
    ] = Field(
        {},
        description="Named volumes (name: mount path) for state on the one server, e.g. {data: /data} for SQLite or uploads: "
        "mounted read-write into the app and every prestart step, kept across `up`/`down` (not `down -v`). "
        "List the path in build.data_dirs so the app's account owns it.",
    )
    workers: Annotated[int, Field(ge=1, le=256)] | None = Field(
        None,
        description="Worker processes in the app container (`--workers N`; default: `replicas`). The memory limit is (workers + 1) x `memory` when workers > 1: the supervisor process counts.",
    )
    socket_access: Literal["proxy", "mount"] = Field(
        "proxy",
        description="How Traefik reads container labels. proxy: through a socket proxy (haproxy) that only lets read-only requests for containers, networks, events and the version through, on an internal network shared with Traefik alone. mount: Traefik mounts the Docker socket itself (a read-only mount does not make the API read-only; a warning is given).",
    )
    docker_socket: Annotated[str, AfterValidator(values.check_socket_path)] = Field(
        "/var/run/docker.sock",
        description="Path of the Docker API socket on the server (for rootless Docker or Podman, the user's socket).",
    )
    proxy_subnet: Annotated[str, AfterValidator(values.check_subnet)] = Field(
        DEFAULT_PROXY_SUBNET,
        description="Pinned IPv4 subnet of the network Traefik and the app share. The app trusts X-Forwarded-* headers only from it (`--forwarded-allow-ips`). Pick a private range no other network on the server uses.",
    )
    acme_staging: bool = Field(
        False,
        description="Use Let's Encrypt's staging CA (untrusted certificates, generous rate limits) with proxy.tls: acme. Use it until the setup works.",
    )
    acme_challenge: Literal["tls-alpn", "http"] = Field(
        "tls-alpn", description="ACME challenge: tls-alpn (TLS-ALPN-01 on port 443) or http (HTTP-01 on port 80)."
    )
    http_port: HostPort = Field(
        80, description="Host port published for plain HTTP (redirects to HTTPS unless proxy.tls is none)."
    )
    https_port: HostPort = Field(443, description="Host port published for HTTPS.")
    bind_address: Annotated[str, AfterValidator(names.check_ip_address)] | None = Field(
        None,
        description="Host address Traefik's ports are published on (default: every IPv4 and IPv6 interface; 127.0.0.1: this host only over IPv4; ::1 over IPv6).",
        json_schema_extra={"pattern": names.IP_ADDRESS_PATTERN},
    )
    traefik_image: ImageReference = Field(
        "traefik:v3.7.15",
        description="Traefik image, pinned: 3.7.12 or later (the rendered static configuration sets the entry points' aliasHeadersStrategy, which older versions refuse).",
    )
    socket_proxy_image: ImageReference = Field(
        "haproxy:3.2.6",
        description="Image of the Docker API socket proxy: the official haproxy image, configured by the rendered socket-proxy.cfg.",
    )
    secrets_source: Literal["file", "external"] = Field(
        "file",
        description="Where Compose finds each secret. file: `<secrets_dir>/<secret>/<key>` on the server. external: a secret created beforehand with `docker secret create` (Swarm only: `docker compose up` refuses external secrets; a warning is given).",
    )
    scheduler: Literal["auto", "yacron", "systemd"] = Field(
        "auto",
        description="What runs the `cron` jobs. yacron: a `scheduler` service running yacron inside the app's image, which only "
        "deploykit's dockerfile target installs. systemd: a timer and a oneshot unit per job, rendered into systemd/ for the "
        "server's host systemd, each run a `docker compose run --no-deps JOB` of the job's own service (nothing needed "
        "inside the image, no Docker API access from any container). auto: yacron when the environment builds its image with "
        "the dockerfile target, systemd otherwise.",
    )
    directory: Annotated[str, AfterValidator(values.check_server_directory)] | None = Field(
        None,
        description="Absolute path of the rendered directory (compose.yaml) on the server (default: /srv/<project>); the "
        "scheduler's systemd units run `docker compose` on the compose.yaml there.",
        json_schema_extra={"pattern": values.SERVER_DIRECTORY_PATTERN, "maxLength": 1024},
    )
    secrets_dir: RelativeOrAbsolutePath = Field(
        "./secrets", description="Directory holding the secret files (secrets_source: file), relative to compose.yaml."
    )
