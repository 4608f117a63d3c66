"""Per-target overrides: `overrides.k8s.replicas: 6` changes replicas for Kubernetes only.

A profile describes one app; sometimes one target needs a different number (more pods than a single
server has workers, more memory per pod). The override block is validated like the fields it
overrides; mappings (`env`) merge key by key, other values replace.
"""

from __future__ import annotations

from deploykit.errors import DeployKitError
from deploykit.spec import checks
from deploykit.spec.model import Profile


def for_target(profile: Profile, target: str) -> Profile:
    """`profile` as `target` sees it: with `overrides.<target>` applied and re-checked."""
    override = profile.overrides.get(target)
    if override is None:
        return profile
    changes = override.model_dump(exclude_unset=True)
    if "env" in changes:
        changes["env"] = {**profile.env, **changes["env"]}
    # Values were validated by the override model, which uses the same field types as Profile.
    result = profile.model_copy(update=changes)
    problem = checks.first_problem(result)
    if problem is not None:
        path, message = problem
        if path and path[0] in changes:
            path = ("overrides", target, *path)
        raise DeployKitError(message, path=path)
    return result
