"""The release gate of `k8s.prestart: job`: no pod of a release starts its code before the release's Jobs succeeded.

Argo CD runs the Jobs as PreSync hooks and `deploykit apply` applies and waits for them before anything
else, but `kubectl apply -k` creates the Jobs, Deployments and CronJobs together: without a gate the new
web pods, process pods and scheduled runs would start at once, against the old schema. So every pod of
the release (web, processes, CronJob runs) starts with two init containers running kubectl:

1. `release-wait` waits until each of the release's Jobs carries a condition. A Job's first condition is
   SuccessCriteriaMet or FailureTarget (Kubernetes 1.31 and later), or directly Complete or Failed: in
   every case the Job is over. (kubectl 1.32's `wait` takes one JSONPath and refuses one that matches
   several values, so it cannot wait for "Complete or Failed" in one expression.)
2. `release-check` then waits, briefly, for the Complete condition: it exits non-zero when a Job failed.
   The pod stays in its init phase (Init:Error, retried with back-off), so the Deployment's old
   ReplicaSet keeps serving (maxUnavailable 0), and a scheduled run fails without running the new code.

They reach the API server with the app's ServiceAccount, through a projected token mounted into them
alone (the app container still mounts none), and a Role that may only read these Jobs by name: RBAC
restricts `get`, `list` and `watch` by resourceNames as long as lists and watches select the name with a
`metadata.name` field selector, which `kubectl wait` does.

The Jobs' names carry a hash of their spec, so each release waits for its own Jobs, and an unchanged
release re-applied keeps its names (a Job's pod template is immutable). The Jobs are kept (no
`ttlSecondsAfterFinished`): a pod started later (a rescheduled pod, a scale-up, the next scheduled run)
must still find its release's Job. So is each release's Role (its name carries a hash of the Jobs'
names): the pods of the last release, which serve on while a new migration fails, may still read theirs.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from deploykit.targets.k8s.meta import bounded_name, metadata, namespace

if TYPE_CHECKING:
    from deploykit.spec.model import Profile

WAIT_CONTAINER = "release-wait"
CHECK_CONTAINER = "release-check"
RESERVED_CONTAINER_NAMES = (WAIT_CONTAINER, CHECK_CONTAINER)
TOKEN_VOLUME = "release-api-access"
# Where client-go's in-cluster configuration reads the token, the cluster's CA and the namespace.
TOKEN_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
# The kubectl image runs as root (its Dockerfile sets no USER): the restricted Pod Security Standard
# wants a non-root user, whatever the app's `run_as`.
WAITER_UID = 65532
# The token's lifetime, as the kubelet's own projected token (it refreshes it at 80 %).
TOKEN_SECONDS = 3607
# How long `release-check` waits for Complete once a Job has its first condition: SuccessCriteriaMet
# comes before Complete, which waits until the Job's pods are gone.
CHECK_TIMEOUT_SECONDS = 10
# kubectl's discovery cache, on the pod's /tmp emptyDir (the root filesystem is read-only).
CACHE_DIR = "/tmp/.kube/cache"
WAITER_CPU = "50m"
WAITER_MEMORY = "96Mi"
# An unchanged Job's hash comes from here: keep it in step with workload.build_prestart_jobs.
JOB_DEADLINE_SECONDS = 1800


def gated(profile: Profile) -> bool:
    """Whether the release's pods wait for prestart Jobs: `k8s.prestart: job` with at least one step."""
    return profile.k8s.prestart == "job" and bool(profile.prestart)


def role_name(profile: Profile) -> str:
    """The release's own Role (and RoleBinding): `<app>-release-wait-<hash of its Jobs' names>`.

    One Role per release, not one replaced by each: a release applied over the last one would otherwise
    take the last release's Jobs from the Role, and a pod of the last release created afterwards (its
    ReplicaSet serves on while the new migration fails; a node drain recreates one) would be refused by
    the API and never start."""
    digest = hashlib.sha256("\n".join(_job_names(profile)).encode()).hexdigest()[:8]
    return bounded_name(profile.app, "release-wait", digest)


def _job_names(profile: Profile) -> list[str]:
    from deploykit.targets.k8s.workload import build_prestart_jobs

    return [job["metadata"]["name"] for job in build_prestart_jobs(profile)]


def _waiter(profile: Profile, name: str, arguments: list[str]) -> dict:
    from deploykit.targets.k8s.workload import TMP_VOLUME

    jobs = [f"job/{job}" for job in _job_names(profile)]
    return {
        "name": name,
        "image": profile.k8s.release_wait_image,
        "imagePullPolicy": "IfNotPresent",
        "args": ["wait", f"--namespace={namespace(profile)}", *arguments, f"--cache-dir={CACHE_DIR}", *jobs],
        "resources": {
            "requests": {"cpu": WAITER_CPU, "memory": WAITER_MEMORY},
            "limits": {"cpu": WAITER_CPU, "memory": WAITER_MEMORY},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": WAITER_UID,
            "runAsGroup": WAITER_UID,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [
            {"name": TMP_VOLUME, "mountPath": "/tmp"},
            {"name": TOKEN_VOLUME, "mountPath": TOKEN_DIR, "readOnly": True},
        ],
    }


def wait_containers(profile: Profile) -> list[dict]:
    """The two init containers of the gate (none without it): wait until every Job is over, then
    require that each completed."""
    if not gated(profile):
        return []
    # Each Job ends within its activeDeadlineSeconds of starting; a minute more for it to start.
    over = JOB_DEADLINE_SECONDS + 60
    return [
        _waiter(profile, WAIT_CONTAINER, ["--for=jsonpath={.status.conditions[0].type}", f"--timeout={over}s"]),
        _waiter(profile, CHECK_CONTAINER, ["--for=condition=Complete", f"--timeout={CHECK_TIMEOUT_SECONDS}s"]),
    ]


def token_volume(profile: Profile) -> dict | None:
    """The projected ServiceAccount token, CA and namespace the waiters mount (the shape the kubelet
    gives a pod that mounts its token automatically)."""
    if not gated(profile):
        return None
    return {
        "name": TOKEN_VOLUME,
        "projected": {
            "defaultMode": 0o444,
            "sources": [
                {"serviceAccountToken": {"path": "token", "expirationSeconds": TOKEN_SECONDS}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {
                    "downwardAPI": {
                        "items": [
                            {"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}
                        ]
                    }
                },
            ],
        },
    }


def build_release_role(profile: Profile) -> list[dict]:
    """The Role that lets the app's ServiceAccount read the release's Jobs, and its RoleBinding."""
    if not gated(profile):
        return []
    name = role_name(profile)
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": metadata(profile, name),
        "rules": [
            {
                "apiGroups": ["batch"],
                "resources": ["jobs"],
                "resourceNames": _job_names(profile),
                "verbs": ["get", "list", "watch"],
            }
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": metadata(profile, name),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": profile.app, "namespace": namespace(profile)}],
    }
    return [role, binding]
