"""Labels and annotations on the services deploykit renders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploykit.targets.compose.escaping import literal

if TYPE_CHECKING:
    from deploykit.spec.model import Profile


def metadata(profile: Profile, extra_labels: dict[str, str] | None = None, annotations: bool = False) -> dict:
    """The profile's labels (plus `extra_labels`) on a service, and its annotations where asked, sorted."""
    result: dict = {}
    labels = {**profile.labels, **(extra_labels or {})}
    if labels:
        result["labels"] = {key: literal(value) for key, value in sorted(labels.items())}
    if annotations and profile.annotations:
        result["annotations"] = {key: literal(value) for key, value in sorted(profile.annotations.items())}
    return result
