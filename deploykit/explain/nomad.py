"""Explaining a rendered Nomad job (the values its template wrote)."""

from __future__ import annotations

from typing import Any

from deploykit.explain import count


def _tag(tags: list[str], suffix: str) -> str | None:
    for tag in tags:
        key, _, value = tag.partition("=")
        if key.endswith(suffix):
            return value
    return None


def explain(model: dict[str, Any]) -> dict[str, str]:
    """One sentence per concept, read from the values the Nomad job template wrote, not from the profile."""
    job = model["job"]
    app = next(task for task in job["tasks"] if not task["prestart"])
    steps = [task["name"] for task in job["tasks"] if task["prestart"]]
    return {
        "https": _https(job["service"]["tags"], model["traefik"] is not None),
        "startup": f"a service job; the scheduler places {count(job['count'], 'allocation')} and waits for check {job['service']['checks'][0]['path']} before a deployment counts as healthy",
        "restarts": _restarts(job),
        "replication": f"group count {job['count']} x {count(_processes(app), 'process')}",
        "memory": f"memory {app['resources']['memory']} MiB and cpu {app['resources']['cpu']} MHz per allocation (one process); {count(job['count'], 'allocation')}",
        "prestart": "none" if not steps else f"prestart tasks {', '.join(steps)} run in order in every allocation before the app task",
    }


def _https(tags: list[str], proxy_job: bool) -> str:
    rule = _tag(tags, ".rule")
    if rule is None:
        return "no Traefik tags: the service is registered but not routed"
    entrypoint = _tag(tags, ".entrypoints")
    resolver = _tag(tags, ".tls.certresolver")
    tls = f"TLS from certificate resolver {resolver}" if resolver else ("TLS with provided certificates" if _tag(tags, ".tls") else "plain HTTP")
    where = "the Traefik system job rendered beside it" if proxy_job else "your Traefik (Nomad provider)"
    return f"{where} routes {rule} on entrypoint {entrypoint}, {tls}"


def _restarts(job: dict) -> str:
    restart, reschedule = job["restart"], job["reschedule"]
    return (
        f"restart {restart['attempts']} times per {restart['interval']} on the same node, then reschedule elsewhere "
        f"({reschedule['delay_function']} from {reschedule['delay']}); failed deployments auto-revert"
    )


def _processes(task: dict) -> int:
    args = task["args"]
    return int(args[args.index("--workers") + 1]) if "--workers" in args else 1
