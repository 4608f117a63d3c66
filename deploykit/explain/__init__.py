"""`explain`: what each target's output does for the six concepts of the source document, and the
runtime contract of its containers (user, writable paths).

Each explainer reads the typed Summary a target returned with its rendering (deploykit/summary.py),
never the profile or the rendered text, so the explanation describes what will actually run.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploykit.summary import Summary, Workload

# The six deployment concepts of FastAPI's "FastAPI in Containers - Docker" page, in its order.
# And one of deploykit's own: what the containers may do with the image (user, writable paths).
CONCEPTS: tuple[str, ...] = ("https", "startup", "restarts", "replication", "memory", "prestart", "runtime")
CONCEPT_TITLES = {
    "https": "HTTPS",
    "startup": "running on startup",
    "restarts": "restarts",
    "replication": "replication",
    "memory": "memory",
    "prestart": "steps before starting",
    "runtime": "user and file system",
}
# The rule every target's release imposes on migrations, said once.
SHARED_SCHEMA = (
    "; old and new code share one schema during a release, so each migration must work with both: "
    "expand (add what the new code needs, keep what the old code uses), release, then contract in a later release"
)
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


def runs(command: tuple[str, ...]) -> str:
    """What a unit runs: `fastapi run app/main.py` in backquotes, or the image's own ENTRYPOINT/CMD."""
    if not command:
        return "the image's own ENTRYPOINT/CMD (no command given)"
    return f"`{shell_words(command)}`"


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


def runtime(web: Workload) -> str:
    """Whose user the containers run as and what they may write, and why."""
    contract = web.runtime
    assert contract is not None, "every runtime target states its containers' runtime contract"
    if contract.user is not None:
        user = (
            f"runs as {contract.user}, deploykit's non-root user (run_as: deploykit, the default: the user of the "
            "images deploykit builds; set run_as: image for an image whose files belong to its own USER)"
        )
    else:
        user = "runs as the image's own USER (run_as: image)"
        if contract.non_root_enforced:
            user += ", which must be a numeric non-root uid: runAsNonRoot makes the kubelet refuse root or a user name"
    writable = ", ".join(contract.writable)
    if contract.read_only_root:
        files = f"a read-only root file system; writable: {writable} ({contract.writable_kind}, emptied on restart)"
    else:
        files = f"a writable root file system (read_only_root: false; warning writable-root); also {writable} ({contract.writable_kind})"
    sentence = f"{web.name} {user}, with {files}"
    if contract.persistent is not None:
        sentence += f"; persistent: {contract.persistent}"
    return sentence


def explain(summary: Summary) -> dict[str, str]:
    """One sentence per concept for the target that produced `summary`."""
    module = importlib.import_module(EXPLAINERS[summary.target])
    sentences: dict[str, str] = module.explain(summary) | {"runtime": runtime(summary.web)}
    assert tuple(sentences) == CONCEPTS, f"{summary.target} explainer must answer every concept in order"
    return sentences
