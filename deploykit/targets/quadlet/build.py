"""The units: a network, the migration steps, the app's replicas, processes, scheduled jobs and Traefik.

Every name below is a pure function of the profile, so the check (check.py), the units and the
summary agree on them. Units reference each other by file name (`Network=items-api.network`), which
Quadlet turns into the generated services' names and dependencies.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from deploykit import traefik
from deploykit.servers import Launch
from deploykit.spec.names import IMAGE_REFERENCE
from deploykit.spec.quantities import MEBIBYTE, compose_cpus, compose_memory
from deploykit.systemd.calendar import on_calendar
from deploykit.systemd.units import Unit, specifiers, word, words
from deploykit.targets.python_probe import http_fetch, tcp_probe
from deploykit.targets.quadlet.versions import supports

if TYPE_CHECKING:
    from deploykit.errors import FieldPath
    from deploykit.spec.background import Background, BackgroundProcess, ScheduledJob
    from deploykit.spec.model import PrestartStep, Profile

TRAEFIK = "traefik"
ACME = "acme"
# The directory deploykit writes Traefik's dynamic configuration to, beside the units, and where
# Traefik reads it (the file provider, watched: no container-engine socket).
TRAEFIK_DIR = "traefik"
TRAEFIK_DYNAMIC_DIR = "/etc/traefik/dynamic"
CERT_PATH = "/etc/traefik/certs/tls.crt"
KEY_PATH = "/etc/traefik/certs/tls.key"
CERT_RESOLVER = "le"
SECRETS_DIR = "/run/secrets"
# A few processes per worker's threads, a shell, the health check's python.
APP_PIDS = 128
STEP_PIDS = 128
PROXY_TMP_BYTES = 64 * MEBIBYTE
PROXY_MEMORY_BYTES = 256 * MEBIBYTE
PROXY_MILLICORES = 500
PROXY_PIDS = 256
# Time systemd gives `podman rm` beyond the container's own stop timeout before it kills podman.
STOP_MARGIN_SECONDS = 15
# Time systemd gives a unit to pull its image and create its container, beyond the app's start-up.
PULL_SECONDS = 300
# How long a stopping replica keeps serving once it is out of traefik/routes.yaml, before podman stops it:
# Traefik's file provider watches the directory (fsnotify) and passes a change on at once, but then
# takes no other one for providersThrottleDuration, 2 s by default (pkg/provider/aggregator's
# maybeThrottledProvide sleeps that long after each message); 5 s covers that and the reload.
DRAIN_SECONDS = 5
# Where Quadlet reads units when `quadlet.install_dir` is not set: systemd reads `%E` as /etc for the
# system manager and as $XDG_CONFIG_HOME (~/.config) for a user's (systemd.unit(5), Specifiers).
DEFAULT_INSTALL_DIR = "%E/containers/systemd"
ROUTES_FILE = "routes.yaml"
# The mark that comments a drained replica's server out of the routes' YAML list.
DRAINED = "# drained "
WANTED_BY = "multi-user.target default.target"


def release(profile: Profile) -> str:
    """What identifies a release in unit names: the image's tag, else its digest's first 12 digits."""
    match = IMAGE_REFERENCE.fullmatch(profile.image)
    assert match is not None, "the spec checked the image"
    if match.group("digest") is not None:
        return "sha256-" + match.group("digest").removeprefix("sha256:")[:12]
    return match.group("tag")


def network_name(profile: Profile) -> str:
    return profile.app


def step_unit(profile: Profile, step: PrestartStep) -> str:
    """`items-api-migrate-1.4.2`: a step's unit is named per release, so each release runs it once."""
    return f"{profile.app}-{step.name}-{release(profile)}"


def replica_unit(profile: Profile, index: int) -> str:
    return f"{profile.app}-{index}"


def process_unit(profile: Profile, name: str, index: int) -> str:
    return f"{profile.app}-{name}-{index}"


