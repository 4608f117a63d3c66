"""What the rendered Compose project does, for `explain`."""

from __future__ import annotations

from deploykit.spec.model import Profile
from deploykit.summary import Restarts, Route, Steps, Summary, Workload
from deploykit.targets.compose.check import is_exposed
from deploykit.targets.compose.traefik import CERT_RESOLVER
from deploykit.targets.compose.workload import workers


def summarize(profile: Profile, project: dict) -> Summary:
    """The Summary of `project`, the document `build_project` returned for `profile`."""
    app = project["services"][profile.app]
    limits = app["deploy"]["resources"]["limits"]
    count = workers(profile)
    web = Workload(
        name=profile.app,
        command=tuple(app["command"]),
        unit="container",
        units=1,
        max_units=None,
        processes_per_unit=count,
        # With one worker uvicorn runs the app in its own process: no supervisor to budget for.
        supervisor=count > 1,
        memory_limit=limits["memory"],
        memory_request=None,
        cpu=limits["cpus"],
        restarts=Restarts(app["restart"]),
        shutdown_seconds=profile.shutdown_seconds,
        check_path=profile.health.readiness,
        start_budget_seconds=profile.health.startup_seconds,
        liveness=None,
    )
    awaited = tuple((name, dependency["condition"]) for name, dependency in app.get("depends_on", {}).items())
    steps = Steps(tuple(step.name for step in profile.prestart), "one-shot services", "up", awaited)
    return Summary("compose", _route(profile), "the project's networks", web, steps)


def _route(profile: Profile) -> Route | None:
    proxy = profile.proxy
    if proxy is None or proxy.host is None or not is_exposed(profile):
        return None
    certificates = {"acme": f"ACME resolver {CERT_RESOLVER}", "provided": "the provided certificate", "none": None}[
        proxy.tls
    ]
    return Route(
        router="Traefik",
        rule=f"Host(`{proxy.host}`)",
        entrypoint="websecure" if certificates else "web",
        certificates=certificates,
        redirects_http=certificates is not None,
    )
