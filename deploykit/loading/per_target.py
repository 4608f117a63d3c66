"""Per-target overrides: `overrides.k8s.replicas: 6` changes replicas for Kubernetes only.

A profile describes one app; sometimes one target needs a different number (more pods than a single
server has workers, more memory per pod). The override block is validated like the fields it
overrides; mappings (`env`) merge key by key, other values replace.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploykit.errors import Problem
    from deploykit.spec.model import Profile


@dataclass(frozen=True)
class TargetProfile:
    """The profile as one target sees it, and which top-level fields `overrides.<target>` changed."""

    target: str
    profile: Profile
    overridden: frozenset[str]

    def in_source(self, problem: Problem) -> Problem:
        """`problem` moved under `overrides.<target>` when that override set the field it is about."""
        if problem.path and problem.path[0] in self.overridden:
            return replace(problem, path=("overrides", self.target, *problem.path))
        return problem


def for_target(profile: Profile, target: str) -> TargetProfile:
    """`profile` with `overrides.<target>` applied (the caller checks the result again)."""
    override = profile.overrides.get(target)
    if override is None:
        return TargetProfile(target, profile, frozenset())
    changes = override.model_dump(exclude_unset=True)
    if "env" in changes:
        changes["env"] = {**profile.env, **changes["env"]}
    # Values were validated by the override model, which uses the same field types as Profile.
    return TargetProfile(target, profile.model_copy(update=changes), frozenset(changes))
