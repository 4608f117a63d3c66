"""Explaining a rendered Compose project."""

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
    from deploykit.summary import Summary, Workload


def explain(summary: Summary) -> dict[str, str]:
    """One sentence per concept, from the Compose target's summary."""
    web, steps, route = summary.web, summary.steps, summary.route
    if route is None and summary.published is not None:
        https = (
            f"no proxy: the app's port is published as {summary.published}, plain HTTP for a load balancer of your own"
        )
    elif route is None:
        https = "no proxy: the app has no route and publishes no port"
    else:
        how = "plain HTTP"
        if route.certificates is not None:
            how = f"TLS {'certificates from ' if route.certificates.startswith('ACME') else 'with '}{route.certificates}, http redirected to https"
        https = route.described(f"{route.router} routes {route.rule} to the app: {how}")
    awaited = ", ".join(f"{name} ({condition})" for name, condition in steps.awaited) or "nothing"
    units = count(web.units, "container") + (" runs" if web.units == 1 else " run")
    return {
        "https": https,
        "startup": (
            f"the container engine starts the project on boot (restart: {web.restarts.policy}); {units} "
            f"{runs(web.command)}; {_checked(web)}"
        ),
        "restarts": f"restart: {web.restarts.policy} for {web.name}; stop_grace_period {web.shutdown_seconds}s",
        "replication": _replication(web) + background_replication(summary),
        "memory": _memory(web) + background_memory(summary),
        "prestart": "none"
        if not steps.names
        else (
            f"{steps.mechanism} {', '.join(steps.names)} run in order; on the first `up` {web.name} waits for "
            f"{awaited} to complete successfully; `deploykit release compose` runs them first, with the new image, "
            f"while the old {web.name} containers serve, then starts new ones beside them and drains each old one "
            "through its health check before stopping it; if a step fails nothing is replaced and the old version "
            "serves on (a plain `docker compose up -d` stops the old containers before the steps run); steps must "
            "be idempotent (they run on every release)" + SHARED_SCHEMA
        ),
    }


def _checked(web: Workload) -> str:
    if not web.proxy_checks:
        if web.container_check is None:
            return f"Traefik routes to {web.name} as soon as it starts (no health check: health.check: none)"
        return f"Traefik routes to {web.name} once its healthcheck (`{shell_words(web.container_check)}`) passes"
    if web.container_check is None:
        return (
            f"Traefik routes to {web.name} while its own check of {web.check_path} succeeds "
            "(no container healthcheck: the image may have no python; give health.command for one)"
        )
    probe = (
        "a python probe of " + web.check_path
        if web.container_check[:2] == ("python", "-c")
        else f"`{shell_words(web.container_check)}`"
    )
    return f"Traefik routes to {web.name} once its healthcheck ({probe}) passes, and while its own check of {web.check_path} succeeds"


def _replication(web: Workload) -> str:
    if web.units > 1 or web.server == "generic":
        return (
            f"{count(web.units, 'container')} x 1 process (deploy.replicas {web.units}: the {web.server} server forks no workers, "
            "so Traefik balances across containers)"
        )
    label = "fastapi run" if web.server == "fastapi" else web.server
    return (
        f"1 container x {count(web.processes_per_unit, 'worker process')} ({label} --workers {web.processes_per_unit})"
    )


def _memory(web: Workload) -> str:
    if web.units > 1:
        return f"limit {web.memory_limit} per container (one process), cpus {web.cpu} each; {count(web.units, 'container')}"
    return f"limit {web.memory_limit} for the container ({processes_in_unit(web)}), cpus {web.cpu}"
