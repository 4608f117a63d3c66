"""The `k8s:` block of a profile."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from deploykit.spec import names, values
from deploykit.spec.base import DnsLabel, ImageReference, LabelValue, SelectorKey, SpecModel
from deploykit.spec.network import CidrText, Destination, Port
from deploykit.spec.values import DEFAULT_KUBERNETES_VERSION

ObjectName = Annotated[str, AfterValidator(values.check_object_name)]
SectionName = Annotated[str, AfterValidator(values.check_section_name)]


class Autoscaling(SpecModel):
    """A HorizontalPodAutoscaler; the Deployment then leaves `replicas` to it."""

    min_replicas: Annotated[int, Field(ge=1, le=1000)] = Field(2, description="Lowest pod count.")
    max_replicas: Annotated[int, Field(ge=1, le=1000)] = Field(10, description="Highest pod count.")
    cpu_utilization: Annotated[int, Field(ge=1, le=100)] = Field(
        70, description="Target average CPU use, percent of the request."
    )
    scale_down_stabilization_seconds: Annotated[int, Field(ge=0, le=3600)] = Field(
        300,
        description="Scale down only to the highest recommendation of this many past seconds, so a short lull does not remove pods that the next burst needs.",
    )
    scale_down_percent_per_minute: Annotated[int, Field(ge=1, le=100)] = Field(
        50, description="At most this share of the pods is removed per minute when scaling down."
    )


# The kubectl image the Kubernetes project publishes with each release (CHANGELOG-1.32.md, "Container
# Images"); its ENTRYPOINT is /bin/kubectl (build/server-image/kubectl/Dockerfile). 1.32 speaks to API
# servers 1.31-1.33 under the version skew policy, and `kubectl wait` reads only batch/v1 Jobs.
DEFAULT_RELEASE_WAIT_IMAGE = "registry.k8s.io/kubectl:v1.32.8"


class ApiServer(SpecModel):
    """Where the pods reach the Kubernetes API server, as the NetworkPolicy sees it."""

    cidr: CidrText = Field(
        description="The API server's addresses, e.g. 10.0.0.10/32: the endpoints of the `kubernetes` Service "
        "(`kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes`), as most network "
        "plugins apply policies after the Service address is translated."
    )
    port: Port = Field(description="The API server's port at those addresses (often 6443 or 443).")


class NetworkPolicyOptions(SpecModel):
    """Who may reach the pods and what they may reach."""

    enabled: bool = Field(True, description="false (or `network_policy: none`): render no NetworkPolicy.")

    ingress_namespace: DnsLabel | None = Field(
        None,
        description="Namespace of the ingress controller allowed to reach the pods (routing: ingress). Default, by "
        "k8s.ingress_class: traefik: `traefik`; nginx (ingress-nginx's chart as its docs install it): `ingress-nginx`; "
        "any other class: a warning (ingress-controller-unknown), and Traefik's.",
    )
    ingress_pod_labels: dict[SelectorKey, LabelValue] | None = Field(
        None,
        description="Labels of the ingress controller's pods (routing: ingress). Default, by k8s.ingress_class: "
        "traefik: `app.kubernetes.io/name: traefik`; nginx: `app.kubernetes.io/name: ingress-nginx` and "
        "`app.kubernetes.io/component: controller`; any other class with ingress_namespace: every pod of that "
        "namespace.",
    )
    egress: Annotated[list[Destination], Field(max_length=64)] = Field(
        [], description="Destinations only the Kubernetes pods may reach, besides `network.egress` and cluster DNS."
    )
    extra_ports_from: Annotated[list[DnsLabel], Field(max_length=16)] = Field(
        [], description="Namespaces (besides the app's own) allowed to reach the extra `ports`, e.g. monitoring."
    )
    dns_namespace: DnsLabel = Field("kube-system", description="Namespace of the cluster DNS pods the pods may query.")
    dns_pod_labels: dict[SelectorKey, LabelValue] = Field(
        {"k8s-app": "kube-dns"},
        description="Labels of the cluster DNS pods (CoreDNS and kube-dns carry k8s-app: kube-dns).",
    )
    dns_cidrs: Annotated[list[CidrText], Field(max_length=16)] = Field(
        [],
        description="DNS servers at addresses outside any pod, also allowed on port 53 (UDP and TCP): NodeLocal DNSCache's 169.254.20.10/32, GKE Cloud DNS's 169.254.169.254/32.",
    )
    api_server: ApiServer | None = Field(
        None,
        description="The API server's address and port, allowed for the release gate of k8s.prestart: job (the "
        "init containers that wait for the release's Jobs); without it those pods cannot reach the API server.",
    )


class GatewayOptions(SpecModel):
    """The Gateway, owned by the platform, that routes to the app with `routing: gateway`."""

    name: ObjectName = Field(description="Name of the Gateway.")
    namespace: DnsLabel = Field(description="Namespace of the Gateway.")
    section_name: SectionName = Field(
        "https",
        description="The Gateway's listener that serves the app: its HTTPS listener (with proxy.tls: none, its plain-HTTP one).",
    )
    http_section_name: SectionName | None = Field(
        "http",
        description="The Gateway's plain-HTTP listener, where a second HTTPRoute redirects the host to HTTPS; `none` when the platform redirects by itself (no redirect route).",
    )
    listener_set: bool = Field(
        False,
        description="Emit a ListenerSet with an HTTPS listener for proxy.host and the app's own certificate (Secret k8s.tls_secret; cert-manager issues it with tls: acme). Needs Gateway API 1.5 or later, a Gateway whose allowedListeners admits the app's namespace, and, for tls: acme, cert-manager 1.20 or later with its ListenerSets feature gate.",
    )
    https_port: Port = Field(443, description="Port of the ListenerSet's HTTPS listener (one of the Gateway's ports).")
    data_plane_namespace: DnsLabel | None = Field(
        None,
        description="Namespace of the pods that carry the Gateway's traffic, which the NetworkPolicy admits (default: the Gateway's namespace).",
    )
    data_plane_pod_labels: dict[SelectorKey, LabelValue] | None = Field(
        None,
        description="Labels of those pods (default: gateway.networking.k8s.io/gateway-name: <name>, the label Gateway API implementations put on the pods they deploy for a Gateway).",
    )


class K8sOptions(SpecModel):
    """Kubernetes-only settings."""

    version: Annotated[str, AfterValidator(values.check_kubernetes_version)] = Field(
        DEFAULT_KUBERNETES_VERSION,
        description='Oldest Kubernetes minor version the output must run on (e.g. "1.31"). Fields that became GA later are left out: the preStop sleep action (1.34), in-place resize policies (1.35), user namespaces (1.36).',
    )
    routing: Literal["ingress", "gateway"] = Field(
        "ingress",
        description="How traffic for proxy.host reaches the Service: ingress: a networking.k8s.io Ingress; gateway: Gateway API HTTPRoutes attached to the platform's Gateway (k8s.gateway).",
    )
    gateway: GatewayOptions | None = Field(
        None, description="The Gateway the HTTPRoutes attach to (required with routing: gateway and a proxy.host)."
    )
    namespace: DnsLabel | None = Field(
        None, description="Namespace of every object (default: the app name; never `default`)."
    )
    ingress_class: DnsLabel = Field(
        "traefik",
        description="IngressClass that serves the Ingress (routing: ingress). With traefik, deploykit adds Traefik Middlewares for the security headers and the http->https redirect.",
    )
    cluster_issuer: DnsLabel | None = Field(
        None,
        description="cert-manager ClusterIssuer that issues the app's certificate (required with proxy.tls: acme on an Ingress or a ListenerSet).",
    )
    tls_secret: DnsLabel | None = Field(
        None,
        description="Secret holding the TLS certificate of an Ingress or a ListenerSet (default: <app>-tls; with tls: provided you create it).",
    )
    prestart: Literal["init", "job"] = Field(
        "init",
        description="init: one init container per step in every pod; job: one batch/v1 Job per step, run as an Argo CD PreSync / Helm pre-install,pre-upgrade hook, and in every pod of the release (web, processes, scheduled runs) init containers that wait until those Jobs succeeded (the pod never starts if one failed).",
    )
    release_wait_image: ImageReference = Field(
        DEFAULT_RELEASE_WAIT_IMAGE,
        description="Image of the init containers that wait for the release's Jobs (k8s.prestart: job): kubectl as its ENTRYPOINT, as in the Kubernetes project's registry.k8s.io/kubectl.",
    )
    forwarded_allow_ips: Annotated[
        str,
        Field(min_length=1, max_length=1024, pattern=r"^[0-9a-fA-F:.,/* ]+$"),
        AfterValidator(names.check_address_list),
    ] = Field(
        "*",
        description="Addresses whose X-Forwarded-* headers the app trusts. `*` is safe only where the cluster enforces NetworkPolicy (the policy admits only the proxy's pods); otherwise set the pod CIDR (e.g. 10.244.0.0/16).",
    )
    pre_stop_seconds: Annotated[int, Field(ge=0, le=300)] = Field(
        5,
        description="Seconds a terminating pod keeps serving before it gets SIGTERM, while endpoints and the proxy stop sending it requests (0: none). The grace period is this plus shutdown_seconds.",
    )
    pre_stop: Literal["sleep", "exec"] | None = Field(
        None,
        description="How the pod waits: sleep: the kubelet's sleep action (Kubernetes 1.34 or later); exec: runs `sleep N` in the container (older clusters; the image needs a sleep executable). Default: sleep from k8s.version 1.34 on, else exec.",
    )
    user_namespace: bool = Field(
        False,
        description="Run the pods in a user namespace (hostUsers: false): root in the container is not root on the node. Needs k8s.version 1.36 or later and a node runtime that supports it.",
    )
    image_pull_secrets: Annotated[list[DnsLabel], Field(max_length=16)] = Field(
        [], description="Secrets used to pull the images."
    )
    autoscaling: Autoscaling | None = Field(
        None, description="Scale between min and max replicas on CPU use instead of a fixed `replicas`."
    )
    network_policy: Annotated[NetworkPolicyOptions, BeforeValidator(values.policy_off)] = Field(
        NetworkPolicyOptions(),
        description="The NetworkPolicy around the pods; `none` (or `enabled: false`) renders none: the platform's own policies apply, or none at all.",
    )
    ingress_annotations: dict[SelectorKey, Annotated[str, Field(max_length=65536)]] = Field(
        {},
        description="Extra annotations on the Ingress (routing: ingress; controller settings such as traefik.ingress.kubernetes.io/router.middlewares); they take precedence over the ones deploykit sets.",
    )
    pod_annotations: dict[SelectorKey, Annotated[str, Field(max_length=65536)]] = Field(
        {}, description="Extra annotations on the pods."
    )
