"""The spec model and its messages: validation of merged data, without files or the CLI."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import load_data
from pydantic import ValidationError

from deploykit.errors import DeployKitError, Location, format_path
from deploykit.spec.model import Profile
from deploykit.spec.quantities import kubernetes_cpu, kubernetes_memory, parse_cpu, parse_memory

MINIMAL = {"app": "items-api", "image": "registry.example.com/acme/items-api:1.4.2"}


def validated(**fields: Any) -> Profile:
    return load_data({**MINIMAL, **fields}).profile


def message_of(**fields: Any) -> str:
    with pytest.raises(DeployKitError) as caught:
        validated(**fields)
    return str(caught.value).removeprefix("profile.yaml:1:1: ")


def test_defaults():
    profile = validated()
    # No default command: the image's own ENTRYPOINT/CMD, as a generic server.
    assert profile.command is None and profile.web_server.name == "generic"
    assert (profile.port, profile.replicas, profile.memory_bytes, profile.cpu_millicores) == (8000, 1, 256 * 2**20, 250)
    assert (profile.health.liveness, profile.health.readiness) == ("/healthz", "/healthz")
    assert profile.proxy is None and profile.prestart == [] and profile.env == {} and profile.secrets == {}
    assert profile.k8s.prestart == "init" and profile.k8s.namespace is None
    assert profile.image_tag == "1.4.2"


def test_separate_liveness_and_readiness_paths():
    health = validated(health={"path": "/healthz", "readiness_path": "/readyz"}).health
    assert (health.liveness, health.readiness) == ("/healthz", "/readyz")


def test_profile_is_frozen():
    profile = Profile.model_validate(MINIMAL)  # the model; its compiled view: tests/spec/test_compiled.py
    with pytest.raises(ValidationError):
        profile.replicas = 3  # type: ignore[misc]


def test_image_pinned_by_digest_has_no_tag():
    digest = "sha256:" + "a" * 64
    assert validated(image=f"registry.example.com/items@{digest}").image_tag is None


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"replica": 2}, "replica: unknown field 'replica'; did you mean 'replicas'?"),
        ({"health": {"pth": "/a"}}, "health.pth: unknown field 'pth'; did you mean 'path'?"),
        (
            {"secrets": {"DB": {"secret": "db", "keys": "url"}}},
            "secrets.DB.keys: unknown field 'keys'; did you mean 'key'?",
        ),
        (
            {"prestart": [{"name": "m", "command": ["a"], "img": "x:1"}]},
            "prestart[0].img: unknown field 'img'; did you mean 'image'?",
        ),
        (
            {"k8s": {"autoscaling": {"max": 3}}},
            "k8s.autoscaling.max: unknown field 'max'; expected one of: cpu_utilization, max_replicas, min_replicas, scale_down_percent_per_minute, scale_down_stabilization_seconds",
        ),
        (
            {"k8s": {"network_policy": {"egress": [{"cidr": "10.0.0.0/8", "port": [1]}]}}},
            "k8s.network_policy.egress[0].port: unknown field 'port'; did you mean 'ports'?",
        ),
    ],
)
def test_unknown_fields_suggest_the_closest_name(fields, expected):
    assert message_of(**fields) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"app": 5}, "app: expected a string, got number 5; quote it"),
        ({"app": None}, "app: expected a string, got null; quote it"),
        ({"port": "8000"}, "port: expected a whole number, got string '8000'"),
        ({"port": True}, "port: expected a whole number, got boolean true"),
        ({"port": 8000.5}, "port: expected a whole number, got number 8000.5"),
        ({"env": ["A"]}, "env: expected a mapping, got list"),
        (
            {"command": "fastapi run"},
            "command: expected a list, got string 'fastapi run'; write it as a list (exec form, no shell): [fastapi, run]",
        ),
        (
            {"proxy": {"host": "a.example.com", "tls": "auto"}},
            "proxy.tls: 'auto' is not allowed; expected 'acme', 'provided' or 'none'",
        ),
        ({"port": 70000}, "port: must be at most 65535, got 70000"),
        ({"command": []}, "command: must have at least 1 item, got 0"),
        (
            {"prestart": [{"name": f"s{n}", "command": ["a"]} for n in range(33)]},
            "prestart: must have at most 32 items, got 33",
        ),
        (
            {"proxy": {"host": "a.example.com", "tls": "acme", "email": "ops"}},
            "proxy.email: 'ops' has an invalid format",
        ),
        # Sizes share memory's notation and range; the error names what was sized.
        ({"memory": "2Ti"}, "memory: '2Ti' is out of range; memory per process must be between 10Mi and 1Ti"),
        ({"tmp_size": "2Ti"}, "tmp_size: '2Ti' is out of range; tmp_size must be between 10Mi and 1Ti"),
        (
            {"volumes": {"data": {"path": "/data", "size": "1Mi"}}},
            "volumes.data.size: '1Mi' is out of range; a volume's size must be between 10Mi and 1Ti",
        ),
    ],
)
def test_type_and_range_messages(fields, expected):
    assert message_of(**fields) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"proxy": {"tls": "acme", "email": "ops@example.com"}}, "proxy.host: required with tls: acme"),
        (
            {"proxy": {"host": "a.example.com", "tls": "none", "certificate": {"cert_file": "/c", "key_file": "/k"}}},
            "proxy.certificate: only used with tls: provided",
        ),
        (
            {"labels": {"app.kubernetes.io/name": "x"}},
            "labels.app.kubernetes.io/name: 'app.kubernetes.io/name' is reserved: deploykit sets app.kubernetes.io/*, traefik.* and deploykit.* itself",
        ),
        (
            {"secrets": {"DB": {"secret": "Items_DB", "key": "url"}}},
            "secrets.DB.secret: 'Items_DB' is not a valid secret name (lowercase letters, digits, '-' and '.')",
        ),
        (
            {"health": {"path": "healthz"}},
            "health.path: 'healthz' is not a valid HTTP path: start with '/' and use letters, digits and ._~!*+,;=:@%/- only",
        ),
    ],
)
def test_cross_field_and_format_rules(fields, expected):
    assert message_of(**fields) == expected


def test_only_the_first_problem_is_reported_in_field_order():
    assert message_of(
        env={"API_TOKEN": "x"}, prestart=[{"name": "a", "command": ["x"]}, {"name": "a", "command": ["y"]}]
    ) == ("prestart[1].name: step name 'a' is used twice")


@pytest.mark.parametrize(
    ("text", "value", "canonical"),
    [
        ("256Mi", 256 * 2**20, "256Mi"),
        ("1Gi", 2**30, "1Gi"),
        ("1.5Gi", 1536 * 2**20, "1536Mi"),
        ("500M", 500_000_000, "500000000"),
        ("10Mi", 10 * 2**20, "10Mi"),
        ("16000k", 16_000_000, "15625Ki"),
    ],
)
def test_memory_quantities(text, value, canonical):
    assert parse_memory(text) == value
    assert kubernetes_memory(value) == canonical


@pytest.mark.parametrize(
    ("text", "millicores", "canonical"),
    [("250m", 250, "250m"), ("0.5", 500, "500m"), ("2", 2000, "2"), ("1.25", 1250, "1250m"), ("1000m", 1000, "1")],
)
def test_cpu_quantities(text, millicores, canonical):
    assert parse_cpu(text) == millicores
    assert kubernetes_cpu(millicores) == canonical


def test_error_format():
    assert format_path(("prestart", 0, "name")) == "prestart[0].name"
    assert format_path(("labels", "example.com/team")) == "labels.example.com/team"
    assert str(DeployKitError("bad", Location("p.yaml", 3, 5), ("env", "A"))) == "p.yaml:3:5: env.A: bad"
    assert str(DeployKitError("bad", Location("p.yaml", 3, 5))) == "p.yaml:3:5: bad"
    assert str(DeployKitError("bad")) == "bad"
