"""How traffic reaches the pods: Service, Ingress and NetworkPolicy."""

from __future__ import annotations

from deploykit.spec.model import Profile
from deploykit.targets.k8s.meta import HTTP_PORT_NAME, metadata, selector_labels

SERVICE_PORT = 80


def build_service(profile: Profile) -> dict:
    """A ClusterIP Service for the HTTP port and every extra port, each targeting the container port by name."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(profile, profile.app),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(profile),
            "ports": [{"name": HTTP_PORT_NAME, "port": SERVICE_PORT, "targetPort": HTTP_PORT_NAME, "protocol": "TCP"}]
            + [
                {"name": extra.name, "port": extra.port, "targetPort": extra.name, "protocol": "TCP"}
                for extra in profile.ports
            ],
        },
    }


def build_ingress(profile: Profile) -> dict | None:
    """The Ingress for `proxy.host`, or None without one (check.py ensures `k8s.cluster_issuer` with `tls: acme`)."""
    proxy = profile.proxy
    if proxy is None or proxy.host is None:
        return None
    options = profile.k8s
    annotations: dict[str, str] = {}
    if proxy.tls == "acme" and options.cluster_issuer is not None:
        annotations["cert-manager.io/cluster-issuer"] = options.cluster_issuer
    if options.ingress_class == "traefik" and proxy.tls != "none":
        # Serve only on the TLS entrypoint; Traefik's own http->https redirect covers port 80.
        annotations["traefik.ingress.kubernetes.io/router.entrypoints"] = "websecure"
        annotations["traefik.ingress.kubernetes.io/router.tls"] = "true"
    annotations |= options.ingress_annotations  # the user's settings win over deploykit's defaults
    spec: dict = {"ingressClassName": options.ingress_class}
    if proxy.tls != "none":
        spec["tls"] = [{"hosts": [proxy.host], "secretName": options.tls_secret or f"{profile.app}-tls"}]
    spec["rules"] = [
        {
            "host": proxy.host,
            "http": {
                "paths": [
                    {
                        "path": "/",
                        "pathType": "Prefix",
                        "backend": {"service": {"name": profile.app, "port": {"name": HTTP_PORT_NAME}}},
                    }
                ]
            },
        }
    ]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata(profile, profile.app, annotations=dict(sorted(annotations.items()))),
        "spec": spec,
    }


def build_network_policy(profile: Profile) -> dict:
    """Ingress only from the ingress controller; egress only to cluster DNS and declared backends."""
    policy = profile.k8s.network_policy
    egress: list[dict] = [
        {
            "to": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                }
            ],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
        }
    ]
    egress += [
        {"to": [{"ipBlock": {"cidr": rule.cidr}}], "ports": [{"protocol": "TCP", "port": port} for port in rule.ports]}
        for rule in policy.egress
    ]
    ingress: list[dict] = [
        {
            "from": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": policy.ingress_namespace}},
                    "podSelector": {"matchLabels": dict(sorted(policy.ingress_pod_labels.items()))},
                }
            ],
            "ports": [{"protocol": "TCP", "port": HTTP_PORT_NAME}],
        }
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
