"""The Dockerfile target: the image FastAPI's container page teaches, hardened for production.

`render` returns a Dockerfile and a .dockerignore for the build context; stdout is the Dockerfile.
The image carries no per-deployment settings (workers, memory, env, secrets, proxy): the runtime
targets pass those, so one image serves Compose, Kubernetes and Nomad alike.
"""

from __future__ import annotations

import posixpath

from deploykit.rendering import RenderedFile, Rendering
from deploykit.report import Report
from deploykit.spec.model import Profile
from deploykit.spec.options.build import package_name
from deploykit.spec.server import server_command
from deploykit.targets.dockerfile.check import check
from deploykit.targets.dockerfile.text import environment

__all__ = ["NAME", "check", "render"]

NAME = "dockerfile"


def health_probe(profile: Profile) -> list[str]:
    """A python one-liner that fails (exit 1) unless the liveness path answers 2xx/3xx in time.

    urlopen raises on connection errors, timeouts and HTTP errors, and an uncaught exception exits 1,
    the code Docker reads as unhealthy (2 is reserved). The path is validated: no quotes or `\\`.
    """
    url = f"http://127.0.0.1:{profile.port}{profile.health.liveness}"
    code = f"import urllib.request; urllib.request.urlopen({url!r}, timeout={profile.health.timeout_seconds})"
    return ["python", "-c", code]


def template_context(profile: Profile) -> dict:
    """Every value the templates use, each passed through the `dockerfile` filter there."""
    build = profile.build
    health = profile.health
    return {
        "base_image": build.base_image,
        # Sorted: install order has no meaning.
        "system_packages": sorted(build.system_packages, key=package_name),
        "user": build.user,
        "uid": build.uid,
        "workdir": build.workdir,
        "data_dirs": sorted(build.data_dirs),
        "requirements": build.requirements,
        "requirements_in_image": posixpath.join(build.workdir, build.requirements),
        "app_path": build.app_path,
        "app_in_image": posixpath.join(build.workdir, build.app_path),
        "port": profile.port,
        "interval": health.interval_seconds,
        "timeout": health.timeout_seconds,
        "start_period": health.startup_seconds,
        "retries": health.failure_threshold,
        "probe": health_probe(profile),
        # No --workers: Compose adds it at run time; Kubernetes and Nomad run one process per container.
        "command": server_command(profile),
    }


def render(profile: Profile, report: Report) -> Rendering:
    """The Dockerfile and its .dockerignore; stdout is the Dockerfile alone."""
    context = template_context(profile)
    templates = environment()
    dockerfile = templates.get_template("Dockerfile.j2").render(context)
    dockerignore = templates.get_template("dockerignore.j2").render(context)
    files = (RenderedFile("Dockerfile", dockerfile), RenderedFile(".dockerignore", dockerignore))
    return Rendering(files, dockerfile)
