"""`deploykit diff k8s` and `deploykit apply k8s`: compare with, and server-side apply to, a live cluster."""

from __future__ import annotations

import sys
from pathlib import Path

from deploykit.commands.common import emit_findings, load_selected_profile, render_target
from deploykit.errors import DeployKitError
from deploykit.targets import k8s

EXIT_DIFFERENT = 1  # like `kubectl diff`: the cluster differs from the rendered objects


def run_diff(
    target: str, profile: Path | None, env: str | None, profiles_dir: Path, assignments: list[str], context: str | None, strict: bool
) -> int:
    """Print a unified diff per object that applying would change; 1 when any would, 0 when none."""
    objects = _rendered_objects(target, profile, env, profiles_dir, assignments, strict)
    # The kubernetes client costs about a second to import: only once the profile is known good.
    from deploykit.cluster.client import connect
    from deploykit.cluster.diff import diff_object

    pending = 0
    with connect(context) as cluster:
        for obj in objects:
            result = diff_object(cluster, obj)
            sys.stdout.write(result.text)
            if result.change == "create":
                print(f"{result.title}: would be created", file=sys.stderr)
            elif result.change == "change":
                print(f"{result.title}: would change", file=sys.stderr)
            pending += result.change != "none"
    print(f"{pending} of {len(objects)} object(s) would be created or changed", file=sys.stderr)
    return EXIT_DIFFERENT if pending else 0


def run_apply(
    target: str,
    profile: Path | None,
    env: str | None,
    profiles_dir: Path,
    assignments: list[str],
    context: str | None,
    dry_run: str | None,
    force_conflicts: bool,
    strict: bool,
) -> int:
    """Server-side apply every object in order, as field manager `deploykit`."""
    if dry_run not in (None, "server"):
        raise DeployKitError(f"--dry-run={dry_run} is not supported; use --dry-run=server (the API server checks everything and stores nothing)")
    objects = _rendered_objects(target, profile, env, profiles_dir, assignments, strict)
    from deploykit.cluster.client import connect
    from deploykit.cluster.identity import describe

    suffix = " (server dry run)" if dry_run else ""
    with connect(context) as cluster:
        for obj in objects:
            cluster.apply(obj, dry_run=dry_run is not None, force_conflicts=force_conflicts)
            print(f"{describe(obj)}: applied{suffix}")
    return 0


def _rendered_objects(target: str, profile: Path | None, env: str | None, profiles_dir: Path, assignments: list[str], strict: bool) -> list[dict]:
    """The objects `render k8s` prints, after validation and warnings, in apply order."""
    if target != k8s.NAME:
        raise DeployKitError(f"diff/apply support only k8s, not {target!r}")
    loaded = load_selected_profile(profile, env, profiles_dir, assignments)
    output = render_target(loaded, k8s.NAME)
    emit_findings(loaded, [output], strict)
    return output.rendering.model
