"""The Deployment, its pod, and the migration Jobs (`k8s.prestart: job`)."""

from __future__ import annotations

import hashlib
import json
import math
from typing import TYPE_CHECKING

from deploykit.servers import Launch
from deploykit.spec.quantities import kubernetes_cpu, kubernetes_memory
from deploykit.targets.k8s.lifecycle import lifecycle, resize_policy, termination_grace_seconds, user_namespace
from deploykit.targets.k8s.meta import HTTP_PORT_NAME, bounded_name, labels, literal, metadata, selector_labels

if TYPE_CHECKING:
    from deploykit.spec.model import PrestartStep, Profile

TMP_VOLUME = "tmp"
SECRETS_VOLUME = "secrets"
SECRETS_DIR = "/run/secrets"
# Secret files readable by the pod's group (fsGroup, the app's uid) and nobody else.
SECRET_FILE_MODE = 0o440
STARTUP_PERIOD_SECONDS = 5


def pod_security_context(profile: Profile) -> dict:
    """The restricted Pod Security Standard, as the image's own user (`build.uid`, 10001 by default:
    kube-score and checkov want a UID of at least 10000)."""
    uid = profile.build.uid
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "fsGroup": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context(profile: Profile) -> dict:
    """The restricted container context as `build.uid`, no capabilities; read-only root: only the /tmp emptyDir is writable."""
    uid = profile.build.uid
    return {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def resources(profile: Profile, memory_bytes: int | None = None, cpu_millicores: int | None = None) -> dict:
    """Resources of one container (the given ones, else one app process's). CPU limit = request gives Guaranteed QoS."""
    cpu = kubernetes_cpu(profile.cpu_millicores if cpu_millicores is None else cpu_millicores)
    memory = kubernetes_memory(profile.memory_bytes if memory_bytes is None else memory_bytes)
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu, "memory": memory}}


def launch(profile: Profile) -> Launch:
    """What the app's server is told in each pod: one worker (pods are the replicas).

    It trusts X-Forwarded-* from `k8s.forwarded_allow_ips`: the ingress controller is never 127.0.0.1.
    """
    return Launch(profile.port, 1, profile.k8s.forwarded_allow_ips, profile.shutdown_seconds)


def env(profile: Profile) -> list[dict]:
    """Plain values, secret references and the server's variables (the proxy trust list...), sorted by name."""
    return env_entries(profile, {**profile.env, **profile.web_server.environment(launch(profile))})


def env_entries(profile: Profile, variables: dict[str, str]) -> list[dict]:
    """`variables` as plain values and the profile's secrets, sorted by name: each secret as its value
    (`secretKeyRef`), or with `secrets_as: file` as `<NAME>_FILE`, the path of its mounted file."""
    entries: list[dict] = [{"name": name, "value": literal(value)} for name, value in variables.items()]
    if profile.secrets_as == "file":
        entries += [
            {"name": variable, "value": f"{SECRETS_DIR}/{ref.file_name}"}
            for variable, ref in profile.secret_files.items()
        ]
    else:
        entries += [
            {"name": name, "valueFrom": {"secretKeyRef": {"name": ref.secret, "key": ref.key}}}
            for name, ref in profile.secrets.items()
        ]
    return sorted(entries, key=lambda entry: entry["name"])


def secrets_volume(profile: Profile) -> dict | None:
    """With `secrets_as: file`, one projected volume holding every referenced key as a file."""
    if profile.secrets_as != "file" or not profile.secrets:
        return None
    refs = sorted({ref.file_name: ref for ref in profile.secrets.values()}.items())
    sources: dict[str, list[dict]] = {}
    for file, ref in refs:
        sources.setdefault(ref.secret, []).append({"key": ref.key, "path": file})
    return {
        "name": SECRETS_VOLUME,
        "projected": {
            "defaultMode": SECRET_FILE_MODE,
            "sources": [{"secret": {"name": secret, "items": items}} for secret, items in sorted(sources.items())],
        },
    }


