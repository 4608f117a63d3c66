"""Names, labels and metadata shared by every Kubernetes object deploykit builds."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from deploykit.spec import names

if TYPE_CHECKING:
    from deploykit.spec.model import Profile

MANAGER = "deploykit"
HTTP_PORT_NAME = "http"


def namespace(profile: Profile) -> str:
    """The namespace of every object: `k8s.namespace`, else the app name."""
    return profile.k8s.namespace or profile.app


def selector_labels(profile: Profile, component: str = "server") -> dict[str, str]:
    """The labels that select the app's pods (immutable on a Deployment, so kept minimal).

    The component is part of it so Services, PDBs and policies never select migration Job pods.
    """
    return {
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/instance": profile.app,
        "app.kubernetes.io/name": profile.app,
    }


def labels(profile: Profile, component: str = "server") -> dict[str, str]:
    """Recommended labels plus the profile's own, sorted so output does not depend on input order."""
    result = {**profile.labels, **selector_labels(profile, component)}
    result["app.kubernetes.io/managed-by"] = MANAGER
    tag = profile.image_tag
    if tag is not None and len(tag) <= 63 and names.LABEL_VALUE.fullmatch(tag):
        result["app.kubernetes.io/version"] = tag
    return dict(sorted(result.items()))


def metadata(profile: Profile, name: str, component: str = "server", annotations: dict[str, str] | None = None) -> dict:
    """An object's name, namespace, labels and sorted annotations; `annotations` win over the profile's."""
    result: dict = {"name": name, "namespace": namespace(profile), "labels": labels(profile, component)}
    merged = {**profile.annotations, **(annotations or {})}
    if merged:
        result["annotations"] = dict(sorted(merged.items()))
    return result


def bounded_name(*parts: str, limit: int = 63) -> str:
    """Join parts with '-'; if too long, shorten and add a hash so distinct inputs stay distinct."""
    name = "-".join(parts)
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-')}-{digest}"


def literal(text: str) -> str:
    """Escape `text` so Kubernetes' $(VAR) expansion in env values, command and args leaves it as written.

    Kubernetes turns `$$` into `$` and expands `$(NAME)` when NAME is defined; doubling every `$`
    makes the container see exactly the profile's text.
    """
    return text.replace("$", "$$")
