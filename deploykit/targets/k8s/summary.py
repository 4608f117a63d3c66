"""What the rendered Kubernetes objects do, for `explain` (read from the objects, so it cannot drift)."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from deploykit.summary import Background, Probe, Restarts, Route, Runtime, Steps, Summary, Workload, route_notes
from deploykit.targets.k8s.workload import launch

if TYPE_CHECKING:
    from deploykit.spec.model import Profile


def summarize(profile: Profile, objects: list[dict]) -> Summary:
    """The Summary of the objects `build_objects` returned for `profile`."""
    by_kind: dict[str, list[dict]] = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], []).append(obj)
    deployment = by_kind["Deployment"][0]
    pod = deployment["spec"]["template"]["spec"]
    app = pod["containers"][0]
    autoscaler = by_kind.get("HorizontalPodAutoscaler", [None])[0]
    startup, liveness = app.get("startupProbe"), app.get("livenessProbe")
    if autoscaler is not None:
        units, max_units = autoscaler["spec"]["minReplicas"], autoscaler["spec"]["maxReplicas"]
    else:
        units, max_units = deployment["spec"]["replicas"], None
    empty_dirs = {volume["name"] for volume in pod["volumes"] if "emptyDir" in volume}
    web = Workload(
        name=app["name"],
        # The argv the container runs (the object writes it with `$` doubled for Kubernetes' expansion).
        command=() if profile.command is None else (*profile.command, *profile.web_server.arguments(launch(profile))),
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
        check_path=_checked(app.get("readinessProbe")),
        container_check=None,
        start_budget_seconds=None if startup is None else startup["periodSeconds"] * startup["failureThreshold"],
        liveness=None
        if liveness is None
        else Probe(_checked(liveness), liveness["periodSeconds"], liveness["failureThreshold"]),
        drain_seconds=_pre_stop_seconds(app),
        runtime=Runtime(
            user=None if "runAsUser" not in app["securityContext"] else str(app["securityContext"]["runAsUser"]),
            read_only_root=app["securityContext"]["readOnlyRootFilesystem"],
            writable=tuple(mount["mountPath"] for mount in app["volumeMounts"] if mount["name"] in empty_dirs),
            writable_kind="emptyDir",
            non_root_enforced=app["securityContext"]["runAsNonRoot"],
            persistent=_persistent(pod, app, deployment),
        ),
    )
    jobs = by_kind.get("Job", [])
    if jobs:
        steps = Steps(tuple(job["metadata"]["name"] for job in jobs), "Jobs", "release")
    else:
        steps = Steps(tuple(container["name"] for container in pod.get("initContainers", [])), "init containers", "pod")
    service_object = by_kind["Service"][0]
    service = service_object["metadata"]["name"]
    published = None
    if service_object["spec"]["type"] != "ClusterIP":
        http = service_object["spec"]["ports"][0]
        where = f"node port {http['nodePort']}" if "nodePort" in http else f"port {http['port']}"
        published = f"the {service_object['spec']['type']} Service {service} ({where})"
    route = (
        _gateway_route(profile, by_kind)
        if "HTTPRoute" in by_kind
        else _ingress_route(profile, by_kind.get("Ingress", []))
    )
    return Summary(
        "k8s",
        route,
        f"Service {service}",
        web,
        steps,
        trusted_proxies=launch(profile).trusted_proxies,
        background=_background(objects),
        published=published,
    )


def _background(objects: list[dict]) -> tuple[Background, ...]:
    """The processes' Deployments and the CronJobs, from the objects."""
    found = []
    for obj in objects:
        component = obj["metadata"]["labels"].get("app.kubernetes.io/component")
        if obj["kind"] == "Deployment" and component != "server":
            container = obj["spec"]["template"]["spec"]["containers"][0]
            memory = container["resources"]["limits"]["memory"]
            found.append(
                Background(container["name"], tuple(container["args"]), obj["spec"]["replicas"], "pod", memory)
            )
        elif obj["kind"] == "CronJob":
            spec = obj["spec"]
            container = spec["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
            memory = container["resources"]["limits"]["memory"]
            found.append(
                Background(
                    container["name"],
                    tuple(container["args"]),
                    1,
                    "run",
                    memory,
                    spec["schedule"],
                    spec["timeZone"],
                    "a CronJob",
                )
            )
    return tuple(sorted(found, key=lambda item: item.name))


def _pre_stop_seconds(container: dict) -> int | None:
    pre_stop = container.get("lifecycle", {}).get("preStop")
    if pre_stop is None:
        return None
    if "sleep" in pre_stop:
        return int(pre_stop["sleep"]["seconds"])
    return int(pre_stop["exec"]["command"][-1])  # ["sleep", "N"]


def _issuer(obj: dict) -> str | None:
    return obj["metadata"].get("annotations", {}).get("cert-manager.io/cluster-issuer")


def _paths(rule: dict) -> str:
    """A rule's host, with its path when that is not `/`."""
    path = rule["http"]["paths"][0]["path"]  # the prefix itself, or `/`
    return rule["host"] + ("" if path == "/" else path)


def _ingress_route(profile: Profile, ingresses: list[dict]) -> Route | None:
    if not ingresses:
        return None
    entry_points = "traefik.ingress.kubernetes.io/router.entrypoints"
    ingress = ingresses[0]
    # The Ingresses that redirect plain HTTP (Traefik's `web` entry point); the others serve, or move hosts.
    redirects = [each for each in ingresses[1:] if each["metadata"].get("annotations", {}).get(entry_points) == "web"]
    spec = ingress["spec"]
    tls = spec.get("tls")
    issuer = _issuer(ingress)
    certificates = None
    if tls:
        certificates = f"cert-manager ClusterIssuer {issuer}" if issuer else "provided by you"
    return Route(
        router=f"Ingress {ingress['metadata']['name']} (class {spec['ingressClassName']})",
        rule=", ".join(_paths(rule) for rule in spec["rules"]),
        entrypoint=None,
        certificates=certificates,
        redirects_http=bool(redirects),
        tls_secret=tls[0]["secretName"] if tls else None,
        redirected_by=f"Ingress {redirects[0]['metadata']['name']}" if redirects else None,
        notes=route_notes(profile.proxy) if profile.proxy is not None else (),
    )


def _gateway_route(profile: Profile, by_kind: dict[str, list[dict]]) -> Route:
    app_route, *others = by_kind["HTTPRoute"]
    # The routes that redirect plain HTTP to https; the others move hosts (proxy.redirects).
    redirects = [
        route
        for route in others
        if route["spec"]["rules"][0]["filters"][0].get("requestRedirect", {}).get("scheme") == "https"
    ]
    spec = app_route["spec"]
    parent = spec["parentRefs"][0]
    listener_sets = by_kind.get("ListenerSet", [])
    if listener_sets:
        listener_set = listener_sets[0]
        gateway = listener_set["spec"]["parentRef"]
        via = (
            f"ListenerSet {listener_set['metadata']['name']} (listener {parent['sectionName']}) "
            f"on Gateway {gateway['namespace']}/{gateway['name']}"
        )
        issuer = _issuer(listener_set)
        certificates: str | None = f"cert-manager ClusterIssuer {issuer}" if issuer else "provided by you"
        tls_secret = listener_set["spec"]["listeners"][0]["tls"]["certificateRefs"][0]["name"]
    else:
        listener = f" (listener {parent['sectionName']})" if "sectionName" in parent else ""
        via = f"Gateway {parent['namespace']}/{parent['name']}{listener}"
        # The headers filter sets HSTS only when the route serves HTTPS.
        headers = spec["rules"][0]["filters"][0]["responseHeaderModifier"]["set"]
        serves_tls = any(header["name"] == "Strict-Transport-Security" for header in headers)
        certificates = "the certificate the platform gave that listener" if serves_tls else None
        tls_secret = None
    return Route(
        router=f"HTTPRoute {app_route['metadata']['name']}",
        rule=", ".join(spec["hostnames"])
        + ("" if (path := spec["rules"][0]["matches"][0]["path"]["value"]) == "/" else f" under {path}"),
        entrypoint=None,
        certificates=certificates,
        redirects_http=bool(redirects),
        tls_secret=tls_secret,
        redirected_by=f"HTTPRoute {redirects[0]['metadata']['name']}" if redirects else None,
        via=via,
        notes=route_notes(profile.proxy) if profile.proxy is not None else (),
    )


def _checked(probe: dict | None) -> str:
    """What a probe checks: its HTTP path, the TCP port, or the command; `no probe` without one."""
    if probe is None:
        return "no probe"
    if "httpGet" in probe:
        return probe["httpGet"]["path"]
    if "tcpSocket" in probe:
        return f"a TCP connection to port {probe['tcpSocket']['port']}"
    return "`" + shlex.join(probe["exec"]["command"]) + "`"


def _persistent(pod: dict, app: dict, deployment: dict) -> str | None:
    """The claims the app mounts, and the update strategy they imply."""
    claims = {
        volume["name"]: volume["persistentVolumeClaim"]["claimName"]
        for volume in pod["volumes"]
        if "persistentVolumeClaim" in volume
    }
    mounted = [
        f"{mount['mountPath']} (PersistentVolumeClaim {claims[mount['name']]})"
        for mount in app["volumeMounts"]
        if mount["name"] in claims
    ]
    if not mounted:
        return None
    strategy = deployment["spec"]["strategy"]["type"]
    return (
        f"{', '.join(mounted)}, ReadWriteOnce: one pod, updated with {strategy} (the volume attaches to "
        "one node, so the old pod stops before the new one starts)"
    )
