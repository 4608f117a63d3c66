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
    # Applied in this order (kustomization.yaml, deploykit apply waits for each Job), and PreSync
    # hooks for Argo CD: nothing that runs the app's code is created or changed before they succeed.
    assert jobs and max(jobs) < min(workloads)
    for index in jobs:
        assert found[index]["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
    assert all("initContainers" not in spec for spec in pod_templates(found).values())
