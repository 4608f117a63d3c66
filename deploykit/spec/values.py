"""Checks of single field values, shared by the spec models and by their compiled form.

Each takes a value its field's type already accepted and returns it (or its normal form), or raises
ValueError with the message the profile's author sees. None of them imports pydantic: the spec models
(model.py, base.py, network.py, options/) wrap them in AfterValidator, and compiled.py runs the same
functions from pydantic-core alone, so a render of a valid profile never imports pydantic.
"""

from __future__ import annotations

import ipaddress
import re

from deploykit.report import WARNINGS
from deploykit.spec import names
from deploykit.spec.quantities import parse_cpu, parse_memory

# A Docker network name, as the engine accepts it (daemon/names.go: RestrictedNamePattern).
COMPOSE_NETWORK_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$"
# Docker's default bridge (docker0). Other automatically allocated networks come from 172.17-31/16
# and 192.168/16 as well; a pinned subnet is only checked against the one that exists on every host.
DOCKER_DEFAULT_BRIDGE = ipaddress.IPv4Network("172.17.0.0/16")
PRIVATE_RANGES = tuple(ipaddress.IPv4Network(net) for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
DEFAULT_PROXY_SUBNET = "172.30.0.0/24"
# The oldest Kubernetes minor version deploykit renders for (kubernetes-validate checks output from it on).
OLDEST_KUBERNETES_MINOR = 29
DEFAULT_KUBERNETES_VERSION = "1.31"
# The oldest Podman release with the Quadlet keys deploykit writes (Notify=healthy, HealthOnFailure=),
# and the default: Debian 13's and RHEL 10's Podman.
OLDEST_PODMAN_VERSION = (5, 0)
DEFAULT_PODMAN_VERSION = "5.4"


# --- names, labels and keys ----------------------------------------------------------------------------


def check_selector_key(value: str) -> str:
    if len(value) > 316 or not names.METADATA_KEY.fullmatch(value) or len(value.rsplit("/", 1)[-1]) > 63:
        raise ValueError(f"{value!r} is not a valid label or annotation key (prefix/name, name at most 63 characters)")
    return value


def check_label_key(value: str) -> str:
    check_selector_key(value)
    if value.startswith(("app.kubernetes.io/", "traefik.", "deploykit.")):
        raise ValueError(f"{value!r} is reserved: deploykit sets app.kubernetes.io/*, traefik.* and deploykit.* itself")
    return value


def check_label_value(value: str) -> str:
    if len(value) > 63 or not names.LABEL_VALUE.fullmatch(value):
        raise ValueError(f"{value!r} is not a valid label value (at most 63 letters, digits, '-', '_', '.')")
    return value


def check_env_name(value: str) -> str:
    if not names.ENV_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid environment variable name (letters, digits and '_', not starting with a digit)"
        )
    return value


def check_port_name(value: str) -> str:
    # An IANA service name, as Kubernetes requires of container port names; it is also a Nomad port label.
    if len(value) > 15 or not names.PORT_NAME.fullmatch(value) or "--" in value or not any(c.isalpha() for c in value):
        raise ValueError(
            f"{value!r} is not a valid port name: at most 15 lowercase letters, digits and '-', with at least one letter"
        )
    return value


def _dns_subdomain(value: str, what: str) -> str:
    if len(value) > 253 or not names.DNS_SUBDOMAIN.fullmatch(value):
        raise ValueError(f"{value!r} is not a valid {what} (lowercase letters, digits, '-' and '.')")
    return value


def check_secret_name(value: str) -> str:
    return _dns_subdomain(value, "secret name")


def check_secret_key(value: str) -> str:
    if len(value) > 253 or not names.SECRET_KEY.fullmatch(value):
        raise ValueError(f"{value!r} is not a valid secret key (letters, digits, '-', '_' and '.')")
    if value in (".", ".."):
        # Kubernetes refuses them, and as a file name (Compose mounts keys as files) `..` leaves the directory.
        raise ValueError(f"{value!r} cannot be a secret key: it is not a file name")
    return value


# --- quantities, lists and words -----------------------------------------------------------------------