def volume_mounts(profile: Profile) -> list[dict]:
    """What every container mounts: /tmp, and the secret files with `secrets_as: file`."""
    mounts: list[dict] = [{"name": TMP_VOLUME, "mountPath": "/tmp"}]
    if secrets_volume(profile) is not None:
        mounts.append({"name": SECRETS_VOLUME, "mountPath": SECRETS_DIR, "readOnly": True})
    return mounts


def _probe(profile: Profile, path: str, period: int, failures: int) -> dict:
    return {
        "httpGet": {"path": path, "port": HTTP_PORT_NAME, "scheme": "HTTP"},
        "periodSeconds": period,
        "timeoutSeconds": profile.health.timeout_seconds,
        "failureThreshold": failures,
        "successThreshold": 1,
    }


def app_container(profile: Profile) -> dict:
    """The app's container: server command, ports, env, resources, startup/readiness/liveness probes and hardening."""
    return _with_termination(profile, _app_container(profile))


def _with_termination(profile: Profile, container: dict) -> dict:
    """The container with its preStop delay and resize policy, where the cluster version has them."""
    hook = lifecycle(profile)
    if hook is not None:
        container["lifecycle"] = hook
    policy = resize_policy(profile)
    if policy is not None:
        container["resizePolicy"] = policy
    return container


def _app_container(profile: Profile) -> dict:
    health = profile.health
    server, unit = profile.web_server, launch(profile)
    return {
        "name": profile.app,
        "image": profile.image,
        "imagePullPolicy": "IfNotPresent",
        # args, not command: the image's ENTRYPOINT (if any) stays in charge, as with `docker run`.
        "args": [literal(arg) for arg in [*profile.command, *server.arguments(unit)]],
        "ports": [{"name": HTTP_PORT_NAME, "containerPort": profile.port, "protocol": "TCP"}]
        + [{"name": extra.name, "containerPort": extra.port, "protocol": "TCP"} for extra in profile.ports],
        "env": env(profile),
        "resources": resources(profile, server.unit_memory(profile.memory_bytes, unit.workers)),
        "startupProbe": _probe(
            profile, health.liveness, STARTUP_PERIOD_SECONDS, math.ceil(health.startup_seconds / STARTUP_PERIOD_SECONDS)
        ),
        "readinessProbe": _probe(profile, health.readiness, health.interval_seconds, health.failure_threshold),
        "livenessProbe": _probe(profile, health.liveness, health.interval_seconds, health.failure_threshold),
        "securityContext": container_security_context(profile),
        "volumeMounts": volume_mounts(profile),
    }


def step_container(profile: Profile, step: PrestartStep) -> dict:
    """A prestart step: the app's image, env and hardening unless the step names another image."""
    return {
        "name": step.name,
        "image": step.image or profile.image,
        "imagePullPolicy": "IfNotPresent",
        "args": [literal(arg) for arg in step.command],
        "env": env(profile),
        "resources": resources(profile),
        "securityContext": container_security_context(profile),
        "volumeMounts": volume_mounts(profile),
    }


def pod_spec(
    profile: Profile, containers: list[dict], init_containers: list[dict], restart_policy: str, own_account: bool = True
) -> dict:
    """A hardened pod spec; `own_account=False` for hook Jobs, which may run before the app's ServiceAccount exists."""
    spec: dict = {}
    if own_account:
        spec["serviceAccountName"] = profile.app
    spec |= {
        "automountServiceAccountToken": False,
        # Service links inject one env var per Service in the namespace: noise the app never asked for.
        "enableServiceLinks": False,
        "restartPolicy": restart_policy,
        "terminationGracePeriodSeconds": profile.shutdown_seconds,
        "securityContext": pod_security_context(profile),
    }
    spec |= user_namespace(profile)
    if profile.k8s.image_pull_secrets:
        spec["imagePullSecrets"] = [{"name": name} for name in profile.k8s.image_pull_secrets]
    if init_containers:
        spec["initContainers"] = init_containers
    spec["containers"] = containers
    spec["volumes"] = [{"name": TMP_VOLUME, "emptyDir": {"sizeLimit": kubernetes_memory(profile.tmp_bytes)}}]
    secrets = secrets_volume(profile)
    if secrets is not None:
        spec["volumes"].append(secrets)
    return spec


