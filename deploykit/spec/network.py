"""The `network:` block of a profile: who may call the app, and what it may connect to.

Said once for every target; each enforces what it can. Kubernetes turns both lists into the app's
NetworkPolicy. Compose joins the app to the callers' networks (its containers are otherwise reachable
only on the project's own networks) and cannot restrict egress. Nomad enforces neither: the Nomad
docs say so, and the operator's firewall or service mesh does.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from deploykit.spec import derived, names, values
from deploykit.spec.base import DnsLabel, LabelValue, SelectorKey, SpecModel, text_schema

Port = Annotated[int, Field(ge=1, le=65535)]


# Parsed strictly (no IPv6 zone: `fe80::%eth0/64` is no Kubernetes ipBlock), and normalised.
CidrText = Annotated[str, AfterValidator(names.check_ip_network), text_schema(names.IP_NETWORK_PATTERN)]
ComposeNetwork = Annotated[
    str, AfterValidator(values.check_compose_network), text_schema(values.COMPOSE_NETWORK_PATTERN, 128)
]


class Caller(SpecModel):
    """Clients that may call the app's HTTP port (besides the proxy). Each target reads its own fields."""

    namespace: DnsLabel | None = Field(
        None, description="Kubernetes: the callers' namespace (default: the app's own, with pod_labels)."
    )
    pod_labels: dict[SelectorKey, LabelValue] = Field(
        {}, description="Kubernetes: the callers' pod labels (default: every pod of the namespace)."
    )
    compose_network: ComposeNetwork | None = Field(
        None,
        description="Compose: an existing network (created with `docker network create`) the app joins, so the "
        "containers on it may call the app.",
    )


class Destination(derived.DestinationDerived, SpecModel):
    """Where the app's pods may connect, besides cluster DNS: a network, or pods of the cluster."""

    cidr: CidrText | None = Field(None, description="Destination network, e.g. 10.20.0.0/16.")
    namespace: DnsLabel | None = Field(
        None, description="Destination pods' namespace (instead of cidr; default: the app's own, with pod_labels)."
    )
    pod_labels: dict[SelectorKey, LabelValue] = Field(
        {}, description="Destination pods' labels (instead of cidr; default: every pod of the namespace)."
    )
    ports: Annotated[list[Port], Field(min_length=1, max_length=64)] = Field(description="Ports allowed.")
    protocols: Annotated[list[Literal["TCP", "UDP"]], Field(min_length=1, max_length=2)] = Field(
        ["TCP"], description="Protocols allowed on those ports: TCP, UDP, or both (e.g. DNS, QUIC, syslog)."
    )


class Network(SpecModel):
    """Who may call the app, and where it may connect."""

    callers: Annotated[list[Caller], Field(max_length=64)] = Field(
        [],
        description="Clients that may call the app's HTTP port besides the proxy. Kubernetes: NetworkPolicy peers "
        "(an app without proxy.host admits its own namespace when none is listed); Compose: networks the app joins; "
        "Nomad: not enforced.",
    )
    egress: Annotated[list[Destination], Field(max_length=64)] = Field(
        [],
        description="Where the app, its steps, processes and jobs may connect besides DNS (databases, APIs). "
        "Kubernetes: NetworkPolicy egress; Compose and Nomad: not enforced.",
    )
