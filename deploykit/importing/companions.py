"""The services that run the app's code besides the web server: steps before it, processes beside it,
and jobs on a schedule.

- `prestart`: the one-shot services the web service waits for (`service_completed_successfully`), in
  the order they wait for each other, then the commands a `sh -c` script ran before the server.
- `processes`: services of the app's image that keep running (queue workers, celery beat, consumers).
- `cron`: jobs Ofelia's labels schedule in the app's containers (`ofelia.job-exec.NAME.schedule` and
  `.command`, ofelia's README), when the schedule has five fields (or six starting at second 0, or a
  macro such as @daily); Compose itself has no schedules.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from deploykit.importing.context import Context, dns_label, dotted
from deploykit.importing.document import Entry, section
from deploykit.importing.environment import (
    Environment,
    interpolation_problem,
    looks_like_credential,
    secret_reference,
)
from deploykit.importing.model import Service
from deploykit.importing.resources import service_resources
from deploykit.importing.roles import same_image
from deploykit.spec import names
from deploykit.spec.schedule import MACROS, check_schedule


class StepNames:
    """Names of steps, processes and jobs: DNS labels, unique across them and the app (one namespace)."""

    def __init__(self, app: str):
        self.taken = {app}

    def claim(self, wanted: str, fallback: str) -> str:
        """`wanted` as a DNS label, else `fallback`, with a number added until it is free."""
        base = dns_label(wanted) or fallback
        name, number = base, 2
        while name in self.taken:
            name, number = f"{base[:60]}-{number}", number + 1
        self.taken.add(name)
        return name


def prestart(ctx: Context, taken: StepNames, script_steps: Sequence[tuple[str, ...]]) -> Entry | None:
    """`prestart` from the one-shot services the app waits for, then its script's first commands."""
    web = ctx.web
    entries = []
    for service in ctx.roles.prestart:
        argv = service.argv
        if argv is None:
            ctx.note(
                "not imported",
                service.path,
                "the app waited for it, but it has no command (the image's CMD); add it to prestart with its command",
            )
            continue
        step: dict[str, object] = {"name": taken.claim(service.name, "step"), "command": list(argv)}
        if not same_image(service, web):
            if service.image is None or not _pinned(service.image):
                ctx.note(
                    "not imported",
                    service.path,
                    f"a step before the app, but its image ({service.image or 'built from build:'}) is not pinned by a tag "
                    "or digest; add it to prestart with a pinned image",
                )
                continue
            step["image"] = service.image
        _environment_differences(ctx, service, "prestart steps run with the app's environment")
        comment = f"{ctx.source(service.path)}: the app waited for it to complete (service_completed_successfully)"
        entries.append(Entry(None, step, (comment,)))
    for index, command in enumerate(script_steps):
        name = taken.claim("migrate" if any("migrat" in word for word in command) else _step_word(command), "step")
        entries.append(
            Entry(
                None,
                {"name": name, "command": list(command)},
                (f"command {index + 1} of the script in {ctx.source((*web.path, 'command'))}",),
            )
        )
    if not entries:
        return None
    return section("prestart", entries, "Run in this order before the app starts, each to completion.")


def _step_word(command: tuple[str, ...]) -> str:
    """A name for a script's command: `python manage.py collectstatic` -> collectstatic."""
    words = [word for word in command if dns_label(word) and not word.startswith("-")]
    return words[-1] if words else "step"


def _pinned(image: str) -> bool:
    try:
        names.check_image(image)
    except ValueError:
        return False
    return True


def processes(ctx: Context, taken: StepNames, environment: Environment) -> Entry | None:
    """`processes` from the app-image services that keep running."""
    entries = []
    for service in ctx.roles.processes:
        assert service.argv is not None  # roles.is_process
        process: dict[str, object] = {"command": list(service.argv)}
        comment = [ctx.source(service.path)]
        if service.replicas is not None and service.replicas != 1:
            process["replicas"] = service.replicas
            comment.append(f"replicas: {ctx.source((*service.path, *service.replicas_field))}")
        resources = service_resources(ctx, service)
        if resources:
            process.update(resources)
            comment.append(
                f"memory and cpu: its container's limits ({', '.join(f'{k} {v}' for k, v in resources.items())})"
            )
        env = _process_env(ctx, service, environment)
        if env:
            process["env"] = env
            comment.append("env: the variables it sets differently from the app (it inherits the app's others)")
        entries.append(Entry(taken.claim(service.name, "process"), process, tuple(comment)))
    if not entries:
        return None
    return section("processes", entries, "Long-running services of the app's image: no port, no proxy.")


