"""The app's job (a group of `replicas` web allocations behind Traefik's Nomad provider, and a group per
process), the periodic batch job of each scheduled job, and the prestart batch job (`nomad.prestart: job`).

`build_job` returns the values `job.nomad.hcl.j2` writes; check.py has refused every user value that
Nomad would interpolate at run time, and the template passes every value through `hcl_value`.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from deploykit.servers import Launch
from deploykit.spec.background import Background, ScheduledJob, background_processes
from deploykit.spec.quantities import mebibytes_rounded_up, nomad_cpu_mhz
from deploykit.targets.nomad.secrets import file_variables, templates
from deploykit.targets.nomad.traefik_tags import canary_tags, service_tags

if TYPE_CHECKING:
    from deploykit.spec.model import Profile

PORT_LABEL = "http"
PIDS_LIMIT = 1024
# /tmp of Traefik's task, which writes nothing large there.
PROXY_TMP_BYTES = 64 * 2**20
RESTART = {"attempts": 3, "interval": "5m", "delay": "15s", "mode": "fail"}
RESCHEDULE = {"delay": "30s", "delay_function": "exponential", "max_delay": "1h", "unlimited": True}
# A batch run that fails is retried once in place, then left failed: the next run comes on schedule,
# and a step that failed must not run again behind the operator's back.
BATCH_RESTART = {"attempts": 1, "interval": "24h", "delay": "15s", "mode": "fail"}
BATCH_RESCHEDULE = {"attempts": 0, "unlimited": False}
# A scheduled run that fails is not retried, as on Kubernetes (backoffLimit 0) and Compose (yacron):
# the next run comes on schedule.
CRON_RESTART = {"attempts": 0, "interval": "24h", "delay": "15s", "mode": "fail"}
# Nomad has no run-time limit for batch tasks: a scheduled run is started under `timeout`, which
# sends SIGTERM at the limit (and passes on the SIGTERM Nomad sends to stop the task), then SIGKILL
# this much later. GNU coreutils and BusyBox both read `-k SECONDS SECONDS COMMAND...`.
TIMEOUT_KILL_SECONDS = 30
PRESTART_TASK = "prestart"


def _seconds(value: int) -> str:
    return f"{value}s"


def _job_placement(profile: Profile) -> dict:
    options = profile.nomad
    return {
        "datacenters": list(options.datacenters),
        "namespace": options.namespace,
        "region": options.region,
        "node_pool": options.node_pool,
    }


def _update(profile: Profile) -> dict:
    options = profile.nomad
    update: dict = {
        "max_parallel": 1,
        # Without checks (health.check: none) a deployment can only wait for the tasks to run.
        "health_check": "checks" if profile.health.check != "none" else "task_states",
        "min_healthy_time": _seconds(options.min_healthy_seconds),
        "healthy_deadline": _seconds(options.healthy_deadline_seconds),
        "progress_deadline": _seconds(options.progress_deadline_seconds),
        "auto_revert": True,
        "canary": options.canary,
    }
    if options.canary:
        # Nomad rejects auto_promote without canaries.
        update["auto_promote"] = options.auto_promote
    return update


def _checks(profile: Profile) -> list[dict]:
    """Readiness gates deployments; liveness restarts the task. One check when both use one path."""
    health = profile.health
    common = {
        "interval": _seconds(health.interval_seconds),
        "timeout": _seconds(health.timeout_seconds),
        # Nomad sends the node's address as Host unless the check's `header` says otherwise.
        "host_header": profile.probe_host,
    }
    restart = {"limit": health.failure_threshold, "grace": _seconds(health.startup_seconds)}
    if health.check == "none":
        return []
    if health.check == "tcp":
        return [{"name": "healthy", "type": "tcp", **common, "host_header": None, "check_restart": restart}]
    if health.check == "command":
        assert health.command is not None, "spec/checks.py requires health.command with check: command"
        # A script check runs the command inside the task's container (the docker driver supports it).
        script = {"type": "script", "command": health.command[0], "args": list(health.command[1:])}
        return [{"name": "healthy", **script, **common, "host_header": None, "check_restart": restart}]
    http = {"type": "http"}
    if not health.separate_liveness:
        return [{"name": "healthy", **http, "path": health.liveness, **common, "check_restart": restart}]
    return [
        {"name": "ready", **http, "path": health.readiness, **common, "check_restart": None},
        {"name": "alive", **http, "path": health.liveness, **common, "check_restart": restart},
    ]


def trusted_proxies(profile: Profile) -> str | None:
    """Whose X-Forwarded-* headers the app trusts: with a public host, the Traefik nodes
    (`nomad.forwarded_allow_ips`) and the Docker bridge Traefik on the same node connects from."""
    if profile.proxy is None or profile.proxy.host is None:
        return None
    options = profile.nomad
    trusted = [value for value in (options.forwarded_allow_ips, options.trusted_bridge) if value is not None]
    return ",".join(trusted) or None


def launch(profile: Profile) -> Launch:
    """What the app's server is told in each allocation: one worker (allocations are the replicas)."""
    return Launch(profile.port, 1, trusted_proxies(profile), profile.shutdown_seconds)


