"""The Kubernetes target: one process per pod, `replicas` pods, behind an Ingress or Gateway API routes.

`render` returns one file per object plus a kustomization.yaml, and the whole YAML stream for stdout.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from deploykit.rendering import RenderedFile, Rendering
from deploykit.spec.background import background_processes, scheduled_jobs
from deploykit.targets.k8s.availability import build_autoscaler, build_pod_disruption_budget, build_service_account
from deploykit.targets.k8s.background import build_cron_job, build_process_deployment, build_process_disruption_budget
from deploykit.targets.k8s.check import check
from deploykit.targets.k8s.gateway import build_http_routes, build_listener_set
from deploykit.targets.k8s.network import (
    build_ingresses,
    build_network_policy,
    build_service,
    build_traefik_middlewares,
    build_traefik_servers_transport,
)
from deploykit.targets.k8s.release import build_release_role
from deploykit.targets.k8s.workload import build_deployment, build_prestart_jobs, build_volume_claims
from deploykit.yamldump import dump

if TYPE_CHECKING:
    from deploykit.report import Report
    from deploykit.spec.model import Profile
    from deploykit.summary import Summary

__all__ = ["NAME", "build_objects", "check", "file_name", "render"]

NAME = "k8s"


def build_objects(profile: Profile) -> list[dict]:
    """Every object, in apply order (identity and its Role, migrations, workloads, traffic, availability,
    policy, schedules)."""
    processes = background_processes(profile)
    objects: list[dict | None] = [build_service_account(profile), *build_release_role(profile)]
    if profile.k8s.prestart == "job":
        objects += build_prestart_jobs(profile)
    objects += build_volume_claims(profile)
    objects.append(build_deployment(profile))
    objects += [build_process_deployment(profile, process) for process in processes]
    objects.append(build_service(profile))
    # Middlewares (and the ServersTransport the Service names) before the Ingresses that use them, the ListenerSet before the route attached to it.
    objects += build_traefik_middlewares(profile)
    objects += build_traefik_servers_transport(profile)
    objects += build_ingresses(profile)
    objects += [build_listener_set(profile)]
    objects += build_http_routes(profile)
    objects.append(build_pod_disruption_budget(profile))
    objects += [build_process_disruption_budget(profile, process) for process in processes]
    objects += [build_autoscaler(profile), build_network_policy(profile)]
    objects += [build_cron_job(profile, job) for job in scheduled_jobs(profile)]
    return [obj for obj in objects if obj is not None]


def file_name(obj: dict) -> str:
    """`<kind>-<name>.yaml`, e.g. `deployment-items-api.yaml`."""
    return f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"


def render(profile: Profile, report: Report) -> Rendering:
    """One file per object plus a kustomization.yaml listing them; stdout is the objects as one YAML stream."""
    objects = build_objects(profile)
    files = [RenderedFile(file_name(obj), dump(obj)) for obj in objects]
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [file.path for file in files],
    }
    stream = "".join(f"---\n{file.content}" for file in files)  # the same bytes as the files, dumped once
    files.append(RenderedFile("kustomization.yaml", dump(kustomization)))
    return Rendering(tuple(files), stream, partial(_summary, profile, objects), tuple(objects))


def _summary(profile: Profile, objects: list[dict[str, Any]]) -> Summary:
    from deploykit.targets.k8s.summary import summarize

    return summarize(profile, objects)
