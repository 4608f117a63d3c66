"""Warnings about settings that would misbehave once deployed: gunicorn's sync workers, and a `replicas`
the Kubernetes autoscaler overrides."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import render_data

BASE: dict[str, Any] = {
    "app": "shop",
    "image": "registry.example.com/acme/shop:2.0.0",
    "command": ["gunicorn", "shop.wsgi:application"],
    "replicas": 2,
    "proxy": {"host": "shop.example.com", "tls": "acme", "email": "ops@example.com"},
    "k8s": {"cluster_issuer": "letsencrypt"},
    "nomad": {"forwarded_allow_ips": "10.0.0.0/8"},
}
TARGETS = ("compose", "k8s", "nomad")


def codes(data: dict[str, Any], target: str) -> set[str]:
    return {finding.code for finding in render_data(data, target).findings}


@pytest.mark.parametrize(
    ("arguments", "warned"),
    [
        ([], True),
        (["-k", "sync"], True),
        (["--threads", "1"], True),
        (["--threads", "4"], False),
        (["--threads=4"], False),
        (["-k", "uvicorn_worker.UvicornWorker"], False),
        (["--worker-class=gevent"], False),
        (["-kgthread"], False),
    ],
)
def test_gunicorn_sync_workers_are_warned_about_on_every_runtime_target(arguments, warned):
    data = {**BASE, "command": [*BASE["command"], *arguments]}
    for target in TARGETS:
        assert ("sync-workers" in codes(data, target)) is warned, (target, arguments)


def test_other_servers_are_not_warned_about():
    data = {**BASE, "command": ["uvicorn", "shop.asgi:application"]}
    assert all("sync-workers" not in codes(data, target) for target in TARGETS)


def test_replicas_beside_an_autoscaler_are_warned_about_on_kubernetes():
    scaled = {**BASE, "k8s": {**BASE["k8s"], "autoscaling": {"min_replicas": 2, "max_replicas": 6}}}
    (finding,) = [f for f in render_data(scaled, "k8s").findings if f.code == "replicas-ignored"]
    assert finding.path == ("replicas",)
    assert "between 2 and 6 pods" in finding.message
    # Not written: nothing to warn about; and other targets use replicas.
    unset = {key: value for key, value in scaled.items() if key != "replicas"}
    assert "replicas-ignored" not in codes(unset, "k8s")
    assert "replicas-ignored" not in codes(scaled, "nomad")


def test_compose_cron_with_an_image_built_elsewhere_is_warned_about_only_under_yacron():
    data = {
        **BASE,
        "command": ["uvicorn", "shop.asgi:application"],
        "cron": {"tick": {"schedule": "* * * * *", "command": ["python", "-m", "shop.tick"]}},
    }
    assert "scheduler-needs-yacron" not in codes(data, "compose")  # deploykit's Dockerfile installs yacron
    # What `import compose` writes: the image exists already; auto takes the host timers, which need nothing in it.
    elsewhere = {**data, "targets": ["compose", "k8s"]}
    assert "scheduler-needs-yacron" not in codes(elsewhere, "compose")
    chosen = {**elsewhere, "compose": {"scheduler": "yacron"}}
    (finding,) = [f for f in render_data(chosen, "compose").findings if f.code == "scheduler-needs-yacron"]
    assert finding.path == ("compose", "scheduler") and "/opt/deploykit/yacron/bin/yacron" in finding.message
