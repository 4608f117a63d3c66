"""The profiles `deploykit init` writes for a new app: a base and one profile per environment."""

from __future__ import annotations

from deploykit.rendering import RenderedFile
from deploykit.yamldump import dump

SCHEMA_FILE = "deploykit.schema.json"


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
        "health": {"path": "/healthz"},
        "prestart": [],
        "env": {"LOG_LEVEL": "info"},
        "secrets": {},
    }
    environments = {
        "dev": {"extends": "base.yaml", "environment": "dev", "replicas": 1, "proxy": {"host": f"{app}.localhost", "tls": "none"}},
        "staging": {
            "extends": "base.yaml",
            "environment": "staging",
            "replicas": 2,
            "proxy": {"host": f"{app}.staging.{domain}", "tls": "acme", "email": email},
            "k8s": {"namespace": f"{app}-staging", "cluster_issuer": "letsencrypt-staging"},
        },
        "prod": {
            "extends": "base.yaml",
            "environment": "prod",
            "replicas": 3,
            "proxy": {"host": f"{app}.{domain}", "tls": "acme", "email": email},
            "k8s": {"namespace": app, "cluster_issuer": "letsencrypt-prod"},
        },
    }
    files = [RenderedFile("base.yaml", header + "# Shared by every environment; each environment's profile extends it.\n" + dump(base))]
    files += [RenderedFile(f"{name}.yaml", header + dump(data)) for name, data in environments.items()]
    return tuple(files)
