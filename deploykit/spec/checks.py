"""Rules that involve more than one field, checked after the model has validated each field."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from deploykit.errors import FieldPath, Problem
from deploykit.servers import detect, flag_of
from deploykit.spec import names

if TYPE_CHECKING:
    from deploykit.spec.model import Profile, Proxy
    from deploykit.spec.network import Destination


def problems(profile: Profile) -> Iterator[Problem]:
    """The profile's cross-field problems that hold whatever the target, in field order.

    Rules that only one target has live in that target's `check` (deploykit/targets/<target>/check.py).
    """
    yield from _server_problems(profile)
    yield from _command_credential_problems(profile)
    seen: set[str] = {profile.app}
    for index, step in enumerate(profile.prestart):
        if step.name in seen:
            reason = (
                "is the app's name (containers and tasks share one namespace)"
                if step.name == profile.app
                else "is used twice"
            )
            yield Problem(("prestart", index, "name"), f"step name {step.name!r} {reason}")
        seen.add(step.name)
        if not step.command[0]:
            yield Problem(("prestart", index, "command", 0), "the program to run cannot be empty")
    for field in ("processes", "cron"):
        for name, entry in getattr(profile, field).items():
            if name in seen:
                owner = "the app" if name == profile.app else "another process, job or prestart step"
                yield Problem(
                    (field, name),
                    f"{name!r} is also the name of {owner}: processes, jobs, steps and the app share one namespace",
                )
            seen.add(name)
            if not entry.command[0]:
                yield Problem((field, name, "command", 0), "the program to run cannot be empty")
            yield from _plain_env_problems(profile, (field, name, "env"), entry.env)
    for name in profile.env:
        if name in profile.secrets:
            yield Problem(("env", name), f"{name} is also defined in secrets; define it in one place")
    yield from _plain_env_problems(profile, ("env",), profile.env)
    for variable in profile.secret_files:
        setter = _setter_of(profile, variable)
        if setter is not None:
            yield Problem(
                ("secrets", variable.removesuffix("_FILE")),
                f"with secrets_as: file the app finds this secret through {variable}, which {setter} also sets; rename one of them",
            )
    yield from _network_problems(profile)
    yield from _writable_path_problems(profile)
    port_names, port_numbers = {"http"}, {profile.port}
    for index, extra in enumerate(profile.ports):
        if extra.name in port_names:
            reason = "is the app's port (`port`)" if extra.name == "http" else "is used twice"
            yield Problem(("ports", index, "name"), f"{extra.name!r} {reason}")
        if extra.port in port_numbers:
            yield Problem(
                ("ports", index, "port"),
                f"{extra.port} is already used by {'`port`' if extra.port == profile.port else 'another entry'}",
            )
        port_names.add(extra.name)
        port_numbers.add(extra.port)
    health = profile.health
    if health.check == "command" and health.command is None:
        yield Problem(
            ("health", "command"),
            "required with health.check: command (the probe the image carries, exec form, e.g. [/app/healthcheck])",
            ("health", "check"),
        )
    if health.timeout_seconds >= health.interval_seconds:
        yield Problem(("health", "timeout_seconds"), "must be less than health.interval_seconds")
    proxy = profile.proxy
    if proxy is not None:
        if proxy.host is not None and profile.publish is not None:
            yield Problem(
                ("publish",),
                "publish is for apps behind a load balancer of their own, proxy.host for deploykit's proxy: choose one",
            )
        if proxy.tls != "none" and proxy.host is None:
            yield Problem(("proxy", "host"), f"required with tls: {proxy.tls}", ("proxy", "tls"))
        if proxy.tls != "provided" and proxy.certificate is not None:
            yield Problem(("proxy", "certificate"), "only used with tls: provided")
        yield from _proxy_host_problems(proxy)


def _proxy_host_problems(proxy: Proxy) -> Iterator[Problem]:
    """Aliases, redirects and a path prefix need a host; every host name is routed once."""
    if proxy.host is None:
        for field in ("aliases", "redirects", "path_prefix"):
            if getattr(proxy, field):
                yield Problem(
                    ("proxy", field), "needs proxy.host (the first of the app's host names)", ("proxy", "host")
                )
    if proxy.strip_prefix and proxy.path_prefix is None:
        yield Problem(
            ("proxy", "strip_prefix"), "needs proxy.path_prefix (the prefix to strip)", ("proxy", "path_prefix")
        )
    seen: dict[str, str] = {} if proxy.host is None else {proxy.host: "proxy.host"}
    for field in ("aliases", "redirects"):
        for index, host in enumerate(getattr(proxy, field)):
            if host in seen:
                yield Problem(
                    ("proxy", field, index),
                    f"{host!r} is already {seen[host]}: every host name is listed once"
                    + (
                        " (a redirect cannot lead to itself)"
                        if seen[host] == "proxy.host" and field == "redirects"
                        else ""
                    ),
                )
            else:
                seen[host] = f"proxy.{field}[{index}]"


def _command_credential_problems(profile: Profile) -> Iterator[Problem]:
    """A credential written into a command: every target shows commands in its output and process lists."""
    commands: list[tuple[FieldPath, tuple[str, ...] | list[str]]] = []
    if profile.command is not None:
        commands.append((("command",), profile.command))
    commands += [(("prestart", index, "command"), step.command) for index, step in enumerate(profile.prestart)]
    for field in ("processes", "cron"):
        commands += [((field, name, "command"), entry.command) for name, entry in getattr(profile, field).items()]
    if profile.health.command is not None:
        commands.append((("health", "command"), profile.health.command))
    for path, command in commands:
        found = names.credential_in_arguments(command)
        if found is not None:
            index, reason = found
            yield Problem(
                (*path, index),
                f"the argument {reason}: a command line shows in process lists and in the rendered files; "
                "read the credential from a secret instead (`secrets:` gives the command an environment variable)",
            )


def _network_problems(profile: Profile) -> Iterator[Problem]:
    """A caller that names nobody, and a destination that is both a network and pods, or neither."""
    for index, caller in enumerate(profile.network.callers):
        if caller.namespace is None and not caller.pod_labels and caller.compose_network is None:
            yield Problem(
                ("network", "callers", index),
                "name the callers: namespace and/or pod_labels (Kubernetes), compose_network (Compose)",
            )
    destinations: list[tuple[tuple[str, ...], list[Destination]]] = [
        (("network", "egress"), profile.network.egress),
    ]
    if profile.k8s.network_policy.enabled:
        destinations.append((("k8s", "network_policy", "egress"), profile.k8s.network_policy.egress))
    for path, entries in destinations:
        for index, destination in enumerate(entries):
            if destination.cidr is not None and destination.in_cluster:
                yield Problem(
                    (*path, index, "cidr"),
                    "a destination is a network (cidr) or pods (namespace, pod_labels), not both",
                )
            elif destination.cidr is None and not destination.in_cluster:
                yield Problem((*path, index), "name the destination: cidr, or namespace and/or pod_labels")


# Mounted by deploykit itself: /tmp (every target) and the secret files (/run/secrets, Nomad's /secrets).
_RESERVED_MOUNTS = ("/tmp", "/run/secrets", "/secrets")


def _writable_path_problems(profile: Profile) -> Iterator[Problem]:
    """Each writable path once, none inside a mount deploykit makes (the field refuses `/` itself)."""
    seen: set[str] = set()
    for index, path in enumerate(profile.writable_paths):
        if path in seen:
            yield Problem(("writable_paths", index), f"{path} is listed twice")
        elif any(path == reserved or path.startswith(reserved + "/") for reserved in _RESERVED_MOUNTS):
            yield Problem(
                ("writable_paths", index), f"{path} is inside a mount deploykit makes already (/tmp, secrets)"
            )
        seen.add(path)
    for name, volume in profile.volumes.items():
        if volume.path in seen:
            yield Problem(
                ("volumes", name, "path"), f"{volume.path} is already mounted (writable_paths or another volume)"
            )
        elif any(volume.path == reserved or volume.path.startswith(reserved + "/") for reserved in _RESERVED_MOUNTS):
            yield Problem(
                ("volumes", name, "path"), f"{volume.path} is inside a mount deploykit makes already (/tmp, secrets)"
            )
        seen.add(volume.path)


def _setter_of(profile: Profile, variable: str) -> str | None:
    """The field that sets `variable` in the app's, a process's or a job's environment, if any."""
    if variable in profile.env or variable in profile.secrets:
        return f"{'env' if variable in profile.env else 'secrets'}.{variable}"
    for field in ("processes", "cron"):
        for name, entry in getattr(profile, field).items():
            if variable in entry.env:
                return f"{field}.{name}.env.{variable}"
    return None


