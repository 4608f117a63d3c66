"""The `quadlet:` block of a profile (Podman Quadlet units on one server)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from deploykit.spec import names, values
from deploykit.spec.base import DnsLabel, ImageReference, SpecModel

HostPort = Annotated[int, Field(ge=1, le=65535)]

# Not the Compose target's default: a server may run both while moving from one to the other.
DEFAULT_QUADLET_SUBNET = "172.31.250.0/24"


class QuadletOptions(SpecModel):
    """Podman Quadlet-only settings: systemd units that run the app's containers on one server."""

    podman_version: Annotated[str, AfterValidator(values.check_podman_version)] = Field(
        values.DEFAULT_PODMAN_VERSION,
        description="Oldest Podman minor version the units must run on (e.g. \"5.4\", Debian 13's and RHEL 10's). "
        "Quadlet keys added later are left out and said another way: Memory= (5.5; before it, PodmanArgs=--memory).",
    )
    volumes: Annotated[
        dict[DnsLabel, Annotated[str, AfterValidator(values.check_absolute_mount_path)]], Field(max_length=16)
    ] = Field(
        {},
        description="Named volumes (name: mount path) for state on the one server, e.g. {data: /data} for SQLite or "
        "uploads: a `.volume` unit each (Podman volume <app>-<name>), mounted read-write into the app, its prestart "
        "steps, processes and jobs. List the path in build.data_dirs so the app's account owns it.",
    )
    subnet: Annotated[str, AfterValidator(values.check_subnet)] = Field(
        DEFAULT_QUADLET_SUBNET,
        description="Pinned IPv4 subnet of the network Traefik and the app's containers share. Traefik gets its "
        "second address, the only one whose X-Forwarded-* headers the app trusts. Pick a range no other network on "
        "the server uses.",
    )
    http_port: HostPort = Field(
        80, description="Host port published for plain HTTP (redirects to HTTPS unless proxy.tls is none)."
    )
    https_port: HostPort = Field(443, description="Host port published for HTTPS.")
    bind_address: Annotated[str, AfterValidator(names.check_ip_address)] | None = Field(
        None,
        description="Host address Traefik's ports are published on (default: every interface; 127.0.0.1: this host only).",
        json_schema_extra={"pattern": names.IP_ADDRESS_PATTERN},
    )
    traefik_image: ImageReference = Field(
        "docker.io/library/traefik:v3.7.15",
        description="Traefik image, pinned: 3.7.12 or later (the static configuration sets the entry points' "
        "aliasHeadersStrategy). Fully qualified: Podman refuses short names without a registries.conf alias.",
    )
    install_dir: Annotated[str, AfterValidator(values.check_absolute_mount_path)] | None = Field(
        None,
        description="Directory the units are installed in, where each app replica's ExecStop and ExecStartPost "
        "take it out of and put it back into traefik/routes.yaml (the drain). Default: %E/containers/systemd, "
        "which systemd reads as /etc/containers/systemd for root and ~/.config/containers/systemd for a user.",
    )
    acme_staging: bool = Field(
        False,
        description="Use Let's Encrypt's staging CA (untrusted certificates, generous rate limits) with proxy.tls: acme.",
    )
    acme_challenge: Literal["tls-alpn", "http"] = Field(
        "tls-alpn", description="ACME challenge: tls-alpn (TLS-ALPN-01 on port 443) or http (HTTP-01 on port 80)."
    )
    auto_update: Literal["none", "registry"] = Field(
        "none",
        description="none: the units run exactly the images the profile names. registry: `AutoUpdate=registry`, "
        "so `podman auto-update` pulls a newer image published under the same tag and restarts the units; "
        "refused with an image pinned by digest or by a full version tag (1.4.2), which never changes.",
    )
