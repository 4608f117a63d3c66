"""The deployment spec: what a profile describes, independent of any target.

Field descriptions double as the reference documentation and the JSON Schema (`deploykit schema`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from deploykit.servers import ServerName
from deploykit.spec import derived, names, values
from deploykit.spec.base import (
    Command,
    DnsLabel,
    EnvName,
    Hostname,
    HttpPath,
    ImageReference,
    LabelKey,
    LabelValue,
    LongSeconds,
    Seconds,
    SpecModel,
    TargetName,
    text_schema,
)
from deploykit.spec.network import Network
from deploykit.spec.options.build import AbsoluteDirectory, BuildOptions
from deploykit.spec.options.compose import ComposeOptions
from deploykit.spec.options.k8s import K8sOptions
from deploykit.spec.options.nomad import NomadOptions
from deploykit.spec.options.quadlet import QuadletOptions
from deploykit.spec.quantities import (
    CPU_PATTERN,
    MAX_MEMORY_BYTES,
    MAX_MILLICORES,
    MEMORY_PATTERN,
    MIN_MEMORY_BYTES,
    MIN_MILLICORES,
)
from deploykit.spec.schedule import check_schedule, check_time_zone

WarningCode = Annotated[str, AfterValidator(values.check_warning_code)]


class Health(derived.HealthDerived, SpecModel):
    """Health checks, the same kind on every target: HTTP (the default), TCP, a command, or none."""

    check: Literal["http", "tcp", "command", "none"] = Field(
        "http",
        description="How every target checks the app. http: GET the health paths on the app's port, with the public "
        "host as Host; tcp: a TCP connection to the app's port (for images that serve no health path); command: "
        "`health.command` in the container (a Kubernetes exec probe, a Nomad script check, the Compose healthcheck); "
        "none: no check at all (a warning, no-health-check: a hung app keeps its traffic and is never restarted).",
    )
    path: HttpPath = Field("/healthz", description="Default path for every check.")
    liveness_path: HttpPath | None = Field(None, description="Path that says the process is alive (default: `path`).")
    readiness_path: HttpPath | None = Field(
        None, description="Path that says the process can take traffic (default: `path`)."
    )
    interval_seconds: Annotated[int, Field(ge=2, le=300)] = Field(10, description="Seconds between checks.")
    timeout_seconds: Annotated[int, Field(ge=1, le=60)] = Field(
        2, description="Seconds before one check counts as failed."
    )
    failure_threshold: Annotated[int, Field(ge=1, le=10)] = Field(
        3, description="Consecutive failures before the process is restarted or taken out of rotation."
    )
    startup_seconds: Annotated[int, Field(ge=1, le=3600)] = Field(
        60, description="How long the app may take to start before it is considered failed."
    )
    command: Command | None = Field(
        None,
        description="A probe the image carries, exec form (e.g. [/app/healthcheck, --ready]), exit 0 when healthy. "
        "With check: command every target runs it; with check: http or tcp, Compose's container healthcheck runs it "
        "instead of deploykit's python one-liner (give it for images without python: Node, Go), while Kubernetes and "
        "Nomad probe the port and need nothing in the image.",
    )


class Volume(SpecModel):
    """Persistent data of the app: kept across restarts, deployments and (on Compose) `down`."""

    path: AbsoluteDirectory = Field(description="Where the app's container mounts it (e.g. /data).")
    size: Annotated[str, BeforeValidator(values.number_as_text), AfterValidator(values.check_volume_size)] = Field(
        description="Capacity (Kubernetes quantity, e.g. 10Gi): the PersistentVolumeClaim's request on Kubernetes; "
        "Compose's local volumes and Nomad's host volumes have no size (a warning says so)."
    )


class ExtraPort(SpecModel):
    """Another port the app listens on (metrics, admin). Reachable inside the platform, never routed publicly."""

    name: Annotated[str, AfterValidator(values.check_port_name), text_schema(names.PORT_NAME_PATTERN, 15)] = Field(
        description="Port name (an IANA service name, e.g. metrics); `http` is the app's port."
    )
    port: Annotated[int, Field(ge=1024, le=65535)] = Field(description="Port number inside the container.")


class PrestartStep(SpecModel):
    """A command run to completion before the app starts (e.g. database migrations). It must be idempotent."""

    name: DnsLabel = Field(description="Step name, unique within `prestart`.")
    command: Command = Field(description="The command and its arguments, exec form.")
    image: ImageReference | None = Field(None, description="Image to run the step in (default: the app's `image`).")


class SecretRef(derived.SecretRefDerived, SpecModel):
    """A reference to a secret held outside the profile; never its value."""

    secret: Annotated[str, AfterValidator(values.check_secret_name), text_schema(names.DNS_SUBDOMAIN_PATTERN, 253)] = (
        Field(description="Name of the secret (Kubernetes Secret, Compose secret, Nomad variable path suffix).")
    )
    key: Annotated[str, AfterValidator(values.check_secret_key), text_schema(names.SECRET_KEY_PATTERN, 253)] = Field(
        description="Key within that secret."
    )


class Certificate(SpecModel):
    """A certificate and key provided by the operator (`proxy.tls: provided`)."""

    cert_file: Annotated[str, Field(min_length=1, max_length=4096, pattern=r"^[^\s$'\"`\\]+$")] = Field(
        description="Path to the PEM certificate chain on the server (Compose, Nomad)."
    )
    key_file: Annotated[str, Field(min_length=1, max_length=4096, pattern=r"^[^\s$'\"`\\]+$")] = Field(
        description="Path to the PEM private key on the server (Compose, Nomad)."
    )


PathPrefix = Annotated[str, AfterValidator(names.check_path_prefix), text_schema(names.PATH_PREFIX_PATTERN, 256)]
# More names of the same app: a handful (apex and www, a few old domains), each on the certificate.
_HostList = Annotated[list[Hostname], Field(max_length=50)]


class Proxy(derived.ProxyDerived, SpecModel):
    """The TLS-terminating proxy in front of the app."""

    host: Hostname | None = Field(
        None,
        description="Public host name routed to the app: the first of its names, the one redirects lead to and "
        "health checks send as Host.",
    )
    aliases: _HostList = Field(
        [],
        description="More host names that serve the app as `host` does (www beside the apex), on the same "
        "route and certificate.",
    )
    redirects: _HostList = Field(
        [],
        description="Host names answered with a permanent redirect (301) to `host`, keeping the path and the "
        "query (an old domain); with path_prefix, only the paths under it. With TLS each needs its certificate too: ACME issues it.",
    )
    path_prefix: PathPrefix | None = Field(
        None,
        description="Serve the app under this path only (`/api` on a host shared with other apps): it matches "
        "the prefix itself and every path below it (`/api`, `/api/items`, not `/apix`). Health checks go "
        "straight to the app, never through the proxy: their paths are the app's own.",
    )
    strip_prefix: bool = Field(
        False,
        description="Remove path_prefix before the app sees the request (`/api/items` arrives as `/items`, "
        "`/api` as `/`), for an app that serves from `/`; false (default): the app sees the full path and "
        "serves under the prefix itself.",
    )
    tls: Literal["acme", "provided", "none"] = Field(
        "acme",
        description="acme: certificates from Let's Encrypt; provided: certificates you supply; none: plain HTTP (local development only).",
    )
    email: Annotated[str, Field(max_length=254, pattern=r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")] | None = (
        Field(
            None,
            description="ACME account e-mail, optional (Let's Encrypt no longer sends expiry mail): Traefik registers "
            "the account with it on Compose and Nomad; on Kubernetes the cluster issuer holds its own.",
        )
    )
    certificate: Certificate | None = Field(
        None, description="Certificate files for tls: provided (Compose, Nomad); Kubernetes uses `k8s.tls_secret`."
    )


class Publish(SpecModel):
    """The app's port published as it is, for a load balancer of your own instead of deploykit's proxy."""

    port: Annotated[int, Field(ge=1, le=65535)] = Field(
        description="The port clients (your load balancer) connect to: the host port on Compose (on "
        "compose.bind_address) and on Nomad (a static port on each node running the app), the Service's port on "
        "Kubernetes (type LoadBalancer), or its nodePort (type NodePort: 30000-32767)."
    )
    kubernetes: Literal["LoadBalancer", "NodePort"] = Field(
        "LoadBalancer", description="The Service type that publishes it on Kubernetes."
    )


# The fields a target may override, with the same types and checks as in Profile.
_Replicas = Annotated[int, Field(ge=1, le=1000)]
# The app's own count may be 0: a parked environment (Kubernetes and Nomad run no copy; Compose refuses it).
_AppReplicas = Annotated[int, Field(ge=0, le=1000)]
# Quantities are text or plain numbers (`memory: 268435456`, `cpu: 0.5`): the schema says both.
_Memory = Annotated[
    str,
    BeforeValidator(values.number_as_text),
    AfterValidator(values.check_memory),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": MEMORY_PATTERN},
                {"type": "integer", "minimum": MIN_MEMORY_BYTES, "maximum": MAX_MEMORY_BYTES},
            ]
        }
    ),
]
_Cpu = Annotated[
    str,
    BeforeValidator(values.number_as_text),
    AfterValidator(values.check_cpu),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": CPU_PATTERN},
                {"type": "number", "minimum": MIN_MILLICORES / 1000, "maximum": MAX_MILLICORES / 1000},
            ]
        }
    ),
]
_Env = dict[EnvName, Annotated[str, Field(max_length=65536)]]
_TmpSize = Annotated[str, BeforeValidator(values.number_as_text), AfterValidator(values.check_tmp_size)]


Schedule = Annotated[str, Field(max_length=128), AfterValidator(check_schedule)]
TimeZone = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(check_time_zone)]


class Process(SpecModel):
    """A long-running process beside the web server (a queue worker, a consumer): no port, no proxy.

    It runs the app's image with the app's environment, secrets, labels and hardening; image, env,
    memory and cpu may differ.
    """

    command: Command = Field(description="The command, exec form (e.g. [celery, -A, shop, worker, --concurrency, 2]).")
    replicas: _Replicas = Field(
        1, description="Instances of the process: containers on Compose, pods on Kubernetes, allocations on Nomad."
    )
    image: ImageReference | None = Field(None, description="Another image (default: the app's `image`).")
    memory: _Memory | None = Field(None, description="Memory per instance (default: the app's `memory`).")
    cpu: _Cpu | None = Field(None, description="CPU per instance (default: the app's `cpu`).")
    env: _Env = Field({}, description="Variables added to (or replacing) the app's `env` for this process.")
    liveness_command: Command | None = Field(
        None,
        description="A command, exec form, that exits 0 while the process is alive and working, e.g. a check that a "
        "heartbeat file the worker touches is recent. Kubernetes: an exec liveness probe (the kubelet restarts the "
        "container); Compose: the container's healthcheck (its health shows; Docker restarts no unhealthy container); "
        "Nomad: not rendered (script checks need Consul). Without it a hung worker keeps running unnoticed.",
    )


class CronJob(SpecModel):
    """A command run to completion on a schedule, in the app's image with the app's environment and secrets."""

    schedule: Schedule = Field(
        description="Five-field cron schedule: minute hour day-of-month month day-of-week, e.g. '17 3 * * *'."
    )
    command: Command = Field(description="The command, exec form (e.g. [python, manage.py, clearsessions]).")
    timezone: TimeZone = Field("UTC", description="IANA time zone the schedule is read in (e.g. Europe/Kyiv).")
    timeout_seconds: LongSeconds | None = Field(
        None,
        description="Stop a run that takes longer than this (default 3600: a hung run would hold back every later one; Kubernetes activeDeadlineSeconds, yacron executionTimeout, `timeout` on Nomad). A run that fails or times out is not retried: the next one comes on schedule.",
    )
    image: ImageReference | None = Field(
        None, description="Another image (default: the app's `image`; Compose runs every job in the app's)."
    )
    memory: _Memory | None = Field(None, description="Memory of one run (default: the app's `memory`).")
    cpu: _Cpu | None = Field(None, description="CPU of one run (default: the app's `cpu`).")
    env: _Env = Field({}, description="Variables added to (or replacing) the app's `env` for this job.")


class TargetOverride(SpecModel):
    """Fields one target sees differently; unset fields keep the profile's value."""

    image: ImageReference | None = Field(None, description="Another image for this target.")
    replicas: _AppReplicas | None = Field(
        None, description="Processes for this target (Compose: workers unless compose.workers is set)."
    )
    memory: _Memory | None = Field(None, description="Memory per process for this target.")
    cpu: _Cpu | None = Field(None, description="CPU per process for this target.")
    env: _Env | None = Field(None, description="Variables added to (or replacing) `env` for this target.")
    shutdown_seconds: Seconds | None = Field(None, description="Graceful shutdown budget for this target.")


