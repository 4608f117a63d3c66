"""The `nomad:` block of a profile."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from deploykit.spec import derived, names, values
from deploykit.spec.base import ImageReference, LongSeconds, SpecModel, text_schema

# Nomad's own name rules: namespaces and regions are letters, digits and '-'; node pools may add '_'
# and '.'; datacenters are globs (`*` matches every datacenter). None of them can hold a quote, `$`,
# `%` or `{`, so they reach the HCL text as written.
NomadName = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9-]+$")]
NodePool = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.-]+$")]
Datacenter = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.*-]+$")]
# A Nomad variable path prefix; Nomad accepts `[a-zA-Z0-9-_~/]`, at most 128 characters in all.
VariablesPath = Annotated[str, Field(min_length=1, max_length=96, pattern=r"^[A-Za-z0-9_~-]+(?:/[A-Za-z0-9_~-]+)*$")]


class TraefikJobOptions(SpecModel):
    """The Traefik system job rendered with `nomad.proxy: job`."""

    image: ImageReference = Field("traefik:v3.7.15", description="Traefik image, pinned by tag or digest.")
    nomad_address: Annotated[
        str, Field(min_length=1, max_length=256, pattern=r"^https?://[A-Za-z0-9_.:{}\[\]$-]+$")
    ] = Field(
        "http://${attr.unique.network.ip-address}:4646",
        description="Nomad HTTP API address Traefik reads services from. The default is the local agent, found by Nomad's "
        "run-time interpolation of the node's address; Traefik authenticates with the task's workload identity.",
    )
    acme_staging: bool = Field(
        False,
        description="Use Let's Encrypt's staging CA (untrusted certificates, generous rate limits) with proxy.tls: acme.",
    )


# A network in CIDR notation, or `none` (YAML's null would mean "remove the parent's value" instead).
_Bridge = Annotated[str, AfterValidator(values.check_bridge), text_schema(f"^none$|{names.IP_NETWORK_PATTERN}")]


class NomadOptions(derived.NomadOptionsDerived, SpecModel):
    """Nomad-only settings."""

    datacenters: Annotated[list[Datacenter], Field(min_length=1, max_length=64)] = Field(
        ["*"], description="Datacenters the job may run in (globs allowed; `*` means all)."
    )
    namespace: NomadName | None = Field(None, description="Nomad namespace of the job (default: Nomad's `default`).")
    region: NomadName | None = Field(
        None, description="Nomad region of the job (default: the region of the agent that receives it)."
    )
    node_pool: NodePool | None = Field(
        None, description="Node pool the job is placed in (Nomad 1.6+; default: Nomad's `default`)."
    )
    forwarded_allow_ips: Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^[0-9a-fA-F:.,/ ]+$")] | None = (
        Field(
            None,
            description="Addresses or CIDRs of the nodes Traefik runs on, whose X-Forwarded-* headers the app trusts "
            "(FORWARDED_ALLOW_IPS) when Traefik on another node routes to it. Without it only Traefik on the "
            "allocation's own node is trusted (nomad.docker_bridge), with a warning.",
        )
    )
    docker_bridge: _Bridge = Field(
        "172.17.0.0/16",
        description="The nodes' Docker bridge network. Traefik on the allocation's own node reaches the app from "
        "it (its gateway for a Traefik on the host network, a container address for one in a container), so the "
        "app trusts it too. Containers of other jobs on that bridge are trusted as well; `none` trusts it not.",
    )
    cpu_mhz: Annotated[int, Field(ge=1, le=1_000_000)] | None = Field(
        None,
        description="CPU per task in MHz, instead of the conversion from `cpu` (1 core = 1000 MHz, exactly: 250m -> 250).",
    )
    canary: Annotated[int, Field(ge=0, le=1000)] = Field(
        0,
        description="Canary allocations started by each update before the others are replaced. Canaries get no traffic from Traefik (their tags disable it) until promoted.",
    )
    auto_promote: bool = Field(
        False,
        description="Promote the canaries automatically once all are healthy (only with canary > 0); otherwise run `nomad deployment promote`.",
    )
    min_healthy_seconds: LongSeconds = Field(
        10, description="How long an allocation must stay healthy before the update moves on (update.min_healthy_time)."
    )
    healthy_deadline_seconds: LongSeconds = Field(
        300,
        description="How long an allocation may take to become healthy before it counts as failed (update.healthy_deadline).",
    )
    progress_deadline_seconds: LongSeconds = Field(
        600,
        description="How long the deployment may go without a newly healthy allocation before it fails and reverts (update.progress_deadline); must exceed healthy_deadline_seconds.",
    )
    shutdown_delay_seconds: Annotated[int, Field(ge=0, le=600)] = Field(
        15,
        description="Time between deregistering the service and stopping the tasks, so Traefik (which polls Nomad every 15 s by default) stops routing first.",
    )
    variables_path: VariablesPath | None = Field(
        None,
        description="Prefix of the Nomad variables that hold secrets: secret S is read from `<prefix>/S` (default: nomad/jobs/<app>). "
        "Grant the job read access to it with an ACL policy (see docs/targets/nomad.md).",
    )
    cert_resolver: Annotated[str, Field(min_length=1, max_length=63, pattern=r"^[A-Za-z0-9_-]+$")] = Field(
        "le", description="Traefik certificate resolver named in the router tags with proxy.tls: acme."
    )
    prestart: Literal["task", "job"] = Field(
        "task",
        description="task: the prestart steps run in order as one prestart task in every allocation of the web group, "
        "before the app (so once per allocation, concurrently across allocations); job: they run as a batch job of "
        "their own (<app>-prestart.nomad.hcl), once per release, which you run and wait for before the service job.",
    )
    proxy: Literal["none", "job"] = Field(
        "none",
        description="none: an existing Traefik reads the service tags; job: also render a Traefik system job (traefik.nomad.hcl), one per cluster.",
    )
    traefik: TraefikJobOptions = Field(TraefikJobOptions(), description="The Traefik system job (with proxy: job).")
