"""What the rendered Kubernetes objects do, for `explain` (read from the objects, so it cannot drift)."""

from __future__ import annotations

from deploykit.spec.model import Profile
from deploykit.summary import Probe, Restarts, Route, Steps, Summary, Workload
from deploykit.targets.k8s.workload import launch


def summarize(profile: Profile, objects: list[dict]) -> Summary:
    """The Summary of the objects `build_objects` returned for `profile`."""
    by_kind: dict[str, list[dict]] = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], []).append(obj)
    deployment = by_kind["Deployment"][0]
    pod = deployment["spec"]["template"]["spec"]
    app = pod["containers"][0]
    autoscaler = by_kind.get("HorizontalPodAutoscaler", [None])[0]
    startup, liveness = app["startupProbe"], app["livenessProbe"]
    if autoscaler is not None:
        units, max_units = autoscaler["spec"]["minReplicas"], autoscaler["spec"]["maxReplicas"]
    else:
        units, max_units = deployment["spec"]["replicas"], None
    web = Workload(
        name=app["name"],
        # The argv the container runs (the object writes it with `$` doubled for Kubernetes' expansion).
        command=(*profile.command, *profile.web_server.arguments(launch(profile))),
        server=profile.web_server.name,
        unit="pod",
        units=units,
        max_units=max_units,
        processes_per_unit=1,
        supervisor=profile.web_server.processes(1) > 1,
        supervisor_loads_app=profile.web_server.master_loads_app,
        memory_limit=app["resources"]["limits"]["memory"],
        memory_request=app["resources"]["requests"]["memory"],
        cpu=app["resources"]["limits"]["cpu"],
        restarts=Restarts(pod["restartPolicy"]),
        shutdown_seconds=pod["terminationGracePeriodSeconds"],
        check_path=app["readinessProbe"]["httpGet"]["path"],
        container_check=None,
        start_budget_seconds=startup["periodSeconds"] * startup["failureThreshold"],
        liveness=Probe(liveness["httpGet"]["path"], liveness["periodSeconds"], liveness["failureThreshold"]),
    )
    jobs = by_kind.get("Job", [])
    if jobs:
        steps = Steps(tuple(job["metadata"]["name"] for job in jobs), "Jobs", "release")
    else:
        steps = Steps(tuple(container["name"] for container in pod.get("initContainers", [])), "init containers", "pod")
    service = by_kind["Service"][0]["metadata"]["name"]
    return Summary("k8s", _route(by_kind.get("Ingress", [None])[0]), f"Service {service}", web, steps)


def _route(ingress: dict | None) -> Route | None:
    if ingress is None:
        return None
    spec = ingress["spec"]
    tls = spec.get("tls")
    issuer = ingress["metadata"].get("annotations", {}).get("cert-manager.io/cluster-issuer")
    certificates = None
    if tls:
        certificates = f"cert-manager ClusterIssuer {issuer}" if issuer else "provided by you"
    return Route(
        router=f"Ingress (class {spec['ingressClassName']})",
        rule=", ".join(rule["host"] for rule in spec["rules"]),
        entrypoint=None,
        certificates=certificates,
        redirects_http=False,
        tls_secret=tls[0]["secretName"] if tls else None,
    )
