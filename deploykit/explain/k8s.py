"""Explaining rendered Kubernetes objects."""

from __future__ import annotations

from deploykit.explain import count, processes_in_unit, shell_words
from deploykit.summary import Summary


def explain(summary: Summary) -> dict[str, str]:
    """One sentence per concept, from the Kubernetes target's summary."""
    web, steps, route = summary.web, summary.steps, summary.route
    if route is None:
        https = f"no Ingress: reachable inside the cluster only, through {summary.unrouted}"
    elif route.certificates is None:
        https = f"{route.router} for {route.rule} over plain HTTP"
    else:
        source = (
            f"issued by {route.certificates}" if route.certificates.startswith("cert-manager") else route.certificates
        )
        https = f"{route.router} terminates TLS for {route.rule} with Secret {route.tls_secret}, {source}"
    liveness = web.liveness
    assert liveness is not None, "every pod has a liveness probe"
    per_pod = processes_in_unit(web)
    if web.max_units is not None:
        replication = f"{web.units}-{web.max_units} pods (autoscaled on CPU) x {per_pod}"
    else:
        replication = f"{count(web.units, 'pod')} x {per_pod}"
    if not steps.names:
        prestart = "none"
    elif steps.mechanism == "Jobs":
        prestart = (
            f"Jobs {', '.join(steps.names)}, run once per release as Argo CD PreSync / Helm pre-upgrade hooks, in order"
        )
    else:
        prestart = f"{steps.mechanism} {', '.join(steps.names)} run in order in every pod before the app starts"
    return {
        "https": https,
        "startup": (
            f"the Deployment controller starts the pods, each running `{shell_words(web.command)}`; "
            f"each may take {web.start_budget_seconds}s to answer {liveness.path}"
        ),
        "restarts": (
            f"restartPolicy {web.restarts.policy}; the kubelet restarts a container that fails {liveness.path} "
            f"{liveness.failure_threshold} times {liveness.period_seconds}s apart; {web.shutdown_seconds}s to shut down"
        ),
        "replication": replication,
        "memory": (
            f"limit {web.memory_limit} per pod ({processes_in_unit(web)}), request {web.memory_request}; "
            f"{count(web.max_units or web.units, 'pod')} at most"
        ),
        "prestart": prestart,
    }
