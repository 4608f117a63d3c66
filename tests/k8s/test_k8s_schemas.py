"""Every rendered built-in object against Kubernetes' own strict schemas, for the oldest and the newest
Kubernetes version deploykit renders for, and against the kubernetes client's typed models."""

from __future__ import annotations

import copy

import kubernetes.client
import kubernetes_validate
import pytest
from k8s_support import KUBERNETES_VERSIONS, builtin, bundled, feature_rich, objects_of, rendered_cases
from pydantic import ValidationError


def cases():
    """(version, profile name, objects rendered with k8s.version = version): output for the oldest
    supported cluster must validate against that cluster's schema, and likewise for the newest."""
    return [
        pytest.param(version, objects, id=f"{version}-{name}")
        for version in KUBERNETES_VERSIONS
        for name, objects in rendered_cases(version).items()
    ]


def typed_model(obj: dict):
    """The kubernetes client's model class for obj (e.g. apps/v1 Deployment -> V1Deployment)."""
    version = obj["apiVersion"].rsplit("/", 1)[-1]
    return getattr(kubernetes.client, version.capitalize() + obj["kind"])


def test_feature_rich_profiles_render_every_kind():
    kinds = {obj["kind"] for routing in ("ingress", "gateway") for obj in objects_of(feature_rich(routing, "1.37"))[0]}
    assert kinds == {
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "Job",
        "Deployment",
        "Service",
        "Middleware",
        "ServersTransport",
        "Ingress",
        "ListenerSet",
        "HTTPRoute",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "NetworkPolicy",
    }


def test_the_newest_version_uses_every_version_gated_field():
    objects = rendered_cases(KUBERNETES_VERSIONS[-1])["feature-rich-gateway"]
    pod = next(obj for obj in objects if obj["kind"] == "Deployment")["spec"]["template"]["spec"]
    assert pod["hostUsers"] is False
    assert pod["containers"][0]["lifecycle"] == {"preStop": {"sleep": {"seconds": 5}}}
    assert "resizePolicy" in pod["containers"][0]
    oldest = rendered_cases(KUBERNETES_VERSIONS[0])["feature-rich-gateway"]
    pod = next(obj for obj in oldest if obj["kind"] == "Deployment")["spec"]["template"]["spec"]
    assert "hostUsers" not in pod and "resizePolicy" not in pod["containers"][0]
    assert pod["containers"][0]["lifecycle"] == {"preStop": {"exec": {"command": ["sleep", "5"]}}}


@pytest.mark.parametrize(("version", "objects"), cases())
def test_builtin_objects_validate_strictly_for_the_version_they_target(version, objects):
    for obj in builtin(objects):
        kubernetes_validate.validate(obj, version, strict=True)


@pytest.mark.parametrize(("version", "objects"), [case for case in cases() if case.values[0] == "1.37"])
def test_builtin_objects_load_into_typed_models_without_loss(version, objects):
    client = kubernetes.client.ApiClient()
    for obj in builtin(objects):
        model = typed_model(obj).model_validate(obj)
        # Serialized back, the model is the object: no field was unknown, coerced or dropped.
        assert client.sanitize_for_serialization(model) == obj


def deployment():
    return next(obj for obj in objects_of(bundled("prod"))[0] if obj["kind"] == "Deployment")


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda obj: obj["spec"]["template"]["spec"]["containers"][0].update(bogus=1), "extra_forbidden"),
        (lambda obj: obj["spec"].update(replicas="4"), "int_type"),
        (
            lambda obj: (
                obj["metadata"]["annotations"].update({"example.com/issuer": None})
                if "annotations" in obj["metadata"]
                else obj["metadata"].update(annotations={"example.com/issuer": None})
            ),
            "string_type",
        ),
    ],
    ids=["unknown-field", "string-for-integer", "null-annotation"],
)
def test_typed_models_reject_bad_objects(mutate, problem):
    obj = copy.deepcopy(deployment())
    mutate(obj)
    with pytest.raises(ValidationError) as caught:
        kubernetes.client.V1Deployment.model_validate(obj)
    assert problem in {error["type"] for error in caught.value.errors()}


def test_strict_schema_validation_rejects_an_unknown_field():
    obj = copy.deepcopy(deployment())
    obj["spec"]["template"]["spec"]["containers"][0]["bogus"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(obj, KUBERNETES_VERSIONS[-1], strict=True)


def test_the_sleep_action_is_unknown_to_schemas_before_it_existed():
    """The oldest schema kubernetes-validate has without it (1.28) refuses what 1.34+ output contains:
    version gating is what keeps such fields out of output for older clusters."""
    obj = copy.deepcopy(deployment())  # prod: k8s.version 1.34, the sleep action
    with pytest.raises(kubernetes_validate.ValidationError, match="sleep"):
        kubernetes_validate.validate(obj, "1.28", strict=True)
