"""The optional Traefik system job (`nomad.proxy: job`): one Traefik per node, fed by its Nomad provider.

What Traefik does is decided in deploykit/traefik.py; this module formats it as a Nomad job. Traefik
listens on unprivileged ports inside its container (8080, 8443) and Nomad maps the nodes' 80 and 443
onto them, so it runs as a non-root user with every capability dropped. ACME state lives on a Nomad
host volume `traefik-acme` the operator declares on the nodes; provided certificates are bind-mounted
read-only from the nodes' paths (the docker plugin needs `volumes.enabled = true`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploykit import traefik
from deploykit.targets.nomad.check import TRAEFIK_JOB
from deploykit.targets.nomad.job import PIDS_LIMIT, PROXY_TMP_BYTES
from deploykit.yamldump import dump

if TYPE_CHECKING:
    from deploykit.spec.model import Profile

# Traefik runs unprivileged: it listens on high ports inside the container (traefik.CONTAINER_PORTS).
TRAEFIK_USER = "10001:10001"
FILE_NAME = "traefik.nomad.hcl"
ACME_VOLUME = "traefik-acme"
DYNAMIC_CONFIG = "local/dynamic.yaml"
CERT_FILE = "/certs/tls.crt"
KEY_FILE = "/certs/tls.key"
HOST_PORTS = {traefik.WEB: 80, traefik.WEBSECURE: 443}
# A system job is never rescheduled: with `mode = "fail"` three crashes would leave the node without
# ingress for good, so Traefik keeps being restarted, every `delay`, after its attempts are used up.
RESTART = {"attempts": 3, "interval": "5m", "delay": "15s", "mode": "delay"}
# One Traefik per node; MHz and MB as Nomad counts them.
RESOURCES = {"cpu": 500, "memory": 256}


def static_args(profile: Profile) -> list[str]:
    """Traefik's static configuration as command-line flags (a bad key makes Traefik exit at start)."""
    options = profile.nomad
    proxy = profile.proxy
    acme = None
    if proxy is not None and proxy.tls == "acme":
        # TLS-ALPN on 443: the nodes' port 80 may be taken by the redirect on every node alike.
        acme = traefik.Acme(options.cert_resolver, proxy.email, "tls-alpn", options.traefik.acme_staging)
    provider_settings: list[traefik.Setting] = [("endpoint.address", options.traefik.nomad_address)]
    if options.namespace is not None:
        provider_settings.append(("namespaces", options.namespace))
    config = traefik.StaticConfiguration(
        provider="nomad",
        provider_settings=tuple(provider_settings),
        redirect_port=HOST_PORTS[traefik.WEBSECURE],
        dynamic_file=f"/{DYNAMIC_CONFIG}",
        acme=acme,
        idle_seconds=profile.web_server.proxy_idle_seconds,
    )
    return traefik.flags(traefik.static_settings(profile, config))


def build_traefik_job(profile: Profile) -> dict:
    """The values of `traefik.nomad.hcl.j2`."""
    options = profile.nomad
    proxy = profile.proxy
    tls = proxy.tls if proxy is not None else "none"
    entrypoints = [traefik.WEB] if tls == "none" else [traefik.WEB, traefik.WEBSECURE]
    certificate = proxy.certificate if proxy is not None and tls == "provided" else None
    return {
        "name": TRAEFIK_JOB,
        "datacenters": list(options.datacenters),
        "namespace": options.namespace,
        "region": options.region,
        "node_pool": options.node_pool,
        "ports": [
            {"label": name, "static": HOST_PORTS[name], "to": traefik.CONTAINER_PORTS[name]} for name in entrypoints
        ],
        "restart": RESTART,
        "acme_volume": ACME_VOLUME if tls == "acme" else None,
        "acme_dir": traefik.ACME_DIR,
        "image": options.traefik.image,
        "args": static_args(profile),
        "bind_mounts": []
        if certificate is None
        else [
            {"source": certificate.cert_file, "target": CERT_FILE},
            {"source": certificate.key_file, "target": KEY_FILE},
        ],
        "dynamic_config": dump(traefik.dynamic_configuration(profile, CERT_FILE, KEY_FILE)),
        "dynamic_config_destination": DYNAMIC_CONFIG,
        "user": TRAEFIK_USER,
        "pids_limit": PIDS_LIMIT,
        "tmp_size": PROXY_TMP_BYTES,
        "kill_timeout": f"{profile.shutdown_seconds}s",
        "resources": RESOURCES,
    }
