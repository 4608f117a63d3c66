"""How traffic reaches the pods: Service, Ingress (with Traefik's Middlewares) and NetworkPolicy.

Gateway API routing (`routing: gateway`) lives in gateway.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploykit import traefik
from deploykit.targets.k8s.meta import HTTP_PORT_NAME, bounded_name, metadata, namespace, selector_labels
from deploykit.targets.k8s.release import gated

if TYPE_CHECKING:
    from deploykit.spec.model import Profile
    from deploykit.spec.network import Destination

SERVICE_PORT = 80
TRAEFIK_MIDDLEWARE_API = "traefik.io/v1alpha1"
# Gateway API implementations label the pods they deploy for a Gateway with its name (GEP-1762).
GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"


def _http_service_port(profile: Profile) -> dict:
    """The Service's HTTP port: SERVICE_PORT, or with `publish` the published port (LoadBalancer) or
    the node port (NodePort)."""
    publish = profile.publish
    port: dict = {"name": HTTP_PORT_NAME, "port": SERVICE_PORT, "targetPort": HTTP_PORT_NAME, "protocol": "TCP"}
    if publish is not None and publish.kubernetes == "LoadBalancer":
        port["port"] = publish.port
    elif publish is not None:
        port["nodePort"] = publish.port
    return port


def idle_transport(profile: Profile) -> bool:
    """Whether Traefik (the traefik IngressClass) must close idle connections to the app sooner than
    its default 90 s: when the server closes them sooner (`fastapi run`: uvicorn's 5 s; granian: 60 s),
    Traefik would send a request on a connection the server is closing (a 502), as on Compose and Nomad."""
    return _traefik_class(profile) and profile.web_server.proxy_idle_seconds < traefik.TRAEFIK_IDLE_SECONDS


def _transport_name(profile: Profile) -> str:
    return bounded_name(profile.app, "transport")


def build_traefik_servers_transport(profile: Profile) -> list[dict]:
    """The ServersTransport whose idle timeout stays below the server's keep-alive, named by the
    Service's `service.serverstransport` annotation (Traefik's Ingress provider reads it there)."""
    if not idle_transport(profile):
        return []
    return [
        {
            "apiVersion": TRAEFIK_MIDDLEWARE_API,
            "kind": "ServersTransport",
            "metadata": metadata(profile, _transport_name(profile)),
            "spec": {"forwardingTimeouts": {"idleConnTimeout": f"{profile.web_server.proxy_idle_seconds}s"}},
        }
    ]


def build_service(profile: Profile) -> dict:
    """A ClusterIP Service for the HTTP port and every extra port, each targeting the container port by name;
    with `publish`, a LoadBalancer or NodePort Service (the extra ports stay inside the cluster's reach
    only through the NetworkPolicy)."""
    annotations = None
    if idle_transport(profile):
        reference = _middleware_reference(profile, _transport_name(profile))
        annotations = {"traefik.ingress.kubernetes.io/service.serverstransport": reference}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(profile, profile.app, annotations=annotations),
        "spec": {
            "type": "ClusterIP" if profile.publish is None else profile.publish.kubernetes,
            "selector": selector_labels(profile),
            "ports": [_http_service_port(profile)]
            + [
                {"name": extra.name, "port": extra.port, "targetPort": extra.name, "protocol": "TCP"}
                for extra in profile.ports
            ],
        },
    }


def _routes_by_ingress(profile: Profile) -> bool:
    proxy = profile.proxy
    return profile.k8s.routing == "ingress" and proxy is not None and proxy.host is not None


def _traefik_class(profile: Profile) -> bool:
    return _routes_by_ingress(profile) and profile.k8s.ingress_class == "traefik"


def _headers_middleware(profile: Profile) -> str:
    return bounded_name(profile.app, "headers")


def _redirect_middleware(profile: Profile) -> str:
    return bounded_name(profile.app, "redirect")


def _strip_middleware(profile: Profile) -> str:
    return bounded_name(profile.app, "strip")


def _moved_middleware(profile: Profile) -> str:
    return bounded_name(profile.app, "moved")


def _middleware_reference(profile: Profile, *names: str) -> str:
    # How an Ingress or a Service names Middleware or ServersTransport objects of its namespace (Traefik's
    # kubernetescrd provider), in order.
    return ",".join(f"{namespace(profile)}-{name}@kubernetescrd" for name in names)


def _strips(profile: Profile) -> bool:
    proxy = profile.proxy
    return proxy is not None and proxy.path_prefix is not None and proxy.strip_prefix


def build_traefik_middlewares(profile: Profile) -> list[dict]:
    """With the traefik IngressClass: the security headers of every target (deploykit/traefik.py) and,
    with TLS, the permanent redirect to https, as Traefik Middleware objects the Ingresses name."""
    if not _traefik_class(profile):
        return []
    middlewares = [
        {
            "apiVersion": TRAEFIK_MIDDLEWARE_API,
            "kind": "Middleware",
            "metadata": metadata(profile, _headers_middleware(profile)),
            "spec": {"headers": traefik.security_headers(profile)},
        }
    ]
    if traefik.uses_tls(profile):
        middlewares.append(
            {
                "apiVersion": TRAEFIK_MIDDLEWARE_API,
                "kind": "Middleware",
                "metadata": metadata(profile, _redirect_middleware(profile)),
                "spec": {"redirectScheme": {"scheme": "https", "permanent": True}},
            }
        )
    proxy = profile.proxy
    assert proxy is not None and proxy.host is not None
    if _strips(profile):
        middlewares.append(
            {
                "apiVersion": TRAEFIK_MIDDLEWARE_API,
                "kind": "Middleware",
                "metadata": metadata(profile, _strip_middleware(profile)),
                "spec": {"stripPrefix": {"prefixes": [proxy.path_prefix]}},
            }
        )
    if proxy.redirects:
        middlewares.append(
            {
                "apiVersion": TRAEFIK_MIDDLEWARE_API,
                "kind": "Middleware",
                "metadata": metadata(profile, _moved_middleware(profile)),
                "spec": {
                    "redirectRegex": {
                        "regex": traefik.REDIRECT_REGEX,
                        "replacement": traefik.redirect_replacement(proxy.host),
                        "permanent": True,
                    }
                },
            }
        )
    return middlewares


def _ingress_paths(profile: Profile) -> list[tuple[str, str]]:
    """(path, pathType) of the paths an Ingress rule routes: all, or proxy.path_prefix and what lies below.

    An Ingress's Prefix is meant to match whole path elements (`/api` matches `/api/x`, not `/apix`:
    networking.k8s.io/v1 HTTPIngressPath), but Traefik's Ingress provider turns it into its string-prefix
    PathPrefix, which takes `/apix` too (tests/k8s/test_k8s_traefik_routes.py shows it). The prefix itself
    (Exact) and the prefix with a slash (Prefix, whose trailing slash the spec ignores) mean the same on every
    controller, and exactly that on Traefik."""
    proxy = profile.proxy
    if proxy is None or proxy.path_prefix is None:
        return [("/", "Prefix")]
    return [(proxy.path_prefix, "Exact"), (f"{proxy.path_prefix}/", "Prefix")]


def _ingress_rules(profile: Profile, hosts: list[str]) -> list[dict]:
    """One rule per host, for the paths under proxy.path_prefix (all without)."""

    def paths() -> list[dict]:  # new objects for each rule and path: none is shared
        return [
            {
                "path": path,
                "pathType": path_type,
                "backend": {"service": {"name": profile.app, "port": {"name": HTTP_PORT_NAME}}},
            }
            for path, path_type in _ingress_paths(profile)
        ]

    return [{"host": host, "http": {"paths": paths()}} for host in hosts]


def build_ingresses(profile: Profile) -> list[dict]:
    """The Ingress for `proxy.host` and, with the traefik class and TLS, the one that redirects plain HTTP.

    check.py ensures `k8s.cluster_issuer` with `tls: acme`. Traefik's Ingress provider makes a TLS
    router only from the router.tls annotation and serves it on the TLS entry point alone: without a
    second router on the `web` entry point, plain HTTP would get 404s instead of a redirect.
    """
    proxy = profile.proxy
    if not _routes_by_ingress(profile):
        return []
    assert proxy is not None and proxy.host is not None
    options = profile.k8s
    annotations: dict[str, str] = {}
    if proxy.tls == "acme" and options.cluster_issuer is not None:
        annotations["cert-manager.io/cluster-issuer"] = options.cluster_issuer
    if _traefik_class(profile):
        middlewares = [_headers_middleware(profile)] + ([_strip_middleware(profile)] if _strips(profile) else [])
        annotations["traefik.ingress.kubernetes.io/router.middlewares"] = _middleware_reference(profile, *middlewares)
        if proxy.tls != "none":
            annotations["traefik.ingress.kubernetes.io/router.entrypoints"] = traefik.WEBSECURE
            annotations["traefik.ingress.kubernetes.io/router.tls"] = "true"
    annotations |= options.ingress_annotations  # the user's settings win over deploykit's defaults
    spec: dict = {"ingressClassName": options.ingress_class}
    if proxy.tls != "none":
        # Every host name the Ingresses route, on the one certificate cert-manager issues into the Secret.
        spec["tls"] = [{"hosts": proxy.all_hosts, "secretName": options.tls_secret or f"{profile.app}-tls"}]
    spec["rules"] = _ingress_rules(profile, proxy.served_hosts)
    ingresses = [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": metadata(profile, profile.app, annotations=dict(sorted(annotations.items()))),
            "spec": spec,
        }
    ]
    if _traefik_class(profile) and proxy.tls != "none":
        redirect = {
            "traefik.ingress.kubernetes.io/router.entrypoints": traefik.WEB,
            "traefik.ingress.kubernetes.io/router.middlewares": _middleware_reference(
                profile, _redirect_middleware(profile)
            ),
        }
        ingresses.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": metadata(profile, bounded_name(profile.app, "redirect"), annotations=redirect),
                # The backend is never reached: the middleware answers first. An Ingress needs one.
                "spec": {"ingressClassName": options.ingress_class, "rules": _ingress_rules(profile, proxy.all_hosts)},
            }
        )
    if _traefik_class(profile) and proxy.redirects:
        # The redirected hosts: Traefik's redirectRegex Middleware answers them with a permanent redirect to
        # proxy.host (other classes: the k8s check refuses proxy.redirects).
        moved = {
            "traefik.ingress.kubernetes.io/router.middlewares": _middleware_reference(
                profile, _headers_middleware(profile), _moved_middleware(profile)
            )
        }
        moved_spec: dict = {"ingressClassName": options.ingress_class}
        if proxy.tls != "none":
            moved["traefik.ingress.kubernetes.io/router.entrypoints"] = traefik.WEBSECURE
            moved["traefik.ingress.kubernetes.io/router.tls"] = "true"
            # The same Secret as the app's Ingress: its certificate names these hosts too.
            moved_spec["tls"] = [{"hosts": proxy.redirects, "secretName": options.tls_secret or f"{profile.app}-tls"}]
        moved_spec["rules"] = _ingress_rules(profile, proxy.redirects)
        ingresses.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": metadata(
                    profile, bounded_name(profile.app, "moved"), annotations=dict(sorted(moved.items()))
                ),
                "spec": moved_spec,
            }
        )
    return ingresses


def _proxy_pods(profile: Profile) -> dict:
    """The NetworkPolicy peer of the pods that forward public traffic: the Gateway's data plane with
    `routing: gateway`, else the ingress controller."""
    gateway = profile.k8s.gateway
    if profile.k8s.routing == "gateway" and gateway is not None:
        pod_namespace = gateway.data_plane_namespace or gateway.namespace
        pod_labels = gateway.data_plane_pod_labels or {GATEWAY_NAME_LABEL: gateway.name}
    else:
        pod_namespace, pod_labels = ingress_controller(profile)
    return _pods(pod_namespace, pod_labels)


# The controller pods of the IngressClasses whose defaults are known: (namespace, pod labels).
KNOWN_INGRESS_CONTROLLERS: dict[str, tuple[str, dict[str, str]]] = {
    # Traefik's Helm chart: its pods carry app.kubernetes.io/name: traefik; installed in `traefik`.
    "traefik": ("traefik", {"app.kubernetes.io/name": "traefik"}),
    # ingress-nginx's chart (charts/ingress-nginx): IngressClass `nginx` (controller.ingressClassResource.name),
    # controller pods labelled with the chart's name and `app.kubernetes.io/component: controller`
    # (controller.name), in `ingress-nginx` as its deployment docs install it.
    "nginx": (
        "ingress-nginx",
        {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
    ),
}


def ingress_controller(profile: Profile) -> tuple[str, dict[str, str]]:
    """The namespace and pod labels of the ingress controller the NetworkPolicy admits: the ones given,
    else those of `ingress_class`'s controller when known (KNOWN_INGRESS_CONTROLLERS), else Traefik's
    (check.py warns: ingress-controller-unknown). Given a namespace alone, the known class's pod labels in
    it, or for another class every pod of it."""
    policy = profile.k8s.network_policy
    known = KNOWN_INGRESS_CONTROLLERS.get(profile.k8s.ingress_class)
    if policy.ingress_namespace is not None:
        default_labels = known[1] if known is not None else {}
        labels = policy.ingress_pod_labels if policy.ingress_pod_labels is not None else default_labels
        return policy.ingress_namespace, labels
    pod_namespace, labels = known or KNOWN_INGRESS_CONTROLLERS["traefik"]
    return pod_namespace, policy.ingress_pod_labels if policy.ingress_pod_labels is not None else labels


def _pods(pod_namespace: str | None, pod_labels: dict[str, str]) -> dict:
    """A NetworkPolicy peer: pods with `pod_labels` (all, without) in `pod_namespace` (the policy's own, without)."""
    peer: dict = {}
    if pod_namespace is not None:
        peer["namespaceSelector"] = {"matchLabels": {"kubernetes.io/metadata.name": pod_namespace}}
    peer["podSelector"] = {"matchLabels": dict(sorted(pod_labels.items()))} if pod_labels else {}
    return peer


def _callers(profile: Profile) -> list[dict]:
    """Who may call the HTTP port: the proxy's pods with a public host, and `network.callers`. An app
    without a host and without callers admits its own namespace: otherwise nothing could reach it."""
    callers = [
        _pods(caller.namespace, caller.pod_labels)
        for caller in profile.network.callers
        if caller.namespace or caller.pod_labels
    ]
    if profile.proxy is not None and profile.proxy.host is not None:
        return [_proxy_pods(profile), *callers]
    return callers or [_pods(None, {})]


def _destination(destination: Destination) -> dict:
    to = (
        {"ipBlock": {"cidr": destination.cidr}}
        if destination.cidr is not None
        else _pods(destination.namespace, destination.pod_labels)
    )
    ports = [{"protocol": protocol, "port": port} for port in destination.ports for protocol in destination.protocols]
    return {"to": [to], "ports": ports}


def build_network_policy(profile: Profile) -> dict | None:
    """Ingress only from the proxy's pods (ingress controller or Gateway data plane) and the declared
    callers; egress only to cluster DNS and the declared destinations. None with `network_policy: none`."""
    policy = profile.k8s.network_policy
    if not policy.enabled:
        return None
    # Cluster DNS: its pods (CoreDNS / kube-dns by default), and DNS servers outside any pod
    # (NodeLocal DNSCache, GKE Cloud DNS), which a pod selector cannot name.
    dns = [_pods(policy.dns_namespace, policy.dns_pod_labels)]
    dns += [{"ipBlock": {"cidr": cidr}} for cidr in policy.dns_cidrs]
    egress: list[dict] = [{"to": dns, "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]
    egress += [_destination(destination) for destination in [*profile.network.egress, *policy.egress]]
    if policy.api_server is not None and gated(profile):
        # The release gate's init containers read the release's Jobs from the API server (release.py).
        api = policy.api_server
        egress.append({"to": [{"ipBlock": {"cidr": api.cidr}}], "ports": [{"protocol": "TCP", "port": api.port}]})
    http = [{"protocol": "TCP", "port": HTTP_PORT_NAME}]
    # Published (a LoadBalancer or NodePort Service), the HTTP port takes traffic from anywhere: the
    # load balancer's and clients' addresses are not known here (a rule without `from` admits all).
    ingress: list[dict] = [
        {"ports": http} if profile.publish is not None else {"from": _callers(profile), "ports": http}
    ]
    if profile.ports:
        # Extra ports (metrics, admin) serve the platform, not the public: pods of the app's own
        # namespace and of the namespaces listed in extra_ports_from (e.g. monitoring).
        sources: list[dict] = [{"podSelector": {}}]
        sources += [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}
            for name in policy.extra_ports_from
        ]
        ingress.append({"from": sources, "ports": [{"protocol": "TCP", "port": extra.name} for extra in profile.ports]})
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(profile, profile.app),
        "spec": {
            # Empty selector-free policies are a classic mistake: select the app's pods (and Job pods, via name).
            "podSelector": {
                "matchLabels": {"app.kubernetes.io/name": profile.app, "app.kubernetes.io/instance": profile.app}
            },
            "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": egress,
        },
    }
