"""`deploykit diff k8s` and `deploykit apply k8s`: compare with, and server-side apply to, a live cluster."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from deploykit import pipeline
from deploykit.commands.common import ProfileChoice, show_findings
from deploykit.errors import DeployKitError

EXIT_DIFFERENT = 1  # like `kubectl diff`: the cluster differs from the rendered objects
CLUSTER_TARGET = "k8s"


@dataclass(frozen=True)
class ClusterChoice:
    """Which cluster, and how strictly to render for it."""

    target: str
    context: str | None
    strict: bool


def run_diff(choice: ProfileChoice, cluster_choice: ClusterChoice) -> int:
    """Print a unified diff per object that applying would change; 1 when any would, 0 when none."""
    objects = _rendered_objects(choice, cluster_choice)
    # The kubernetes client costs about a second to import: only once the profile is known good.
    _require_kubernetes_client("diff")
    from deploykit.cluster.client import connect
    from deploykit.cluster.diff import diff_object

    pending = 0
    with connect(cluster_choice.context) as cluster:
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
    choice: ProfileChoice, cluster_choice: ClusterChoice, dry_run: str | None, force_conflicts: bool, job_timeout: float
) -> int:
    """Server-side apply every object in order, as field manager `deploykit`.

    Prestart Jobs (`k8s.prestart: job`) go first, each waited for until it completes: a release's
    steps run once, and the rest (the new Deployment) is applied only after they succeeded.
    """
    if dry_run not in (None, "server"):
        raise DeployKitError(
            f"--dry-run={dry_run} is not supported; use --dry-run=server (the API server checks everything and stores nothing)"
        )
    objects = _rendered_objects(choice, cluster_choice)
    _require_kubernetes_client("apply")
    from deploykit.cluster.client import connect
    from deploykit.cluster.identity import describe
    from deploykit.cluster.jobs import wait_for_job

    jobs = [obj for obj in objects if obj["kind"] == "Job"]
    suffix = " (server dry run)" if dry_run else ""
    with connect(cluster_choice.context) as cluster:
        for obj in [*jobs, *(obj for obj in objects if obj["kind"] != "Job")]:
            cluster.apply(obj, dry_run=dry_run is not None, force_conflicts=force_conflicts)
            print(f"{describe(obj)}: applied{suffix}")
            if obj["kind"] == "Job" and not dry_run:
                wait_for_job(cluster, obj, job_timeout)
                print(f"{describe(obj)}: completed")
    return 0


def _require_kubernetes_client(command: str) -> None:
    """diff and apply need the kubernetes client, an optional extra: say exactly how to install it."""
    try:
        import kubernetes  # noqa: F401
    except ImportError:
        raise DeployKitError(
            f"`deploykit {command}` needs the kubernetes client, which is not installed: "
            "pip install 'deploykit[cluster]' (or, in a checkout, pip install -e '.[cluster]')"
        ) from None


def _rendered_objects(choice: ProfileChoice, cluster_choice: ClusterChoice) -> tuple[dict, ...]:
    """The objects `render k8s` prints, after validation and warnings, in apply order."""
    if cluster_choice.target != CLUSTER_TARGET:
        raise DeployKitError(f"diff/apply support only {CLUSTER_TARGET}, not {cluster_choice.target!r}")
    loaded = choice.load()
    output = pipeline.render(loaded, CLUSTER_TARGET)
    show_findings(loaded, [output], cluster_choice.strict)
    return output.rendering.objects
