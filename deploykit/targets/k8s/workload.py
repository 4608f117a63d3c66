"""The Deployment, its pod, and the migration Jobs (`k8s.prestart: job`)."""

from __future__ import annotations

import hashlib
import json
import math
from typing import TYPE_CHECKING

from deploykit.servers import Launch
from deploykit.spec.quantities import kubernetes_cpu, kubernetes_memory, parse_memory
from deploykit.targets.k8s.lifecycle import lifecycle, resize_policy, termination_grace_seconds, user_namespace
from deploykit.targets.k8s.meta import HTTP_PORT_NAME, bounded_name, labels, literal, metadata, selector_labels
from deploykit.targets.k8s.release import (
    JOB_DEADLINE_SECONDS,
    RESERVED_CONTAINER_NAMES,
    WAIT_CONTAINER,
    token_volume,
    wait_containers,
)

if TYPE_CHECKING:
    from deploykit.spec.model import PrestartStep, Profile

TMP_VOLUME = "tmp"
SECRETS_VOLUME = "secrets"
SECRETS_DIR = "/run/secrets"
# Secret files readable by the pod's group (fsGroup, the app's uid) and nobody else.
SECRET_FILE_MODE = 0o440
STARTUP_PERIOD_SECONDS = 5


def _user(uid: int | None, fs_group: bool) -> dict:
    """runAsUser/runAsGroup (and fsGroup) for `uid`; none for the image's own USER (`run_as: image`)."""
    if uid is None:
        return {}
    return {"runAsUser": uid, "runAsGroup": uid, **({"fsGroup": uid} if fs_group else {})}


