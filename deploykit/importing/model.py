"""A resolved Compose project as typed services: the fields an import reads, in one shape.

The Compose CLI's `config --format json` writes the canonical long syntax (ports and secrets as
mappings, sizes in bytes, `command` as a list); the fallback reader keeps what the files wrote
(`"8000:8000"`, `1G`, a shell-form string). Both go through this module, so mapping code sees one
shape whatever read the files. Each parser follows the syntax the Compose specification gives for its
field (compose-spec 05-services.md, 11-extension.md for sizes and durations).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from deploykit.importing.problems import ComposeProblem

# Keys whose value tells nothing when empty: the CLI writes `command: null`, `networks: {default: null}`.
_EMPTY: tuple[Any, ...] = (None, {}, [], "")


@dataclass(frozen=True)
class Port:
    """A container port, and the host port publishing it (None: only reachable on the project's networks)."""

    target: int
    published: str | None = None
    protocol: str = "tcp"
    host_ip: str | None = None
    app_protocol: str | None = None


@dataclass(frozen=True)
class Mount:
    """One entry of `volumes`: a bind mount, a named or anonymous volume, or a tmpfs."""

    type: str
    target: str
    source: str | None = None
    read_only: bool = False


@dataclass(frozen=True)
class SecretUse:
    """A secret granted to a service, and the absolute path of the file it is mounted at."""

    source: str
    target: str


@dataclass(frozen=True)
class Healthcheck:
    """A service's `healthcheck`; durations in seconds."""

    test: tuple[str, ...] | None = None
    interval: float | None = None
    timeout: float | None = None
    retries: int | None = None
    start_period: float | None = None
    disabled: bool = False


@dataclass(frozen=True)
class Service:
    """One Compose service, with the fields deploykit maps; `raw` keeps everything else."""

    name: str
    raw: Mapping[str, Any]
    image: str | None = None
    build: tuple[str, ...] | None = None  # what identifies the built image: context, dockerfile, target
    command: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    environment: dict[str, str | None] = field(default_factory=dict)
    ports: tuple[Port, ...] = ()
    expose: tuple[int, ...] = ()
    depends_on: dict[str, str] = field(default_factory=dict)  # service -> condition
    healthcheck: Healthcheck | None = None
    memory_bytes: int | None = None
    memory_field: tuple[str, ...] = ()
    cpus: Decimal | None = None
    cpus_field: tuple[str, ...] = ()
    replicas: int | None = None
    replicas_field: tuple[str, ...] = ()
    secrets: tuple[SecretUse, ...] = ()
    volumes: tuple[Mount, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    stop_grace_seconds: float | None = None
    restart: str | None = None

    @property
    def path(self) -> tuple[str, ...]:
        """The service's Compose path: ("services", name)."""
        return ("services", self.name)

    @property
    def keys(self) -> list[str]:
        """The keys the service sets to something (the CLI writes empty defaults for some), sorted."""
        return sorted(key for key, value in self.raw.items() if not _is_empty(key, value))

    @property
    def argv(self) -> tuple[str, ...] | None:
        """What the container runs: `entrypoint` + `command`, or None when the image's defaults decide."""
        if self.entrypoint:
            return self.entrypoint + (self.command or ())
        return self.command or None


@dataclass(frozen=True)
class Project:
    """A resolved Compose project: its name, its services by name, and its top-level secrets."""

    name: str
    services: dict[str, Service]
    secrets: Mapping[str, Any] = field(default_factory=dict)


def parse_project(data: Mapping[str, Any]) -> Project:
    """The typed project of resolved Compose data (the CLI's JSON, or the fallback's merged files)."""
    services = data.get("services") or {}
    if not isinstance(services, Mapping):
        raise ComposeProblem("must be a mapping of service names to services", ("services",))
    parsed = {name: parse_service(str(name), spec) for name, spec in sorted(services.items(), key=lambda i: str(i[0]))}
    secrets = data.get("secrets") or {}
    return Project(str(data.get("name") or ""), parsed, secrets if isinstance(secrets, Mapping) else {})


def parse_service(name: str, spec: Any) -> Service:
    """One service's fields in their long form."""
    path = ("services", name)
    if spec is None:
        spec = {}
    if not isinstance(spec, Mapping):
        raise ComposeProblem("must be a mapping", path)
    deploy = _mapping(spec.get("deploy"), (*path, "deploy"))
    limits = _mapping(_mapping(deploy.get("resources"), (*path, "deploy", "resources")).get("limits"), path)
    memory_field, memory = _first(spec, limits, ("deploy", "resources", "limits", "memory"), "mem_limit")
    cpus_field, cpus = _first(spec, limits, ("deploy", "resources", "limits", "cpus"), "cpus")
    replicas_field, replicas = _first(spec, deploy, ("deploy", "replicas"), "scale")
    return Service(
        name=name,
        raw=spec,
        image=_text(spec.get("image"), (*path, "image")),
        build=_build(spec.get("build")),
        command=_command(spec.get("command"), (*path, "command")),
        entrypoint=_command(spec.get("entrypoint"), (*path, "entrypoint")),
        environment=_environment(spec.get("environment"), (*path, "environment")),
        ports=tuple(port for index, item in enumerate(_list(spec.get("ports"), (*path, "ports"))) for port in _ports(item, (*path, "ports", index))),
        expose=tuple(port for index, item in enumerate(_list(spec.get("expose"), (*path, "expose"))) for port in _port_range(str(item).split("/")[0], (*path, "expose", index))),
        depends_on=_depends_on(spec.get("depends_on"), (*path, "depends_on")),
        healthcheck=_healthcheck(spec.get("healthcheck"), (*path, "healthcheck")),
        memory_bytes=None if memory is None else parse_bytes(memory, (*path, *memory_field)),
        memory_field=memory_field,
        cpus=None if cpus is None else _decimal(cpus, (*path, *cpus_field)),
        cpus_field=cpus_field,
        replicas=None if replicas is None else _integer(replicas, (*path, *replicas_field)),
        replicas_field=replicas_field,
        secrets=tuple(_secret(item, (*path, "secrets", index)) for index, item in enumerate(_list(spec.get("secrets"), (*path, "secrets")))),
        volumes=tuple(_mount(item, (*path, "volumes", index)) for index, item in enumerate(_list(spec.get("volumes"), (*path, "volumes")))),
        labels={key: value or "" for key, value in _environment(spec.get("labels"), (*path, "labels")).items()},
        stop_grace_seconds=_duration_field(spec.get("stop_grace_period"), (*path, "stop_grace_period")),
        restart=_text(spec.get("restart"), (*path, "restart")),
    )  # fmt: skip


def _is_empty(key: str, value: Any) -> bool:
    if value in _EMPTY:
        return True
    if key == "networks" and isinstance(value, Mapping) and set(value) == {"default"}:
        return True  # every service is on the default network: saying so is not a setting
    if key == "deploy" and isinstance(value, Mapping):
        return all(_is_empty(inner, item) for inner, item in value.items())
    return False


def _first(spec: Mapping, nested: Mapping, long: tuple[str, ...], short: str) -> tuple[tuple[str, ...], Any]:
    """`deploy.resources.limits.memory` before `mem_limit` (Compose requires them to agree when both are set)."""
    if nested.get(long[-1]) is not None:
        return long, nested[long[-1]]
    if spec.get(short) is not None:
        return (short,), spec[short]
    return (), None


def _mapping(value: Any, path: tuple) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ComposeProblem("must be a mapping", path)
    return value


def _list(value: Any, path: tuple) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ComposeProblem("must be a list", path)
    return value


def _text(value: Any, path: tuple) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise ComposeProblem("must be a string", path)
    return _scalar_text(value)


def _scalar_text(value: Any) -> str:
    """A YAML scalar as Compose turns it into text: `true`, not Python's `True`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _command(value: Any, path: tuple) -> tuple[str, ...] | None:
    """`command`/`entrypoint`: a list (exec form), or a string split as a shell would, without running one."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return tuple(shlex.split(value))
        except ValueError as exc:
            raise ComposeProblem(f"cannot split {value!r} into arguments: {exc}", path) from None
    if isinstance(value, list):
        return tuple(_scalar_text(item) for item in value)
    raise ComposeProblem("must be a string or a list", path)


def _environment(value: Any, path: tuple) -> dict[str, str | None]:
    """`environment` (or `labels`) as a mapping: a list's `NAME=value` items, and `NAME` alone (no value) as None."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(key): None if item is None else _scalar_text(item) for key, item in value.items()}
    if isinstance(value, list):
        result: dict[str, str | None] = {}
        for item in value:
            name, equals, text = str(item).partition("=")
            result[name] = text if equals else None
        return result
    raise ComposeProblem("must be a mapping or a list", path)


def _build(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value, "Dockerfile", "")
    if isinstance(value, Mapping):
        return (
            str(value.get("context", ".")),
            str(value.get("dockerfile") or "Dockerfile"),
            str(value.get("target") or ""),
        )
    return ("?",)


def _port_range(text: str, path: tuple) -> list[int]:
    """`8000` -> [8000]; `8080-8081` -> [8080, 8081]."""
    first, dash, last = text.partition("-")
    try:
        start, end = int(first), int(last) if dash else int(first)
    except ValueError:
        raise ComposeProblem(f"{text!r} is not a port or a range of ports", path) from None
    if not 0 < start <= end <= 65535:
        raise ComposeProblem(f"{text!r} is not a port or a range of ports", path)
    return list(range(start, end + 1))


def _ports(item: Any, path: tuple) -> list[Port]:
    """One `ports` entry: `[HOST_IP:][HOST:]CONTAINER[/PROTOCOL]`, a number, or the long syntax."""
    if isinstance(item, Mapping):
        published = item.get("published")
        return [
            Port(
                target=_integer(item.get("target"), (*path, "target")),
                published=None if published in (None, "") else str(published),
                protocol=str(item.get("protocol") or "tcp"),
                host_ip=item.get("host_ip"),
                app_protocol=item.get("app_protocol"),
            )
        ]
    if isinstance(item, int) and not isinstance(item, bool):
        return [Port(target=item)]
    text, _, protocol = str(item).partition("/")
    parts = text.rsplit(":", 2)
    host_ip = parts[0].strip("[]") if len(parts) == 3 else None
    published = parts[-2] if len(parts) >= 2 and parts[-2] else None
    targets = _port_range(parts[-1], path)
    hosts: list[str | None] = [None] * len(targets)
    if published is not None:
        if "-" in published and len(_port_range(published, path)) == len(targets):
            hosts = [str(port) for port in _port_range(published, path)]
        else:
            hosts = [published] * len(targets)
    return [
        Port(target=target, published=host, protocol=protocol or "tcp", host_ip=host_ip)
        for target, host in zip(targets, hosts, strict=True)
    ]


def _depends_on(value: Any, path: tuple) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, list):
        return {str(name): "service_started" for name in value}
    if isinstance(value, Mapping):
        conditions = {
            name: spec.get("condition") if isinstance(spec, Mapping) else None for name, spec in value.items()
        }
        return {str(name): str(condition or "service_started") for name, condition in conditions.items()}
    raise ComposeProblem("must be a list or a mapping", path)


def _healthcheck(value: Any, path: tuple) -> Healthcheck | None:
    if value is None:
        return None
    spec = _mapping(value, path)
    test = spec.get("test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    disabled = bool(spec.get("disable")) or (isinstance(test, list) and test[:1] == ["NONE"])
    return Healthcheck(
        test=tuple(str(part) for part in test) if isinstance(test, list) else None,
        interval=_duration_field(spec.get("interval"), (*path, "interval")),
        timeout=_duration_field(spec.get("timeout"), (*path, "timeout")),
        retries=None if spec.get("retries") is None else _integer(spec["retries"], (*path, "retries")),
        start_period=_duration_field(spec.get("start_period"), (*path, "start_period")),
        disabled=disabled,
    )


def _secret(item: Any, path: tuple) -> SecretUse:
    """A secret grant; a relative `target` is a file name in /run/secrets, as Compose mounts it."""
    if isinstance(item, Mapping):
        source = str(item.get("source") or "")
        target = str(item.get("target") or source)
    else:
        source = target = str(item)
    if not source:
        raise ComposeProblem("needs a source", path)
    return SecretUse(source, target if target.startswith("/") else f"/run/secrets/{target}")


def _mount(item: Any, path: tuple) -> Mount:
    """One `volumes` entry, short (`SOURCE:TARGET[:MODE]`, `TARGET`) or long syntax."""
    if isinstance(item, Mapping):
        return Mount(
            type=str(item.get("type") or "volume"),
            target=str(item.get("target") or ""),
            source=None if item.get("source") in (None, "") else str(item["source"]),
            read_only=bool(item.get("read_only")),
        )
    parts = str(item).split(":")
    if len(parts) == 1:
        return Mount("volume", parts[0])
    source, target, mode = parts[0], parts[1], parts[2] if len(parts) > 2 else ""
    # Compose's rule: a source that is a path (., /, ~) is a bind mount, anything else names a volume.
    kind = "bind" if source.startswith((".", "/", "~")) else "volume"
    return Mount(kind, target, source, "ro" in mode.split(","))


def _integer(value: Any, path: tuple) -> int:
    if isinstance(value, bool):
        raise ComposeProblem("must be a whole number", path)
    try:
        return int(str(value))
    except ValueError:
        raise ComposeProblem(f"{value!r} is not a whole number", path) from None


def _decimal(value: Any, path: tuple) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ComposeProblem(f"{value!r} is not a number", path) from None


# go-units' RAMInBytes, which Compose uses: binary units, `b` and `i` optional, any case (`1G`, `512mb`, `2gib`).
_BYTES = re.compile(r"^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$")
_BYTE_FACTORS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40, "p": 2**50}


def parse_bytes(value: Any, path: tuple = ()) -> int:
    """A Compose size (`1G`, `512m`, `1073741824`) in bytes; Compose's units are binary (1k = 1024)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _BYTES.fullmatch(str(value).strip())
    if not match:
        raise ComposeProblem(f"{value!r} is not a size (e.g. 512m, 1g)", path)
    return int(Decimal(match.group(1)) * _BYTE_FACTORS[(match.group(2) or "").lower()])


# Go's time.ParseDuration, which Compose uses: `1m30s`, `500ms`, `1h`.
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_DURATION_FACTORS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def parse_duration(value: Any, path: tuple = ()) -> float:
    """A Compose duration in seconds."""
    text = str(value).strip()
    if text == "0":
        return 0.0
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ComposeProblem(f"{value!r} is not a duration (e.g. 30s, 1m30s)", path)
    return sum(float(number) * _DURATION_FACTORS[unit] for number, unit in parts)


def _duration_field(value: Any, path: tuple) -> float | None:
    return None if value is None else parse_duration(value, path)
