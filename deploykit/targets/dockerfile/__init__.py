"""The Dockerfile target: the image FastAPI's container page teaches, hardened for production.

`render` returns a Dockerfile and a .dockerignore for the build context; stdout is the Dockerfile.
The image carries no per-deployment settings (workers, memory, env, secrets, proxy): the runtime
targets pass those, so one image serves Compose, Kubernetes and Nomad alike.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from deploykit.rendering import RenderedFile, Rendering
from deploykit.servers import Launch, detect
from deploykit.spec.background import YACRON_HOME, YACRON_VERSION
from deploykit.spec.values import package_name, package_version
from deploykit.targets.dockerfile.check import check_line_lengths
from deploykit.targets.dockerfile.text import environment

if TYPE_CHECKING:
    from deploykit.report import Report
    from deploykit.spec.model import Profile

__all__ = ["NAME", "check", "render"]

NAME = "dockerfile"


def health_probe(profile: Profile) -> list[str] | None:
    """A python one-liner that fails (exit 1) unless the liveness path answers 2xx/3xx in time,
    asked with the public host (`proxy.host`) as Host where there is one; with `health.check: tcp`
    one that fails unless the port accepts a connection; `health.command` with check: command; None
    (HEALTHCHECK NONE) with check: none.

    urlopen raises on connection errors, timeouts and HTTP errors, and an uncaught exception exits 1,
    the code Docker reads as unhealthy (2 is reserved). The path is validated: no quotes or `\\`.
    """
    health = profile.health
    if health.check == "none":
        return None
    if health.check == "command":
        assert health.command is not None, "spec/checks.py requires health.command with check: command"
        return list(health.command)
    if health.check == "tcp":
        code = (
            f"import socket; socket.create_connection(('127.0.0.1', {profile.port}), {health.timeout_seconds}).close()"
        )
        return ["python", "-c", code]
    url = f"http://127.0.0.1:{profile.port}{profile.health.liveness}"
    # The public host as Host, as every target's probe sends it (a host-checking app refuses 127.0.0.1).
    request = repr(url)
    if profile.probe_host is not None:
        request = f"urllib.request.Request({url!r}, headers={{'Host': {profile.probe_host!r}}})"
    code = f"import urllib.request; urllib.request.urlopen({request}, timeout={profile.health.timeout_seconds})"
    return ["python", "-c", code]


def check(profile: Profile, report: Report) -> None:
    """Errors and warnings for `profile`'s image (see deploykit.targets.Target)."""
    if not profile.web_server.forks_workers:
        report.error(
            ("server",),
            "deploykit writes Dockerfiles for Python servers only (fastapi, uvicorn, gunicorn, granian, hypercorn); "
            "an app with `server: generic` brings its own Dockerfile (leave dockerfile out of the environment's targets)",
            because_of=("server",) if profile.server is not None else ("command",),
        )
        return
    module = app_reference(profile.command or [])
    if module is not None and not any(_covers(path, module) for path in profile.build.app_paths):
        report.warn(
            ("build", "app_path"),
            f"the command serves {module}, which is not in build.app_path ({', '.join(profile.build.app_paths)}): "
            f"the image would not contain it; add {module.split('/', 1)[0]}",
            code="module-not-copied",
        )
    for index, entry in enumerate(profile.build.system_packages):
        if package_version(entry) is None:
            report.warn(
                ("build", "system_packages", index),
                f"{entry} is not pinned: each build may install another version (hadolint DL3008); write {entry}=VERSION",
                code="unpinned-package",
            )
    check_line_lengths(template_context(profile), report)


def app_reference(command: list[str]) -> str | None:
    """The file the server's command serves, as a path relative to the working directory, if it names one.

    `fastapi run app/main.py` -> `app/main.py`; `gunicorn shop.wsgi:application` -> `shop/wsgi.py`
    (a module given as `package.module:attribute`, the form every other server takes).
    """
    detected = detect(command)
    if detected is None:
        return None
    for argument in command[detected.first_argument :]:
        if argument.startswith("-"):
            continue
        if detected.server == "fastapi":
            return argument.removeprefix("./") if argument.endswith(".py") else None
        module, colon, attribute = argument.partition(":")
        if colon and attribute and all(part.isidentifier() for part in module.split(".")):
            return module.replace(".", "/") + ".py"
    return None


def _covers(copied: str, module_file: str) -> bool:
    """Whether copying `copied` (a file or directory) brings `module_file`, or its package, into the image."""
    package_dir = module_file.removesuffix(".py")
    return (
        module_file == copied
        or module_file.startswith(copied + "/")
        or package_dir == copied
        or package_dir.startswith(copied + "/")
    )


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
        "app_paths": [(path, posixpath.join(build.workdir, path)) for path in build.app_paths],
        "build_commands": [list(command) for command in build.commands],
        "scheduler_home": YACRON_HOME if profile.cron else None,
        "scheduler_version": YACRON_VERSION,
        "port": profile.port,
        "interval": health.interval_seconds,
        "timeout": health.timeout_seconds,
        "start_period": health.startup_seconds,
        "retries": health.failure_threshold,
        "probe": health_probe(profile),
        # One worker and no proxy trust: the image's default command; every target passes its own.
        "command": [
            *(profile.command or []),
            *profile.web_server.arguments(Launch(profile.port, 1, None, profile.shutdown_seconds)),
        ],
    }


def render(profile: Profile, report: Report) -> Rendering:
    """The Dockerfile and its .dockerignore; stdout is the Dockerfile alone."""
    context = template_context(profile)
    templates = environment()
    dockerfile = templates.get_template("Dockerfile.j2").render(context)
    dockerignore = templates.get_template("dockerignore.j2").render(context)
    files = (RenderedFile("Dockerfile", dockerfile), RenderedFile(".dockerignore", dockerignore))
    return Rendering(files, dockerfile)
