"""Every pod that runs a release's code starts it only after the release's migration succeeded.

Web pods, process pods and scheduled runs alike: a worker or a CronJob run that started new code
against the old schema (or kept running after a failed migration) would break the release.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import render_data

BASE: dict[str, Any] = {
    "app": "items-api",
    "image": "registry.example.com/acme/items-api:1.4.2",
    "replicas": 2,
    "proxy": {"host": "api.example.com", "tls": "acme", "email": "ops@example.com"},
    "k8s": {"cluster_issuer": "letsencrypt"},
    "prestart": [
        {"name": "migrate", "command": ["python", "-m", "app.migrate"]},
        {"name": "seed", "command": ["python", "-m", "app.seed"]},
    ],
    "processes": {"worker": {"command": ["python", "-m", "app.worker"]}},
    "cron": {"tick": {"schedule": "*/5 * * * *", "command": ["python", "-m", "app.tick"]}},
}


def objects(data: dict[str, Any]) -> list[dict]:
    return list(render_data(data, "k8s").rendering.objects)


def pod_templates(found: list[dict]) -> dict[str, dict]:
    """The pod spec of every object that runs the app's code, by kind/name."""
    result = {}
    for obj in found:
        if obj["kind"] == "Deployment":
            result[f"Deployment/{obj['metadata']['name']}"] = obj["spec"]["template"]["spec"]
        elif obj["kind"] == "CronJob":
            result[f"CronJob/{obj['metadata']['name']}"] = obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return result


def test_with_init_containers_every_pod_of_web_processes_and_cron_migrates_first():
    templates = pod_templates(objects(BASE))
    assert sorted(templates) == ["CronJob/items-api-tick", "Deployment/items-api", "Deployment/items-api-worker"]
    for name, spec in templates.items():
        steps = [(c["name"], c["image"], c["args"]) for c in spec.get("initContainers", [])]
        assert steps == [
            ("migrate", BASE["image"], ["python", "-m", "app.migrate"]),
            ("seed", BASE["image"], ["python", "-m", "app.seed"]),
        ], name


def test_the_concurrency_warning_counts_process_and_cron_pods():
    single = {**BASE, "replicas": 1, "k8s": {**BASE["k8s"], "autoscaling": None}}
    codes = {finding.code for finding in render_data(single, "k8s").findings}
    assert "concurrent-prestart" in codes


@pytest.mark.parametrize("with_background", [True, False])
def test_with_jobs_the_migration_runs_once_before_every_workload(with_background: bool):
    data = {**BASE, "k8s": {**BASE["k8s"], "prestart": "job"}}
    if not with_background:
        data = {key: value for key, value in data.items() if key not in ("processes", "cron")}
    found = objects(data)
    kinds = [obj["kind"] for obj in found]
    jobs = [index for index, kind in enumerate(kinds) if kind == "Job"]
    workloads = [index for index, kind in enumerate(kinds) if kind in ("Deployment", "CronJob")]
    # deploykit apply applies in this order and waits for each Job; Argo CD runs them as PreSync hooks.
    # `kubectl apply -k` does not keep it (kustomize sorts Deployments before Jobs): there the
    # release gate holds every pod instead (the test below).
    assert jobs and max(jobs) < min(workloads)
    for index in jobs:
        assert found[index]["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"


def _with_jobs() -> dict[str, Any]:
    return {**BASE, "k8s": {**BASE["k8s"], "prestart": "job"}}


def test_with_jobs_every_pod_of_the_release_waits_for_its_jobs():
    """`kubectl apply -k` creates Jobs, Deployments and CronJobs together: each pod that runs the
    app's code first waits, in init containers, until the release's Jobs are over and completed."""
    found = objects(_with_jobs())
    job_names = [obj["metadata"]["name"] for obj in found if obj["kind"] == "Job"]
    assert len(job_names) == 2
    templates = pod_templates(found)
    assert sorted(templates) == ["CronJob/items-api-tick", "Deployment/items-api", "Deployment/items-api-worker"]
    for name, spec in templates.items():
        waiters = spec["initContainers"]
        assert [(c["name"], c["image"]) for c in waiters] == [
            ("release-wait", "registry.k8s.io/kubectl:v1.32.8"),
            ("release-check", "registry.k8s.io/kubectl:v1.32.8"),
        ], name
        for container in waiters:
            assert container["args"][:2] == ["wait", "--namespace=items-api"]
            assert container["args"][-2:] == [f"job/{job}" for job in job_names]
            assert container["securityContext"]["runAsNonRoot"] is True
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["resources"]["limits"]["memory"] == container["resources"]["requests"]["memory"]
            assert {
                "name": "release-api-access",
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                "readOnly": True,
            } in container["volumeMounts"]
        # Only the waiters hold the API token: the pod mounts none automatically, the app's container none at all.
        assert spec["automountServiceAccountToken"] is False
        assert all(mount["name"] != "release-api-access" for mount in spec["containers"][0]["volumeMounts"])
        assert spec["serviceAccountName"] == "items-api"


def test_the_waiters_may_read_only_the_release_jobs():
    found = objects(_with_jobs())
    job_names = [obj["metadata"]["name"] for obj in found if obj["kind"] == "Job"]
    (role,) = [obj for obj in found if obj["kind"] == "Role"]
    (binding,) = [obj for obj in found if obj["kind"] == "RoleBinding"]
    assert role["rules"] == [
        {"apiGroups": ["batch"], "resources": ["jobs"], "resourceNames": job_names, "verbs": ["get", "list", "watch"]}
    ]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "items-api", "namespace": "items-api"}]
    # The Jobs stay while their release runs: a pod started later still finds them.
    assert all("ttlSecondsAfterFinished" not in obj["spec"] for obj in found if obj["kind"] == "Job")


