"""`explain`: what each target's rendered output does for the six concepts of the source document.

Each explainer reads the structured output a target rendered (`Rendering.model`), not the profile,
so the explanation describes what will actually run.
"""

from __future__ import annotations

import importlib
from typing import Any

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
}


def count(number: int, noun: str) -> str:
    """`1 pod`, `4 pods`: explanations are read by people."""
    if number == 1:
        return f"{number} {noun}"
    return f"{number} {noun}es" if noun.endswith("s") else f"{number} {noun}s"


def explain(target: str, model: Any) -> dict[str, str]:
    """One sentence per concept for `target`, computed from its rendered `model`."""
    module = importlib.import_module(EXPLAINERS[target])
    sentences = module.explain(model)
    assert tuple(sentences) == CONCEPTS, f"{target} explainer must answer every concept in order"
    return sentences