class Profile(derived.ProfileDerived, SpecModel):
    """One application in one environment, after `extends` has been merged."""

    environment: DnsLabel | None = Field(
        None,
        description="Environment name (dev, staging, prod). Profiles that declare one are rendered by `render all` into manifests/<environment>/.",
    )
    targets: Annotated[list[TargetName], Field(min_length=1), AfterValidator(values.unique_targets)] | None = Field(
        None,
        description="The targets this environment runs on (default: all). `render all` and `check` render only these; "
        "options of other targets are checked for their syntax only, and their requirements do not apply.",
    )
    accept_warnings: Annotated[list[WarningCode], Field(max_length=64)] = Field(
        [],
        description="Warning codes (printed in each warning's line) this environment accepts on purpose: they are not "
        "shown, and `--strict` does not fail on them.",
    )
    app: DnsLabel = Field(description="Application name used by every target: a DNS-1035 label, at most 63 characters.")
    image: ImageReference = Field(description="Container image, pinned by tag (not `latest`) or digest.")
    command: Command | None = Field(
        None,
        description="The command that starts the server, exec form. For a server deploykit knows, it appends "
        "the flags that differ per target (port, workers, trusted proxies, timeouts); see `server`. Omitted: the "
        "image's own ENTRYPOINT and CMD run unchanged on every target (no command or args on Kubernetes, no "
        "command on Compose, no args on Nomad), as `server: generic`.",
    )
    server: ServerName | None = Field(
        None,
        description="The web server `command` starts: fastapi (fastapi run), uvicorn, gunicorn, granian, hypercorn, "
        "or generic (any other program: deploykit adds no flags and sets PORT and WEB_CONCURRENCY in its "
        "environment). Default: detected from `command`; generic without a command.",
    )
    port: Annotated[int, Field(ge=1024, le=65535)] = Field(
        8000, description="Port the app listens on inside its container (>= 1024: the app runs without privileges)."
    )
    memory: _Memory = Field("256Mi", description="Memory per app process (Kubernetes quantity).")
    cpu: _Cpu = Field("250m", description="CPU per app process (Kubernetes quantity: 250m, 0.5, 2).")
    replicas: _AppReplicas = Field(
        1,
        description="Total app processes serving traffic; 0 parks the environment (Kubernetes and Nomad only).",
    )
    ports: Annotated[list[ExtraPort], Field(max_length=16)] = Field(
        [],
        description="Extra ports besides `port` (metrics, admin): k8s container and Service ports, Compose `expose`, Nomad port labels. Never routed by the proxy.",
    )
    health: Health = Field(Health(), description="Health checks.")
    prestart: Annotated[list[PrestartStep], Field(max_length=32)] = Field(
        [], description="Steps run in order before the app starts."
    )
    processes: Annotated[dict[DnsLabel, Process], Field(max_length=16)] = Field(
        {},
        description="Long-running processes beside the web server (queue workers), by name: no port, no proxy, "
        "the app's image, env, secrets and hardening.",
    )
    cron: Annotated[dict[DnsLabel, CronJob], Field(max_length=32)] = Field(
        {}, description="Scheduled jobs, by name: a command run to completion on a cron schedule."
    )
    env: _Env = Field({}, description="Plain environment variables (no credentials: use `secrets`).")
    secrets: dict[EnvName, SecretRef] = Field({}, description="Environment variables read from secrets, by reference.")
    env_not_secret: Annotated[list[EnvName], Field(max_length=256)] = Field(
        [],
        description="Names in `env` (and `overrides.<target>.env`) that look like credentials but hold none, e.g. SORT_KEY. "
        "A plain value for a name such as *_PASSWORD, *_PASS, *_TOKEN, *_SECRET, *_KEY, *_AUTH or *_DSN is refused "
        "unless the name is listed here; a password inside a URL (user:password@host) is refused whatever the name.",
    )
    secrets_as: Literal["env", "file"] = Field(
        "env",
        description="How the app receives each secret, the same on every target. env: the variable holds the value "
        "(Compose exports it from the mounted file in a /bin/sh entrypoint, so the value is never in the container's "
        "configuration). file: `<NAME>_FILE` holds the path of a file with the value (for images without /bin/sh, or "
        "apps that read files).",
    )
    proxy: Proxy | None = Field(None, description="Public HTTPS exposure through the TLS proxy.")
    publish: Publish | None = Field(
        None,
        description="Publish the app's port without deploykit's proxy (plain HTTP, for a load balancer of your own "
        "that terminates TLS). Not with proxy.host.",
    )
    network: Network = Field(Network(), description="Who may call the app besides the proxy, and where it may connect.")
    shutdown_seconds: Seconds = Field(
        30, description="Graceful shutdown budget: time between SIGTERM and SIGKILL on every target."
    )
    tmp_size: _TmpSize = Field(
        "1Gi",
        description="Size of the writable /tmp of the app, its steps, processes and jobs (uploads spool there: Starlette keeps files over 1 MiB on disk). Kubernetes: the emptyDir's sizeLimit, a pod that writes more is evicted; Compose and Nomad: a tmpfs of that size, memory charged to the container's limit as it fills.",
    )
    volumes: Annotated[dict[DnsLabel, Volume], Field(max_length=16)] = Field(
        {},
        description="Persistent named volumes of the app, by name: Compose named volumes (mounted into the app, its "
        "steps, processes and jobs), a ReadWriteOnce PersistentVolumeClaim per volume mounted into the app's pod on "
        "Kubernetes (the Deployment then updates with Recreate: the volume attaches to one node), a Nomad host volume "
        "of that name on the app's group. One copy of the data: `replicas` must be 1 on Kubernetes and Nomad.",
    )
    run_as: Literal["deploykit", "image"] = Field(
        "deploykit",
        description="Whose user the app, its steps, processes and jobs run as. deploykit: the non-root uid `build.uid` "
        "(10001), as in the images deploykit builds; image: the image's own USER (Compose and Nomad set no user, "
        "Kubernetes no runAsUser/runAsGroup/fsGroup but still runAsNonRoot: the kubelet refuses an image whose USER is "
        "root or a name rather than a number). For images deploykit did not build, whose files belong to their own user.",
    )
    writable_paths: Annotated[list[AbsoluteDirectory], Field(max_length=16)] = Field(
        [],
        description="Directories besides /tmp the image writes to while it runs (e.g. /var/cache/nginx), each "
        "writable and empty at start beside the read-only root: Compose and Nomad a tmpfs of `tmp_size`, Kubernetes "
        "an emptyDir of that sizeLimit. Their contents are lost on restart: persistent data needs a volume.",
    )
    read_only_root: bool = Field(
        True,
        description="Mount the container's root file system read-only (every target). false lets an image write "
        "anywhere in its own layer, for images that write in places one cannot list in `writable_paths`; a warning "
        "(writable-root) says so.",
    )
    labels: dict[LabelKey, LabelValue] = Field({}, description="Extra labels on every object.")
    annotations: dict[LabelKey, Annotated[str, Field(max_length=65536)]] = Field(
        {}, description="Extra annotations on Kubernetes objects (metadata on other targets)."
    )
    build: BuildOptions = Field(BuildOptions(), description="How the image is built (the `dockerfile` target).")
    compose: ComposeOptions = Field(ComposeOptions(), description="Docker Compose options.")
    k8s: K8sOptions = Field(K8sOptions(), description="Kubernetes options.")
    nomad: NomadOptions = Field(NomadOptions(), description="Nomad options.")
    quadlet: QuadletOptions = Field(QuadletOptions(), description="Podman Quadlet options.")
    overrides: dict[TargetName, TargetOverride] = Field(
        {},
        description="Per-target values of image, replicas, memory, cpu, env and shutdown_seconds, e.g. overrides.k8s.replicas: 6.",
    )