def _process_env(ctx: Context, service: Service, environment: Environment) -> dict[str, str]:
    """The variables a process sets differently from the app; credentials join the app's secrets."""
    web = ctx.web
    differences: dict[str, str] = {}
    for name, value in sorted(service.environment.items()):
        path = ctx.variable_path(service, name)
        subject = "" if path[-1] == name else f"{name} "
        if value is None or web.environment.get(name) == value or name in environment.secrets:
            continue
        if (problem := interpolation_problem(value)) is not None:
            ctx.note("not imported", path, f"{subject}{problem}")
            continue
        if looks_like_credential(name, value):
            environment.secrets[name] = secret_reference(ctx, name.lower().replace("_", "-"))
            environment.secret_comments[name] = (
                f"{subject.strip() + ' in ' if subject else ''}{dotted(path)} held a literal credential: move it into this secret"
            )
            ctx.note(
                "warning",
                path,
                f"{subject}looks like a credential: it became secrets.{name}, which the app and every process receive; "
                "move the value out of the Compose files into that secret",
            )
            continue
        differences[name] = value
    return differences


def _environment_differences(ctx: Context, service: Service, why: str) -> None:
    web = ctx.web
    different = sorted(
        name for name, value in service.environment.items() if value is not None and web.environment.get(name) != value
    )
    if different:
        ctx.note("not imported", (*service.path, "environment"), f"{', '.join(different)}: {why}")


def cron(ctx: Context, taken: StepNames) -> Entry | None:
    """`cron` from Ofelia's job labels on the app's own containers (`job-exec`) or on Ofelia (`job-run` of the app's image)."""
    entries = []
    carriers = [ctx.web, *ctx.roles.processes]
    for service in ctx.project.services.values():
        jobs = _ofelia_jobs(service)
        for job, settings in sorted(jobs.items()):
            kind, name = job
            path = (*service.path, "labels", f"ofelia.{kind}.{name}.schedule")
            runs_app_image = (kind == "job-exec" and service in carriers) or (
                kind == "job-run" and settings.get("image") in (ctx.web.image, None) and ctx.web.image is not None
            )
            if not runs_app_image:
                continue
            schedule = five_fields(settings.get("schedule", ""))
            command = settings.get("command", "")
            if schedule is None or not command:
                ctx.note(
                    "not imported",
                    path,
                    f"ofelia job {name}: its schedule {settings.get('schedule', '')!r} has no five-field cron form "
                    "(deploykit's `cron` needs minute hour day-of-month month day-of-week); add it to cron by hand",
                )
                continue
            try:
                argv = shlex.split(command)
            except ValueError:
                ctx.note("not imported", path, f"ofelia job {name}: cannot split its command {command!r}")
                continue
            entries.append(
                Entry(
                    taken.claim(name, "job"),
                    {"schedule": schedule, "command": argv},
                    (
                        f"{ctx.source(path)}: {settings.get('schedule')!r}, run by Ofelia in {service.name}'s containers",
                    ),
                )
            )
    if not entries:
        return None
    return section("cron", entries, "Scheduled jobs (UTC unless a job sets timezone).")


def _ofelia_jobs(service: Service) -> dict[tuple[str, str], dict[str, str]]:
    """Ofelia's `ofelia.<JOB_TYPE>.<JOB_NAME>.<PARAMETER>` labels, by (type, name)."""
    jobs: dict[tuple[str, str], dict[str, str]] = {}
    for label, value in service.labels.items():
        parts = label.split(".")
        if len(parts) >= 4 and parts[0] == "ofelia" and parts[1] in ("job-exec", "job-run"):
            jobs.setdefault((parts[1], ".".join(parts[2:-1])), {})[parts[-1]] = value
    return jobs


def five_fields(schedule: str) -> str | None:
    """An Ofelia schedule as the five cron fields deploykit reads, or None (`@every 5m`, seconds other than 0)."""
    text = schedule.strip()
    if text in MACROS:
        return MACROS[text]
    fields = text.split()
    if len(fields) == 6 and fields[0] == "0":  # Ofelia's seconds-first format
        fields = fields[1:]
    if len(fields) != 5:
        return None
    try:
        return check_schedule(" ".join(fields))
    except ValueError:
        return None
