"""Memory and CPU: Compose limits a container, deploykit sizes one process.

A Compose app container running N workers holds N processes, plus a master for some servers
(gunicorn's arbiter, uvicorn's supervisor when N > 1); deploykit's `memory` and `cpu` are per
process and each target multiplies them back (servers.py `unit_memory`; Compose `cpus` = workers x
cpu). So the import divides, rounding down to whole MiB and millicores: the container deploykit
renders never gets more than the Compose file gave it, and at most a MiB per process less.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from deploykit.importing.context import MEBIBYTE, Context, size
from deploykit.importing.document import Entry, field
from deploykit.importing.model import Service
from deploykit.servers import MASTER_BYTES, SERVERS, ServerName
from deploykit.spec.quantities import MIN_MEMORY_BYTES, MIN_MILLICORES

DEFAULT_MEMORY = "256Mi"  # the profile's default (spec/model.py), written out so it is seen


def app_resources(ctx: Context, server: ServerName, workers: int) -> list[Entry]:
    """`memory` and `cpu` per process of the web service, running `workers` workers per container."""
    web = ctx.web
    return [_app_memory(ctx, web, server, workers), *_app_cpu(ctx, web, workers)]


def _app_memory(ctx: Context, web: Service, server: ServerName, workers: int) -> Entry:
    if web.memory_bytes is None:
        return field(
            "memory",
            DEFAULT_MEMORY,
            f"{web.name} has no memory limit in Compose: this is deploykit's default per process.",
            "check: measure the app's memory (docker stats) and set what one process needs",
        )
    limit = web.memory_bytes
    definition = SERVERS[server]
    processes = definition.processes(workers)
    source = ctx.source((*web.path, *web.memory_field))
    if processes == workers or definition.master_loads_app:
        per_process = limit // processes
        how = f"{size(limit)} / {processes} process{'es' if processes != 1 else ''}"
    else:
        per_process = (limit - MASTER_BYTES) // workers
        how = f"({size(limit)} - {size(MASTER_BYTES)} for the {server} master) / {workers} workers"
    mebibytes = max(per_process // MEBIBYTE, MIN_MEMORY_BYTES // MEBIBYTE)
    if mebibytes * MEBIBYTE > per_process:
        ctx.note(
            "warning",
            (*web.path, *web.memory_field),
            f"{size(limit)} gives each of {processes} processes less than {size(MIN_MEMORY_BYTES)}; the profile says "
            f"{mebibytes}Mi per process, so the container's limit grows to {size(definition.unit_memory(mebibytes * MEBIBYTE, workers))}",
        )
    return field(
        "memory",
        f"{mebibytes}Mi",
        f"{source}: {size(limit)} for the container, which runs {_processes_text(server, workers, processes)}.",
        f"deploykit's memory is per process: {how}, rounded down to a whole MiB"
        + ("." if mebibytes * MEBIBYTE == per_process else f" ({size(per_process)} exactly)."),
    )


def _processes_text(server: ServerName, workers: int, processes: int) -> str:
    if server == "generic":
        return "one process"
    if processes == workers:
        return f"{workers} {server} worker{'s' if workers != 1 else ''}"
    master = "a supervisor that imports the app" if SERVERS[server].master_loads_app else "a master process"
    return f"{processes} processes ({workers} {server} workers and {master})"


def _app_cpu(ctx: Context, web: Service, workers: int) -> list[Entry]:
    if web.cpus is None or web.cpus <= 0:
        return []
    per_worker = (web.cpus / workers * 1000).quantize(Decimal(1), rounding=ROUND_DOWN)
    millicores = max(int(per_worker), MIN_MILLICORES)
    return [
        field(
            "cpu",
            f"{millicores}m",
            f"{ctx.source((*web.path, *web.cpus_field))}: {web.cpus} CPU{'s' if web.cpus != 1 else ''} for the container; deploykit's cpu is per worker "
            f"(Compose gives the container workers x cpu): {web.cpus} / {workers}",
        )
    ]


def service_resources(ctx: Context, service: Service) -> dict[str, str]:
    """`memory` and `cpu` of a process, a step or a job: one container, one unit, no division."""
    values: dict[str, str] = {}
    if service.memory_bytes is not None:
        mebibytes = max(service.memory_bytes // MEBIBYTE, MIN_MEMORY_BYTES // MEBIBYTE)
        if mebibytes * MEBIBYTE > service.memory_bytes:
            ctx.note(
                "warning",
                (*service.path, *service.memory_field),
                f"{size(service.memory_bytes)} is below the {size(MIN_MEMORY_BYTES)} every target accepts; the profile says {mebibytes}Mi",
            )
        values["memory"] = f"{mebibytes}Mi"
    if service.cpus is not None and service.cpus > 0:
        millicores = int((service.cpus * 1000).quantize(Decimal(1), rounding=ROUND_DOWN))
        values["cpu"] = f"{max(millicores, MIN_MILLICORES)}m"
    return values
