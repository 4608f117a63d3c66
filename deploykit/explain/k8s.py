"""Explaining rendered Kubernetes objects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploykit.explain import (
    SHARED_SCHEMA,
    background_memory,
    background_replication,
    count,
    processes_in_unit,
    runs,
)

if TYPE_CHECKING:
    from deploykit.summary import Summary


def explain(summary: Summary) -> dict[str, str]:
    """One sentence per concept, from the Kubernetes target's summary."""
    web, steps = summary.web, summary.steps
    https = _https(summary)
    liveness = web.liveness
    per_pod = processes_in_unit(web)
    if web.max_units is not None:
        replication = f"{web.units}-{web.max_units} pods (autoscaled on CPU) x {per_pod}"
    else:
        replication = f"{count(web.units, 'pod')} x {per_pod}"
    if not steps.names:
        prestart = "none"
    elif steps.mechanism == "Jobs":
        prestart = (
            f"Jobs {', '.join(steps.names)}, run once per release, in order, before any Deployment or CronJob changes "
            "(deploykit apply waits for each and applies nothing after a failure; Argo CD PreSync / Helm pre-upgrade "
            "hooks); whatever applies them, every pod of the release (web, processes and scheduled runs) first waits "
            "in init containers (release-wait, release-check) until the Jobs completed, so with a plain "
            "`kubectl apply -k` the Jobs' steps run together but no new code starts before them, and a failed Job "
            "leaves the new pods in their init phase while the old ones serve" + SHARED_SCHEMA
        )
    else:
        pods = "every pod (web, processes and scheduled runs)" if summary.background else "every pod"
        prestart = (
            f"{steps.mechanism} {', '.join(steps.names)} run in order in {pods} before its code starts, concurrently "
            "across pods and again on every pod start: steps must be idempotent and take a lock (e.g. a Postgres "
            "advisory lock), or use k8s.prestart: job; a failed step holds the new pods while the old ones serve"
            + SHARED_SCHEMA
        )
    return {
        "https": https,
        "startup": (
            f"the Deployment controller starts the pods, each running {runs(web.command)}; "
            + (
                f"each may take {web.start_budget_seconds}s to answer {liveness.path}"
                if liveness is not None
                else "no probes (health.check: none): a pod takes traffic as soon as it starts"
            )
        ),
        "restarts": (
            f"restartPolicy {web.restarts.policy}; "
            + (
                f"the kubelet restarts a container that fails {liveness.path} "
                f"{liveness.failure_threshold} times {liveness.period_seconds}s apart"
                if liveness is not None
                else "no liveness probe: the kubelet restarts a container only when it exits"
            )
            + f"; {_shutdown(summary)}"
        ),
        "replication": replication + background_replication(summary),
        "memory": (
            f"limit {web.memory_limit} per pod ({processes_in_unit(web)}), request {web.memory_request}; "
            f"{count(web.max_units or web.units, 'pod')} at most" + background_memory(summary)
        ),
        "prestart": prestart,
    }


def _https(summary: Summary) -> str:
    """Which object routes the host, which one terminates TLS with whose certificate, what redirects
    plain HTTP, and whose forwarded headers the app believes."""
    route = summary.route
    if route is None and summary.published is not None:
        return f"no Ingress or HTTPRoute: {summary.published} publishes the app's port, plain HTTP for a load balancer of your own"
    if route is None:
        reach = f"no Ingress or HTTPRoute: reachable inside the cluster only, through {summary.unrouted}"
        return reach + _trust(summary.trusted_proxies)
    sentence = f"{route.router} routes {route.rule}"
    if route.via is not None:
        sentence += f" through {route.via}"
    terminator = ", which terminates TLS" if route.via is not None else " and terminates TLS"
    if route.certificates is None:
        sentence += " over plain HTTP"
    elif route.tls_secret is None:
        sentence += f"{terminator} with {route.certificates}"
    else:
        source = route.certificates
        if source.startswith("cert-manager"):
            source = f"issued by {source}"
        sentence += f"{terminator} with Secret {route.tls_secret}, {source}"
    if route.redirected_by is not None:
        sentence += f"; {route.redirected_by} redirects http to https"
    return route.described(sentence) + _trust(summary.trusted_proxies)


def _trust(trusted: str | None) -> str:
    if trusted is None:
        return ""
    if trusted == "*":
        return (
            "; the app trusts X-Forwarded-* from any address (*), which is safe only where the cluster enforces "
            "NetworkPolicy: otherwise set k8s.forwarded_allow_ips to the pod CIDR"
        )
    return f"; the app trusts X-Forwarded-* from {trusted}"


def _shutdown(summary: Summary) -> str:
    web = summary.web
    if web.drain_seconds is None:
        return f"{web.shutdown_seconds}s to shut down"
    drain = web.drain_seconds
    return (
        f"grace period {web.shutdown_seconds}s: a stopping pod keeps serving {drain}s (preStop) while routes drop it, "
        f"then gets SIGTERM and {web.shutdown_seconds - drain}s to finish"
    )