def job_unit(profile: Profile, name: str) -> str:
    return f"{profile.app}-{name}"


def traefik_unit(profile: Profile) -> str:
    return f"{profile.app}-{TRAEFIK}"


def acme_volume(profile: Profile) -> str:
    return f"{profile.app}-{ACME}"


def state_volume(profile: Profile, name: str) -> str:
    return f"{profile.app}-{name}"


def is_exposed(profile: Profile) -> bool:
    """Whether the app gets a public route (a proxy with a host), hence Traefik."""
    return profile.proxy is not None and profile.proxy.host is not None


def traefik_address(profile: Profile) -> str:
    """Traefik's pinned address on the network: the subnet's second host (the first is the gateway)."""
    return str(ipaddress.IPv4Network(profile.quadlet.subnet)[2])


def unit_names(profile: Profile) -> dict[str, FieldPath]:
    """Every `.container` unit's name -> the field it comes from (for the check of clashes)."""
    names: dict[str, FieldPath] = {}
    for index, step in enumerate(profile.prestart):
        names.setdefault(step_unit(profile, step), ("prestart", index, "name"))
    for index in range(1, profile.replicas + 1):
        names.setdefault(replica_unit(profile, index), ("replicas",))
    for name, process in sorted(profile.processes.items()):
        for index in range(1, process.replicas + 1):
            names.setdefault(process_unit(profile, name, index), ("processes", name))
    return names


def _service(name: str) -> str:
    return f"{name}.service"


def after_prestart(profile: Profile, unit: Unit) -> None:
    """The release's last step must have succeeded: Requires= (not started otherwise) and After= (in order)."""
    if profile.prestart:
        last = _service(step_unit(profile, profile.prestart[-1]))
        unit.add("Unit", "Requires", last)
        unit.add("Unit", "After", last)


def memory_keys(profile: Profile, unit: Unit, memory_bytes: int, millicores: int, pids: int) -> None:
    """Memory, CPU and process-count limits: Quadlet's Memory= from Podman 5.5, else podman's own flag.

    Quadlet has no CPU key in any release: `--cpus` goes through PodmanArgs=.
    """
    memory = compose_memory(memory_bytes)
    if supports(profile, "Memory"):
        unit.add("Container", "Memory", memory)
        unit.add("Container", "PodmanArgs", words([f"--cpus={compose_cpus(millicores)}"]))
    else:
        unit.add("Container", "PodmanArgs", words([f"--memory={memory}", f"--cpus={compose_cpus(millicores)}"]))
    unit.add("Container", "PidsLimit", str(pids))


def hardening(
    unit: Unit, user: str | None, tmp_bytes: int, writable_paths: Sequence[str] = (), read_only: bool = True
) -> None:
    """Non-root `user` (when given; else the image's USER), read-only root (unless `read_only` is false)
    with a /tmp tmpfs and one per writable path, no capabilities, no setuid gains."""
    if user is not None:
        uid, gid = user.split(":")
        unit.add("Container", "User", uid)
        unit.add("Container", "Group", gid)
    if read_only:
        unit.add("Container", "ReadOnly", "true")
    for path in ("/tmp", *writable_paths):
        unit.add("Container", "Tmpfs", f"{path}:rw,size={tmp_bytes},mode=1777")
    unit.add("Container", "DropCapability", "all")
    unit.add("Container", "NoNewPrivileges", "true")


def run_as(profile: Profile) -> str | None:
    """deploykit's non-root user (`build.uid`), as the other targets run it, or None: the image's own
    USER (`run_as: image`)."""
    uid = profile.run_as_uid
    return None if uid is None else f"{uid}:{uid}"


def app_hardening(profile: Profile, unit: Unit) -> None:
    """The hardening of every container running the app's image: its user, root file system and writable paths."""
    hardening(unit, run_as(profile), profile.tmp_bytes, profile.writable_paths, profile.read_only_root)


