"""The release gate of `k8s.prestart: job`, run for real: the init containers' kubectl commands, as rendered,
by the real kubectl against the stand-in API server, which plays the Job controller.

In a pod, kubectl reads the API server from its in-cluster configuration (the projected token); here from a
kubeconfig naming the stand-in, the one difference. The pod's /tmp (kubectl's cache) is a test directory.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import standin_apiserver
from helpers import render_data
from test_cluster_commands import write_kubeconfig
from tooling import require_tool

from deploykit.targets.k8s.release import CACHE_DIR

PROFILE = {
    "app": "shop",
    "image": "registry.example.com/acme/shop:2.0.0",
    "replicas": 2,
    "k8s": {"prestart": "job", "network_policy": {"api_server": {"cidr": "10.0.0.1/32", "port": 6443}}},
    "prestart": [
        {"name": "migrate", "command": ["python", "-m", "shop.migrate"]},
        {"name": "seed", "command": ["python", "-m", "shop.seed"]},
    ],
    "processes": {"worker": {"command": ["python", "-m", "shop.worker"]}},
}


@pytest.fixture
def api() -> Iterator[standin_apiserver.StandinApiServer]:
    with standin_apiserver.running() as server:
        yield server


def _rendered() -> tuple[list[dict], list[dict]]:
    """The release's Jobs, and the init containers of the worker's pods."""
    objects = render_data(PROFILE, "k8s").rendering.objects
    jobs = [obj for obj in objects if obj["kind"] == "Job"]
    (worker,) = [obj for obj in objects if obj["metadata"]["name"] == "shop-worker"]
    return jobs, worker["spec"]["template"]["spec"]["initContainers"]


def _run(api: standin_apiserver.StandinApiServer, tmp_path: Path, container: dict) -> tuple[int, str, float]:
    kubectl = require_tool("kubectl", "install kubectl (the client alone)")
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"standin": api.url}, "standin")
    args = [arg.replace(CACHE_DIR, str(tmp_path / "cache")) for arg in container["args"]]
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "KUBECONFIG": str(kubeconfig)}
    started = time.monotonic()
    # The image's ENTRYPOINT is kubectl: the container's args are its arguments.
    result = subprocess.run([kubectl, *args], capture_output=True, text=True, env=environment, timeout=120)
    return result.returncode, result.stdout + result.stderr, time.monotonic() - started


def test_pods_wait_while_the_jobs_run_and_start_once_they_completed(api, tmp_path: Path):
    jobs, (wait, check) = _rendered()
    for job in jobs:
        api.put(job)
    api.job_running_polls = 4  # each Job is still running when listed and for a while after
    api.job_criteria_polls = 3  # then SuccessCriteriaMet alone, before Complete
    code, output, seconds = _run(api, tmp_path, wait)
    assert code == 0, output
    assert seconds >= 0.4  # it saw the Jobs running and waited for a change (status is polled every 0.2 s)
    code, output, _ = _run(api, tmp_path, check)
    assert code == 0, output
    assert [line.split()[-2:] for line in output.splitlines()] == [["condition", "met"]] * 2
    # Every list and watch of Jobs names one Job: what RBAC's resourceNames requires to allow them.
    names = {job["metadata"]["name"] for job in jobs}
    collection = [request for request in api.requests if request.path == "/apis/batch/v1/namespaces/shop/jobs"]
    assert collection
    assert {request.query["fieldSelector"][0] for request in collection} == {f"metadata.name={name}" for name in names}


def test_a_failed_job_keeps_the_pods_from_starting(api, tmp_path: Path):
    jobs, (wait, check) = _rendered()
    for job in jobs:
        api.put(job)
    api.job_outcomes[jobs[0]["metadata"]["name"]] = "Failed"
    code, output, _ = _run(api, tmp_path, wait)
    assert code == 0, output  # the Jobs are over
    code, output, _ = _run(api, tmp_path, check)
    assert code != 0  # the pod's init phase fails: its app container never starts
    assert f"jobs/{jobs[0]['metadata']['name']}" in output


def test_the_pods_of_another_release_find_no_job(api, tmp_path: Path):
    _, (wait, _) = _rendered()
    code, output, _ = _run(api, tmp_path, wait)  # the Jobs do not exist (yet, or any more)
    assert code != 0
    assert "NotFound" in output or "not found" in output
