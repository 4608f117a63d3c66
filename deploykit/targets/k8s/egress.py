"""What the pods probably connect to outside the cluster, while the NetworkPolicy closes egress.

The NetworkPolicy lets the pods reach cluster DNS and the declared destinations only (`network.egress`,
`k8s.network_policy.egress`). An app configured with an external URL (a payment API, an error tracker,
an object store) or holding an API key would time out connecting: check.py warns (`external-egress`).
Database-like secrets have their own warning (`database-egress`).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from deploykit.spec import names

if TYPE_CHECKING:
    from collections.abc import Iterator

    from deploykit.errors import FieldPath
    from deploykit.spec.model import Profile
    from deploykit.spec.network import Destination

URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# Among the credential-looking names (deploykit.spec.names), the ones for another service's API: keys,
# tokens, client secrets, DSNs. A session or signing secret (SECRET_KEY, JWT_SECRET) or a password
# stays inside the app or goes to the database (database-egress).
API_CREDENTIAL_NAME = re.compile(
    r"(^|_)(API_?KEYS?|ACCESS_?KEY(_ID)?|TOKENS?|CLIENT_?SECRETS?|DSN|PAT)(_|$)"
    r"|APIKEY|ACCESSKEY|AUTHTOKEN|ACCESSTOKEN|CLIENTSECRET|WEBHOOK_URL",
    re.IGNORECASE,
)
# Secrets named like an address the app connects to (their value is not known here).
ADDRESS_NAME = re.compile(r"(^|_)(URL|URI|ENDPOINT|HOST|DSN)S?$", re.IGNORECASE)
# Names inside the cluster: a Service's short name (no dot), `<svc>.<ns>`, `<svc>.<ns>.svc`, and the
# cluster domain (cluster.local by default).
CLUSTER_SUFFIXES = (".svc", ".svc.cluster.local", ".cluster.local", ".localhost")
# The port a URL without one connects to, by scheme (the registered ports).
DEFAULT_PORTS = {
    "http": 80,
    "https": 443,
    "ws": 80,
    "wss": 443,
    "ftp": 21,
    "sftp": 22,
    "ssh": 22,
    "smtp": 25,
    "smtps": 465,
    "postgres": 5432,
    "postgresql": 5432,
    "mysql": 3306,
    "redis": 6379,
    "rediss": 6379,
    "amqp": 5672,
    "amqps": 5671,
    "mongodb": 27017,
    "nats": 4222,
}


@dataclass(frozen=True)
class Outside:
    """A value or secret that points outside the cluster, at `path`."""

    path: FieldPath
    what: str  # how the warning names it


def _external_host(value: str, namespaces: set[str], own_hosts: set[str]) -> tuple[str, int | None] | None:
    """The host and port of a URL to outside the cluster, None for anything else: no URL, a Service's
    short name, `<service>.<namespace>` for a namespace the profile names, a cluster domain, loopback, and
    the app's own host names (its public address in its settings: trusted origins, links, callbacks)."""
    if not URL.match(value):
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".").lower()
    if not host or ("." not in host and ":" not in host):
        return None  # no host (file:///...), or a Service's short name
    if host == "localhost" or host.endswith(CLUSTER_SUFFIXES) or host in own_hosts:
        return None
    labels = host.split(".")
    if len(labels) == 2 and labels[1] in namespaces:
        return None  # `<service>.<namespace>`, which cluster DNS resolves through the pod's search path
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and (address.is_loopback or address.is_link_local):
        return None
    return host, port if port is not None else DEFAULT_PORTS.get(parts.scheme.lower())


def _allowed(host: str, port: int | None, destinations: list[Destination]) -> bool:
    """Whether an egress destination covers `host:port`: an address inside its network (a name, whose
    address is not known here, inside any network) on one of its ports (any, when the port is not known)."""
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for destination in destinations:
        if destination.cidr is None:
            continue  # pods of the cluster, not the outside
        if address is not None and address not in ipaddress.ip_network(destination.cidr, strict=False):
            continue
        if port is None or port in destination.ports:
            return True
    return False


def outside_addresses(profile: Profile, database_like: re.Pattern[str]) -> Iterator[Outside]:
    """The env values that are URLs to outside the cluster and the secrets that look like API keys or
    external addresses, which the NetworkPolicy's egress destinations do not cover."""
    policy = profile.k8s.network_policy
    destinations = [*profile.network.egress, *policy.egress]
    # A network beyond the private ranges: the pods may reach the internet, where API keys usually go.
    public = any(
        destination.cidr is not None and not ipaddress.ip_network(destination.cidr, strict=False).is_private
        for destination in destinations
    )
    # Namespaces the profile names: `<service>.<namespace>` in one of them is inside the cluster.
    namespaces = {profile.k8s.namespace or profile.app, policy.dns_namespace}
    namespaces |= {destination.namespace for destination in destinations if destination.namespace}
    namespaces |= {caller.namespace for caller in profile.network.callers if caller.namespace}
    if policy.ingress_namespace is not None:
        namespaces.add(policy.ingress_namespace)
    own_hosts = {host.lower() for host in profile.proxy.all_hosts} if profile.proxy is not None else set()
    sources: list[tuple[FieldPath, dict[str, str]]] = [(("env",), profile.env)]
    sources += [(("processes", name, "env"), process.env) for name, process in sorted(profile.processes.items())]
    sources += [(("cron", name, "env"), job.env) for name, job in sorted(profile.cron.items())]
    for prefix, variables in sources:
        for name, value in sorted(variables.items()):
            found = _external_host(value, namespaces, own_hosts)
            if found is not None and not _allowed(*found, destinations):
                host, port = found
                yield Outside((*prefix, name), f"{name} is a URL to {host}" + (f":{port}" if port else ""))
    if public:
        return  # a secret's destination is not known here: a public network may be it
    for name in sorted(profile.secrets):
        if database_like.search(name):
            continue  # database-egress says it
        if names.looks_like_credential(name) and API_CREDENTIAL_NAME.search(name):
            yield Outside(("secrets", name), f"{name} looks like an API key or token for a service outside the cluster")
        elif ADDRESS_NAME.search(name):
            yield Outside(("secrets", name), f"{name} reads like the address of a service outside the cluster")