def _env(profile: Profile) -> list[tuple[str, str]]:
    return sorted({**profile.env, **profile.web_server.environment(launch(profile)), **file_variables(profile)}.items())


def _resources(profile: Profile, memory_bytes: int, cpu_millicores: int) -> dict:
    cpu = profile.nomad.cpu_mhz or nomad_cpu_mhz(cpu_millicores)
    return {"cpu": cpu, "memory": mebibytes_rounded_up(memory_bytes)}


def _task(
    profile: Profile,
    name: str,
    image: str,
    command: list[str] | None,
    env: list[tuple[str, str]],
    prestart: bool,
    memory_bytes: int | None = None,
    cpu_millicores: int | None = None,
    ports: list[str] | None = None,
) -> dict:
    """A hardened docker task running `command` as one process (`command` + `args`, the image's CMD replaced;
    None: the image's own ENTRYPOINT and CMD)."""
    memory = profile.memory_bytes if memory_bytes is None else memory_bytes
    return {
        "name": name,
        "prestart": prestart,
        "image": image,
        # None: the image's own ENTRYPOINT and CMD (no command, no args).
        "command": None if command is None else command[0],
        "args": None if command is None else command[1:],
        "ports": ports
        if ports is not None
        else []
        if prestart
        else [PORT_LABEL, *(extra.name for extra in profile.ports)],
        "env": env,
        "templates": templates(profile),
        "resources": _resources(profile, memory, profile.cpu_millicores if cpu_millicores is None else cpu_millicores),
        # None: the image's own USER (`run_as: image`).
        "user": None if profile.run_as_uid is None else f"{profile.run_as_uid}:{profile.run_as_uid}",
        "pids_limit": PIDS_LIMIT,
        # A tmpfs is memory charged to the task: never larger than the task's memory.
        "tmp_size": min(profile.tmp_bytes, memory),
        "writable_paths": list(profile.writable_paths),
        "read_only": profile.read_only_root,
        "kill_timeout": _seconds(profile.shutdown_seconds),
        "volume_mounts": [],
        "shutdown_delay": None,
        "service": None,
    }


# The steps' runner, for several steps: the shell runs as the task's PID 1, which the kernel gives no
# default signal action, so without a trap `docker stop`'s SIGTERM (Nomad's kill, a redeploy, a drain)
# would be ignored until kill_timeout's SIGKILL. Each step runs in the background and the shell waits
# for it: `wait` returns as soon as a trapped signal arrives (POSIX), the trap passes SIGTERM on to the
# running step, and the shell exits with 128 + the signal once the step has stopped. A step that
# fails stops the sequence with its own status. A signal that comes between starting a step and
# knowing its process ID is caught up before waiting (the `[ "$t" = 0 ] || kill` after `c=$!`).
PRESTART_RUNNER = (
    "t=0; c=; "
    """trap 't=143; [ -z "$c" ] || kill -TERM "$c" 2>/dev/null' TERM; """
    """trap 't=130; [ -z "$c" ] || kill -TERM "$c" 2>/dev/null' INT; """
    'step() { [ "$t" = 0 ] || exit "$t"; "$@" & c=$!; [ "$t" = 0 ] || kill -TERM "$c" 2>/dev/null; '
    'wait "$c"; s=$?; if [ "$t" != 0 ]; then wait "$c"; exit "$t"; fi; [ "$s" = 0 ] || exit "$s"; }'
)


def prestart_command(profile: Profile) -> list[str]:
    """The prestart steps as one command, run in order, stopping at the first that fails.

    Nomad starts every prestart task of a group at once (its lifecycle documentation): one step per
    task would run migrations concurrently with the steps meant to follow them. A single step runs as
    it is (its own program is PID 1 and gets the signals); several run under `/bin/sh` through
    PRESTART_RUNNER, each `step` with every argument quoted, so none is read by the shell.
    check.py requires the steps to share one image.
    """
    if len(profile.prestart) == 1:
        return list(profile.prestart[0].command)
    script = "; ".join([PRESTART_RUNNER, *(f"step {shlex.join(step.command)}" for step in profile.prestart)])
    return ["/bin/sh", "-c", script]


def prestart_task(profile: Profile, env: list[tuple[str, str]]) -> dict:
    """The task that runs the steps: named after the step, or `prestart` for several."""
    name = profile.prestart[0].name if len(profile.prestart) == 1 else PRESTART_TASK
    image = profile.prestart[0].image or profile.image
    return _task(profile, name, image, prestart_command(profile), env, prestart=True)


