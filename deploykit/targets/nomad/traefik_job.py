"""The optional Traefik system job (`nomad.proxy: job`): one Traefik per node, fed by its Nomad provider.

Traefik listens on unprivileged ports inside its container (8080, 8443) and Nomad maps the nodes'
80 and 443 onto them, so it runs as a non-root user with every capability dropped. ACME state lives
on a Nomad host volume `traefik-acme` the operator declares on the nodes; provided certificates are
bind-mounted read-only from the nodes' paths (the docker plugin needs `volumes.enabled = true`).
"""

from __future__ import annotations

from deploykit.errors import DeployKitError
from deploykit.spec.model import Profile
from deploykit.targets.nomad.job import PIDS_LIMIT, RESTART, TMP_SIZE_BYTES
from deploykit.targets.nomad.traefik_tags import WEB, WEBSECURE
from deploykit.yamldump import dump

JOB_NAME = "traefik"
# Traefik runs unprivileged: it listens on high ports inside the container (see CONTAINER_PORTS).
TRAEFIK_USER = "10001:10001"
FILE_NAME = "traefik.nomad.hcl"
ACME_VOLUME = "traefik-acme"
ACME_DIR = "/letsencrypt"
DYNAMIC_CONFIG = "local/dynamic.yaml"
CERT_FILE = "/certs/tls.crt"
KEY_FILE = "/certs/tls.key"
CONTAINER_PORTS = {WEB: 8080, WEBSECURE: 8443}
HOST_PORTS = {WEB: 80, WEBSECURE: 443}
STAGING_CA = "https://acme-staging-v02.api.letsencrypt.org/directory"
# One Traefik per node; MHz and MB as Nomad counts them.
RESOURCES = {"cpu": 500, "memory": 256}


def dynamic_config(profile: Profile) -> str:
    """Traefik's file-provider config: TLS 1.2 at least, and the provided certificate if any."""
    tls: dict = {"options": {"default": {"minVersion": "VersionTLS12"}}}
    if profile.proxy is not None and profile.proxy.tls == "provided":
        tls["certificates"] = [{"certFile": CERT_FILE, "keyFile": KEY_FILE}]
    return dump({"tls": tls})


def static_args(profile: Profile) -> list[str]:
    """Traefik's static configuration as command-line flags (a bad key makes Traefik exit at start)."""
    options = profile.nomad
    tls = profile.proxy.tls if profile.proxy is not None else "none"
    args = [
        "--global.checkNewVersion=false",
        "--global.sendAnonymousUsage=false",
        f"--entrypoints.{WEB}.address=:{CONTAINER_PORTS[WEB]}",
        "--providers.nomad=true",
        # Otherwise every Nomad service, databases included, would get a public router (gotcha 7).
        "--providers.nomad.exposedByDefault=false",
        f"--providers.nomad.endpoint.address={options.traefik.nomad_address}",
        f"--providers.file.filename=/{DYNAMIC_CONFIG}",
    ]
    if options.namespace is not None:
        args.append(f"--providers.nomad.namespaces={options.namespace}")
    if tls != "none":
        args += [
            f"--entrypoints.{WEBSECURE}.address=:{CONTAINER_PORTS[WEBSECURE]}",
            # The port Traefik redirects to is the node's, not the container's.
            f"--entrypoints.{WEB}.http.redirections.entrypoint.to=:{HOST_PORTS[WEBSECURE]}",
            f"--entrypoints.{WEB}.http.redirections.entrypoint.scheme=https",
            f"--entrypoints.{WEB}.http.redirections.entrypoint.permanent=true",
        ]
    if tls == "acme":
        resolver = f"--certificatesresolvers.{options.cert_resolver}.acme"
        args += [
            f"{resolver}.email={profile.proxy.email}",
            f"{resolver}.storage={ACME_DIR}/acme.json",
            f"{resolver}.tlschallenge=true",
        ]
        if options.traefik.acme_staging:
            args.append(f"{resolver}.caserver={STAGING_CA}")
    return args


def build_traefik_job(profile: Profile) -> dict:
    """The values of `traefik.nomad.hcl.j2`."""
    options = profile.nomad
    tls = profile.proxy.tls if profile.proxy is not None else "none"
    entrypoints = [WEB] if tls == "none" else [WEB, WEBSECURE]
    certificate = profile.proxy.certificate if tls == "provided" else None
    if tls == "provided" and certificate is None:
        raise DeployKitError("required with tls: provided and nomad.proxy: job: the certificate and key files Traefik serves", path=("proxy", "certificate"))
    if profile.app == JOB_NAME:
        raise DeployKitError(f"the app cannot be called {JOB_NAME!r} with nomad.proxy: job: the Traefik job has that name", path=("app",))
    return {
        "name": JOB_NAME,
        "datacenters": list(options.datacenters),
        "namespace": options.namespace,
        "region": options.region,
        "node_pool": options.node_pool,
        "ports": [{"label": name, "static": HOST_PORTS[name], "to": CONTAINER_PORTS[name]} for name in entrypoints],
        "restart": RESTART,
        "acme_volume": ACME_VOLUME if tls == "acme" else None,
        "acme_dir": ACME_DIR,
        "image": options.traefik.image,
        "args": static_args(profile),
        "bind_mounts": [] if certificate is None else [
            {"source": certificate.cert_file, "target": CERT_FILE},
            {"source": certificate.key_file, "target": KEY_FILE},
        ],
        "dynamic_config": dynamic_config(profile),
        "dynamic_config_destination": DYNAMIC_CONFIG,
        "user": TRAEFIK_USER,
        "pids_limit": PIDS_LIMIT,
        "tmp_size": TMP_SIZE_BYTES,
        "kill_timeout": f"{profile.shutdown_seconds}s",
        "resources": RESOURCES,
    }
