"""Name and text formats shared by every target, each the intersection of what all targets accept."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploykit.spec.model import Proxy

# DNS-1035 label: a Kubernetes Service name, a Nomad service name, a Compose project name.
DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
# DNS-1123 subdomain: Kubernetes Secret names.
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# RFC 1123 host name, lower case. It is embedded in Traefik rules between backticks, so nothing
# outside this alphabet may reach them.
HOSTNAME_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
# An HTTP path for probes: it is written into Kubernetes probes, Nomad checks, Traefik tags and a
# Python one-liner, so quotes, backslashes, `$` and white space are excluded.
HTTP_PATH = re.compile(r"^/[A-Za-z0-9._~!*+,;=:@%/-]*$")
# Kubernetes label/annotation keys: an optional DNS-subdomain prefix and a name.
METADATA_KEY = re.compile(
    r"^(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
LABEL_VALUE = re.compile(r"^(?:(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
# An OCI image reference: [registry[:port]/]path[:tag][@digest].
IMAGE_REFERENCE = re.compile(
    r"^(?P<name>(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?$"
)
# The same formats as JSON Schema patterns (ECMA-262: no named groups), so editors refuse what the loader
# refuses. Rules a pattern cannot hold (numeric ranges inside text, `latest` with a digest) are the loader's.
DNS_LABEL_PATTERN = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
DNS_SUBDOMAIN_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
# Labels of at most 63 characters, and not an IP address (a last label of digits only).
HOSTNAME_PATTERN = r"^(?!(.*\.)?[0-9]+$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$"
_IMAGE_NAME = (
    r"(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
)
_IMAGE_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
# Pinned: a digest (any tag, even latest, beside it), or a tag other than `latest`.
IMAGE_PATTERN = rf"^{_IMAGE_NAME}(?:(?::{_IMAGE_TAG})?@sha256:[a-f0-9]{{64}}|:(?!latest$){_IMAGE_TAG})$"
HTTP_PATH_PATTERN = r"^(?!.*//)/[A-Za-z0-9._~!*+,;=:@%/-]*$"
ENV_NAME_PATTERN = ENV_NAME.pattern
_KEY_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
# prefix/name with a name of at most 63 characters.
METADATA_KEY_PATTERN = (
    r"^(?=([^/]*/)?[^/]{1,63}$)(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    + _KEY_NAME
    + "$"
)
LABEL_KEY_PATTERN = r"^(?!app\.kubernetes\.io/|traefik\.|deploykit\.)" + METADATA_KEY_PATTERN[1:]
LABEL_VALUE_PATTERN = LABEL_VALUE.pattern
SECRET_KEY_PATTERN = r"^(?!\.\.?$)[-._a-zA-Z0-9]+$"
PORT_NAME_PATTERN = r"^(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$"

# Env names that look like they hold a credential: these must come from `secrets:`, not `env:`. One
# pattern, case-insensitive, for the loader and the editor schema (spec/schema.py); the names it must
# and must not catch are listed in tests/spec/test_credential_names.py.
_CREDENTIAL_WORDS = "PASSWORDS?|PASSWD|PASSPHRASE|SECRETS?|TOKENS?|CREDENTIALS?|APIKEYS?|BEARER"
# Credentials as the last word only: `SSH_KEY` but not `KEY_ID`, `BASIC_AUTH` but not `AUTH_URL`,
# `SENTRY_DSN` but not `DSN_TIMEOUT`, `DB_PASS` but not `PASS_RATE`; Azure's connection strings carry the key;
# `GH_PAT` (a personal access token), `STRIPE_SK` (a secret key), `DB_PW`.
_CREDENTIAL_LAST_WORDS = "PASS|PWD|PW|KEYS?|AUTH|DSN|CREDS|SALT|PAT|SK|CONNECTION_STRING"
# ...or followed only by how the value is written or which one it is: `PRIVATE_KEY_PEM`, `SSH_KEY_B64`,
# `API_KEY_V2`, `STRIPE_KEY_LIVE`.
_CREDENTIAL_SUFFIXES = "B64|BASE64|PEM|DER|JSON|HEX|RAW|DATA|CONTENTS?|VALUE|LIVE|TEST|PROD|V[0-9]+"
# Credential words glued to others: `PGPASSWORD`, `dbPassword`, `apiKey`, `clientSecret`; an AWS access
# key id is half of a key pair (unlike `KEY_ID` alone: KMS key ids are not secret); a webhook URL
# (Slack, Discord) holds its own secret.
_CREDENTIAL_FRAGMENTS = (
    "PASSWORD|PASSWD|PASSPHRASE|APIKEY|PRIVATEKEY|SECRETKEY|ACCESSKEY|SSHKEY|AUTHTOKEN|ACCESSTOKEN|CLIENTSECRET"
    "|PGPASS|ACCESS_KEY_ID|WEBHOOK_URL"
)
SECRET_LOOKING_ENV = re.compile(
    # Not the name of where a secret is: `POSTGRES_PASSWORD_FILE` (the Docker images' convention), `SECRETS_DIR`.
    r"^(?!.*_(?:FILE|PATH|DIR)$)"
    rf"(?:.*(?:^|_)(?:{_CREDENTIAL_WORDS})(?:_|$)|.*(?:^|_)(?:{_CREDENTIAL_LAST_WORDS})(?:_(?:{_CREDENTIAL_SUFFIXES}))?$"
    rf"|.*(?:{_CREDENTIAL_FRAGMENTS}))",
    re.IGNORECASE,
)
# A URL with a password in it (`postgresql://user:password@host/db`, `redis://:password@host`).
URL_WITH_PASSWORD = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#@\s:]*:[^/?#@\s]+@")
# The same anywhere in a text (a command argument `--db=postgresql://...`, a shell script).
URL_WITH_PASSWORD_INSIDE = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^/?#@\s:'\"]*:[^/?#@\s'\"]+@")


def credential_in_arguments(command: Sequence[str]) -> tuple[int, str] | None:
    """The first argument of `command` that writes a credential, and why: an option named like a credential
    with a literal value (`--password hunter2`, `--api-key=abc`, `DB_PASSWORD=x` for `env`), or a URL with a
    password. References (`$DB_PASSWORD`, Kubernetes' `$(DB_PASSWORD)`) and paths (`--key /tls/key.pem`) pass.
    """
    for index, argument in enumerate(command):
        if URL_WITH_PASSWORD_INSIDE.search(argument):
            return index, "holds a password in a URL (user:password@host)"
        if argument.startswith("-"):
            name, has_value, value = argument.lstrip("-").partition("=")
            if not has_value:
                following = command[index + 1] if index + 1 < len(command) else ""
                value = "" if following.startswith("-") else following
        else:
            name, has_value, value = argument.partition("=")
            if not has_value or not ENV_NAME.fullmatch(name):
                continue
        name = name.replace("-", "_")
        if name.lower().startswith("no_") or name.lower().endswith("_stdin") or not ENV_NAME.fullmatch(name):
            continue
        if looks_like_credential(name) and value and not value.startswith(("$", "/", "./", "../", "~/")):
            return index, f"passes {name} a literal value"
    return None


def looks_like_credential(name: str) -> bool:
    """Whether an environment variable called `name` most likely holds a credential (`env_not_secret` overrides it)."""
    return SECRET_LOOKING_ENV.search(name) is not None


def check_dns_label(value: str, what: str = "name") -> str:
    """`value` if it is a DNS-1035 label of at most 63 characters, else a ValueError naming it as `what`."""
    if len(value) > 63 or not DNS_LABEL.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid {what}: use at most 63 lowercase letters, digits and '-', "
            "starting with a letter and ending with a letter or digit (a DNS-1035 label)"
        )
    return value


def check_hostname(value: str) -> str:
    """`value` if it is a lower-case RFC 1123 host name and not an IP address, else a ValueError."""
    labels = value.split(".")
    if labels[-1].isdigit():
        # Kubernetes refuses IP addresses as Ingress hosts, and ACME issues no certificate for them.
        raise ValueError(f"{value!r} is an IP address; use a DNS name")
    if len(value) > 253 or not all(len(label) <= 63 and HOSTNAME_LABEL.fullmatch(label) for label in labels):
        raise ValueError(
            f"{value!r} is not a valid host name: use lowercase letters, digits, '-' and '.' (RFC 1123), "
            "without a scheme, port, path or wildcard"
        )
    return value


# A path prefix the app is served under (`proxy.path_prefix`): path segments of unreserved characters
# (RFC 3986), so it is safe between a Traefik rule's backticks and in every target's path match.
PATH_PREFIX_PATTERN = r"^(/(?!\.{1,2}(/|$))[A-Za-z0-9._~-]+)+$"
PATH_PREFIX = re.compile(PATH_PREFIX_PATTERN)


def check_path_prefix(value: str) -> str:
    """`value` if it is a path prefix: a leading '/', segments of unreserved characters, no trailing '/'."""
    if not value.startswith("/"):
        raise ValueError(f"{value!r} must start with '/', e.g. '/{value.strip('/')}'")
    if value == "/":
        raise ValueError("'/' is every path: leave path_prefix out to serve the whole host")
    if value.endswith("/"):
        raise ValueError(
            f"{value!r} must not end with '/': write {value.rstrip('/')!r}, which serves {value.rstrip('/')} "
            "and every path below it"
        )
    if len(value) > 256 or not PATH_PREFIX.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid path prefix: '/'-separated segments of letters, digits and ._~- "
            "(no '//', '.' or '..' segment, query or wildcard)"
        )
    return value


# Host names that never leave the machine or the local network: plain HTTP there is a choice,
# elsewhere it is a mistake worth a warning.
LOCAL_SUFFIXES = (".localhost", ".test", ".local", ".internal", ".home.arpa")


def is_local_host(host: str) -> bool:
    """Whether `host` stays on this machine or the local network (where plain HTTP is acceptable)."""
    return host == "localhost" or host.endswith(LOCAL_SUFFIXES)


def public_names(proxy: Proxy) -> str:
    """The proxy's host names that leave this machine, comma-separated (for the plain-HTTP warning)."""
    return ", ".join(host for host in proxy.all_hosts if not is_local_host(host))


def check_image(value: str) -> str:
    """`value` if it is an image reference pinned by a digest or a tag other than `latest`, else a ValueError."""
    match = IMAGE_REFERENCE.fullmatch(value)
    if len(value) > 255 or not match:
        raise ValueError(f"{value!r} is not a valid image reference (expected registry/name:tag or name@sha256:digest)")
    if match.group("tag") is None and match.group("digest") is None:
        raise ValueError(f"{value!r} has no tag or digest; pin the image (name:1.2.3 or name@sha256:...)")
    if match.group("tag") == "latest" and match.group("digest") is None:
        raise ValueError(f"{value!r} uses the tag 'latest'; pin a version tag or a digest")
    return value


def image_tag(value: str) -> str | None:
    """The tag of a validated image reference, if it has one."""
    match = IMAGE_REFERENCE.fullmatch(value)
    return match.group("tag") if match else None


def check_http_path(value: str) -> str:
    """`value` if it is an absolute HTTP path without `//` or characters unsafe in the places it is written, else a ValueError."""
    if len(value) > 1024 or not HTTP_PATH.fullmatch(value) or "//" in value:
        raise ValueError(
            f"{value!r} is not a valid HTTP path: start with '/' and use letters, digits and ._~!*+,;=:@%/- only"
        )
    return value


# For the editor schema: the characters an address or a CIDR network is written with (no zone `%`, no
# `$`); the loader parses them fully (check_ip_address, check_ip_network).
IP_ADDRESS_PATTERN = r"^[0-9A-Fa-f:.]+$"
IP_NETWORK_PATTERN = r"^[0-9A-Fa-f:.]+/[0-9]{1,3}$"


def check_ip_address(value: str) -> str:
    """`value` if it is an IPv4 or IPv6 address written without a zone ID, else a ValueError.

    Python accepts `fe80::1%eth0` (and `::1%${HOME}`); no target can use a zone, and whatever follows
    the `%` would reach the output as written.
    """
    import ipaddress

    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address (e.g. 0.0.0.0, 127.0.0.1 or ::1)") from None
    if "%" in value:
        raise ValueError(f"{value!r} has an IPv6 zone ID (%...); write the address alone")
    return value


def check_ip_network(value: str) -> str:
    """`value` normalised, if it is an IPv4 or IPv6 network in CIDR notation, without host bits or a zone ID."""
    import ipaddress

    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a network in CIDR notation ({exc})") from None
    if "%" in value:
        raise ValueError(f"{value!r} has an IPv6 zone ID (%...); write the network alone, e.g. fe80::/64")
    return str(network)


def check_address_list(value: str) -> str:
    """`value` if it is `*` or a comma-separated list of IP addresses and CIDR networks (uvicorn's
    --forwarded-allow-ips), else a ValueError naming the entry that is neither.

    uvicorn keeps an entry it cannot parse as a literal host name that never matches a peer address,
    so a typo would silently trust nobody, or the wrong network.
    """
    for entry in (part.strip() for part in value.split(",")):
        if entry == "*":
            continue
        try:
            if "/" in entry:
                check_ip_network(entry)
            else:
                check_ip_address(entry)
        except ValueError as exc:
            raise ValueError(f"{value!r}: {exc}") from None
    return value
