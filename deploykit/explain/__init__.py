"""`explain`: what each target's output does for the six concepts of the source document.

Each explainer reads the typed Summary a target returned with its rendering (deploykit/summary.py),
never the profile or the rendered text, so the explanation describes what will actually run.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploykit.summary import Summary, Workload

# The six deployment concepts of FastAPI's "FastAPI in Containers - Docker" page, in its order.
CONCEPTS: tuple[str, ...] = ("https", "startup", "restarts", "replication", "memory", "prestart")
CONCEPT_TITLES = {
    "https": "HTTPS",
    "startup": "running on startup",
    "restarts": "restarts",
    "replication": "replication",
    "memory": "memory",
    "prestart": "steps before starting",
}
# One explainer module per runtime target; the Dockerfile is an input to these, not a deployment.
EXPLAINERS: dict[str, str] = {
    "compose": "deploykit.explain.compose",
    "k8s": "deploykit.explain.k8s",
    "nomad": "deploykit.explain.nomad",
    "quadlet": "deploykit.explain.quadlet",
}


def count(number: int, noun: str) -> str:
    """`1 pod`, `4 pods`: explanations are read by people."""
    if number == 1:
        return f"{number} {noun}"
    return f"{number} {noun}es" if noun.endswith("s") else f"{number} {noun}s"


def shell_words(command: tuple[str, ...]) -> str:
    """An argv as one would type it in a shell, quoted where needed."""
    import shlex

    return shlex.join(command)


def processes_in_unit(web: Workload) -> str:
    """What one unit runs: `1 process`, `4 worker processes + 1 supervisor process`, `1 worker process + a master process (64 MiB)`."""
    if not web.supervisor:
        return count(web.processes_per_unit, "process")
    workers = count(web.processes_per_unit, "worker process")
    master = "1 supervisor process" if web.supervisor_loads_app else "a master process (64 MiB)"
    return f"{workers} + {master}"


def background_replication(summary: Summary) -> str:
    """`; processes: worker 2 pods; scheduled: clearsessions at 17 3 * * * (Europe/Kyiv) by a CronJob`, or nothing."""
    processes = [item for item in summary.background if item.schedule is None]
    jobs = [item for item in summary.background if item.schedule is not None]
    text = ""
    if processes:
        text += "; processes: " + ", ".join(f"{item.name} {count(item.instances, item.unit)}" for item in processes)
    if jobs:
        text += "; scheduled: " + ", ".join(
            f"{item.name} at {item.schedule} ({item.timezone}) by {item.runner}" for item in jobs
        )
    return text


def background_memory(summary: Summary) -> str:
    """`; worker 512Mi per pod, clearsessions 256Mi per run`, or nothing."""
    if not summary.background:
        return ""
    return "; " + ", ".join(f"{item.name} {item.memory_limit} per {item.unit}" for item in summary.background)


def explain(summary: Summary) -> dict[str, str]:
    """One sentence per concept for the target that produced `summary`."""
    module = importlib.import_module(EXPLAINERS[summary.target])
    sentences: dict[str, str] = module.explain(summary)
    assert tuple(sentences) == CONCEPTS, f"{summary.target} explainer must answer every concept in order"
    return sentences
