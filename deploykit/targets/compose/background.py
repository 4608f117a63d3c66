"""Processes and scheduled jobs on one server.

A process is one service (`deploy.replicas` instances). Compose has no scheduler; `compose.scheduler`
chooses what runs the jobs (`scheduler_kind`), and neither gives any container access to the Docker
API (a label-driven scheduler would need to create and start containers through the socket: root on
the host):

- yacron: one `scheduler` service, the app's image running yacron (a cron for containers: per-job
  time zones, no overlapping runs, execution timeouts, exec-form commands), configured by the
  rendered `cron.yaml`. Jobs are child processes of the scheduler, so they get the app's environment,
  secrets and volumes exactly as the app does. Only the rendered Dockerfile installs yacron (at
  YACRON), so this is the choice only for an image deploykit builds.
- systemd: the host's systemd runs each job. Each job is a service of its own in compose.yaml, in a
  Compose profile `up` does not start (JOB_PROFILE); a `.timer` (the schedule as `OnCalendar=` in
  the job's time zone) starts a oneshot `.service` whose command is `docker compose run --no-deps -T
  JOB`: a one-off container of the job's own image, environment, secrets, volumes and limits,
  needing nothing inside the image. A oneshot unit never runs twice at once (no overlap), is
  stopped after the job's timeout, and is not restarted on failure (no retry), as on every target;
  and it runs only once the release's migration has succeeded (`migrated_condition`).

See docs/targets/compose.md.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Literal

from deploykit.spec.background import YACRON, BackgroundProcess, ScheduledJob
from deploykit.spec.quantities import MEBIBYTE
from deploykit.systemd.calendar import on_calendar
from deploykit.systemd.units import Unit, word, words
from deploykit.targets.compose import naming
from deploykit.targets.compose.escaping import literal
from deploykit.targets.compose.hardening import limits
from deploykit.targets.compose.meta import metadata
from deploykit.targets.compose.workload import after_prestart, app_hardening, common

if TYPE_CHECKING:
    from deploykit.spec.model import Profile

SCHEDULER = "scheduler"
CRON_FILE = "cron.yaml"
CRON_PATH = "/etc/deploykit/cron.yaml"
# yacron itself: an asyncio loop in a Python process.
SCHEDULER_BYTES = 64 * MEBIBYTE
PIDS_PER_PROCESS = 64
# Runs that outlive a stop are killed this long after yacron (or systemd) asks them to stop.
KILL_SECONDS = 30
# The Compose profile of the jobs' services: `up` starts no service of an inactive profile, and `run JOB`
# starts the one it names whatever its profile (the Compose specification, "Using profiles").
JOB_PROFILE = "cron"
# The directory of the systemd units beside compose.yaml.
SYSTEMD_DIR = "systemd"
# The Compose CLI as the units run it: looked up in systemd's fixed search path (/usr/local/bin, /usr/bin...).
COMPOSE_CLI = ("docker", "compose")
# The engine's CLI, for what Compose does not do: remove a one-off container (`compose rm` skips them).
ENGINE_CLI = "docker"


def scheduler_kind(profile: Profile) -> Literal["yacron", "systemd"]:
    """What runs the `cron` jobs: `compose.scheduler`, with `auto` read as yacron when the environment
    builds its image with deploykit's Dockerfile (which installs yacron) and systemd otherwise."""
    choice = profile.compose.scheduler
    if choice == "auto":
        return "yacron" if "dockerfile" in profile.target_names else "systemd"
    return choice


def server_directory(profile: Profile) -> str:
    """The rendered directory on the server, where the units find compose.yaml."""
    return profile.compose.directory or f"/srv/{naming.project(profile)}"


def _no_image_healthcheck() -> dict:
    # The app's image may carry a HEALTHCHECK that probes the web port; nothing listens there here.
    return {"healthcheck": {"disable": True}}


def _process_healthcheck(profile: Profile, process: BackgroundProcess) -> dict:
    """`liveness_command` as the container's healthcheck (Docker shows the health; it restarts no unhealthy
    container), else none: the image's own would probe a web port nothing listens on."""
    if process.liveness_command is None:
        return _no_image_healthcheck()
    health = profile.health
    return {
        "healthcheck": {
            "test": ["CMD", *(literal(argument) for argument in process.liveness_command)],
            "interval": f"{health.interval_seconds}s",
            "timeout": f"{health.timeout_seconds}s",
            "retries": health.failure_threshold,
            "start_period": f"{health.startup_seconds}s",
        }
    }


