"""What a profile has no place for, each said once on stderr with what to do instead; and the web
service's named volumes, which are the one piece of state a profile keeps (`compose.volumes`).
"""

from __future__ import annotations

import os
import re
import shlex

from deploykit.importing.commandline import server_of
from deploykit.importing.context import Context, dns_label
from deploykit.importing.document import Entry, section
from deploykit.importing.environment import Environment
from deploykit.importing.locate import ComposePath
from deploykit.importing.model import Mount, Service
from deploykit.importing.roles import infrastructure, same_image

# Web service fields the import reads (the rest of this module covers `build` and `volumes`).
_READ = frozenset(
    {"image", "command", "entrypoint", "environment", "env_file", "ports", "expose", "depends_on", "healthcheck",
     "deploy", "mem_limit", "cpus", "scale", "secrets", "labels", "stop_grace_period", "profiles", "extends",
     "build", "volumes"}
)  # fmt: skip
# Fields whose job deploykit does itself on every target (hardening, restarts, networks, logs).
_DEPLOYKIT_DOES = frozenset(
    {"networks", "container_name", "restart", "read_only", "cap_drop", "security_opt", "tmpfs", "init",
     "pull_policy", "stdin_open", "tty", "logging", "hostname", "mem_reservation", "platform", "pids_limit",
     "annotations", "develop", "attach", "domainname"}
)  # fmt: skip
_WHY = {
    "user": "the profile runs the image's own USER (run_as: image): make sure the image works as it, or set build.uid and run_as: deploykit",
    "working_dir": "the image's WORKDIR decides where the app runs: set it in the Dockerfile",
    "extra_hosts": "name resolution is each platform's: give the app addresses through env",
    "dns": "name resolution is each platform's",
    "dns_search": "name resolution is each platform's",
    "links": "services find each other by name on every platform",
    "cap_add": "deploykit runs the app with no capabilities",
    "privileged": "deploykit never runs the app privileged",
    "devices": "deploykit gives the app no host devices",
    "network_mode": "deploykit puts the app on its own networks",
    "sysctls": "deploykit sets no kernel parameters",
    "ulimits": "deploykit keeps the platform's limits",
    "stop_signal": "deploykit stops the app with SIGTERM on every target: make the app finish its requests on SIGTERM",
    "configs": "deploykit has no configs: bake the files into the image, or pass the values through env or secrets",
    "volumes_from": "deploykit shares no volumes between containers",
    "shm_size": "deploykit keeps the platform's /dev/shm",
}


def web_volumes(ctx: Context) -> Entry | None:
    """`compose.volumes` from the web service's named volumes; notes for every other kind of mount."""
    web = ctx.web
    proxies = [service for service in ctx.roles.left_out if (infrastructure(service) or ("", ""))[0] == "proxy"]
    volumes = []
    for index, mount in enumerate(web.volumes):
        path: ComposePath = (*web.path, "volumes", index)
        if mount.type == "volume" and mount.source:
            shared = [proxy.name for proxy in proxies if any(m.source == mount.source for m in proxy.volumes)]
            if shared:
                ctx.note(
                    "not imported",
                    path,
                    f"volume {mount.source} shared files with {', '.join(shared)}, which deploykit replaces; serve static "
                    "files from the app (e.g. WhiteNoise) or a CDN",
                )
                continue
            volumes.append(Entry(dns_label(mount.source) or f"data-{index}", mount.target, (ctx.source(path),)))
        elif mount.type == "bind":
            ctx.note("not imported", path, _bind_reason(ctx, mount))
        elif mount.type == "volume":
            ctx.note(
                "not imported",
                path,
                f"an anonymous volume at {mount.target} starts empty on each container: state there is lost; name it to keep it",
            )
    if not volumes:
        return None
    note = "Named volumes of the app (Compose only): list their paths in build.data_dirs so the app's user owns them."
    return section("compose", [section("volumes", volumes[:16])], note)


def _bind_reason(ctx: Context, mount: Mount) -> str:
    source = _shown_path(ctx, mount.source or "")
    if source.endswith("docker.sock"):
        return f"{source}:{mount.target} gave the container the Docker API; deploykit never does"
    if not source.startswith("/"):
        return f"{source}:{mount.target} mounted files of the project into the container; the image must contain them"
    return f"{source}:{mount.target} mounted a directory of the host; bake the files into the image, or keep state in compose.volumes"