def environment(profile: Profile, unit: Unit, variables: dict[str, str]) -> None:
    """Plain variables, then each secret as a Podman secret (`podman secret create items-db__url FILE`).

    With `secrets_as: env` the secret is the variable itself (type=env); with `file` it is mounted at
    /run/secrets/<secret>__<key>, readable by the app's user only, and `<NAME>_FILE` holds that path:
    the same names as on every target. No secret value is ever rendered.
    """
    plain = dict(variables)
    uid = profile.run_as_uid
    for name, ref in sorted(profile.secrets.items()):
        if profile.secrets_as == "env":
            unit.add("Container", "Secret", f"{ref.file_name},type=env,target={name}")
        else:
            path = f"{SECRETS_DIR}/{ref.file_name}"
            # The image's own USER is not known here: the file is readable by any user of the container.
            owner = f"uid={uid},gid={uid},mode=0400" if uid is not None else "mode=0444"
            unit.add("Container", "Secret", f"{ref.file_name},type=mount,target={path},{owner}")
            plain[f"{name}_FILE"] = path
    for name, value in sorted(plain.items()):
        unit.add("Container", "Environment", word(f"{name}={value}"))


def metadata(profile: Profile, unit: Unit) -> None:
    for key, value in sorted(profile.labels.items()):
        unit.add("Container", "Label", word(f"{key}={value}"))
    for key, value in sorted(profile.annotations.items()):
        unit.add("Container", "Annotation", word(f"{key}={value}"))


def image(profile: Profile, unit: Unit, reference: str) -> None:
    unit.add("Container", "Image", reference)
    if profile.quadlet.auto_update == "registry":
        unit.add("Container", "AutoUpdate", "registry")


def health_command(profile: Profile) -> list[str] | None:
    """The container's health check: `health.command` when the image carries one, else a probe with the
    image's own python for Python servers (slim images have no curl), else none."""
    health = profile.health
    if health.check == "none":
        return None
    if health.command is not None:
        return list(health.command)
    if not profile.web_server.forks_workers:
        return None
    if health.check == "tcp":
        return ["python", "-c", tcp_probe(profile.port, health.timeout_seconds)]
    # The public host as Host, as every target's probe sends it (a host-checking app refuses 127.0.0.1).
    return ["python", "-c", http_fetch(profile.port, health.readiness, profile.probe_host, health.timeout_seconds)]


def health_cmd(command: list[str]) -> str:
    """`HealthCmd=`'s value: a JSON array, without the `CMD` keyword.

    The string form loses a trailing quote in Podman 5.4's Quadlet. Podman reads an array that starts
    with `CMD` by splitting the JSON text at white space (pkg/specgenutil MakeHealthCheckFromCli,
    v4.3 to v5.4 at least), which breaks every argument; an array of two or more words without it is
    run as exactly those words (exec form). A one-word array is run with `/bin/sh -c`.
    """
    return specifiers(json.dumps(command, separators=(",", ":")))


def launch(profile: Profile) -> Launch:
    """One server process per container; only Traefik's pinned address may set X-Forwarded-*."""
    return Launch(profile.port, 1, traefik_address(profile) if is_exposed(profile) else None, profile.shutdown_seconds)


def _description(profile: Profile, text: str) -> str:
    return specifiers(f"{profile.app}: {text}")


def build_network(profile: Profile) -> Unit:
    """The one network of the app's containers and Traefik, on a pinned subnet (trust is by address)."""
    unit = Unit(f"The network the app's containers and Traefik share (podman network {network_name(profile)}).")
    unit.add("Unit", "Description", _description(profile, "container network"))
    unit.add("Network", "NetworkName", network_name(profile))
    unit.add("Network", "Subnet", profile.quadlet.subnet)
    for key, value in sorted(profile.labels.items()):
        unit.add("Network", "Label", word(f"{key}={value}"))
    return unit


