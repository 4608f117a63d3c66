"""Explaining a rendered Compose project."""

from __future__ import annotations

from deploykit.explain import count
from deploykit.summary import Summary


def explain(summary: Summary) -> dict[str, str]:
    """One sentence per concept, from the Compose target's summary."""
    web, steps, route = summary.web, summary.steps, summary.route
    if route is None:
        https = "no proxy: the app has no route and publishes no port"
    else:
        how = "plain HTTP"
        if route.certificates is not None:
            how = f"TLS {'certificates from ' if route.certificates.startswith('ACME') else 'with '}{route.certificates}, http redirected to https"
        https = f"{route.router} routes {route.rule} to the app: {how}"
    workers = web.processes_per_unit
    # With one worker the server runs the app in its own process: no supervisor to budget for.
    processes = f"{workers} workers + 1 supervisor process" if web.supervisor else "one process"
    awaited = ", ".join(f"{name} ({condition})" for name, condition in steps.awaited) or "nothing"
    return {
        "https": https,
        "startup": f"the container engine starts the project on boot (restart: {web.restarts.policy}); Traefik routes to {web.name} once its healthcheck passes",
        "restarts": f"restart: {web.restarts.policy} for {web.name}; stop_grace_period {web.shutdown_seconds}s",
        "replication": f"1 container x {count(workers, 'worker process')} ({' '.join(web.command[:2])} --workers {workers})",
        "memory": f"limit {web.memory_limit} for the container ({processes}), cpus {web.cpu}",
        "prestart": "none"
        if not steps.names
        else f"{steps.mechanism} {', '.join(steps.names)} run in order; {web.name} waits for {awaited} to complete successfully",
    }
