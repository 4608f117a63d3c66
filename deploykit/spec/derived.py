"""Values derived from a spec's fields, as properties of the spec models and of their compiled form.

Each class here is mixed into one spec model (model.py, network.py, options/) and into that model's
view (compiled_schema.py, compiled.py), so both expose the same properties from one definition.
Nothing here imports pydantic: a render of a valid profile runs without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploykit.servers import SERVERS, Server, detect
from deploykit.spec import names
from deploykit.spec.quantities import parse_cpu, parse_memory

if TYPE_CHECKING:
    from deploykit.servers import ServerName
    from deploykit.spec.model import Proxy, SecretRef
    from deploykit.spec.options.build import BuildOptions


class HealthDerived:
    """What `health` implies: the path each check probes."""

    if TYPE_CHECKING:  # the fields, declared by the model this is mixed into
        check: str
        path: str
        liveness_path: str | None
        readiness_path: str | None
        command: list[str] | None

    @property
    def liveness(self) -> str:
        """The path the liveness check probes: `liveness_path`, else `path`."""
        return self.liveness_path or self.path

    @property
    def readiness(self) -> str:
        """The path the readiness check probes: `readiness_path`, else `path`."""
        return self.readiness_path or self.path

    @property
    def separate_liveness(self) -> bool:
        """Whether liveness and readiness are two checks: HTTP on two paths (a TCP connection or a
        command says the same thing twice)."""
        return self.check == "http" and self.liveness != self.readiness


class SecretRefDerived:
    """What a secret reference implies: the file it becomes."""

    if TYPE_CHECKING:  # the fields, declared by the model this is mixed into
        secret: str
        key: str

    @property
    def file_name(self) -> str:
        """The file (and Compose secret) one key of one secret becomes, the same on every target.

        Secret names are DNS subdomains (no `_`), so the first `__` always separates the secret from
        its key: `db` + `a__b` and `db__a` + `b` cannot both exist, and distinct references never
        share a file.
        """
        return f"{self.secret}__{self.key}"


class ProxyDerived:
    """What `proxy` implies: the host names it routes."""

    if TYPE_CHECKING:  # the fields, declared by the model this is mixed into
        host: str | None
        aliases: list[str]
        redirects: list[str]

    @property
    def served_hosts(self) -> list[str]:
        """The host names that serve the app: `host`, then `aliases`; none without a host."""
        return [self.host, *self.aliases] if self.host is not None else []

    @property
    def all_hosts(self) -> list[str]:
        """Every host name the proxy answers for: the served ones, then `redirects`."""
        return [*self.served_hosts, *self.redirects] if self.host is not None else []


class ProfileDerived:
    """What a profile implies: quantities in units, the image's tag, the web server, secret files, targets."""

    if TYPE_CHECKING:  # the fields, declared by the model this is mixed into
        image: str
        command: list[str] | None
        server: ServerName | None
        memory: str
        tmp_size: str
        cpu: str
        secrets_as: str
        secrets: dict[str, SecretRef]
        targets: list[str] | None
        proxy: Proxy | None
        run_as: str
        build: BuildOptions

    # Plain properties, not cached: a per-target copy (loading/per_target.py) must not inherit the
    # parent's computed value.
    @property
    def memory_bytes(self) -> int:
        """Memory per process in bytes."""
        return parse_memory(self.memory)

    @property
    def tmp_bytes(self) -> int:
        """The size of /tmp in bytes."""
        return parse_memory(self.tmp_size)

    @property
    def cpu_millicores(self) -> int:
        """CPU per process in millicores."""
        return parse_cpu(self.cpu)

    @property
    def image_tag(self) -> str | None:
        """The image's tag, or None for a digest-only reference (`name@sha256:...`)."""
        return names.image_tag(self.image)

    @property
    def web_server(self) -> Server:
        """The server `command` starts: `server`, else the one detected (spec/checks.py refuses neither);
        `generic` without a command (the image's own ENTRYPOINT/CMD)."""
        if self.server is not None:
            return SERVERS[self.server]
        detected = detect(self.command) if self.command is not None else None
        return SERVERS[detected.server if detected is not None else "generic"]

    @property
    def secret_files(self) -> dict[str, SecretRef]:
        """With `secrets_as: file`, `<NAME>_FILE` -> the secret whose file's path that variable holds, by name."""
        if self.secrets_as != "file":
            return {}
        return {f"{name}_FILE": self.secrets[name] for name in sorted(self.secrets)}

    @property
    def probe_host(self) -> str | None:
        """The Host header every HTTP health check sends: the public host (`proxy.host`), if any.

        Without it a probe names an address (127.0.0.1, the pod's or the node's IP), which host-checking
        frameworks refuse (Django's ALLOWED_HOSTS answers 400, Rails' host authorization 403): the app
        would never become healthy. Traefik's own check sends the host too (traefik.py).
        """
        return self.proxy.host if self.proxy is not None else None

    @property
    def run_as_uid(self) -> int | None:
        """The uid (and gid) every container runs as: `build.uid`, or None for the image's own USER (`run_as: image`)."""
        return None if self.run_as == "image" else self.build.uid

    @property
    def target_names(self) -> tuple[str, ...]:
        """The targets this environment runs on, in the registry's order."""
        from deploykit.targets import TARGETS

        return tuple(name for name in TARGETS if self.targets is None or name in self.targets)


class DestinationDerived:
    """What an egress destination implies."""

    if TYPE_CHECKING:  # the fields, declared by the model this is mixed into
        namespace: str | None
        pod_labels: dict[str, str]

    @property
    def in_cluster(self) -> bool:
        """Whether the destination names pods rather than a network."""
        return self.namespace is not None or bool(self.pod_labels)


class BuildOptionsDerived:
    """What `build` implies."""

    if TYPE_CHECKING:  # the fields, declared by the model this is mixed into
        app_path: list[str]

    @property
    def app_paths(self) -> list[str]:
        """`app_path`, in the order given."""
        return list(self.app_path)


class NomadOptionsDerived:
    """What `nomad` implies."""

    if TYPE_CHECKING:  # the fields, declared by the model this is mixed into
        docker_bridge: str

    @property
    def trusted_bridge(self) -> str | None:
        """`docker_bridge`, or None when it is `none`."""
        return None if self.docker_bridge == "none" else self.docker_bridge