def _tasks(profile: Profile) -> list[dict]:
    env = _env(profile)
    tasks = [prestart_task(profile, env)] if profile.prestart and profile.nomad.prestart == "task" else []
    server, unit = profile.web_server, launch(profile)
    memory = server.unit_memory(profile.memory_bytes, unit.workers)
    command = None if profile.command is None else [*profile.command, *server.arguments(unit)]
    app = _task(profile, profile.app, profile.image, command, env, prestart=False, memory_bytes=memory)
    # The service belongs to the app's task, not the group: a group service is registered, and its
    # check_restart grace starts, when the allocation starts, so prestart steps (migrations) would use
    # up the grace; a task service is registered once the app's task runs. Its shutdown_delay likewise
    # deregisters the app before the task is signalled.
    app["shutdown_delay"] = _seconds(profile.nomad.shutdown_delay_seconds)
    app["service"] = {
        "name": profile.app,
        "port": PORT_LABEL,
        "tags": service_tags(profile),
        "canary_tags": canary_tags(profile),
        "checks": _checks(profile),
    }
    tasks.append(app)
    return tasks


def _with_steps(profile: Profile, task: dict) -> list[dict]:
    """`task` after the prestart task (with `nomad.prestart: task`): the release's migration runs first in
    every allocation that runs the app's code, so no process or periodic run starts new code before
    the steps succeeded (with `nomad.prestart: job`, that job is run and waited for first)."""
    if not profile.prestart or profile.nomad.prestart != "task":
        return [task]
    return [prestart_task(profile, _env(profile)), task]


def _background_task(profile: Profile, item: Background) -> dict:
    env = sorted({**item.env, **file_variables(profile)}.items())
    return _task(
        profile,
        item.name,
        item.image,
        list(item.command),
        env,
        prestart=False,
        memory_bytes=item.memory_bytes,
        cpu_millicores=item.cpu_millicores,
        ports=[],
    )


def _group(name: str, count: int, tasks: list[dict], restart: dict, reschedule: dict) -> dict:
    return {
        "name": name,
        "count": count,
        "network": None,
        "volumes": [],
        "restart": restart,
        "reschedule": reschedule,
        "tasks": tasks,
    }


def build_job(profile: Profile) -> dict:
    """The values of the app's job, in the order the template writes them: the web group, then one
    group per process (Nomad replaces groups independently, each with its own count)."""
    web = _group(profile.app, profile.replicas, _tasks(profile), RESTART, RESCHEDULE)
    web["network"] = {
        "port_label": PORT_LABEL,
        "port": profile.port,
        # `publish`: the same host port on every node running the app (Nomad places at most one
        # allocation per node then), for a load balancer of one's own.
        "static": None if profile.publish is None else profile.publish.port,
        "extra_ports": [{"label": extra.name, "to": extra.port} for extra in profile.ports],
    }
    # Host volumes the clients declare (client.host_volume), one per `volumes` entry, mounted into
    # the app's task and its prestart task: the data stays on the node that holds it.
    web["volumes"] = [{"name": name} for name in sorted(profile.volumes)]
    for task in web["tasks"]:
        task["volume_mounts"] = [
            {"volume": name, "destination": volume.path} for name, volume in sorted(profile.volumes.items())
        ]
    groups = [web] + [
        _group(
            process.name,
            process.replicas,
            _with_steps(profile, _background_task(profile, process)),
            RESTART,
            RESCHEDULE,
        )
        for process in background_processes(profile)
    ]
    return {
        "name": profile.app,
        "type": "service",
        **_job_placement(profile),
        "update": _update(profile),
        "periodic": None,
        "groups": groups,
    }


def build_cron_job(profile: Profile, job: ScheduledJob) -> dict:
    """A periodic batch job: never two runs at once, read in the job's time zone."""
    task = _background_task(profile, job)
    limit = ["-k", str(TIMEOUT_KILL_SECONDS), str(job.timeout_seconds)]
    task |= {"command": "timeout", "args": [*limit, task["command"], *task["args"]]}
    return {
        "name": f"{profile.app}-{job.name}",
        "type": "batch",
        **_job_placement(profile),
        "update": None,
        "periodic": {"crons": [job.schedule], "prohibit_overlap": True, "time_zone": job.timezone},
        "groups": [_group(job.name, 1, _with_steps(profile, task), CRON_RESTART, BATCH_RESCHEDULE)],
    }


def build_prestart_job(profile: Profile) -> dict:
    """`nomad.prestart: job`: the steps as a batch job of their own, run once before the service job."""
    task = prestart_task(profile, _env(profile)) | {"prestart": False}
    return {
        "name": f"{profile.app}-{PRESTART_TASK}",
        "type": "batch",
        **_job_placement(profile),
        "update": None,
        "periodic": None,
        "groups": [_group(PRESTART_TASK, 1, [task], BATCH_RESTART, BATCH_RESCHEDULE)],
    }
