"""A worker that hangs must not run unnoticed: `processes.<name>.liveness_command` where the target can
run it, and a warning without one."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
from helpers import render_data
from ruamel.yaml import YAML

HEARTBEAT = ["python", "-c", "import os,sys,time;sys.exit(time.time()-os.path.getmtime('/tmp/beat')>60)"]
PROFILE: dict[str, Any] = {
    "app": "shop",
    "image": "registry.example.com/acme/shop:2.0.0",
    "command": ["uvicorn", "shop.asgi:application"],
    "replicas": 2,
    "processes": {"worker": {"command": ["celery", "-A", "shop", "worker"], "liveness_command": HEARTBEAT}},
    "proxy": {"host": "shop.example.com", "tls": "acme", "email": "ops@example.com"},
    "k8s": {"cluster_issuer": "letsencrypt"},
    "nomad": {"forwarded_allow_ips": "10.0.0.0/8"},
}


def without_liveness() -> dict[str, Any]:
    data = copy.deepcopy(PROFILE)
    del data["processes"]["worker"]["liveness_command"]
    return data


def codes(data: dict[str, Any], target: str) -> list[tuple[tuple, str]]:
    return [(finding.path, finding.code) for finding in render_data(data, target).findings]


def test_kubernetes_restarts_a_worker_whose_liveness_command_fails():
    output = render_data(PROFILE, "k8s")
    (worker,) = [o for o in output.rendering.objects if o["metadata"]["name"] == "shop-worker"]
    (container,) = worker["spec"]["template"]["spec"]["containers"]
    assert container["livenessProbe"] == {
        "exec": {"command": HEARTBEAT},
        "initialDelaySeconds": 60,
        "periodSeconds": 10,
        "timeoutSeconds": 2,
        "failureThreshold": 3,
    }
    kubernetes_validate.validate(worker, "1.31", strict=True)
    assert (("processes", "worker"), "process-no-liveness") not in codes(PROFILE, "k8s")


def test_compose_shows_the_worker_s_health():
    compose = YAML(typ="safe", pure=True).load(render_data(PROFILE, "compose").rendering.files[0].content)
    assert compose["services"]["worker"]["healthcheck"]["test"] == ["CMD", *HEARTBEAT]
    bare = YAML(typ="safe", pure=True).load(render_data(without_liveness(), "compose").rendering.files[0].content)
    assert bare["services"]["worker"]["healthcheck"] == {"disable": True}


def test_every_target_warns_about_a_worker_without_one():
    for target in ("compose", "k8s", "nomad"):
        assert (("processes", "worker"), "process-no-liveness") in codes(without_liveness(), target), target
    # Nomad cannot run it (script checks need a Consul service): it says so.
    assert (("processes", "worker", "liveness_command"), "not-rendered") in codes(PROFILE, "nomad")
    k8s = render_data(without_liveness(), "k8s").rendering.objects
    (worker,) = [o for o in k8s if o["metadata"]["name"] == "shop-worker"]
    assert "livenessProbe" not in worker["spec"]["template"]["spec"]["containers"][0]