def _server_problems(profile: Profile) -> Iterator[Problem]:
    """The command must start the server it names, with none of the flags or variables deploykit owns
    and none of those that break in a container."""
    command = profile.command
    if command is None:
        if profile.server is not None and profile.server != "generic":
            yield Problem(
                ("server",),
                f"{profile.server} needs a command: deploykit appends {profile.server}'s flags to it; give `command` "
                f"(exec form, starting {profile.server}), or remove `server` to run the image's own ENTRYPOINT/CMD "
                "as a generic server",
            )
        return
    detected = detect(command)
    if profile.server is None and detected is None:
        program = command[0]
        if command[1:2] == ["dev"] and program.rsplit("/", 1)[-1] == "fastapi":
            yield Problem(
                ("command", 1),
                "`fastapi dev` is the development server (it reloads on file changes and listens on 127.0.0.1 only); use `fastapi run`",
            )
            return
        yield Problem(
            ("command", 0),
            f"{program!r} is not a server deploykit knows (fastapi run, uvicorn, gunicorn, granian, hypercorn, or python -m one of them); "
            "set `server: generic` to run the command as given, with PORT and WEB_CONCURRENCY in its environment",
        )
        return
    server = profile.web_server
    if (
        profile.server is not None
        and profile.server != "generic"
        and (detected is None or detected.server != profile.server)
    ):
        starts = f"starts {detected.server}" if detected is not None else f"starts {command[0]!r}"
        yield Problem(
            ("server",),
            f"the command {starts}, not {profile.server}: deploykit appends {profile.server}'s flags to the command, "
            f"so it must run {profile.server} itself (exec form, no shell)",
        )
        return
    first = detected.first_argument if detected is not None and server.name != "generic" else len(command)
    for index in range(first, len(command)):
        flag = server.option(command[index])
        written = flag_of(command[index])
        shown = flag if written == flag else f"{written} ({server.name} reads it as {flag})"
        if flag in server.owned_flags:
            yield Problem(("command", index), f"remove {shown}: {server.owned_flags[flag]}")
        elif flag in server.refused_flags:
            yield Problem(("command", index), f"remove {shown}: {server.refused_flags[flag]}")
    if server.name == "granian" and not any(flag_of(argument) == "--interface" for argument in command[first:]):
        yield Problem(
            ("command",),
            "granian serves RSGI unless told otherwise, and answers an ASGI or WSGI app with HTTP 500: add --interface asgi (or wsgi)",
        )
    for where in ("env", "secrets"):
        for name in getattr(profile, where):
            reason = server.owned_env.get(name) or next(
                (hint for prefix, hint in server.owned_env_prefixes.items() if name.startswith(prefix)), None
            )
            if reason is not None:
                yield Problem((where, name), f"remove {name}: {reason}")


def _plain_env_problems(profile: Profile, path: FieldPath, env: Mapping[str, str]) -> Iterator[Problem]:
    """Credentials written as plain values: a credential-looking name (unless acknowledged in `env_not_secret`),
    or a password inside a URL whatever the name."""
    for name, value in env.items():
        if name not in profile.env_not_secret and names.looks_like_credential(name):
            yield Problem(
                (*path, name),
                f"{name} looks like a credential; reference it under `secrets:` instead of writing its value "
                "(or list it in `env_not_secret` if it holds no secret)",
            )
        if names.URL_WITH_PASSWORD.match(value):
            yield Problem(
                (*path, name),
                "the value holds a password in its URL (user:password@host); reference it under `secrets:` instead of writing it",
            )
