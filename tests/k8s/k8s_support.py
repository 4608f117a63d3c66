"""Rendering profiles for the Kubernetes tests through the pipeline, in memory and on disk."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from helpers import BUNDLED_ENVIRONMENTS, REPO, bundled, load_data
from ruamel.yaml import YAML

from deploykit import output, pipeline
from deploykit.loading.validation import LoadedProfile
from deploykit.rendering import Rendering
from deploykit.report import Finding

BUNDLED = BUNDLED_ENVIRONMENTS
# The oldest version k8s.version accepts and the newest kubernetes-validate knows.
KUBERNETES_VERSIONS = ("1.29", "1.37")
# The kinds Kubernetes itself serves (kubernetes-validate has their schemas); the rest are custom resources.
BUILTIN_API_GROUPS = (
    "v1",
    "apps/v1",
    "batch/v1",
    "policy/v1",
    "autoscaling/v2",
    "networking.k8s.io/v1",
    "rbac.authorization.k8s.io/v1",
)
# The bundled prod profile routes through Gateway API; this is the same profile behind an Ingress.
INGRESS_ROUTING = {"routing": "ingress", "gateway": None, "ingress_class": "traefik"}
Source = LoadedProfile | dict[str, Any]

__all__ = ["BUNDLED", "INGRESS_ROUTING", "KUBERNETES_VERSIONS", "REPO", "bundled"]


# An image deploykit did not build, run as it is: its own command and user, directories it writes.
IMAGE_AS_IS: dict[str, Any] = {
    "command": None,
    "run_as": "image",
    "writable_paths": ["/var/cache/app", "/var/run/app"],
    "read_only_root": False,
    "proxy": {"host": "api.example.com", "tls": "acme"},
    "health": {"check": "command", "command": ["/usr/local/bin/healthcheck", "--ready"]},
    # Persistent data: one pod (replicas 1) with a ReadWriteOnce claim, updated with Recreate.
    "replicas": 1,
    "volumes": {"data": {"path": "/var/lib/app", "size": "5Gi"}},
}


def variant(environment: str, **changes: Any) -> dict[str, Any]:
    """A bundled profile's data with top-level fields replaced (mappings merged one level deep)."""
    data = copy.deepcopy(bundled(environment).source.data)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def builtin(objects: list[dict]) -> list[dict]:
    """The objects of kinds Kubernetes serves itself."""
    return [obj for obj in objects if obj["apiVersion"] in BUILTIN_API_GROUPS]


def custom(objects: list[dict]) -> list[dict]:
    """The custom resources (Gateway API, Traefik)."""
    return [obj for obj in objects if obj["apiVersion"] not in BUILTIN_API_GROUPS]


def _output(source: Source) -> pipeline.TargetOutput:
    loaded = source if isinstance(source, LoadedProfile) else load_data(source)
    return pipeline.render(loaded, "k8s")


def objects_of(source: Source) -> tuple[list[dict], list[Finding]]:
    """The objects and every warning (those the profile accepts included) of a loaded profile or of profile data."""
    result = _output(source)
    return list(result.rendering.objects), [*result.findings, *result.accepted]


def rendering_of(source: Source) -> Rendering:
    return _output(source).rendering


def find(objects: list[dict], kind: str) -> list[dict]:
    return [obj for obj in objects if obj["kind"] == kind]


def only(objects: list[dict], kind: str) -> dict:
    found = find(objects, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def pod_spec(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


# More host names, one redirected, under a stripped prefix: every routing object they add.
HOST_NAMES = {
    "aliases": ["www.api.example.com"],
    "redirects": ["old-api.example.com"],
    "path_prefix": "/v1",
    "strip_prefix": True,
}


def feature_rich(routing: str, version: str) -> dict[str, Any]:
    """Everything optional switched on, so objects the bundled profiles never produce are checked too.

    `routing` is ingress (traefik class, provided certificate, prestart Jobs) or gateway (ListenerSet
    with a cert-manager certificate, init containers); the output is rendered for Kubernetes `version`.
    """
    common: dict[str, Any] = {
        "prestart": [
            {"name": "migrate", "command": ["python", "-m", "app.migrate"]},
            {
                "name": "seed",
                "command": ["python", "seed.py", "$(HOME)"],
                "image": "registry.example.com/acme/seeder@sha256:" + "b" * 64,
            },
        ],
        "ports": [{"name": "metrics", "port": 9090}],
        "labels": {"example.com/team": "items"},
        "annotations": {"example.com/owner": "ops@example.com"},
        "tmp_size": "2Gi",
        "network": {
            "callers": [{"namespace": "storefront", "pod_labels": {"app.kubernetes.io/name": "web"}}],
            "egress": [
                {"cidr": "10.20.0.0/16", "ports": [5432]},
                {"namespace": "cache", "pod_labels": {"app.kubernetes.io/name": "redis"}, "ports": [6379]},
            ],
        },
    }
    k8s: dict[str, Any] = {
        "namespace": "items",
        "version": version,
        "image_pull_secrets": ["registry-creds"],
        "autoscaling": {"min_replicas": 2, "max_replicas": 6, "cpu_utilization": 60},
        "pod_annotations": {"example.com/scrape": "true"},
        "network_policy": {"extra_ports_from": ["monitoring"]},
        # hostUsers is GA from 1.36 only (check.py refuses it before).
        "user_namespace": tuple(map(int, version.split("."))) >= (1, 36),
    }
    if routing == "ingress":
        return variant(
            "prod",
            proxy={"host": "api.example.com", "tls": "provided", "email": None, **HOST_NAMES},
            k8s={
                **k8s,
                **INGRESS_ROUTING,
                "cluster_issuer": None,
                "tls_secret": "items-api-cert",
                "ingress_annotations": {"example.com/waf": "on"},
                "prestart": "job",
            },
            secrets={
                "DATABASE_URL": {"secret": "items-db", "key": "url"},
                "DATABASE_REPLICA_URL": {"secret": "items-db", "key": "replica.url"},
                "API_TOKEN": {"secret": "items-api", "key": "token"},
            },
            secrets_as="file",
            **common,
        )
    return variant(
        "prod",
        proxy={**bundled("prod").source.data["proxy"], **HOST_NAMES},
        k8s={**k8s, "gateway": {"name": "platform", "namespace": "gateway-system", "listener_set": True}},
        **common,
    )


def rendered_cases(version: str) -> dict[str, list[dict]]:
    """The objects of every bundled profile and both feature-rich ones, rendered for Kubernetes `version`."""
    sources: dict[str, Source] = {
        environment: variant(environment, k8s={"version": version}) for environment in BUNDLED
    }
    sources |= {f"feature-rich-{routing}": feature_rich(routing, version) for routing in ("ingress", "gateway")}
    sources["image-as-is"] = variant("prod", k8s={"version": version}, **IMAGE_AS_IS)
    sources["published"] = variant("prod", k8s={"version": version}, proxy=None, publish={"port": 8080})
    sources["published-node-port"] = variant(
        "prod", k8s={"version": version}, proxy=None, publish={"port": 30080, "kubernetes": "NodePort"}
    )
    sources["parked"] = variant("dev", k8s={"version": version}, replicas=0)  # replicas: 0, no pods
    return {name: objects_of(source)[0] for name, source in sources.items()}


def write_rendering(source: Source, directory: Path) -> Path:
    """Write the rendering the way `render k8s -o DIR` does."""
    output.write_directory(directory, rendering_of(source).files)
    return directory


def parse_stream(text: str) -> list[Any]:
    return list(YAML(typ="safe", pure=True).load_all(text))
