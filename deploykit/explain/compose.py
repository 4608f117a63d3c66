"""Explaining a rendered Compose project (the mapping compose.yaml was written from)."""

from __future__ import annotations

from typing import Any

from deploykit.explain import count


def explain(project: dict[str, Any]) -> dict[str, str]:
    """One sentence per concept, read from the rendered Compose project, not from the profile."""
    services = project["services"]
    app_name, app = _app(services)
    command = app["command"]
    workers = int(command[command.index("--workers") + 1]) if "--workers" in command else 1
    limits = app["deploy"]["resources"]["limits"]
    steps = [name for name, service in services.items() if service.get("restart") == "no"]
    return {
        "https": _https(services, app),
        "startup": f"the container engine starts the project on boot (restart: {app['restart']}); Traefik routes to {app_name} once its healthcheck passes",
        "restarts": f"restart: {app['restart']} for {app_name}; stop_grace_period {app['stop_grace_period']}",
        "replication": f"1 container x {count(workers, 'worker process')} (fastapi run --workers {workers})",
        "memory": f"limit {limits['memory']} for the container ({_processes(workers)}), cpus {limits['cpus']}",
        "prestart": "none" if not steps else f"one-shot services {', '.join(steps)} run in order; {app_name} waits for {_awaited(app)} to complete successfully",
    }


def _processes(workers: int) -> str:
    # With one worker uvicorn runs the app in its own process: no supervisor to budget for.
    return f"{workers} workers + 1 supervisor process" if workers > 1 else "one process"


def _app(services: dict[str, Any]) -> tuple[str, dict]:
    """The app is the service the others exist for: the last one, after Traefik and the prestart steps."""
    name = list(services)[-1]
    return name, services[name]


def _https(services: dict[str, Any], app: dict) -> str:
    labels = app.get("labels", {})
    rule = next((value for key, value in labels.items() if key.endswith(".rule")), None)
    if "traefik" not in services or rule is None:
        return "no proxy: the app has no route and publishes no port"
    resolver = next((value for key, value in labels.items() if key.endswith(".tls.certresolver")), None)
    tls = labels.get(next((key for key in labels if key.endswith(".tls")), ""), "false") == "true"
    if resolver:
        how = f"TLS certificates from ACME resolver {resolver}, http redirected to https"
    elif tls:
        how = "TLS with the provided certificate, http redirected to https"
    else:
        how = "plain HTTP"
    return f"Traefik routes {rule} to the app: {how}"


def _awaited(app: dict) -> str:
    return ", ".join(f"{name} ({dependency['condition']})" for name, dependency in app.get("depends_on", {}).items()) or "nothing"