def test_a_new_release_waits_for_its_own_jobs():
    first = objects(_with_jobs())
    second = objects({**_with_jobs(), "image": "registry.example.com/acme/items-api:1.4.3"})

    def waited(found: list[dict]) -> list[str]:
        return pod_templates(found)["Deployment/items-api"]["initContainers"][0]["args"][-2:]

    assert waited(first) != waited(second)
    assert waited(first) == waited(objects(_with_jobs()))  # same release, same Jobs: applying again runs nothing


def test_the_api_server_is_allowed_through_the_network_policy_only_when_given():
    data = _with_jobs()
    findings = render_data(data, "k8s").findings
    assert [f.path for f in findings if f.code == "api-server-egress"] == [("k8s", "network_policy", "api_server")]
    data["k8s"] = {**data["k8s"], "network_policy": {"api_server": {"cidr": "10.0.0.10/32", "port": 6443}}}
    rendered = render_data(data, "k8s")
    assert "api-server-egress" not in {f.code for f in rendered.findings}
    (policy,) = [obj for obj in rendered.rendering.objects if obj["kind"] == "NetworkPolicy"]
    assert {"to": [{"ipBlock": {"cidr": "10.0.0.10/32"}}], "ports": [{"protocol": "TCP", "port": 6443}]} in policy[
        "spec"
    ]["egress"]
    data["k8s"] = {**data["k8s"], "network_policy": "none"}
    assert "api-server-egress" not in {f.code for f in render_data(data, "k8s").findings}


def test_with_init_containers_there_is_no_gate():
    found = objects(BASE)
    assert not [obj for obj in found if obj["kind"] in ("Role", "RoleBinding")]


def test_gate_settings_without_the_gate_are_reported_not_dropped():
    data = {
        **BASE,
        "k8s": {
            **BASE["k8s"],
            "release_wait_image": "registry.example.com/tools/kubectl:v1.32.8",
            "network_policy": {"api_server": {"cidr": "10.0.0.10/32", "port": 6443}},
        },
    }
    findings = render_data(data, "k8s").findings
    assert sorted(f.path for f in findings if f.code == "not-rendered") == [
        ("k8s", "network_policy", "api_server"),
        ("k8s", "release_wait_image"),
    ]
    # With the gate the image is the waiters'.
    gated = {**data, "k8s": {**data["k8s"], "prestart": "job"}}
    templates = pod_templates(objects(gated))
    assert {c["image"] for spec in templates.values() for c in spec["initContainers"]} == {
        "registry.example.com/tools/kubectl:v1.32.8"
    }


def _allowed_jobs(applied: dict[tuple[str, str], dict], account: str) -> set[str]:
    """The Jobs `account` may read in the cluster state `applied`: resourceNames of the Roles bound to it."""
    roles = {
        binding["roleRef"]["name"]
        for (kind, _), binding in applied.items()
        if kind == "RoleBinding" and any(subject["name"] == account for subject in binding["subjects"])
    }
    return {
        name
        for (kind, role_name), role in applied.items()
        if kind == "Role" and role_name in roles
        for rule in role["rules"]
        for name in rule["resourceNames"]
    }


def test_the_last_release_pods_still_pass_their_gate_once_the_next_release_is_applied():
    """A release applied over the last one (kubectl apply -k, deploykit apply: nothing is deleted) must leave
    the last release's pods able to read their own Jobs: after a failed migration the old ReplicaSet serves
    on, and a pod of it recreated later (a node drain, an eviction) runs the old gate again."""
    first = objects(_with_jobs())
    second = objects({**_with_jobs(), "image": "registry.example.com/acme/items-api:1.4.3"})
    applied = {(obj["kind"], obj["metadata"]["name"]): obj for obj in first}
    applied |= {(obj["kind"], obj["metadata"]["name"]): obj for obj in second}
    for found in (first, second):
        for name, spec in pod_templates(found).items():
            waited = {arg.removeprefix("job/") for arg in spec["initContainers"][0]["args"] if arg.startswith("job/")}
            assert waited <= _allowed_jobs(applied, spec["serviceAccountName"]), name
