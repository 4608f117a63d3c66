"""The profiles `deploykit init` writes for a new app: a base and one profile per environment."""

from __future__ import annotations

from deploykit.rendering import RenderedFile
from deploykit.yamldump import dump

SCHEMA_FILE = "deploykit.schema.json"
# A placeholder the team must narrow: the app trusts X-Forwarded-* headers from these addresses on Nomad.
TRAEFIK_NODES = "10.0.0.0/8"
# Placeholders for the Gateway the platform runs (`kubectl get gateways -A` shows it). New projects
# route through Gateway API: the Ingress API is frozen and ingress-nginx no longer gets fixes.
GATEWAY = {"name": "platform", "namespace": "gateway-system"}


def scaffold_profiles(app: str, image: str, domain: str, email: str, schema_path: str) -> tuple[RenderedFile, ...]:
    """base.yaml, dev.yaml, staging.yaml and prod.yaml for `app`, each pointing editors at the schema."""
    header = f"# yaml-language-server: $schema={schema_path}\n"
    base = {
        "app": app,
        "image": image,
        "command": ["fastapi", "run", "app/main.py"],
        "port": 8000,
        "memory": "256Mi",
        "cpu": "250m",
        "health": {"path": "/healthz", "readiness_path": "/readyz"},
        "prestart": [],
        "env": {"LOG_LEVEL": "info"},
        "secrets": {},
        "k8s": {"routing": "gateway", "gateway": GATEWAY},
        "accept_warnings": ["proxy-keep-alive"],
    }
    environments = {
        "dev": {
            "extends": "base.yaml",
            "environment": "dev",
            "replicas": 1,
            # A developer's machine or cluster: one process, plain HTTP on <app>.localhost (the list replaces
            # base.yaml's, so it repeats proxy-keep-alive).
            "accept_warnings": ["plain-http", "proxy-keep-alive", "single-replica"],
            "proxy": {"host": f"{app}.localhost", "tls": "none"},
            "compose": {"bind_address": "127.0.0.1"},
            # A dev Nomad agent runs Traefik in Docker: it connects from Docker's bridge networks.
            "nomad": {"forwarded_allow_ips": "172.16.0.0/12", "proxy": "job"},
        },
        "staging": {
            "extends": "base.yaml",
            "environment": "staging",
            "replicas": 2,
            "proxy": {"host": f"{app}.staging.{domain}", "tls": "acme", "email": email},
            "compose": {"acme_staging": True},
            "k8s": {"namespace": f"{app}-staging"},
            "nomad": {"forwarded_allow_ips": TRAEFIK_NODES},
        },
        "prod": {
            "extends": "base.yaml",
            "environment": "prod",
            "replicas": 3,
            "proxy": {"host": f"{app}.{domain}", "tls": "acme", "email": email},
            "k8s": {"namespace": app},
            "nomad": {"forwarded_allow_ips": TRAEFIK_NODES},
        },
    }
    base_note = (
        "# Shared by every environment; each environment's profile extends it.\n"
        "# k8s.gateway: the Gateway your platform runs (kubectl get gateways -A); its HTTPS listener holds the\n"
        "# certificate. For a certificate of the app's own, set k8s.gateway.listener_set and k8s.cluster_issuer.\n"
        "# proxy-keep-alive: `fastapi run` keeps idle connections 5 s, and deploykit cannot lower the Gateway's\n"
        "# idle timeout to the pods: have the platform set it below 5 s (Traefik:\n"
        "# serversTransport.forwardingTimeouts.idleConnTimeout=4s), or run uvicorn or gunicorn, which deploykit\n"
        "# gives a longer keep-alive, and drop the warning from accept_warnings.\n"
    )
    files = [RenderedFile("base.yaml", header + base_note + dump(base))]
    note = "# nomad.forwarded_allow_ips: replace with the addresses of your Traefik nodes.\n"
    files += [
        RenderedFile(f"{name}.yaml", header + (note if name != "dev" else "") + dump(data))
        for name, data in environments.items()
    ]
    return tuple(files)