def build_process_service(profile: Profile, process: BackgroundProcess) -> dict:
    """The process's service: `replicas` containers, each with the process's limits, after the prestart steps."""
    service: dict = {
        "image": process.image,
        "command": [literal(argument) for argument in process.command],
        **common(profile, process.env),
        **_process_healthcheck(profile, process),
        "restart": "unless-stopped",
        "stop_grace_period": f"{profile.shutdown_seconds}s",
        **app_hardening(profile, process.memory_bytes),
        **limits(process.memory_bytes, process.cpu_millicores, PIDS_PER_PROCESS, replicas=process.replicas),
    }
    service |= metadata(profile, annotations=True)
    service |= after_prestart(profile)
    return service


def build_scheduler_service(profile: Profile, jobs: list[ScheduledJob]) -> dict:
    """The one scheduler (never more: no-overlap holds within one yacron), with memory for every job at once."""
    service: dict = {
        "image": profile.image,
        "command": [YACRON, "-c", CRON_PATH],
        # A minimal init as PID 1 reaps the jobs' orphans and passes SIGTERM to yacron, which stops
        # scheduling and lets running jobs finish until stop_grace_period.
        "init": True,
        **common(profile, profile.env),
        **_no_image_healthcheck(),
        "restart": "unless-stopped",
        "stop_grace_period": f"{profile.shutdown_seconds}s",
        **app_hardening(profile, SCHEDULER_BYTES + sum(job.memory_bytes for job in jobs)),
        **limits(
            SCHEDULER_BYTES + sum(job.memory_bytes for job in jobs),
            sum(job.cpu_millicores for job in jobs),
            PIDS_PER_PROCESS * (len(jobs) + 1),
        ),
    }
    service |= metadata(profile, annotations=True)
    service |= after_prestart(profile)
    return service


def cron_configuration(profile: Profile, jobs: list[ScheduledJob]) -> dict:
    """yacron's configuration (its README's keys): exec-form commands, output straight to the logs,
    failure only on a non-zero exit (yacron's default would also fail a job for writing to stderr)."""
    entries = []
    for job in jobs:
        entry: dict = {
            "name": job.name,
            "command": list(job.command),
            "schedule": job.schedule,
            "timezone": job.timezone,
        }
        entry["executionTimeout"] = job.timeout_seconds
        differs = {name: value for name, value in sorted(job.env.items()) if profile.env.get(name) != value}
        if differs:
            entry["environment"] = [{"key": name, "value": value} for name, value in differs.items()]
        entries.append(entry)
    return {
        "defaults": {
            "concurrencyPolicy": "Forbid",
            "captureStdout": False,
            "captureStderr": False,
            "failsWhen": {"producesStdout": False, "producesStderr": False, "nonzeroReturn": True},
            "killTimeout": KILL_SECONDS,
        },
        "jobs": entries,
    }


def build_job_service(profile: Profile, job: ScheduledJob) -> dict:
    """A job's own service (systemd scheduler): what one `docker compose run` of it starts, never `up`.
    No `depends_on`: the runs use `--no-deps`, as a run must start nothing else (Compose would start,
    and recreate, the services it depends on)."""
    service: dict = {
        "image": job.image,
        "command": [literal(argument) for argument in job.command],
        "profiles": [JOB_PROFILE],
        **common(profile, job.env),
        **_no_image_healthcheck(),
        "restart": "no",
        "stop_grace_period": f"{KILL_SECONDS}s",
        **app_hardening(profile, job.memory_bytes),
        **limits(job.memory_bytes, job.cpu_millicores, PIDS_PER_PROCESS),
    }
    service |= metadata(profile, annotations=True)
    return service


def job_unit(profile: Profile, job: ScheduledJob) -> str:
    """`items-api-report`: the name of a job's timer and service units."""
    return f"{naming.project(profile)}-{job.name}"


def compose_command(profile: Profile, *arguments: str) -> list[str]:
    """`docker compose -p PROJECT -f DIR/compose.yaml ARGUMENTS`, on the rendered directory on the server."""
    directory = server_directory(profile)
    return [*COMPOSE_CLI, "-p", naming.project(profile), "-f", f"{directory}/compose.yaml", *arguments]


def run_container(profile: Profile, job: ScheduledJob) -> str:
    """The name of a run's container: one at a time per job, so ExecStopPost can find it."""
    return f"{job_unit(profile, job)}-run"


# `docker compose ps` of the last step's containers: state and exit code, the configuration each was created
# from, and whether it is a one-off (`ps` lists `docker compose run` containers of the service too). The state
# first: Compose reports the exit code of an exited or dead container only, and 0 for one still running or
# only created (pkg/compose/ps.go), which is no migration done.
STEP_STATE_FORMAT = (
    '{{.State}} {{.ExitCode}} {{.Label "com.docker.compose.config-hash"}} {{.Label "com.docker.compose.oneoff"}}'
)


