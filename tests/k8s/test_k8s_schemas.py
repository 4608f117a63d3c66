"""Every rendered object against Kubernetes' own schemas and the kubernetes client's typed models."""

from __future__ import annotations

import copy

import kubernetes.client
import kubernetes_validate
import pytest
from k8s_support import BUNDLED, KUBERNETES_VERSIONS, bundled, objects_of, variant
from pydantic import ValidationError


def feature_rich():
    """Everything optional switched on, so objects the bundled profiles never produce are checked too."""
    return variant(
        "prod",
        proxy={"host": "api.example.com", "tls": "provided", "email": None},
        prestart=[
            {"name": "migrate", "command": ["python", "-m", "app.migrate"]},
            {
                "name": "seed",
                "command": ["python", "seed.py", "$(HOME)"],
                "image": "registry.example.com/acme/seeder@sha256:" + "b" * 64,
            },
        ],
        labels={"example.com/team": "items"},
        annotations={"example.com/owner": "ops@example.com"},
        k8s={
            "namespace": "items",
            "tls_secret": "items-api-cert",
            "image_pull_secrets": ["registry-creds"],
            "autoscaling": {"min_replicas": 2, "max_replicas": 6, "cpu_utilization": 60},
            "pod_annotations": {"example.com/scrape": "true"},
            "ingress_annotations": {"example.com/waf": "on"},
            "prestart": "job",
        },
    )


def cases():
    profiles = {environment: bundled(environment) for environment in BUNDLED}
    profiles["feature-rich"] = feature_rich()
    return [pytest.param(objects_of(profile)[0], id=name) for name, profile in profiles.items()]


def typed_model(obj: dict):
    """The kubernetes client's model class for obj (e.g. apps/v1 Deployment -> V1Deployment)."""
    version = obj["apiVersion"].rsplit("/", 1)[-1]
    return getattr(kubernetes.client, version.capitalize() + obj["kind"])


def test_feature_rich_profile_renders_every_kind():
    kinds = {obj["kind"] for obj in objects_of(feature_rich())[0]}
    assert kinds == {
        "ServiceAccount",
        "Job",
        "Deployment",
        "Service",
        "Ingress",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "NetworkPolicy",
    }


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("objects", cases())
def test_objects_validate_strictly(objects, version):
    for obj in objects:
        kubernetes_validate.validate(obj, version, strict=True)


@pytest.mark.parametrize("objects", cases())
def test_objects_load_into_typed_models_without_loss(objects):
    client = kubernetes.client.ApiClient()
    for obj in objects:
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