def build_step(profile: Profile, index: int, step: PrestartStep) -> Unit:
    """A prestart step: a oneshot unit, once per release (its name holds the release), after the previous step.

    RemainAfterExit keeps it active once it has succeeded, so the units that require it start without
    running it again; a failure leaves them stopped (and, during a release, the old ones running).
    """
    name = step_unit(profile, step)
    unit = Unit(f"Prestart step {step.name} of release {release(profile)}: runs once, before the app starts.")
    unit.add("Unit", "Description", _description(profile, f"prestart step {step.name}"))
    if index > 0:
        previous = _service(step_unit(profile, profile.prestart[index - 1]))
        unit.add("Unit", "Requires", previous)
        unit.add("Unit", "After", previous)
    image(profile, unit, step.image or profile.image)
    unit.add("Container", "ContainerName", name)
    unit.add("Container", "Exec", words(step.command))
    unit.add("Container", "Network", f"{network_name(profile)}.network")
    _background_container(profile, unit, profile.env, profile.memory_bytes, profile.cpu_millicores, STEP_PIDS)
    unit.add("Service", "Type", "oneshot")
    unit.add("Service", "RemainAfterExit", "yes")
    unit.add("Service", "TimeoutStartSec", "infinity")
    return unit


def state_volumes(profile: Profile, unit: Unit) -> None:
    """The profile's state volumes, read-write, in every container that runs the app's code."""
    for name, path in sorted(state_mounts(profile).items()):
        unit.add("Container", "Volume", f"{state_volume(profile, name)}.volume:{path}")


def state_mounts(profile: Profile) -> dict[str, str]:
    """Named volumes (name -> mount path): `quadlet.volumes` and the profile's `volumes`."""
    return {**profile.quadlet.volumes, **{name: volume.path for name, volume in profile.volumes.items()}}


def _background_container(
    profile: Profile, unit: Unit, variables: dict[str, str], memory: int, millicores: int, pids: int
) -> None:
    environment(profile, unit, variables)
    state_volumes(profile, unit)
    # The app's image may carry a HEALTHCHECK that probes the web port; nothing listens there here.
    unit.add("Container", "HealthCmd", "none")
    app_hardening(profile, unit)
    memory_keys(profile, unit, memory, millicores, pids)
    unit.add("Container", "StopTimeout", str(profile.shutdown_seconds))
    metadata(profile, unit)


def build_replica(profile: Profile, index: int) -> Unit:
    """App replica `index`: one server process, started when healthy (Notify=healthy), restarted when not."""
    server = profile.web_server
    unit_launch = launch(profile)
    health = profile.health
    name = replica_unit(profile, index)
    unit = Unit(f"App replica {index} of {profile.replicas}: one server process, routed by Traefik when healthy.")
    unit.add("Unit", "Description", _description(profile, f"app replica {index}"))
    after_prestart(profile, unit)
    image(profile, unit, profile.image)
    unit.add("Container", "ContainerName", name)
    if profile.command is not None:  # else the image's own ENTRYPOINT/CMD
        unit.add("Container", "Exec", words([*profile.command, *server.arguments(unit_launch)]))
    unit.add("Container", "Network", f"{network_name(profile)}.network")
    environment(profile, unit, {**profile.env, **server.environment(unit_launch)})
    state_volumes(profile, unit)
    for extra in profile.ports:
        unit.add("Container", "ExposeHostPort", str(extra.port))
    command = health_command(profile)
    if command is not None:
        unit.add("Container", "HealthCmd", health_cmd(command))
        unit.add("Container", "HealthInterval", f"{health.interval_seconds}s")
        unit.add("Container", "HealthTimeout", f"{health.timeout_seconds}s")
        unit.add("Container", "HealthRetries", str(health.failure_threshold))
        unit.add("Container", "HealthStartPeriod", f"{health.startup_seconds}s")
        # An unhealthy container is killed, and systemd starts it again (Restart=always).
        unit.add("Container", "HealthOnFailure", "kill")
        # systemd counts the unit started when the container is healthy, so a release that restarts
        # the replicas one by one waits for each before it stops the next.
        unit.add("Container", "Notify", "healthy")
    else:
        unit.add("Container", "HealthCmd", "none")
    app_hardening(profile, unit)
    memory_keys(profile, unit, server.unit_memory(profile.memory_bytes, 1), profile.cpu_millicores, APP_PIDS)
    unit.add("Container", "StopTimeout", str(profile.shutdown_seconds))
    metadata(profile, unit)
    _long_running(profile, unit, health.startup_seconds, drain_seconds(profile))
    if is_exposed(profile):
        drain(profile, unit, index)
    return unit