def _shown_path(ctx: Context, source: str) -> str:
    """A bind mount's source as the files write it: relative to the project directory, which the
    Compose CLI resolves to an absolute path."""
    project_dir = ctx.locator.files[0].path.parent.resolve()
    absolute = (project_dir / os.path.expanduser(source)).resolve() if not source.startswith("~") else None
    if absolute is not None and absolute.is_relative_to(project_dir):
        relative = os.path.relpath(absolute, project_dir)
        return "." if relative == "." else f"./{relative}"
    return source


def web_fields(ctx: Context) -> None:
    """A note for each web service field no profile field holds."""
    web = ctx.web
    for key in web.keys:
        if key in _READ or key in _DEPLOYKIT_DOES:
            continue
        reason = _WHY.get(key, "deploykit has no field for it")
        ctx.note("not imported", (*web.path, key), reason)
    other_labels = sorted(label for label in web.labels if not label.startswith(("traefik.", "ofelia.")))
    if other_labels:
        ctx.note(
            "not imported",
            (*web.path, "labels"),
            f"{', '.join(other_labels)}: deploykit sets its own labels; add Kubernetes-style ones under `labels`",
        )


def builds(ctx: Context) -> None:
    """A note for each `build:` of the app's image: deploykit deploys a pushed image."""
    for service in (ctx.web, *ctx.roles.prestart, *ctx.roles.processes):
        if service.build is not None:
            ctx.note(
                "not imported",
                (*service.path, "build"),
                f"deploykit deploys the pushed image {service.image or ctx.image}: build and push it in CI "
                "(`deploykit render dockerfile` writes a Dockerfile if you want one)",
            )


def services(ctx: Context, environment: Environment, proxy_imported: bool, jobs: list[str]) -> None:
    """A note for each service the profile does not run, with what to do instead."""
    for service in ctx.roles.left_out:
        ctx.note("not imported", service.path, _service_reason(ctx, service, environment, proxy_imported, jobs))


def _service_reason(
    ctx: Context, service: Service, environment: Environment, proxy_imported: bool, jobs: list[str]
) -> str:
    kind = infrastructure(service)
    if kind is None:
        if same_image(service, ctx.web):
            return _app_image_reason(service)
        return (
            f"runs another image ({service.image or 'built from build:'}); a profile describes one app: "
            f"import it into profiles of its own (--service {service.name}) or deploy it another way"
        )
    category, product = kind
    if category == "proxy":
        replaced = "deploykit runs its own Traefik" + ("" if product == "Traefik" else f" instead of {product}")
        if proxy_imported:
            return f"{replaced} (TLS, HTTP to HTTPS, routing); the host it routed to the app became proxy"
        return (
            f"{replaced} (TLS, HTTP to HTTPS, routing to the app): set proxy.host, proxy.tls and proxy.email "
            f"in profiles/{ctx.environment}.yaml"
        )
    if category == "certificates":
        return f"deploykit's Traefik obtains and renews certificates itself (proxy.tls: acme) instead of {product}"
    if category == "scheduler":
        done = f"; its jobs in the app's image became cron: {', '.join(jobs)}" if jobs else ""
        return f"deploykit runs scheduled jobs itself (`cron`) instead of {product}{done}"
    if category == "mail":
        return f"{product} is for development; give the app each environment's mail server through env or secrets"
    return f"{product} runs outside the app (a managed service, or a server of its own); {_reference(ctx, service, environment)}"


def _app_image_reason(service: Service) -> str:
    if service.argv is None:
        return "runs the app's image without a command (its default starts the web server again); give it one to import it as a process"
    if server_of(service.argv) is not None:
        return (
            f"runs a second web server ({shlex.join(service.argv)}); a profile has one: import it into profiles of "
            f"its own with --service {service.name}"
        )
    return (
        'runs once (restart: "no") and the app does not wait for it; add it to prestart if it must run before '
        "the app starts, or run it by hand"
    )


def _reference(ctx: Context, service: Service, environment: Environment) -> str:
    """How the app should reach a service that now runs outside it: the variables that point at it."""
    pattern = re.compile(rf"(?:^|[/@,=\s]){re.escape(service.name)}(?::\d+)?(?:[/?,\s]|$)")
    variables = sorted(name for name, value in ctx.web.environment.items() if value and pattern.search(value))
    secrets = [f"secrets.{name}" for name in variables if name in environment.secrets]
    plain = [f"env.{name}" for name in variables if name in environment.env]
    if secrets:
        return f"reference it through {', '.join(secrets)}"
    if plain:
        return f"{', '.join(plain)} points at it: set the address each environment uses"
    return "give the app its address through env (and its credentials through secrets)"
