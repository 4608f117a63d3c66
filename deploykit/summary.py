"""What a target's output does, as typed facts a target states about what it rendered.

`explain` prints these; it never reads the rendered files or parses a command line back. Values are
in the target's own notation (`2560m` for Compose, `512Mi` for Kubernetes) because that is what the
user will find in the files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploykit.spec.model import Proxy


@dataclass(frozen=True)
class Route:
    """How requests from outside reach the app."""

    router: str  # who routes: "Traefik", "Ingress items-api (class traefik)", "HTTPRoute items-api"
    rule: str  # what it matches: "Host(`api.example.com`)", or the Ingress hosts
    entrypoint: str | None  # the Traefik entry point serving the route, where there is one
    certificates: str | None  # where TLS certificates come from; None: plain HTTP
    redirects_http: bool  # plain HTTP is redirected to HTTPS
    tls_secret: str | None = None  # the Kubernetes Secret holding the certificate
    redirected_by: str | None = None  # what answers plain HTTP with the redirect: "HTTPRoute items-api-redirect"
    via: str | None = None  # where the router attaches and TLS ends: "Gateway gateway-system/platform (listener https)"
    # What else the route does with the request: redirected hosts, a stripped prefix (`route_notes`).
    notes: tuple[str, ...] = ()

    def described(self, sentence: str) -> str:
        """`sentence` followed by the route's notes."""
        return sentence + "".join(f"; {note}" for note in self.notes)


def route_notes(proxy: Proxy) -> tuple[str, ...]:
    """What every target's route does beyond matching: the redirected hosts and the prefix it strips."""
    notes: list[str] = []
    if proxy.redirects and proxy.host is not None:
        # Every target's redirect route matches the prefix too: other paths of those hosts are not the app's.
        under = f" under {proxy.path_prefix}" if proxy.path_prefix is not None else ""
        notes.append(
            f"{', '.join(proxy.redirects)} answered{under} with a permanent redirect to {proxy.host}, keeping the path "
            "and query"
        )
    if proxy.path_prefix is not None:
        notes.append(
            f"the app sees paths without {proxy.path_prefix} ({proxy.path_prefix}/x arrives as /x)"
            if proxy.strip_prefix
            else f"the app sees the full path, {proxy.path_prefix} included"
        )
    return tuple(notes)


@dataclass(frozen=True)
class Probe:
    """A health check that restarts the process when it fails."""

    path: str
    period_seconds: int
    failure_threshold: int


@dataclass(frozen=True)
class Restarts:
    """Who restarts a failed process, and how."""

    policy: str  # as the target writes it: "unless-stopped", "Always", "fail"
    attempts: int | None = None  # restarts in place within `interval` before giving up (Nomad)
    interval: str | None = None
    reschedule: str | None = None  # what happens next: "exponential from 30s" (Nomad)


@dataclass(frozen=True)
class Runtime:
    """What the app's containers may do with the image: whose user, which paths are writable."""

    user: str | None  # as the target writes it ("10001:10001", "10001"); None: the image's own USER
    read_only_root: bool
    writable: tuple[str, ...]  # the writable mounts besides the secrets: /tmp first, then `writable_paths`
    writable_kind: str  # "tmpfs", "emptyDir"
    non_root_enforced: bool = False  # the platform refuses to start an image whose user is root (runAsNonRoot)
    persistent: str | None = None  # where persistent data lives and what that implies, in the target's terms


@dataclass(frozen=True)
class Workload:
    """The app's server processes, as the target runs them."""

    name: str
    command: tuple[str, ...]  # the argv the target runs; empty: the image's own ENTRYPOINT/CMD
    server: str  # the server `command` starts (deploykit.servers), or "generic"
    unit: str  # what holds the processes: "container", "pod", "allocation"
    units: int  # how many (the autoscaler's minimum when autoscaled)
    max_units: int | None  # the autoscaler's maximum; None when the count is fixed
    processes_per_unit: int
    supervisor: bool  # one more process per unit that the memory limit covers
    supervisor_loads_app: bool  # that process imports the app (a full process's memory), or only supervises
    memory_limit: str  # per unit
    memory_request: str | None
    cpu: str  # per unit
    restarts: Restarts
    shutdown_seconds: int
    check_path: str  # what decides that a unit takes traffic
    container_check: tuple[str, ...] | None  # the probe the engine runs in the container, if any (Compose)
    start_budget_seconds: int | None  # how long a unit may take to start
    liveness: Probe | None
    drain_seconds: int | None = None  # how long a stopping unit keeps serving before SIGTERM (a preStop delay)
    runtime: Runtime | None = None
    proxy_checks: bool = True  # the proxy checks `check_path` itself (Traefik's HTTP health check)


@dataclass(frozen=True)
class Steps:
    """The steps run before the app starts."""

    names: tuple[str, ...]
    mechanism: str  # "one-shot services", "init containers", "Jobs", "prestart tasks"
    once_per: str  # what each run belongs to: "up", "pod", "release", "allocation"
    awaited: tuple[tuple[str, str], ...] = ()  # (step, condition) the app waits for (Compose)


@dataclass(frozen=True)
class Background:
    """A process or scheduled job beside the web server, as the target runs it."""

    name: str
    command: tuple[str, ...]
    instances: int  # units running it at once (1 for a scheduled job's run)
    unit: str  # "pod", "container", "allocation", "run"
    memory_limit: str  # per unit, in the target's notation
    schedule: str | None = None  # a scheduled job's cron schedule
    timezone: str | None = None
    runner: str | None = (
        None  # what starts each run: "a CronJob", "the scheduler service (yacron)", "a periodic batch job"
    )


@dataclass(frozen=True)
class Summary:
    """What one target's output does for the six deployment concepts."""

    target: str
    route: Route | None
    unrouted: str  # what reaches the app when there is no route: "the project's networks", "Service items-api"
    web: Workload
    steps: Steps
    trusted_proxies: str | None = None  # whose X-Forwarded-* headers the app trusts, where the target says it
    background: tuple[Background, ...] = ()  # processes and scheduled jobs, by name
    published: str | None = None  # how the app's port is published without the proxy: "host port 8080"
