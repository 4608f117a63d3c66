"""Explaining a rendered Nomad job."""

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
    """One sentence per concept, from the Nomad target's summary."""
    web, route = summary.web, summary.route
    if route is None and summary.published is not None:
        https = f"no Traefik tags: the app's port is published as {summary.published} on each node running it, plain HTTP for a load balancer of your own"
    elif route is None:
        https = "no Traefik tags: the service is registered but not routed"
    else:
        tls = "plain HTTP"
        if route.certificates is not None:
            tls = f"TLS {'from' if route.certificates.startswith('certificate resolver') else 'with'} {route.certificates}"
        https = route.described(f"{route.router} routes {route.rule} on entrypoint {route.entrypoint}, {tls}") + _trust(
            summary
        )
    restarts = web.restarts
    allocations = count(web.units, "allocation")
    return {
        "https": https,
        "startup": (
            f"a service job running {runs(web.command)}; the scheduler places {allocations} and waits for check "
            f"{web.check_path} before a deployment counts as healthy"
        ),
        "restarts": (
            f"restart {restarts.attempts} times per {restarts.interval} on the same node, then reschedule elsewhere "
            f"({restarts.reschedule}); failed deployments auto-revert"
        ),
        "replication": f"group count {web.units} x {processes_in_unit(web)}" + background_replication(summary),
        "memory": f"memory {web.memory_limit} and cpu {web.cpu} per allocation ({processes_in_unit(web)}); {allocations}"
        + background_memory(summary),
        "prestart": _prestart(summary),
    }


def _prestart(summary: Summary) -> str:
    steps = summary.steps
    if not steps.names:
        return "none"
    if steps.once_per == "release":
        return (
            f"{steps.mechanism} runs {', '.join(steps.names)} in order, once per release: run it and wait for it "
            "before the service job and the periodic jobs; the old allocations still serve while it runs"
            + SHARED_SCHEMA
        )
    allocations = "every allocation (web, processes and periodic runs)" if summary.background else "every allocation"
    return (
        f"{steps.mechanism} runs {', '.join(steps.names)} in order in {allocations} before its code starts (Nomad "
        "starts prestart tasks at once, so the steps share one), concurrently across allocations: steps must be "
        "idempotent and take a lock, or use nomad.prestart: job" + SHARED_SCHEMA
    )


def _trust(summary: Summary) -> str:
    """Whose X-Forwarded-* headers the app believes (nomad.forwarded_allow_ips, nomad.docker_bridge)."""
    trusted = summary.trusted_proxies
    if trusted is None:
        return "; the app trusts no proxy's X-Forwarded-* headers"
    return f"; the app trusts X-Forwarded-* from {trusted.replace(',', ', ')}"