def drain_seconds(profile: Profile) -> int:
    """How long a stopping replica serves on out of Traefik's rotation (0: no Traefik, nothing to leave)."""
    return DRAIN_SECONDS if is_exposed(profile) else 0


def routes_dir(profile: Profile) -> str:
    """The installed traefik/ directory, as a word of an Exec line (`%E` left for systemd to expand)."""
    if profile.quadlet.install_dir is None:
        return f"{DEFAULT_INSTALL_DIR}/{TRAEFIK_DIR}"
    return word(f"{profile.quadlet.install_dir.rstrip('/')}/{TRAEFIK_DIR}")


def server_url(profile: Profile, index: int) -> str:
    return f"http://{replica_unit(profile, index)}:{profile.port}"


def _toggle(profile: Profile, index: int, before: str, after: str) -> str:
    """`flock DIR/. sed -E -i -e 's|^( *)BEFORE- url: URL$|\\1AFTER- url: URL|' DIR/routes.yaml`, as Exec words.

    Host programs by name (systemd looks them up in its fixed search path). GNU sed -i writes a new
    file beside the old one and renames it over it, so Traefik never reads half a file, and it ignores
    sed's temporary file (no .yaml extension: pkg/provider/file reads .yaml, .yml and .toml only).
    flock on the directory serialises replicas stopping and starting together (at shutdown and boot),
    which would otherwise each rename their own copy over the other's. It is named `DIR/.`: flock
    creates a lock file that does not exist, and with units installed elsewhere an empty file in place
    of the directory would keep it from ever being installed there; `DIR/.` fails instead ("No such
    file or directory" in the unit's log).
    """
    entry = f"- url: {server_url(profile, index)}"
    expression = f"s|^( *){before}{entry}$|\\1{after}{entry}|"
    directory = routes_dir(profile)
    return f"flock {directory}/. {words(['sed', '-E', '-i', '-e', expression])} {directory}/{ROUTES_FILE}"


def drain(profile: Profile, unit: Unit, index: int) -> None:
    """Stopping a replica drops no request, even without Traefik's retry middleware.

    Traefik reads its routes from files (no container-engine socket), so nothing tells it that a
    replica stops: deploykit's ExecStop tells it. Quadlet writes a `.container`'s own `ExecStop=`
    lines before its `podman rm` (Podman 5.4's generator; tests/quadlet show the order), and systemd
    runs them in order: first the replica's server line in traefik/routes.yaml is commented out
    (Traefik's file provider reloads the watched directory), then the replica keeps serving
    DRAIN_SECONDS while Traefik moves every new request to the others and in-flight ones finish,
    then podman sends SIGTERM (graceful shutdown for StopTimeout). ExecStartPost comments the line
    back in once the new container is started, which with Notify=healthy is once it is healthy.

    The file is edited rather than split per replica: Traefik's file provider merges no service
    defined in two files ("HTTP service already configured, skipping"), and a weighted service whose
    child is missing breaks. Traefik's own health check cannot be made to fail instead: it probes the
    app's readiness path, which deploykit does not control. systemd runs ExecStop also after the
    container exited on its own, so a crashed replica leaves the rotation until it is healthy again.
    The drain's failure (a routes file moved away) does not stop the stop ("-"); a failure to put the
    replica back fails its start, loudly, rather than leaving it running outside the rotation.
    """
    unit.add("Service", "ExecStartPost", _toggle(profile, index, DRAINED, ""))
    unit.add("Service", "ExecStop", "-" + _toggle(profile, index, "", DRAINED))
    unit.add("Service", "ExecStop", f"sleep {DRAIN_SECONDS}")


