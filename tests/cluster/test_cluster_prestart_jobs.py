"""`deploykit apply k8s` with `k8s.prestart: job`: the release's Jobs are applied first and waited for,
and only then the rest; a failed Job leaves the running version untouched. Against the stand-in API
server of the diff/apply tests (tests/cluster/standin_apiserver.py), which plays the Job controller."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import standin_apiserver
from test_cluster_commands import PROFILE, deploykit, write_kubeconfig

from deploykit import pipeline

WITH_JOBS = (
    PROFILE
    + "  prestart: job\n  network_policy:\n    api_server: {cidr: 10.0.0.1/32, port: 6443}\nprestart:\n  - name: migrate\n    command: [python, -m, app.migrate]\n  - name: seed\n    command: [python, -m, app.seed]\n"
)


@pytest.fixture
def api() -> Iterator[standin_apiserver.StandinApiServer]:
    with standin_apiserver.running() as server:
        yield server


@pytest.fixture
def project(tmp_path: Path, api: standin_apiserver.StandinApiServer) -> Path:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles/test.yaml").write_text(WITH_JOBS)
    write_kubeconfig(tmp_path / "kubeconfig", {"standin": api.url}, "standin")
    return tmp_path


def _jobs(project: Path) -> list[str]:
    objects = pipeline.render_profile(project / "profiles/test.yaml", "k8s").rendering.objects
    return [obj["metadata"]["name"] for obj in objects if obj["kind"] == "Job"]


def test_jobs_are_applied_and_waited_for_before_the_rest(project: Path, api):
    api.job_running_polls = 2  # each Job is still running the first two times it is read
    result = deploykit(project, "apply", "k8s", "--env", "test")
    assert (result.returncode, result.stderr) == (0, "")
    migrate, seed = _jobs(project)
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        f"Job shop/{migrate}: applied",
        f"Job shop/{migrate}: completed",
        f"Job shop/{seed}: applied",
        f"Job shop/{seed}: completed",
    ]
    # The Deployment is written only after both Jobs completed (their status was read until they had).
    order = [
        (request.method, request.path.rsplit("/", 2)[-2]) for request in api.requests if request.path.startswith("/api")
    ]
    first_deployment = order.index(("PATCH", "deployments"))
    job_reads = [index for index, (method, resource) in enumerate(order) if (method, resource) == ("GET", "jobs")]
    assert len(job_reads) >= 6 and max(job_reads) < first_deployment
    assert "Deployment shop/shop: applied" in lines


def test_a_failed_job_stops_the_apply_before_the_deployment(project: Path, api):
    migrate, _ = _jobs(project)
    api.job_outcomes[migrate] = "Failed"
    result = deploykit(project, "apply", "k8s", "--env", "test")
    assert result.returncode == 2
    assert result.stderr == (
        f"error: Job shop/{migrate} failed: Job has reached the specified backoff limit; nothing after it was applied, "
        f"so the running version is unchanged (kubectl logs job/{migrate} -n shop)\n"
    )
    assert [request.body["kind"] for request in api.applies()] == ["Job"]
    assert not any("/deployments/" in path for path in api.objects)


def test_a_job_that_does_not_finish_in_time_stops_the_apply(project: Path, api):
    api.job_running_polls = 10**6
    result = deploykit(project, "apply", "k8s", "--env", "test", "--job-timeout", "1")
    assert result.returncode == 2
    assert (
        "did not complete within 1s; nothing after it was applied, so the running version is unchanged" in result.stderr
    )
    assert [request.body["kind"] for request in api.applies()] == ["Job"]


def test_the_same_release_reuses_its_completed_jobs(project: Path, api):
    assert deploykit(project, "apply", "k8s", "--env", "test").returncode == 0
    again = deploykit(project, "apply", "k8s", "--env", "test")
    assert again.returncode == 0, again.stderr
    # Same image and command: the same Job names, so the release's migrations ran once.
    assert sorted(path for path in api.objects if "/jobs/" in path) == sorted(
        f"/apis/batch/v1/namespaces/shop/jobs/{name}" for name in _jobs(project)
    )
