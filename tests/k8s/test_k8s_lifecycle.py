"""How pods stop, resize and scale: the preStop delay and the grace period that covers it, version
gates (k8s.version), in-place resize, user namespaces, the autoscaler's behaviour, spreading, /tmp."""

from __future__ import annotations

import pytest
from k8s_support import bundled, find, objects_of, only, pod_spec, variant

from deploykit.targets.k8s.versions import GA_SINCE


def deployment_of(data) -> dict:
    return only(objects_of(data)[0], "Deployment")


def app_of(deployment: dict) -> dict:
    return pod_spec(deployment)["containers"][0]


def test_the_version_gates_follow_the_releases_that_made_each_field_ga():
    # KEP-3329 (Job pod failure policy), KEP-3960 (sleep action), KEP-1287 (in-place resize), KEP-127 (user namespaces).
    assert GA_SINCE == {
        "pod failure policy": (1, 31),
        "pre-stop sleep action": (1, 34),
        "in-place resize": (1, 35),
        "user namespaces": (1, 36),
    }


def test_from_1_34_the_pod_sleeps_before_sigterm_and_the_grace_period_covers_it():
    deployment = deployment_of(bundled("prod"))  # k8s.version "1.34"
    assert app_of(deployment)["lifecycle"] == {"preStop": {"sleep": {"seconds": 5}}}
    # 5 s of preStop, then the server's 30 s of graceful shutdown.
    assert pod_spec(deployment)["terminationGracePeriodSeconds"] == 35
    assert "resizePolicy" not in app_of(deployment)


def test_before_1_34_the_delay_runs_sleep_in_the_container():
    deployment = deployment_of(bundled("staging"))  # the default k8s.version, 1.31
    assert app_of(deployment)["lifecycle"] == {"preStop": {"exec": {"command": ["sleep", "5"]}}}
    assert pod_spec(deployment)["terminationGracePeriodSeconds"] == 35


@pytest.mark.parametrize(
    ("k8s", "lifecycle", "grace"),
    [
        ({"pre_stop_seconds": 12, "version": "1.37"}, {"preStop": {"sleep": {"seconds": 12}}}, 42),
        ({"pre_stop": "exec", "version": "1.37"}, {"preStop": {"exec": {"command": ["sleep", "5"]}}}, 35),
        ({"pre_stop_seconds": 0}, None, 30),
    ],
    ids=["longer", "exec-by-choice", "none"],
)
def test_the_delay_is_configurable(k8s, lifecycle, grace):
    deployment = deployment_of(variant("staging", k8s=k8s))
    assert app_of(deployment).get("lifecycle") == lifecycle
    assert pod_spec(deployment)["terminationGracePeriodSeconds"] == grace


def test_migration_steps_get_no_delay_and_the_plain_grace_period():
    objects, _ = objects_of(bundled("staging"))  # k8s.prestart: job
    for job in find(objects, "Job"):
        spec = job["spec"]["template"]["spec"]
        assert spec["terminationGracePeriodSeconds"] == 30
        assert "lifecycle" not in spec["containers"][0]
    init = pod_spec(deployment_of(bundled("prod")))["initContainers"]
    assert all("lifecycle" not in container for container in init)


def test_from_1_35_cpu_resizes_in_place_and_memory_restarts_the_container():
    deployment = deployment_of(variant("prod", k8s={"version": "1.35"}))
    assert app_of(deployment)["resizePolicy"] == [
        {"resourceName": "cpu", "restartPolicy": "NotRequired"},
        {"resourceName": "memory", "restartPolicy": "RestartContainer"},
    ]
    # Init containers cannot have one.
    assert all("resizePolicy" not in container for container in pod_spec(deployment)["initContainers"])


def test_user_namespaces_on_request_for_the_app_and_its_jobs():
    objects, _ = objects_of(variant("staging", k8s={"version": "1.36", "user_namespace": True}))
    assert pod_spec(only(objects, "Deployment"))["hostUsers"] is False
    assert all(job["spec"]["template"]["spec"]["hostUsers"] is False for job in find(objects, "Job"))
    assert "hostUsers" not in pod_spec(deployment_of(variant("staging", k8s={"version": "1.36"})))


def test_the_autoscaler_owns_the_replica_count_and_scales_down_slowly():
    objects, _ = objects_of(variant("prod", k8s={"autoscaling": {"min_replicas": 3, "max_replicas": 9}}))
    # With spec.replicas in the manifest every apply would reset the count the autoscaler chose.
    assert "replicas" not in only(objects, "Deployment")["spec"]
    assert only(objects, "HorizontalPodAutoscaler")["spec"]["behavior"] == {
        "scaleDown": {
            "stabilizationWindowSeconds": 300,
            "selectPolicy": "Max",
            "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}],
        }
    }
    tuned = variant(
        "prod",
        k8s={"autoscaling": {"scale_down_stabilization_seconds": 600, "scale_down_percent_per_minute": 10}},
    )
    scale_down = only(objects_of(tuned)[0], "HorizontalPodAutoscaler")["spec"]["behavior"]["scaleDown"]
    assert (scale_down["stabilizationWindowSeconds"], scale_down["policies"][0]["value"]) == (600, 10)


def test_pdb_lets_drains_evict_crash_looping_pods():
    pdb = only(objects_of(bundled("prod"))[0], "PodDisruptionBudget")["spec"]
    assert (pdb["maxUnavailable"], pdb["unhealthyPodEvictionPolicy"]) == (1, "AlwaysAllow")


def test_zone_spread_counts_each_rollout_revision_on_its_own():
    (constraint,) = pod_spec(deployment_of(bundled("prod")))["topologySpreadConstraints"]
    assert constraint["matchLabelKeys"] == ["pod-template-hash"]
    assert constraint["topologyKey"] == "topology.kubernetes.io/zone"


def test_tmp_is_sized_for_uploads_and_configurable():
    assert pod_spec(deployment_of(bundled("prod")))["volumes"] == [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}]
    small = pod_spec(deployment_of(variant("prod", tmp_size="256Mi")))["volumes"][0]
    assert small["emptyDir"] == {"sizeLimit": "256Mi"}
    job_volumes = [
        job["spec"]["template"]["spec"]["volumes"]
        for job in find(objects_of(variant("staging", tmp_size="2Gi"))[0], "Job")
    ]
    assert job_volumes and all(volumes[0]["emptyDir"] == {"sizeLimit": "2Gi"} for volumes in job_volumes)
