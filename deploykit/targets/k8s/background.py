"""Processes and scheduled jobs beside the web server: a Deployment per process, a CronJob per job.

Their pods are the web pods' siblings: the same image (unless they name another), environment,
secrets, service account, security context and /tmp volume, and (with `k8s.prestart: init`) the
same prestart init containers, so a new release's code never starts before its migration succeeded. They declare no ports, so the
NetworkPolicy's rules, which admit traffic to named ports only, admit nothing to them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploykit.targets.k8s.meta import bounded_name, labels, literal, metadata, selector_labels
from deploykit.targets.k8s.versions import supports
from deploykit.targets.k8s.workload import (
    container_security_context,
    env_entries,
    pod_spec,
    resources,
    spread,
    step_init_containers,
    volume_mounts,
)

if TYPE_CHECKING:
    from deploykit.spec.background import Background, BackgroundProcess, ScheduledJob
    from deploykit.spec.model import Profile

# A CronJob's name leaves room for the 11 characters its Jobs append (Kubernetes refuses longer ones).
CRONJOB_NAME_LIMIT = 52
# A run that could not start within this long after its time is skipped, not started late.
STARTING_DEADLINE_SECONDS = 300
JOB_HISTORY = 3


def _container(profile: Profile, item: Background) -> dict:
    return {
        "name": item.name,
        "image": item.image,
        "imagePullPolicy": "IfNotPresent",
        "args": [literal(argument) for argument in item.command],
        "env": env_entries(profile, item.env),
        "resources": resources(profile, item.memory_bytes, item.cpu_millicores),
        "securityContext": container_security_context(profile),
        "volumeMounts": volume_mounts(profile),
    }


def _template(profile: Profile, item: Background, restart_policy: str) -> dict:
    template_metadata: dict = {"labels": labels(profile, item.name)}
    if profile.k8s.pod_annotations:
        template_metadata["annotations"] = dict(sorted(profile.k8s.pod_annotations.items()))
    # The release's migration runs first in these pods too: no process or scheduled run of a new
    # release starts its code before the steps succeeded (with k8s.prestart: job, the Jobs are
    # applied and waited for before these objects).
    spec = pod_spec(profile, [_container(profile, item)], step_init_containers(profile), restart_policy)
    return {"metadata": template_metadata, "spec": spec}


def _liveness(profile: Profile, process: BackgroundProcess) -> dict:
    """The process's liveness probe: its `liveness_command`, on the app's health timing."""
    health = profile.health
    return {
        "exec": {"command": [literal(argument) for argument in process.liveness_command or ()]},
        "initialDelaySeconds": health.startup_seconds,
        "periodSeconds": health.interval_seconds,
        "timeoutSeconds": health.timeout_seconds,
        "failureThreshold": health.failure_threshold,
    }


def build_process_deployment(profile: Profile, process: BackgroundProcess) -> dict:
    """`replicas` pods running the process; no Service: nothing connects to it."""
    template = _template(profile, process, "Always")
    if process.liveness_command is not None:
        template["spec"]["containers"][0]["livenessProbe"] = _liveness(profile, process)
    if process.replicas >= 2:
        spread(template["spec"], selector_labels(profile, process.name))
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(profile, bounded_name(profile.app, process.name), process.name),
        "spec": {
            "replicas": process.replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector_labels(profile, process.name)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": template,
        },
    }


def build_process_disruption_budget(profile: Profile, process: BackgroundProcess) -> dict | None:
    """Drains evict one of the process's pods at a time; none for a single pod (it would block drains)."""
    if process.replicas < 2:
        return None
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(profile, bounded_name(profile.app, process.name), process.name),
        "spec": {
            "maxUnavailable": 1,
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
            "selector": {"matchLabels": selector_labels(profile, process.name)},
        },
    }


def build_cron_job(profile: Profile, job: ScheduledJob) -> dict:
    """A CronJob: never two runs at once, a missed run skipped after a while, a few runs kept for their logs."""
    # A failed run is not retried (the next one comes on schedule), as on Compose and Nomad.
    job_spec: dict = {"backoffLimit": 0, "activeDeadlineSeconds": job.timeout_seconds}
    if supports(profile, "pod failure policy"):
        # A pod evicted by a node drain, preemption or the taint manager carries the DisruptionTarget
        # condition: that is not a failed run, so the Job starts another pod instead of failing.
        job_spec["podFailurePolicy"] = {
            "rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]
        }
    job_spec["template"] = _template(profile, job, "Never")
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": metadata(profile, bounded_name(profile.app, job.name, limit=CRONJOB_NAME_LIMIT), job.name),
        "spec": {
            "schedule": job.schedule,
            "timeZone": job.timezone,
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": STARTING_DEADLINE_SECONDS,
            "successfulJobsHistoryLimit": JOB_HISTORY,
            "failedJobsHistoryLimit": JOB_HISTORY,
            "jobTemplate": {"metadata": {"labels": labels(profile, job.name)}, "spec": job_spec},
        },
    }
