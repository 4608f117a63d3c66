"""Which pod fields the output may use, by the oldest Kubernetes version it must run on (`k8s.version`).

A field is used from the release in which it became GA. The OpenAPI schemas carry alpha and beta
fields too (with their feature gate possibly off), so a schema accepting a field is no proof that a
cluster of that version honours it: the table below follows the Kubernetes enhancement records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploykit.spec.model import Profile

# Feature -> (major, minor) in which it became GA.
GA_SINCE: dict[str, tuple[int, int]] = {
    # KEP-3329 JobPodFailurePolicy and the DisruptionTarget pod condition (beta from 1.26).
    "pod failure policy": (1, 31),
    # KEP-3960 PodLifecycleSleepAction (beta, on by default, from 1.30).
    "pre-stop sleep action": (1, 34),
    # KEP-1287 InPlacePodVerticalScaling (beta, on by default, from 1.33).
    "in-place resize": (1, 35),
    # KEP-127 UserNamespacesSupport (beta from 1.30, on by default from 1.33).
    "user namespaces": (1, 36),
}


def cluster_version(profile: Profile) -> tuple[int, int]:
    """`k8s.version` as (major, minor); the spec allows only `1.N`."""
    major, minor = profile.k8s.version.split(".")
    return int(major), int(minor)


def supports(profile: Profile, feature: str) -> bool:
    """Whether every cluster from `k8s.version` on has `feature` (a key of GA_SINCE) generally available."""
    return cluster_version(profile) >= GA_SINCE[feature]


def requirement(feature: str) -> str:
    """`1.34`: the version to name in a message about `feature`."""
    major, minor = GA_SINCE[feature]
    return f"{major}.{minor}"
