"""Scheduled runs behave alike on every target: a default time limit (a hung run would hold back every
later run, since runs never overlap), no retry of a failed run (the next one comes on schedule), and on
Kubernetes a run whose pod a node drain evicted is not a failed run."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from helpers import render_data
from ruamel.yaml import YAML

from deploykit.spec.background import CRON_TIMEOUT_SECONDS

PROFILE: dict[str, Any] = {
    "app": "shop",
    "image": "registry.example.com/acme/shop:2.0.0",
    "cron": {"tick": {"schedule": "*/5 * * * *", "command": ["python", "-m", "shop.tick"]}},
    "proxy": {"host": "shop.example.com", "tls": "acme", "email": "ops@example.com"},
    "k8s": {"cluster_issuer": "letsencrypt"},
    "nomad": {"forwarded_allow_ips": "10.0.0.0/8"},
}


def with_timeout(seconds: int | None) -> dict[str, Any]:
    data = copy.deepcopy(PROFILE)
    if seconds is not None:
        data["cron"]["tick"]["timeout_seconds"] = seconds
    return data


def cron_job_spec(data: dict[str, Any]) -> dict:
    (cron,) = [obj for obj in render_data(data, "k8s").rendering.objects if obj["kind"] == "CronJob"]
    return cron["spec"]["jobTemplate"]["spec"]


@pytest.mark.parametrize(("given", "expected"), [(None, CRON_TIMEOUT_SECONDS), (120, 120)])
def test_every_target_stops_a_run_at_the_time_limit(given, expected):
    data = with_timeout(given)
    assert cron_job_spec(data)["activeDeadlineSeconds"] == expected
    compose = render_data(data, "compose").rendering
    cron_yaml = next(file.content for file in compose.files if file.path == "cron.yaml")
    (entry,) = YAML(typ="safe", pure=True).load(cron_yaml)["jobs"]
    assert entry["executionTimeout"] == expected
    nomad = {file.path: file.content for file in render_data(data, "nomad").rendering.files}
    periodic = nomad["shop-tick.nomad.hcl"]
    assert re.search(r'command = "timeout"', periodic)
    assert f'args    = ["-k", "30", "{expected}", "python", "-m", "shop.tick"]' in periodic


def test_no_target_retries_a_failed_run():
    assert cron_job_spec(PROFILE)["backoffLimit"] == 0
    compose = render_data(PROFILE, "compose").rendering
    cron_yaml = YAML(typ="safe", pure=True).load(next(f.content for f in compose.files if f.path == "cron.yaml"))
    assert "onFailure" not in cron_yaml["defaults"]  # yacron's default: no retry
    periodic = {f.path: f.content for f in render_data(PROFILE, "nomad").rendering.files}["shop-tick.nomad.hcl"]
    restart = re.search(r"restart \{(.*?)\}", periodic, re.DOTALL)
    assert restart is not None and re.search(r"attempts\s*=\s*0\b", restart.group(1)), periodic


def test_a_drained_node_is_not_a_failed_run_on_kubernetes():
    assert cron_job_spec(PROFILE)["podFailurePolicy"] == {
        "rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]
    }
    # Before 1.31 the policy was beta: left out, as every field deploykit uses only once it is GA.
    old = copy.deepcopy(PROFILE)
    old["k8s"]["version"] = "1.30"
    assert "podFailurePolicy" not in cron_job_spec(old)
