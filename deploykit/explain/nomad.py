"""Explaining a rendered Nomad job."""

from __future__ import annotations

from deploykit.explain import count, processes_in_unit, shell_words
from deploykit.summary import Summary


def explain(summary: Summary) -> dict[str, str]:
    """One sentence per concept, from the Nomad target's summary."""
    web, steps, route = summary.web, summary.steps, summary.route
    if route is None:
        https = "no Traefik tags: the service is registered but not routed"
    else:
        tls = "plain HTTP"
        if route.certificates is not None:
            tls = f"TLS {'from' if route.certificates.startswith('certificate resolver') else 'with'} {route.certificates}"
        https = f"{route.router} routes {route.rule} on entrypoint {route.entrypoint}, {tls}"
    restarts = web.restarts
    allocations = count(web.units, "allocation")
    return {
        "https": https,
        "startup": (
            f"a service job running `{shell_words(web.command)}`; the scheduler places {allocations} and waits for check "
            f"{web.check_path} before a deployment counts as healthy"
        ),
        "restarts": (
            f"restart {restarts.attempts} times per {restarts.interval} on the same node, then reschedule elsewhere "
            f"({restarts.reschedule}); failed deployments auto-revert"
        ),
        "replication": f"group count {web.units} x {processes_in_unit(web)}",
        "memory": f"memory {web.memory_limit} and cpu {web.cpu} per allocation ({processes_in_unit(web)}); {allocations}",
        "prestart": "none"
        if not steps.names
        else f"{steps.mechanism} {', '.join(steps.names)} run in order in every allocation before the app task",
    }
