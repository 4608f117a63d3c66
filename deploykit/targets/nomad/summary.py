"""What the rendered Nomad job does, for `explain` (read from the values its template wrote)."""

from __future__ import annotations

from deploykit.spec.model import Profile
from deploykit.summary import Restarts, Route, Steps, Summary, Workload


def summarize(profile: Profile, job: dict) -> Summary:
    """The Summary of `job`, the values `build_job` returned for `profile`."""
    app = next(task for task in job["tasks"] if not task["prestart"])
    restart, reschedule = job["restart"], job["reschedule"]
    web = Workload(
        name=app["name"],
        command=(app["command"], *app["args"]),
        server=profile.web_server.name,
        unit="allocation",
        units=job["count"],
        max_units=None,
        processes_per_unit=1,
        supervisor=profile.web_server.processes(1) > 1,
        supervisor_loads_app=profile.web_server.master_loads_app,
        memory_limit=f"{app['resources']['memory']} MiB",
        memory_request=None,
        cpu=f"{app['resources']['cpu']} MHz",
        restarts=Restarts(
            restart["mode"],
            attempts=restart["attempts"],
            interval=restart["interval"],
            reschedule=f"{reschedule['delay_function']} from {reschedule['delay']}",
        ),
        shutdown_seconds=profile.shutdown_seconds,
        check_path=job["service"]["checks"][0]["path"],
        container_check=None,
        start_budget_seconds=None,
        liveness=None,
    )
    steps = Steps(tuple(task["name"] for task in job["tasks"] if task["prestart"]), "prestart tasks", "allocation")
    return Summary("nomad", _route(profile), f"service {job['service']['name']}", web, steps)


def _route(profile: Profile) -> Route | None:
    proxy = profile.proxy
    if proxy is None or proxy.host is None:
        return None
    certificates = {
        "acme": f"certificate resolver {profile.nomad.cert_resolver}",
        "provided": "provided certificates",
        "none": None,
    }[proxy.tls]
    router = (
        "the Traefik system job rendered beside it" if profile.nomad.proxy == "job" else "your Traefik (Nomad provider)"
    )
    return Route(
        router=router,
        rule=f"Host(`{proxy.host}`)",
        entrypoint="websecure" if certificates else "web",
        certificates=certificates,
        redirects_http=certificates is not None and profile.nomad.proxy == "job",
    )
