"""Explaining rendered Podman Quadlet units."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploykit.explain import (
    SHARED_SCHEMA,
    background_memory,
    background_replication,
    count,
    processes_in_unit,
    runs,
    shell_words,
)

if TYPE_CHECKING:
    from deploykit.summary import Summary


def explain(summary: Summary) -> dict[str, str]:
    """One sentence per concept, from the Quadlet target's summary."""
    web, steps, route = summary.web, summary.steps, summary.route
    if route is None:
        https = "no proxy: no Traefik unit and no published port; only containers on the app's network reach it"
    else:
        how = "plain HTTP"
        if route.certificates is not None:
            how = f"TLS with {route.certificates}, http redirected to https"
        trust = (
            f"; the app trusts X-Forwarded-* from Traefik's pinned address {summary.trusted_proxies} only"
            if summary.trusted_proxies
            else ""
        )
        https = route.described(f"{route.router} routes {route.rule} to every replica: {how}") + trust
    if web.container_check is not None:
        probe = (
            "a python probe of " + web.check_path
            if web.container_check[:2] == ("python", "-c")
            else f"`{shell_words(web.container_check)}`"
        )
        started = (
            f"each counts as started once its health check ({probe}) passes (Notify=healthy), within "
            f"{web.start_budget_seconds}s"
            + (f"; Traefik routes to it while its own check of {web.check_path} succeeds" if web.proxy_checks else "")
        )
        restarts = (
            f"Restart={web.restarts.policy}: systemd starts a replica again when it exits, and Podman kills it when "
            f"its health check fails {web.liveness.failure_threshold if web.liveness else 1} times in a row "
            "(HealthOnFailure=kill)"
        )
    else:
        started = (
            f"Traefik routes to each while its own check of {web.check_path} succeeds (no container health check)"
            if web.proxy_checks
            else "Traefik routes to each as soon as it runs (health.check: none)"
        )
        restarts = f"Restart={web.restarts.policy}: systemd starts a replica again when it exits"
    units = count(web.units, "unit")
    return {
        "https": https,
        "startup": (
            f"systemd starts {units} at boot (WantedBy=multi-user.target, Podman's generator makes each a service), "
            f"each running {runs(web.command)}; {started}"
        ),
        "restarts": f"{restarts}; {_stop(summary)}",
        "replication": (
            f"{count(web.units, 'container')} x {processes_in_unit(web)}, one unit each; a release restarts them one "
            "at a time, each waiting until healthy" + background_replication(summary)
        ),
        "memory": f"limit {web.memory_limit} and cpus {web.cpu} per container; {count(web.units, 'container')}"
        + background_memory(summary),
        "prestart": "none"
        if not steps.names
        else (
            f"{steps.mechanism} run {', '.join(steps.names)} in order, once per release (their names hold the "
            "release); the app, processes and jobs Require= them and start After= them, so a failed step starts "
            "nothing new and leaves the old version running" + SHARED_SCHEMA
        ),
    }


def _stop(summary: Summary) -> str:
    web = summary.web
    shutdown = f"{web.shutdown_seconds}s from SIGTERM to SIGKILL (StopTimeout)"
    if web.drain_seconds is None:
        return shutdown
    return (
        "a stopping replica first leaves Traefik's rotation (its ExecStop comments its server out of "
        f"traefik/routes.yaml) and keeps serving {web.drain_seconds}s while Traefik reloads, then gets "
        f"{shutdown}; ExecStartPost puts it back once it "
        + ("is healthy again" if web.container_check is not None else "runs again (no container health check)")
    )