def migrated_condition(profile: Profile) -> list[str] | None:
    """A command that succeeds only when the last prestart step's container was created from compose.yaml's
    current configuration (`config --hash`, the hash Compose labels each container with) and has exited 0:
    the release's migration has succeeded. A run is skipped otherwise (ExecCondition= exits 1-254: the unit
    is skipped, not failed), so no job runs a new release's code before its migration, nor after it failed."""
    if not profile.prestart:
        return None
    step = profile.prestart[-1].name
    current = shlex.join(compose_command(profile, "config", "--hash", step))
    state = shlex.join(compose_command(profile, "ps", "--all", "--format", STEP_STATE_FORMAT, step))
    # `config --hash` prints `SERVICE HASH`; grep (1 when no line matches) looks for the step's own container.
    return ["/bin/sh", "-c", f'h=$({current}) && {state} | grep -qx "exited 0 ${{h#* }} False"']


def build_job_unit(profile: Profile, job: ScheduledJob) -> Unit:
    """One run of a job: a oneshot unit its timer starts. systemd starts a unit once at a time, so a timer
    that fires while the last run goes on starts nothing (no overlap). The unit fails with the job's exit
    status. After `timeout_seconds` systemd sends SIGTERM to `docker compose run`, which passes it on to
    the job's container (the Docker CLI forwards signals to a container it attached without a TTY: `-T`);
    a container still running KILL_SECONDS later (its CLI is killed then) is killed by ExecStopPost.
    A failed run is not restarted: the next comes on schedule.

    The container has a name of its own and no `--rm`: ExecStopPost removes it after every run (with
    `--rm`, Podman's Docker-compatible API removes the container before Compose reads its exit status,
    and every run would count as a success), and ExecStartPre removes one a lost server left behind."""
    name, container = job_unit(profile, job), run_container(profile, job)
    unit = Unit(
        f"Scheduled job {job.name} of {naming.project(profile)}: one run, started by {name}.timer.\n"
        f"Install both in /etc/systemd/system, then `systemctl enable --now {name}.timer`."
    )
    unit.add("Unit", "Description", f"{naming.project(profile)}: scheduled job {job.name}")
    # The engine first, when both start at boot (a run missed while the server was off starts then).
    unit.add("Unit", "After", "docker.service network-online.target")
    # After= alone waits for the network only where something else pulls the target in (systemd.special(7)).
    unit.add("Unit", "Wants", "network-online.target")
    unit.add("Service", "Type", "oneshot")
    unit.add("Service", "Environment", word(f"DOCKER_HOST=unix://{profile.compose.docker_socket}"))
    unit.add("Service", "WorkingDirectory", server_directory(profile))
    condition = migrated_condition(profile)
    if condition is not None:
        unit.add("Service", "ExecCondition", words(condition))
    unit.add("Service", "ExecStartPre", "-" + words([ENGINE_CLI, "rm", "-f", container]))
    command = compose_command(profile, "run", "--no-deps", "-T", "--name", container, job.name)
    unit.add("Service", "ExecStart", words(command))
    # SIGKILL first: the run had SIGTERM and TimeoutStopSec already (podman's `rm -f` would wait its stop
    # timeout again); both fail harmlessly (`-`) when the run ended by itself and left nothing to kill.
    unit.add("Service", "ExecStopPost", "-" + words([ENGINE_CLI, "kill", container]))
    unit.add("Service", "ExecStopPost", "-" + words([ENGINE_CLI, "rm", "-f", container]))
    # A oneshot's whole run is its start-up: the job's timeout stops it.
    unit.add("Service", "TimeoutStartSec", f"{job.timeout_seconds}s")
    unit.add("Service", "TimeoutStopSec", f"{KILL_SECONDS}s")
    return unit


def build_job_timer(profile: Profile, job: ScheduledJob) -> Unit:
    """The job's schedule in its time zone; a run missed while the server was off starts at boot."""
    name = job_unit(profile, job)
    unit = Unit(f"Schedule of {job.name}: cron {job.schedule!r} in {job.timezone}.")
    unit.add("Unit", "Description", f"{naming.project(profile)}: schedule of {job.name}")
    for event in on_calendar(job.schedule, job.timezone):
        unit.add("Timer", "OnCalendar", event)
    unit.add("Timer", "Persistent", "true")
    unit.add("Timer", "Unit", f"{name}.service")
    unit.add("Install", "WantedBy", "timers.target")
    return unit


def unit_files(profile: Profile, jobs: list[ScheduledJob]) -> list[tuple[str, str]]:
    """(path, text) of every job's service and timer under SYSTEMD_DIR, by job."""
    files = []
    for job in jobs:
        name = job_unit(profile, job)
        files.append((f"{SYSTEMD_DIR}/{name}.service", build_job_unit(profile, job).text()))
        files.append((f"{SYSTEMD_DIR}/{name}.timer", build_job_timer(profile, job).text()))
    return files
