"""The Docker Compose target: one server, one app container with several workers, behind Traefik.

`render` returns compose.yaml plus the files its services read (configs.py): the socket proxy's
haproxy configuration, Traefik's dynamic configuration (when TLS is on) and the scheduler's
cron.yaml; with the systemd scheduler, the jobs' units under systemd/ (background.py). Without `-o`
it prints one Compose document with those files inlined (the units are files for the host, not for
Compose: only `-o` writes them, and the document says so).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from deploykit.rendering import RenderedFile, Rendering
from deploykit.spec.background import background_processes, scheduled_jobs
from deploykit.targets.compose import configs, naming, release, secrets, socket_proxy, traefik
from deploykit.targets.compose.background import (
    SCHEDULER,
    SYSTEMD_DIR,
    build_job_service,
    build_process_service,
    build_scheduler_service,
    scheduler_kind,
    unit_files,
)
from deploykit.targets.compose.check import check, is_exposed
from deploykit.targets.compose.workload import build_app_service, build_step_service, state_volumes
from deploykit.yamldump import dump

if TYPE_CHECKING:
    from deploykit.report import Report
    from deploykit.spec.model import Profile
    from deploykit.summary import Summary

__all__ = ["COMPOSE_FILE", "NAME", "build_project", "check", "render"]

NAME = "compose"
COMPOSE_FILE = "compose.yaml"


def build_networks(profile: Profile) -> dict:
    """With a public host, the proxy network on its pinned subnet, plus the internal socket network
    with `socket_access: proxy`; the callers' existing networks the app joins."""
    networks: dict[str, dict] = {}
    if is_exposed(profile):
        networks[naming.PROXY_NETWORK] = {
            "name": naming.network_name(profile, naming.PROXY_NETWORK),
            # Pinned, because the app trusts forwarded headers from exactly this subnet.
            "ipam": {"config": [{"subnet": profile.compose.proxy_subnet}]},
        }
    for name in naming.caller_networks(profile):
        # Created outside the project (`docker network create`), by whoever runs the callers.
        networks[naming.caller_network_key(name)] = {"name": name, "external": True}
    if is_exposed(profile) and profile.compose.socket_access == "proxy":
        # internal: no route out and no published port; only Traefik and the socket proxy are on it.
        networks[naming.SOCKET_NETWORK] = {
            "name": naming.network_name(profile, naming.SOCKET_NETWORK),
            "internal": True,
        }
    return networks


def build_project(profile: Profile) -> dict:
    """The whole compose document: services in start order, then networks, volumes and secrets."""
    exposed = is_exposed(profile)
    services: dict = {}
    if exposed:
        if profile.compose.socket_access == "proxy":
            services[naming.SOCKET_PROXY] = socket_proxy.build_socket_proxy_service(profile)
        services[naming.TRAEFIK] = traefik.build_traefik_service(profile)
    for index, step in enumerate(profile.prestart):
        services[step.name] = build_step_service(profile, index, step)
    labels = traefik.router_labels(profile) if exposed else {}
    subnet = profile.compose.proxy_subnet if exposed else None
    services[profile.app] = build_app_service(profile, labels, subnet)
    for process in background_processes(profile):
        services[process.name] = build_process_service(profile, process)
    jobs = scheduled_jobs(profile)
    yacron = bool(jobs) and scheduler_kind(profile) == "yacron"
    if yacron:
        services[SCHEDULER] = build_scheduler_service(profile, jobs)
    elif jobs:
        services |= {job.name: build_job_service(profile, job) for job in jobs}
    document: dict = {"name": naming.project(profile), "services": services}
    volumes: dict = {}
    networks = build_networks(profile)
    if networks:
        document["networks"] = networks
    if exposed and profile.proxy is not None and profile.proxy.tls == "acme":
        volumes[naming.ACME_VOLUME] = {}
    volumes |= {name: {} for name in state_volumes(profile)}
    if volumes:
        document["volumes"] = dict(sorted(volumes.items()))
    if profile.secrets:
        document["secrets"] = secrets.build_secrets(profile)
    app = services[profile.app]
    document[release.EXTENSION] = release.extension(
        profile,
        [process.name for process in background_processes(profile)],
        SCHEDULER if yacron else None,
        drainable=release.DRAIN_FILE in str(app["healthcheck"].get("test", "")),
        replicas=app["deploy"].get("replicas", 1),
    )
    return document


def render(profile: Profile, report: Report) -> Rendering:
    """compose.yaml plus the files its services read; stdout is one document with those files inlined."""
    files = configs.config_files(profile)
    project = build_project(profile)
    configs.attach(project, files, inline=False)
    units = unit_files(profile, scheduled_jobs(profile)) if scheduler_kind(profile) == "systemd" else []
    rendered = [
        RenderedFile(COMPOSE_FILE, dump(project)),
        *(RenderedFile(file.path, file.content) for file in files),
        *(RenderedFile(path, text) for path, text in units),
    ]
    summary = partial(_summary, profile, project)
    note = (
        f"# The scheduled jobs run from systemd units on the host, written to {SYSTEMD_DIR}/ by `render compose -o DIR` only.\n"
        if units
        else ""
    )
    if not files:
        return Rendering(tuple(rendered), note + rendered[0].content, summary)
    standalone = build_project(profile)
    configs.attach(standalone, files, inline=True)
    return Rendering(tuple(rendered), configs.STDOUT_NOTE + note + dump(standalone), summary)


def _summary(profile: Profile, project: dict[str, Any]) -> Summary:
    from deploykit.targets.compose.summary import summarize

    return summarize(profile, project)
