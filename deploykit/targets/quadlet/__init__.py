"""The Podman Quadlet target: systemd units that run the app's containers on one server.

`render` returns a directory for `/etc/containers/systemd/` (rootful) or `~/.config/containers/systemd/`
(rootless): a `.network`, a `.container` per prestart step (oneshot, once per release), per app
replica and per process instance, a `.container` and a `.timer` per scheduled job, Traefik's
`.container` and ACME `.volume`, and Traefik's route files in `traefik/`. Podman's generator turns
each unit into a `.service` at boot and on `systemctl daemon-reload`. stdout holds every file, each
under a `# ==> path <==` line. See docs/targets/quadlet.md.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from deploykit.rendering import RenderedFile, Rendering
from deploykit.spec.background import background_processes, scheduled_jobs
from deploykit.targets.quadlet import build
from deploykit.targets.quadlet.check import check
from deploykit.yamldump import dump

if TYPE_CHECKING:
    from deploykit.report import Report
    from deploykit.spec.model import Profile
    from deploykit.summary import Summary

__all__ = ["NAME", "check", "render"]

NAME = "quadlet"


def build_files(profile: Profile) -> list[RenderedFile]:
    """Every unit and route file, in start order: network, steps, app, processes, jobs, Traefik."""
    units = [(f"{build.network_name(profile)}.network", build.build_network(profile))]
    for name in sorted(build.state_mounts(profile)):
        units.append((f"{build.state_volume(profile, name)}.volume", build.build_state_volume(profile, name)))
    for index, step in enumerate(profile.prestart):
        units.append((f"{build.step_unit(profile, step)}.container", build.build_step(profile, index, step)))
    for index in range(1, profile.replicas + 1):
        units.append((f"{build.replica_unit(profile, index)}.container", build.build_replica(profile, index)))
    for process in background_processes(profile):
        for index in range(1, process.replicas + 1):
            name = build.process_unit(profile, process.name, index)
            units.append((f"{name}.container", build.build_process(profile, process, index)))
    for job in scheduled_jobs(profile):
        name = build.job_unit(profile, job.name)
        units.append((f"{name}.container", build.build_job(profile, job)))
        units.append((f"{name}.timer", build.build_timer(profile, job)))
    files = [RenderedFile(path, unit.text()) for path, unit in units]
    if build.is_exposed(profile):
        if profile.proxy is not None and profile.proxy.tls == "acme":
            files.append(RenderedFile(f"{build.acme_volume(profile)}.volume", build.build_acme_volume(profile).text()))
        files.append(RenderedFile(f"{build.traefik_unit(profile)}.container", build.build_traefik(profile).text()))
        files.append(RenderedFile(f"{build.TRAEFIK_DIR}/routes.yaml", dump(build.routes(profile))))
        tls = build.tls_options(profile)
        if tls is not None:
            files.append(RenderedFile(f"{build.TRAEFIK_DIR}/tls.yaml", dump(tls)))
    return files


def render(profile: Profile, report: Report) -> Rendering:
    """The units and Traefik's route files; stdout holds them all, each after a `# ==> path <==` line."""
    files = build_files(profile)
    stdout = "\n".join(f"# ==> {file.path} <==\n{file.content}" for file in files)
    return Rendering(tuple(files), stdout, partial(_summary, profile))


def _summary(profile: Profile) -> Summary:
    from deploykit.targets.quadlet.summary import summarize

    return summarize(profile)
