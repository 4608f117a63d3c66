"""A resolved Compose project as two profiles: base.yaml (the app) and one environment's profile.

The fields follow docs/import.md's mapping table; each module below maps one concern and records
notes for what it could not map. Output order is fixed here, and every list and mapping the parts
build is sorted or in the Compose file's dependency order, so the same input gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from deploykit.importing import companions, leftovers
from deploykit.importing.context import Context, dns_label
from deploykit.importing.document import Entry, field
from deploykit.importing.environment import app_environment
from deploykit.importing.health import app_health
from deploykit.importing.locate import Locator
from deploykit.importing.model import Project
from deploykit.importing.notes import Note
from deploykit.importing.problems import ComposeProblem
from deploykit.importing.proxy import proxy
from deploykit.importing.resources import app_resources
from deploykit.importing.roles import assign
from deploykit.importing.web import WebCommand, web_command
from deploykit.scaffold import GATEWAY
from deploykit.spec import names
from deploykit.targets import TARGETS


@dataclass(frozen=True)
class Choices:
    """What the user chose on the command line (None: decided from the Compose files)."""

    environment: str = "prod"
    service: str | None = None
    app: str | None = None
    image: str | None = None


@dataclass(frozen=True)
class ImportedProfiles:
    """The profiles' fields (environment profile without `accept_warnings`, which the command adds after
    rendering every target) and the notes to show."""

    app: str
    base: tuple[Entry, ...]
    environment: tuple[Entry, ...]
    notes: tuple[Note, ...]
    # A pinned stand-in for an image written unpinned (`latest`, no tag, a build without an image): the
    # import checks the rest of the profile with it, and `validate` refuses the written image with the fix.
    stand_in_image: str | None = None


def import_project(project: Project, locator: Locator, choices: Choices) -> ImportedProfiles:
    """Map `project` to profiles; a ComposeProblem when it cannot be (no command, an unpinned image...)."""
    roles = assign(project, choices.service)
    ctx = Context(project, roles, locator, _app_name(project, choices), choices.environment)
    web = ctx.web
    image_entry, stand_in = _image_entry(ctx, project, choices)
    base: list[Entry] = [_app_entry(ctx, project, choices), image_entry]
    ctx.image = str(base[1].value)
    launch = web_command(ctx)
    base += launch.entries
    base.append(_run_as())
    base += app_resources(ctx, launch.command.server, launch.workers)
    base.append(app_health(ctx, launch.port, not launch.command.known))
    taken = companions.StepNames(ctx.app)
    environment = app_environment(ctx, launch.command.server)
    for part in (
        companions.prestart(ctx, taken, launch.command.steps),
        companions.processes(ctx, taken, environment),
        cron := companions.cron(ctx, taken),
    ):
        if part is not None:
            base.append(part)
    base += environment.entries(ctx)
    if not launch.command.command and environment.secrets and environment.secrets_as == "env":
        base.append(
            field(
                "secrets_as",
                "file",
                "check: the image runs its own CMD, so Compose cannot export the secrets as variables before it (a",
                "/bin/sh entrypoint would replace the image's); the app reads each from the file NAME_FILE names: make",
                "sure it does (many images read *_FILE), or give `command` and remove this line",
            )
        )
        ctx.note(
            "warning",
            (*web.path, "environment"),
            "the image's own command runs, so secrets reach it as NAME_FILE (secrets_as: file); check that the app "
            "reads them so, or add `command`",
        )
    volumes = leftovers.web_volumes(ctx)
    if volumes is not None:
        base.append(volumes)
    proxy_entry = proxy(ctx)
    env_profile = _environment_entries(ctx, launch, proxy_entry, cron is not None)
    leftovers.web_fields(ctx)
    leftovers.builds(ctx)
    jobs = [str(entry.key) for entry in (cron.entries if cron is not None else ())]
    leftovers.services(ctx, environment, proxy_entry is not None, jobs)
    if web.ports and proxy_entry is None:
        ctx.note(
            "warning",
            (*web.path, "ports"),
            "Compose published the app on the host; deploykit publishes only Traefik's HTTP and HTTPS ports: set "
            f"proxy.host, proxy.tls and proxy.email in profiles/{ctx.environment}.yaml to route a host name to the app",
        )
    return ImportedProfiles(ctx.app, tuple(base), tuple(env_profile), tuple(ctx.notes), stand_in)


def _app_name(project: Project, choices: Choices) -> str:
    if choices.app is not None:
        return choices.app
    name = dns_label(project.name)
    if not name:
        raise ComposeProblem(
            f"the project name {project.name!r} leaves no DNS label for the app; give one with --app NAME"
        )
    return name


def _app_entry(ctx: Context, project: Project, choices: Choices) -> Entry:
    if choices.app is not None:
        return field("app", ctx.app, "--app")
    written = ctx.locator.exact(("name",))
    source = (
        f"the Compose project's name (`name:`, {written.file}:{written.line})"
        if written
        else "the Compose project's name (without `name:`, Compose names a project after its directory)"
    )
    if ctx.app != project.name:
        source += f", {project.name!r} as a DNS label"
    return field("app", ctx.app, source)


def _image_entry(ctx: Context, project: Project, choices: Choices) -> tuple[Entry, str | None]:
    """The image, and a pinned stand-in when it is written unpinned (`validate` then refuses it with the fix)."""
    web = ctx.web
    where: tuple[str, ...] = (*web.path, "image")
    if choices.image is not None:
        image, source = choices.image, "--image"
    elif web.image is not None:
        image, source = web.image, ctx.source(where)
    else:
        # Compose names an image it builds `<project>-<service>`; deploykit deploys a pushed image.
        image = dns_label(f"{project.name}-{web.name}") or "app"
        source = f"Compose builds {web.name} (`build:`) and names the image {image}"
        where = (*web.path, "build")
    try:
        names.check_image(image)
    except ValueError as exc:
        if not names.IMAGE_REFERENCE.fullmatch(image) or len(image) > 255:
            raise ComposeProblem(f"{exc}; give a pinned one with --image", () if choices.image else where) from None
        ctx.note(
            "warning",
            where,
            f"{exc}: the profile says {image} so you can see what ran; push the image with a version tag and set "
            "`image` (deploykit validate refuses it until then)",
        )
        bare = image.split("@", 1)[0]
        name = bare.rsplit(":", 1)[0] if ":" in bare.rsplit("/", 1)[-1] else bare
        comment = (source, f"check: {exc}: push the image with a version tag (or use its digest) and write it here")
        return field("image", image, *comment), f"{name}:unpinned-stand-in"
    return field("image", image, source), None


def _run_as() -> Entry:
    """`run_as: image`: Compose ran the image as its own USER, not as deploykit's uid (a `user:` it set is
    listed with the fields not imported)."""
    return field(
        "run_as",
        "image",
        "Compose ran the image as its own USER; deploykit's uid (run_as: deploykit) suits the images it builds",
    )


def _environment_entries(ctx: Context, launch: WebCommand, proxy_entry: Entry | None, has_jobs: bool) -> list[Entry]:
    web = ctx.web
    workers, containers = launch.workers, launch.containers
    entries = [
        field("extends", "base.yaml"),
        field("environment", ctx.environment),
        field(
            "targets",
            [name for name in TARGETS if name != "dockerfile"],
            "The image exists already (Compose ran it), so the dockerfile target, a recipe for building one, is left",
            "out; add it here to render that recipe too (docs/targets/dockerfile.md).",
        ),
    ]
    how = f"{workers} worker{'s' if workers != 1 else ''} ({launch.workers_source})"
    if containers > 1:
        how += f" x {containers} containers ({ctx.source((*web.path, *web.replicas_field))})"
    entries.append(field("replicas", launch.replicas, f"{how}: every process serving requests"))
    compose: dict[str, object] = {}
    why: list[str] = []
    if containers > 1 and workers > 1:
        compose["workers"] = workers
        why.append(f"Compose runs ONE app container: {workers} workers, as each of the {containers} containers ran")
    if has_jobs:
        compose["scheduler"] = "systemd"
        why += [
            "The jobs run from host systemd timers (rendered into systemd/), each a `docker compose run` of the image",
            "as it is: yacron, the other scheduler, must be inside the image (docs/targets/compose.md).",
        ]
    if compose:
        entries.append(field("compose", compose, *why))
    if proxy_entry is not None:
        entries.append(proxy_entry)
        entries.append(
            field(
                "k8s",
                {"routing": "gateway", "gateway": dict(GATEWAY)},
                "check: the Gateway your cluster runs (kubectl get gateways -A), as `deploykit init` writes it; its",
                "HTTPS listener holds the certificate (k8s.gateway.listener_set and k8s.cluster_issuer for the app's own).",
            )
        )
    return entries