def _spreads(profile: Profile) -> bool:
    return profile.replicas >= 2 or profile.k8s.autoscaling is not None


def spread(spec: dict, selector: dict[str, str]) -> None:
    """Prefer pods matching `selector` on different nodes and zones: a node or zone failure takes out one."""
    spec["affinity"] = {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "podAffinityTerm": {
                        "labelSelector": {"matchLabels": selector},
                        "topologyKey": "kubernetes.io/hostname",
                    },
                }
            ]
        }
    }
    spec["topologySpreadConstraints"] = [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector},
            # Spread each ReplicaSet's pods on their own: during a rollout the old pods would
            # otherwise count, and the new ones could pile into one zone.
            "matchLabelKeys": ["pod-template-hash"],
        }
    ]


def step_init_containers(profile: Profile) -> list[dict]:
    """With `k8s.prestart: init`, the steps as init containers, in order, of every pod running the app's
    code (web, processes, scheduled runs): each pod of a release starts its code only once they succeeded."""
    if profile.k8s.prestart != "init":
        return []
    return [step_container(profile, step) for step in profile.prestart]


def build_deployment(profile: Profile) -> dict:
    """The Deployment: `replicas` pods of one process each, prestart steps as init containers."""
    spec = pod_spec(profile, [app_container(profile)], step_init_containers(profile), "Always")
    spec["terminationGracePeriodSeconds"] = termination_grace_seconds(profile)
    if _spreads(profile):
        spread(spec, selector_labels(profile))
    template_metadata: dict = {"labels": labels(profile)}
    if profile.k8s.pod_annotations:
        template_metadata["annotations"] = dict(sorted(profile.k8s.pod_annotations.items()))
    deployment_spec: dict = {}
    if profile.k8s.autoscaling is None:
        # With an HPA, a Deployment that keeps spec.replicas would reset the count on every apply.
        deployment_spec["replicas"] = profile.replicas
    deployment_spec |= {
        "revisionHistoryLimit": 5,
        "selector": {"matchLabels": selector_labels(profile)},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
        "template": {"metadata": template_metadata, "spec": spec},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(profile, profile.app),
        "spec": deployment_spec,
    }


def build_prestart_jobs(profile: Profile) -> list[dict]:
    """One Job per step, named per release: a hash of everything in its spec is part of the name.

    A Job's pod template is immutable, so any change (image, command, env, /tmp size...) must be a new
    Job, and an unchanged release keeps its name: applying it again finds the Job already complete
    and runs nothing (until `ttlSecondsAfterFinished` removes it, after a day).
    """
    jobs = []
    for index, step in enumerate(profile.prestart):
        job_labels = labels(profile, "prestart")
        spec = {
            "backoffLimit": 2,
            "activeDeadlineSeconds": 1800,
            "ttlSecondsAfterFinished": 86400,
            # Hooks run before the sync creates the app's ServiceAccount (Argo CD PreSync, Helm
            # pre-install): on a first install a Job naming it could never start a pod. It takes the
            # namespace's default account instead, with no token mounted.
            "template": {
                "metadata": {"labels": job_labels},
                "spec": pod_spec(profile, [step_container(profile, step)], [], "Never", own_account=False),
            },
        }
        digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:8]
        hooks = {
            # Argo CD runs PreSync hooks before syncing the Deployment, waves in order.
            "argocd.argoproj.io/hook": "PreSync",
            "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
            "argocd.argoproj.io/sync-wave": str(index),
            "helm.sh/hook": "pre-install,pre-upgrade",
            "helm.sh/hook-delete-policy": "before-hook-creation",
            "helm.sh/hook-weight": str(index),
        }
        jobs.append(
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": metadata(profile, bounded_name(profile.app, step.name, digest), "prestart", hooks),
                "spec": spec,
            }
        )
    return jobs
