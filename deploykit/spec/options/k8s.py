"""The `k8s:` block of a profile."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from deploykit.spec import names
from deploykit.spec.base import DnsLabel, LabelValue, SelectorKey, SpecModel

Port = Annotated[int, Field(ge=1, le=65535)]


class Autoscaling(SpecModel):
    """A HorizontalPodAutoscaler; the Deployment then leaves `replicas` to it."""

    min_replicas: Annotated[int, Field(ge=1, le=1000)] = Field(2, description="Lowest pod count.")
    max_replicas: Annotated[int, Field(ge=1, le=1000)] = Field(10, description="Highest pod count.")
    cpu_utilization: Annotated[int, Field(ge=1, le=100)] = Field(
        70, description="Target average CPU use, percent of the request."
    )


class EgressRule(SpecModel):
    """A destination the pods may connect to (besides DNS)."""

    cidr: Annotated[str, AfterValidator(names.check_ip_network)] = Field(
        description="Destination network, e.g. 10.0.0.0/8."
    )
    ports: Annotated[list[Port], Field(min_length=1, max_length=64)] = Field(description="TCP ports allowed.")


class NetworkPolicyOptions(SpecModel):
    """Who may reach the pods and what they may reach."""

    ingress_namespace: DnsLabel = Field(
        "traefik", description="Namespace of the ingress controller allowed to reach the pods."
    )
    ingress_pod_labels: dict[SelectorKey, LabelValue] = Field(
        {"app.kubernetes.io/name": "traefik"}, description="Labels of the ingress controller's pods."
    )
    egress: Annotated[list[EgressRule], Field(max_length=64)] = Field(
        [], description="Allowed destinations besides cluster DNS (databases, APIs)."
    )
    extra_ports_from: Annotated[list[DnsLabel], Field(max_length=16)] = Field(
        [], description="Namespaces (besides the app's own) allowed to reach the extra `ports`, e.g. monitoring."
    )


class K8sOptions(SpecModel):
    """Kubernetes-only settings."""

    namespace: DnsLabel | None = Field(
        None, description="Namespace of every object (default: the app name; never `default`)."
    )
    ingress_class: DnsLabel = Field("traefik", description="IngressClass that serves the Ingress.")
    cluster_issuer: DnsLabel | None = Field(
        None, description="cert-manager ClusterIssuer (required with proxy.tls: acme)."
    )
    tls_secret: DnsLabel | None = Field(
        None, description="Secret holding the TLS certificate (default: <app>-tls; with tls: provided you create it)."
    )
    prestart: Literal["init", "job"] = Field(
        "init",
        description="init: one init container per step in every pod; job: one batch/v1 Job per step, run as an Argo CD PreSync / Helm pre-install,pre-upgrade hook.",
    )
    forwarded_allow_ips: Annotated[
        str,
        Field(min_length=1, max_length=1024, pattern=r"^[0-9a-fA-F:.,/* ]+$"),
        AfterValidator(names.check_address_list),
    ] = Field(
        "*",
        description="Addresses whose X-Forwarded-* headers the app trusts. `*` is safe because the NetworkPolicy admits only the ingress controller; set your pod CIDR to be stricter.",
    )
    image_pull_secrets: Annotated[list[DnsLabel], Field(max_length=16)] = Field(
        [], description="Secrets used to pull the images."
    )
    autoscaling: Autoscaling | None = Field(
        None, description="Scale between min and max replicas on CPU use instead of a fixed `replicas`."
    )
    network_policy: NetworkPolicyOptions = Field(
        NetworkPolicyOptions(), description="The NetworkPolicy around the pods."
    )
    ingress_annotations: dict[SelectorKey, Annotated[str, Field(max_length=65536)]] = Field(
        {},
        description="Extra annotations on the Ingress (controller settings such as traefik.ingress.kubernetes.io/router.middlewares); they take precedence over the ones deploykit sets.",
    )
    pod_annotations: dict[SelectorKey, Annotated[str, Field(max_length=65536)]] = Field(
        {}, description="Extra annotations on the pods."
    )
