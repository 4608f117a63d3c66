"""Processes and scheduled jobs with the app's values filled in, as every target runs them.

A process or job inherits the app's image, environment, memory and CPU unless it sets its own; `env`
merges key by key over the app's. Targets read these, never the raw `processes`/`cron` entries, so
every target inherits the same way. Both lists are sorted by name: output order must not depend on
the order of a mapping in the profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from deploykit.spec.quantities import parse_cpu, parse_memory

if TYPE_CHECKING:
    from deploykit.spec.model import CronJob, Process, Profile

# The scheduler that runs `cron` jobs where the platform has none (Compose): yacron, pinned, in a virtual
# environment of its own inside the app's image, so its dependencies never meet the app's. The
# Dockerfile target installs it there and the Compose target runs it from there.
YACRON_VERSION = "0.19.0"
YACRON_HOME = "/opt/deploykit/yacron"
YACRON = f"{YACRON_HOME}/bin/yacron"

# A scheduled run is stopped after this long unless `cron.<job>.timeout_seconds` says otherwise.
CRON_TIMEOUT_SECONDS = 3600


@dataclass(frozen=True)
class Background:
    """What a process and a job share: what runs, where, with what."""

    name: str
    command: tuple[str, ...]
    image: str
    env: dict[str, str]
    memory_bytes: int
    cpu_millicores: int


@dataclass(frozen=True)
class BackgroundProcess(Background):
    """A long-running process and how many instances run."""

    replicas: int
    liveness_command: tuple[str, ...] | None


@dataclass(frozen=True)
class ScheduledJob(Background):
    """A job and when it runs."""

    schedule: str
    timezone: str
    # Always set: a run that hangs would otherwise hold every later run back (no overlapping runs).
    timeout_seconds: int


def _common(profile: Profile, name: str, entry: Process | CronJob) -> dict:
    return {
        "name": name,
        "command": tuple(entry.command),
        "image": entry.image or profile.image,
        "env": {**profile.env, **entry.env},
        "memory_bytes": parse_memory(entry.memory) if entry.memory is not None else profile.memory_bytes,
        "cpu_millicores": parse_cpu(entry.cpu) if entry.cpu is not None else profile.cpu_millicores,
    }


NO_LIVENESS = (
    "no liveness_command: a worker that hangs (a deadlock, a lost broker connection) keeps running and is never "
    "restarted; give a command that fails then, e.g. one checking that a heartbeat file the worker touches is recent"
)


def background_processes(profile: Profile) -> list[BackgroundProcess]:
    """The profile's `processes`, by name."""
    return [
        BackgroundProcess(
            **_common(profile, name, entry),
            replicas=entry.replicas,
            liveness_command=tuple(entry.liveness_command) if entry.liveness_command is not None else None,
        )
        for name, entry in sorted(profile.processes.items())
    ]


def scheduled_jobs(profile: Profile) -> list[ScheduledJob]:
    """The profile's `cron` jobs, by name."""
    return [
        ScheduledJob(
            **_common(profile, name, entry),
            schedule=entry.schedule,
            timezone=entry.timezone,
            timeout_seconds=entry.timeout_seconds if entry.timeout_seconds is not None else CRON_TIMEOUT_SECONDS,
        )
        for name, entry in sorted(profile.cron.items())
    ]