def _long_running(profile: Profile, unit: Unit, start_seconds: int, drain: int = 0) -> None:
    unit.add("Service", "Restart", "always")
    unit.add("Service", "RestartSec", "5s")
    unit.add("Service", "TimeoutStartSec", f"{PULL_SECONDS + start_seconds}s")
    unit.add("Service", "TimeoutStopSec", f"{drain + profile.shutdown_seconds + STOP_MARGIN_SECONDS}s")
    unit.add("Install", "WantedBy", WANTED_BY)


def build_process(profile: Profile, process: BackgroundProcess, index: int) -> Unit:
    """Instance `index` of a process: the app's environment, secrets and hardening; no port, no route."""
    unit = Unit(f"Process {process.name}, instance {index} of {process.replicas}.")
    unit.add("Unit", "Description", _description(profile, f"process {process.name} {index}"))
    after_prestart(profile, unit)
    _run(profile, unit, process, process_unit(profile, process.name, index))
    _long_running(profile, unit, 0)
    return unit


def _run(profile: Profile, unit: Unit, item: Background, name: str) -> None:
    image(profile, unit, item.image)
    unit.add("Container", "ContainerName", name)
    unit.add("Container", "Exec", words(item.command))
    unit.add("Container", "Network", f"{network_name(profile)}.network")
    _background_container(profile, unit, item.env, item.memory_bytes, item.cpu_millicores, APP_PIDS)


def build_job(profile: Profile, job: ScheduledJob) -> Unit:
    """One run of a scheduled job: a oneshot unit its timer starts. A unit runs once at a time, so runs
    never overlap: a timer that fires while the last run goes on starts nothing. A failed run is not
    retried; the next comes on schedule (as a Kubernetes CronJob with backoffLimit 0, or yacron)."""
    unit = Unit(f"Scheduled job {job.name}: one run, started by {job_unit(profile, job.name)}.timer.")
    unit.add("Unit", "Description", _description(profile, f"scheduled job {job.name}"))
    after_prestart(profile, unit)
    _run(profile, unit, job, job_unit(profile, job.name))
    unit.add("Service", "Type", "oneshot")
    # A oneshot's whole run is its start-up: the job's timeout stops it (SIGTERM, then SIGKILL).
    unit.add("Service", "TimeoutStartSec", f"{job.timeout_seconds}s" if job.timeout_seconds else "infinity")
    return unit


def build_timer(profile: Profile, job: ScheduledJob) -> Unit:
    """The job's schedule in its time zone; a run missed while the server was off starts at boot."""
    unit = Unit(f"Schedule of {job.name}: cron {job.schedule!r} in {job.timezone}.")
    unit.add("Unit", "Description", _description(profile, f"schedule of {job.name}"))
    for event in on_calendar(job.schedule, job.timezone):
        unit.add("Timer", "OnCalendar", event)
    unit.add("Timer", "Persistent", "true")
    unit.add("Timer", "Unit", _service(job_unit(profile, job.name)))
    unit.add("Install", "WantedBy", "timers.target")
    return unit


def traefik_static_arguments(profile: Profile) -> list[str]:
    """Traefik's static configuration as `--key=value` arguments: routes from the watched file directory."""
    options = profile.quadlet
    proxy = profile.proxy
    acme = None
    if proxy is not None and proxy.tls == "acme" and proxy.email is not None:
        acme = traefik.Acme(CERT_RESOLVER, proxy.email, options.acme_challenge, options.acme_staging)
    config = traefik.StaticConfiguration(
        provider="file",
        provider_settings=(("directory", TRAEFIK_DYNAMIC_DIR), ("watch", "true")),
        redirect_port=options.https_port,
        dynamic_file=None,
        acme=acme,
        idle_seconds=profile.web_server.proxy_idle_seconds,
    )
    return traefik.flags(traefik.static_settings(profile, config))


