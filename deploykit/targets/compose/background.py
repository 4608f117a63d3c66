"""Processes and scheduled jobs on one server.

A process is one service (`deploy.replicas` instances). Compose has no scheduler, so scheduled jobs run
in one `scheduler` service: the app's image running yacron (a cron for containers: per-job time
zones, no overlapping runs, execution timeouts, exec-form commands), configured by the rendered
`cron.yaml`. Jobs are child processes of the scheduler, so they get the app's environment, secrets
and volumes exactly as the app does, and the scheduler needs no access to the Docker API (a
label-driven scheduler would need to create and start containers through the socket: root on the
host). The rendered Dockerfile installs yacron at YACRON when the profile has jobs; an image built
otherwise must provide it there. See docs/targets/compose.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploykit.spec.background import YACRON, BackgroundProcess, ScheduledJob
from deploykit.spec.quantities import MEBIBYTE
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
# Runs that outlive a stop are killed this long after yacron asks them to stop.
KILL_SECONDS = 30


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