def number_as_text(value: object) -> object:
    """`cpu: 2`, `cpu: 0.5` and `memory: 268435456` are quantities too; booleans are not."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format(value, "f").rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    return value


def policy_off(value: object) -> object:
    """`k8s.network_policy: none` is `{enabled: false}` (YAML's null would mean "remove the parent's value")."""
    return {"enabled": False} if value == "none" else value


def check_memory(value: str) -> str:
    parse_memory(value)
    return value


def check_tmp_size(value: str) -> str:
    return _check_memory_sized(value, "tmp_size")


def check_volume_size(value: str) -> str:
    return _check_memory_sized(value, "a volume's size")


def _check_memory_sized(value: str, subject: str) -> str:
    """A size written and bounded as memory is, with `subject` named in the error."""
    try:
        parse_memory(value)
    except ValueError as exc:
        # parse_memory speaks of memory per process; the range is the same, the subject is not.
        raise ValueError(str(exc).replace("memory per process", subject)) from None
    return value


def check_cpu(value: str) -> str:
    parse_cpu(value)
    return value


def unique_targets(value: list[str]) -> list[str]:
    duplicates = sorted({name for name in value if value.count(name) > 1})
    if duplicates:
        raise ValueError(f"{duplicates[0]!r} is listed more than once")
    return value


def check_warning_code(value: str) -> str:
    if value not in WARNINGS:
        import difflib

        close = difflib.get_close_matches(value, WARNINGS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else " (the code is printed at the end of each warning's line)"
        raise ValueError(f"{value!r} is not a warning code{hint}")
    return value


def as_list(value: object) -> object:
    """`app_path: app` means `[app]`."""
    return [value] if isinstance(value, str) else value


def check_matching(value: str, pattern: str, max_length: int, problem: str) -> str:
    """`value` if it has at most `max_length` characters and matches `pattern` (bound with functools.partial)."""
    # fullmatch, not match: `$` also matches before a trailing newline ("curl\n" from a `|` block).
    if len(value) > max_length or not re.fullmatch(pattern, value):
        raise ValueError(f"{value!r} {problem}")
    return value


def drop_dot_slash(path: str) -> str:
    """`./app` is accepted as written in FastAPI's page, and kept as `app`."""
    return path.removeprefix("./")


def package_name(entry: str) -> str:
    """The package name of a validated `name` or `name=version` entry."""
    return entry.split("=", 1)[0]


def package_version(entry: str) -> str | None:
    """The pinned version of a validated entry, or None when it is not pinned."""
    _, _, version = entry.partition("=")
    return version or None


def unique_packages(entries: list[str]) -> list[str]:
    seen: set[str] = set()
    for entry in entries:
        name = package_name(entry)
        if name in seen:
            raise ValueError(f"{name!r} is listed more than once")
        seen.add(name)
    return entries


# --- networks, paths and versions ----------------------------------------------------------------------


def check_compose_network(value: str) -> str:
    if len(value) > 128 or not re.fullmatch(COMPOSE_NETWORK_PATTERN, value):
        raise ValueError(f"{value!r} is not a Docker network name (letters, digits, '_', '.' and '-', at most 128)")
    return value


def check_subnet(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an IPv4 network in CIDR form with no host bits set, e.g. {DEFAULT_PROXY_SUBNET}"
        ) from None
    if not any(network.subnet_of(private) for private in PRIVATE_RANGES):
        raise ValueError(f"{value!r} is not a private network (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)")
    if network.overlaps(DOCKER_DEFAULT_BRIDGE):
        raise ValueError(f"{value!r} overlaps Docker's default bridge network 172.17.0.0/16")
    if not 16 <= network.prefixlen <= 28:
        # /28 leaves 13 addresses for the gateway, Traefik and the app; wider than /16 is never needed.
        raise ValueError(f"{value!r} must be between a /16 and a /28")
    return value


def check_socket_path(value: str) -> str:
    if not value.startswith("/") or len(value) > 1024 or any(char in value for char in " \t\n$'\"`\\:,"):
        raise ValueError(f"{value!r} is not an absolute socket path (no spaces, quotes, '$', ':' or ',')")
    return value


_PLAIN_DIRECTORY = re.compile(r"(/[A-Za-z0-9._@+-]+)+")
# The same for editors (JSON Schema, ECMA-262): no `.` or `..` part.
SERVER_DIRECTORY_PATTERN = r"^(?!.*/\.\.?(/|$))(/[A-Za-z0-9._@+-]+)+$"


def check_server_directory(value: str) -> str:
    """A directory on the server that systemd units and shells read as it is (no quoting, specifiers or variables)."""
    if (
        len(value) > 1024
        or not _PLAIN_DIRECTORY.fullmatch(value)
        or any(part in (".", "..") for part in value.split("/"))
    ):
        raise ValueError(
            f"{value!r} is not an absolute directory such as /srv/items-api (letters, digits, '.', '_', '-', '@', '+'; "
            "no '..', spaces, '%' or '$')"
        )
    return value


def check_absolute_mount_path(value: str) -> str:
    if (
        not value.startswith("/")
        or value == "/"
        or any(part in ("", ".", "..") for part in value[1:].split("/"))
        or not value.isprintable()
        or " " in value
        or "$" in value
    ):
        raise ValueError(f"{value!r} is not an absolute directory such as /data (no '..', spaces or '$')")
    return value


def check_kubernetes_version(value: str) -> str:
    match = re.fullmatch(r"1\.([1-9][0-9]{0,2})", value)
    if match is None or int(match.group(1)) < OLDEST_KUBERNETES_MINOR:
        raise ValueError(
            f"{value!r} is not a Kubernetes version deploykit renders for: "
            f'write a minor version from 1.{OLDEST_KUBERNETES_MINOR} on, quoted, e.g. "{DEFAULT_KUBERNETES_VERSION}"'
        )
    return value


def check_podman_version(value: str) -> str:
    match = re.fullmatch(r"([1-9][0-9]?)\.(0|[1-9][0-9]?)", value)
    if match is None or (int(match.group(1)), int(match.group(2))) < OLDEST_PODMAN_VERSION:
        major, minor = OLDEST_PODMAN_VERSION
        raise ValueError(
            f"{value!r} is not a Podman version deploykit renders for: write a minor version from {major}.{minor} "
            f'on, quoted, e.g. "{DEFAULT_PODMAN_VERSION}"'
        )
    return value


def check_object_name(value: str) -> str:
    return _dns_subdomain(value, "object name")  # a Gateway's name: ObjectName in Gateway API


def check_section_name(value: str) -> str:
    return _dns_subdomain(value, "listener name")  # Gateway API's SectionName


def check_bridge(value: str) -> str:
    return value if value == "none" else names.check_ip_network(value)