def build_traefik(profile: Profile) -> Unit:
    """Traefik: the only container with published ports, at its pinned address, reading deploykit's route files."""
    options = profile.quadlet
    proxy = profile.proxy
    assert proxy is not None
    unit = Unit("Traefik: terminates TLS and routes to the app's replicas (routes in traefik/, written by deploykit).")
    unit.add("Unit", "Description", _description(profile, "Traefik"))
    unit.add("Container", "Image", options.traefik_image)
    unit.add("Container", "ContainerName", traefik_unit(profile))
    unit.add("Container", "Exec", words(traefik_static_arguments(profile)))
    unit.add("Container", "Network", f"{network_name(profile)}.network")
    unit.add("Container", "IP", traefik_address(profile))
    address = (
        ""
        if options.bind_address is None
        else (f"[{options.bind_address}]:" if ":" in options.bind_address else f"{options.bind_address}:")
    )
    unit.add("Container", "PublishPort", f"{address}{options.http_port}:{traefik.CONTAINER_PORTS[traefik.WEB]}")
    if traefik.uses_tls(profile):
        unit.add(
            "Container", "PublishPort", f"{address}{options.https_port}:{traefik.CONTAINER_PORTS[traefik.WEBSECURE]}"
        )
    # Relative to this file: the directory deploykit writes beside the units. `z`: shared SELinux label.
    unit.add("Container", "Volume", f"./{TRAEFIK_DIR}:{TRAEFIK_DYNAMIC_DIR}:ro,z")
    if proxy.tls == "provided" and proxy.certificate is not None:
        unit.add("Container", "Volume", f"{specifiers(proxy.certificate.cert_file)}:{CERT_PATH}:ro")
        unit.add("Container", "Volume", f"{specifiers(proxy.certificate.key_file)}:{KEY_PATH}:ro")
    if proxy.tls == "acme":
        # A named volume: certificates survive the container (Let's Encrypt rate limits).
        unit.add("Container", "Volume", f"{acme_volume(profile)}.volume:{traefik.ACME_DIR}")
    # root without capabilities: it writes acme.json to a volume and reads the operator's key files.
    hardening(unit, None, PROXY_TMP_BYTES)
    memory_keys(profile, unit, PROXY_MEMORY_BYTES, PROXY_MILLICORES, PROXY_PIDS)
    metadata(profile, unit)
    _long_running(profile, unit, 0)
    return unit


def build_state_volume(profile: Profile, name: str) -> Unit:
    unit = Unit(
        f"State volume {name}, mounted at {state_mounts(profile)[name]} in the app's containers; kept across releases."
    )
    unit.add("Unit", "Description", _description(profile, f"volume {name}"))
    unit.add("Volume", "VolumeName", state_volume(profile, name))
    return unit


def build_acme_volume(profile: Profile) -> Unit:
    unit = Unit("Traefik's ACME certificates (acme.json), kept across restarts and releases.")
    unit.add("Unit", "Description", _description(profile, "ACME certificates"))
    unit.add("Volume", "VolumeName", acme_volume(profile))
    return unit


def routes(profile: Profile) -> dict:
    """Traefik's file-provider routes: the app's router, middlewares and one server per replica."""
    servers = [server_url(profile, index) for index in range(1, profile.replicas + 1)]
    return traefik.file_configuration(traefik.router_settings(profile, CERT_RESOLVER, server_port=None), servers)


def tls_options(profile: Profile) -> dict | None:
    if not traefik.uses_tls(profile):
        return None
    return traefik.dynamic_configuration(profile, CERT_PATH, KEY_PATH)
