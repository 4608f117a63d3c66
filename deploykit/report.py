"""What a target found while checking or rendering: errors that refuse the profile, and warnings
about what it cannot express exactly (recorded, never silently dropped).

Every warning has a stable code (WARNINGS), printed in its line, so an environment that accepts one on
purpose can say so (`accept_warnings: [single-replica]`) and `--strict` stays usable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from deploykit.errors import FieldPath, Problem, format_path

# Every warning code, with what it is about. The codes are part of the profile format: never reuse one.
WARNINGS: dict[str, str] = {
    "single-replica": "one pod or allocation: every drain or node restart takes the app down",
    "concurrent-prestart": "prestart steps run in every pod or allocation, concurrently",
    "replicas-ignored": "replicas given where an autoscaler sets the count",
    "sync-workers": "gunicorn's sync workers: one request at a time per worker, slow clients unbuffered",
    "process-no-liveness": "a process without liveness_command: a hung worker keeps running",
    "same-probe-path": "liveness and readiness probe the same path",
    "plain-http": "a public host served over plain HTTP",
    "no-route": "no proxy host: the app gets no route and no published port",
    "docker-socket-mounted": "Traefik mounts the Docker socket itself",
    "relative-certificate-path": "certificate paths resolved from the directory holding compose.yaml",
    "scheduler-needs-yacron": "compose.scheduler: yacron needs yacron in an image deploykit does not build",
    "swarm-only-secrets": "external secrets, which only Swarm mode provides",
    "volume-not-owned": "a state volume whose mount point the image does not prepare for the app",
    "acme-nonstandard-ports": "ACME certificates with Traefik published on ports other than 80 and 443",
    "unpinned-package": "an apt package without a pinned version",
    "module-not-copied": "the module the command serves is not copied into the image",
    "not-rendered": "a field the target has no place for",
    "no-health-check": "health.check: none: nothing checks the app",
    "volume-size-not-enforced": "a volume size the target cannot limit",
    "volume-not-carried": "a Compose-only volume other targets do not have",
    "writable-root": "the container's root file system is writable (read_only_root: false)",
    "kill-timeout-capped": "a shutdown budget above what Nomad clients allow by default",
    "same-node-trust": "forwarded headers trusted from Traefik on the same node only",
    "startup-beyond-deadline": "a start-up budget longer than the deployment's healthy deadline",
    "database-egress": "a database secret while the NetworkPolicy allows no egress besides DNS",
    "api-server-egress": "pods that wait for the release's Jobs while the NetworkPolicy keeps them from the API server",
    "ingress-controller-unknown": "an IngressClass whose controller pods the NetworkPolicy cannot name by itself",
    "proxy-keep-alive": "a server keep-alive shorter than the idle timeout of a proxy deploykit does not configure",
    "external-egress": "an external address or API key while the NetworkPolicy allows no egress to it",
    # No longer raised (every target now enforces a run's time limit); kept so profiles accepting it stay valid.
    "no-run-time-limit": "a job timeout the target cannot enforce",
}


@dataclass(frozen=True)
class Finding:
    """One warning about one field, raised while rendering one target."""

    target: str
    path: FieldPath
    message: str
    code: str

    def __str__(self) -> str:
        where = f"{format_path(self.path)}: " if self.path else ""
        return f"{where}{self.message} [{self.target} {self.code}]"


@dataclass
class Report:
    """Collects a target's errors and warnings. `--strict` turns any warning into a failure."""

    target: str
    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def warn(self, path: FieldPath, message: str, *, code: str) -> None:
        """Record a warning on the field at `path`; rendering goes on, and only `--strict` fails on it."""
        assert code in WARNINGS, f"unknown warning code {code!r}: add it to deploykit.report.WARNINGS"
        self.findings.append(Finding(self.target, path, message, code))

    def error(self, path: FieldPath, message: str, because_of: FieldPath | None = None) -> None:
        """Refuse the profile for this target: the field at `path` (or, when unwritten, `because_of`) is wrong."""
        self.problems.append(Problem(path, message, because_of))
