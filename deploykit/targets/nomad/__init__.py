"""The Nomad target: one `service` job, `replicas` allocations of one process each, behind Traefik.

`render` returns `<app>.nomad.hcl` (with a group per process), one periodic batch job per scheduled
job (`<app>-<job>.nomad.hcl`), the prestart batch job with `nomad.prestart: job`, and
`traefik.nomad.hcl` with `nomad.proxy: job`; stdout holds the same jobs. With secrets, also the ACL
policy every job reading them needs (`<app>-variables.policy.hcl`). HCL is written from jinja2 templates, every value through one escaping filter
(`hcl.hcl_value`); see docs/targets/nomad.md.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from deploykit.rendering import RenderedFile, Rendering
from deploykit.spec.background import scheduled_jobs
from deploykit.targets.nomad.check import check
from deploykit.targets.nomad.hcl import environment
from deploykit.targets.nomad.job import build_cron_job, build_job, build_prestart_job
from deploykit.targets.nomad.secrets import variables_prefix
from deploykit.targets.nomad.traefik_job import FILE_NAME as TRAEFIK_FILE_NAME
from deploykit.targets.nomad.traefik_job import build_traefik_job

if TYPE_CHECKING:
    from deploykit.report import Report
    from deploykit.spec.model import Profile
    from deploykit.summary import Summary

__all__ = ["NAME", "check", "render"]

NAME = "nomad"


def render(profile: Profile, report: Report) -> Rendering:
    """`<app>.nomad.hcl`, plus `traefik.nomad.hcl` with `nomad.proxy: job`; stdout holds every job."""
    templates = environment()
    job_template = templates.get_template("job.nomad.hcl.j2")
    job = build_job(profile)
    files = [RenderedFile(f"{profile.app}.nomad.hcl", job_template.render(job=job))]
    if profile.prestart and profile.nomad.prestart == "job":
        prestart = build_prestart_job(profile)
        files.append(RenderedFile(f"{prestart['name']}.nomad.hcl", job_template.render(job=prestart)))
    for scheduled in scheduled_jobs(profile):
        periodic = build_cron_job(profile, scheduled)
        files.append(RenderedFile(f"{periodic['name']}.nomad.hcl", job_template.render(job=periodic)))
    policy = _variables_policy(profile, templates, [file.path.removesuffix(".nomad.hcl") for file in files])
    if profile.nomad.proxy == "job":
        traefik_job = build_traefik_job(profile)
        files.append(
            RenderedFile(TRAEFIK_FILE_NAME, templates.get_template("traefik.nomad.hcl.j2").render(job=traefik_job))
        )
    stdout = "\n".join(file.content for file in files)  # the jobs; the policy is for `nomad acl policy apply`
    if policy is not None:
        files.append(policy)
    return Rendering(tuple(files), stdout, partial(_summary, profile, job))


def _variables_policy(profile: Profile, templates: Any, jobs: list[str]) -> RenderedFile | None:
    """`<app>-variables.policy.hcl`: read access to the secrets' variables, for every job that reads them
    (the service job, each periodic job, the prestart job), with the command that attaches it to each."""
    if not profile.secrets:
        return None
    file_name = f"{profile.app}-variables.policy.hcl"
    text = templates.get_template("variables.policy.hcl.j2").render(
        app=profile.app,
        prefix=variables_prefix(profile),
        namespace=profile.nomad.namespace or "default",
        jobs=jobs,
        file_name=file_name,
    )
    return RenderedFile(file_name, text)


def _summary(profile: Profile, job: dict[str, Any]) -> Summary:
    from deploykit.targets.nomad.summary import summarize

    return summarize(profile, job)
