"""Explaining rendered Kubernetes objects."""

from __future__ import annotations

from typing import Any

from deploykit.explain import count


def explain(objects: list[dict[str, Any]]) -> dict[str, str]:
    """One sentence per concept, read from the rendered Kubernetes objects, not from the profile."""
    by_kind: dict[str, list[dict]] = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], []).append(obj)
    deployment = by_kind["Deployment"][0]
    pod = deployment["spec"]["template"]["spec"]
    app = pod["containers"][0]
    autoscaler = by_kind.get("HorizontalPodAutoscaler", [None])[0]
    return {
        "https": _https(by_kind.get("Ingress", [None])[0], by_kind["Service"][0]),
        "startup": _startup(app),
        "restarts": _restarts(pod, app),
        "replication": _replication(deployment, app, autoscaler),
        "memory": _memory(deployment, app, autoscaler),
        "prestart": _prestart(pod, by_kind.get("Job", [])),
    }


def _https(ingress: dict | None, service: dict) -> str:
    if ingress is None:
        return f"no Ingress: reachable inside the cluster only, through Service {service['metadata']['name']}"
    spec = ingress["spec"]
    hosts = ", ".join(rule["host"] for rule in spec["rules"])
    tls = spec.get("tls")
    if not tls:
        return f"Ingress (class {spec['ingressClassName']}) for {hosts} over plain HTTP"
    issuer = ingress["metadata"].get("annotations", {}).get("cert-manager.io/cluster-issuer")
    source = f"issued by cert-manager ClusterIssuer {issuer}" if issuer else "provided by you"
    return f"Ingress (class {spec['ingressClassName']}) terminates TLS for {hosts} with Secret {tls[0]['secretName']}, {source}"


def _startup(app: dict) -> str:
    probe = app["startupProbe"]
    budget = probe["periodSeconds"] * probe["failureThreshold"]
    return f"the Deployment controller starts the pods; each may take {budget}s to answer {probe['httpGet']['path']}"


def _restarts(pod: dict, app: dict) -> str:
    probe = app["livenessProbe"]
    return (
        f"restartPolicy {pod['restartPolicy']}; the kubelet restarts a container that fails {probe['httpGet']['path']} "
        f"{probe['failureThreshold']} times {probe['periodSeconds']}s apart; {pod['terminationGracePeriodSeconds']}s to shut down"
    )


def _processes_per_pod(app: dict) -> int:
    args = app.get("args", [])
    return int(args[args.index("--workers") + 1]) if "--workers" in args else 1


def _replication(deployment: dict, app: dict, autoscaler: dict | None) -> str:
    per_pod = _processes_per_pod(app)
    if autoscaler is not None:
        spec = autoscaler["spec"]
        return f"{spec['minReplicas']}-{spec['maxReplicas']} pods (autoscaled on CPU) x {count(per_pod, 'process')}"
    return f"{count(deployment['spec']['replicas'], 'pod')} x {count(per_pod, 'process')}"


def _memory(deployment: dict, app: dict, autoscaler: dict | None) -> str:
    limit = app["resources"]["limits"]["memory"]
    pods = autoscaler["spec"]["maxReplicas"] if autoscaler is not None else deployment["spec"]["replicas"]
    return f"limit {limit} per pod (one process), request {app['resources']['requests']['memory']}; {count(pods, 'pod')} at most"


def _prestart(pod: dict, jobs: list[dict]) -> str:
    if jobs:
        names = ", ".join(job["metadata"]["name"] for job in jobs)
        return f"Jobs {names}, run once per release as Argo CD PreSync / Helm pre-upgrade hooks, in order"
    steps = [container["name"] for container in pod.get("initContainers", [])]
    if not steps:
        return "none"
    return f"init containers {', '.join(steps)} run in order in every pod before the app starts"