def pod_security_context(profile: Profile) -> dict:
    """The restricted Pod Security Standard, as deploykit's user (`build.uid`, 10001 by default:
    kube-score and checkov want a UID of at least 10000) or the image's own (`run_as: image`), non-root
    either way: the kubelet refuses an image whose USER is root, or a name it cannot check."""
    return {
        "runAsNonRoot": True,
        **_user(profile.run_as_uid, fs_group=True),
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context(profile: Profile) -> dict:
    """The restricted container context, no capabilities; read-only root (unless `read_only_root: false`):
    only the /tmp and `writable_paths` emptyDirs are writable."""
    return {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": profile.read_only_root,
        "runAsNonRoot": True,
        **_user(profile.run_as_uid, fs_group=False),
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def writable_volume(index: int) -> str:
    """The emptyDir volume of `writable_paths[index]`."""
    return f"writable-{index}"


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
    """What every container mounts: /tmp, `writable_paths`, and the secret files with `secrets_as: file`."""
    mounts: list[dict] = [{"name": TMP_VOLUME, "mountPath": "/tmp"}]
    mounts += [{"name": writable_volume(index), "mountPath": path} for index, path in enumerate(profile.writable_paths)]
    if secrets_volume(profile) is not None:
        mounts.append({"name": SECRETS_VOLUME, "mountPath": SECRETS_DIR, "readOnly": True})
    return mounts


def _probe_action(profile: Profile, path: str) -> dict:
    """What one probe does, by `health.check`: an HTTP GET of `path`, a TCP connection, or the image's command."""
    health = profile.health
    if health.check == "tcp":
        return {"tcpSocket": {"port": HTTP_PORT_NAME}}
    if health.check == "command":
        assert health.command is not None, "spec/checks.py requires health.command with check: command"
        # Exec probes are not expanded by the kubelet ($(VAR) stays as written), unlike command/args.
        return {"exec": {"command": list(health.command)}}
    http_get: dict = {"path": path, "port": HTTP_PORT_NAME, "scheme": "HTTP"}
    if profile.probe_host is not None:
        # The kubelet sends the pod's IP as Host unless a header says otherwise: the public host, so
        # host-checking apps (Django's ALLOWED_HOSTS) answer the probe as they answer the proxy.
        http_get["httpHeaders"] = [{"name": "Host", "value": profile.probe_host}]
    return {"httpGet": http_get}


def _probe(profile: Profile, path: str, period: int, failures: int) -> dict:
    return {
        **_probe_action(profile, path),
        "periodSeconds": period,
        "timeoutSeconds": profile.health.timeout_seconds,
        "failureThreshold": failures,
        "successThreshold": 1,
    }


def _probes(profile: Profile) -> dict:
    """Startup, readiness and liveness probes; none with `health.check: none`."""
    health = profile.health
    if health.check == "none":
        return {}
    return {
        "startupProbe": _probe(
            profile, health.liveness, STARTUP_PERIOD_SECONDS, math.ceil(health.startup_seconds / STARTUP_PERIOD_SECONDS)
        ),
        "readinessProbe": _probe(profile, health.readiness, health.interval_seconds, health.failure_threshold),
        "livenessProbe": _probe(profile, health.liveness, health.interval_seconds, health.failure_threshold),
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
    server, unit = profile.web_server, launch(profile)
    container: dict = {"name": profile.app, "image": profile.image, "imagePullPolicy": "IfNotPresent"}
    if profile.command is not None:
        # args, not command: the image's ENTRYPOINT (if any) stays in charge, as with `docker run`.
        # Without a command neither is set: the image's ENTRYPOINT and CMD run unchanged.
        container["args"] = [literal(arg) for arg in [*profile.command, *server.arguments(unit)]]
    return container | {
        "ports": [{"name": HTTP_PORT_NAME, "containerPort": profile.port, "protocol": "TCP"}]
        + [{"name": extra.name, "containerPort": extra.port, "protocol": "TCP"} for extra in profile.ports],
        "env": env(profile),
        "resources": resources(profile, server.unit_memory(profile.memory_bytes, unit.workers)),
        **_probes(profile),
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
    size = kubernetes_memory(profile.tmp_bytes)
    names = [TMP_VOLUME, *(writable_volume(index) for index in range(len(profile.writable_paths)))]
    spec["volumes"] = [{"name": name, "emptyDir": {"sizeLimit": size}} for name in names]
    secrets = secrets_volume(profile)
    if secrets is not None:
        spec["volumes"].append(secrets)
    token = token_volume(profile)
    if token is not None and any(container["name"] == WAIT_CONTAINER for container in init_containers):
        spec["volumes"].append(token)
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


def claim_name(profile: Profile, volume: str) -> str:
    """The PersistentVolumeClaim of one of the profile's `volumes`."""
    return f"{profile.app}-{volume}"


def build_volume_claims(profile: Profile) -> list[dict]:
    """One ReadWriteOnce PersistentVolumeClaim per volume, of the volume's size, in the cluster's
    default StorageClass. A claim outlives the Deployment: deleting the app keeps the data."""
    return [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": metadata(profile, claim_name(profile, name)),
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": kubernetes_memory(parse_memory(volume.size))}},
            },
        }
        for name, volume in sorted(profile.volumes.items())
    ]


def _mount_state_volumes(profile: Profile, spec: dict) -> None:
    """The claims as pod volumes (`data-N`, by name order), mounted into the app and its init containers."""
    for index, (name, volume) in enumerate(sorted(profile.volumes.items())):
        spec["volumes"].append(
            {"name": f"data-{index}", "persistentVolumeClaim": {"claimName": claim_name(profile, name)}}
        )
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            if container["name"] in RESERVED_CONTAINER_NAMES:
                continue  # the release gate's waiters read the API, not the app's data
            container["volumeMounts"].append({"name": f"data-{index}", "mountPath": volume.path})


def _strategy(profile: Profile) -> dict:
    """Rolling updates one pod at a time, never below `replicas`; with volumes, Recreate: a
    ReadWriteOnce volume attaches to one node, so a new pod elsewhere could not start before the old
    one stops (a Deployment of one replica rather than a StatefulSet: one copy of the data, which the
    claim keeps, and no per-pod claims to manage)."""
    if profile.volumes:
        return {"type": "Recreate"}
    return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}


def step_init_containers(profile: Profile) -> list[dict]:
    """The init containers of every pod running the app's code (web, processes, scheduled runs): with
    `k8s.prestart: init` the steps, in order; with `job` the release gate that waits until the release's
    Jobs succeeded (release.py). Either way each pod of a release starts its code only after its migration."""
    if profile.k8s.prestart != "init":
        return wait_containers(profile)
    return [step_container(profile, step) for step in profile.prestart]


def build_deployment(profile: Profile) -> dict:
    """The Deployment: `replicas` pods of one process each, prestart steps as init containers."""
    spec = pod_spec(profile, [app_container(profile)], step_init_containers(profile), "Always")
    spec["terminationGracePeriodSeconds"] = termination_grace_seconds(profile)
    _mount_state_volumes(profile, spec)
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
        "strategy": _strategy(profile),
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
    and runs nothing. The Jobs are kept (no `ttlSecondsAfterFinished`): every pod of the release waits
    for them by name (release.py), including pods started long after the release.
    """
    jobs = []
    for index, step in enumerate(profile.prestart):
        job_labels = labels(profile, "prestart")
        spec = {
            "backoffLimit": 2,
            "activeDeadlineSeconds": JOB_DEADLINE_SECONDS,
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
