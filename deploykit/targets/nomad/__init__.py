"""The Nomad target: one `service` job, `replicas` allocations of one process each, behind Traefik.

`render` returns `<app>.nomad.hcl` (and `traefik.nomad.hcl` with `nomad.proxy: job`); stdout holds
the same job(s). HCL is written from jinja2 templates, every value through one escaping filter
(`hcl.hcl_value`); see docs/targets/nomad.md.
"""

from __future__ import annotations

from deploykit.rendering import RenderedFile, Rendering
from deploykit.report import Report
from deploykit.spec.model import Profile
from deploykit.targets.nomad.check import check
from deploykit.targets.nomad.hcl import environment
from deploykit.targets.nomad.job import build_job
from deploykit.targets.nomad.summary import summarize
from deploykit.targets.nomad.traefik_job import FILE_NAME as TRAEFIK_FILE_NAME
from deploykit.targets.nomad.traefik_job import build_traefik_job

__all__ = ["NAME", "check", "render"]

NAME = "nomad"


def render(profile: Profile, report: Report) -> Rendering:
    """`<app>.nomad.hcl`, plus `traefik.nomad.hcl` with `nomad.proxy: job`; stdout holds every job."""
    templates = environment()
    job = build_job(profile)
    files = [RenderedFile(f"{profile.app}.nomad.hcl", templates.get_template("job.nomad.hcl.j2").render(job=job))]
    if profile.nomad.proxy == "job":
        traefik_job = build_traefik_job(profile)
        files.append(
            RenderedFile(TRAEFIK_FILE_NAME, templates.get_template("traefik.nomad.hcl.j2").render(job=traefik_job))
        )
    return Rendering(tuple(files), "\n".join(file.content for file in files), summarize(profile, job))
