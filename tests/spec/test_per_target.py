"""Per-target overrides change what one target sees, and nothing else."""

from __future__ import annotations

import typing

import pytest
from helpers import render_data, run_cli

from deploykit.errors import DeployKitError
from deploykit.loading.per_target import for_target
from deploykit.spec.model import Profile
from deploykit.targets import TARGETS

BASE = {
    "app": "items-api",
    "image": "registry.example.com/acme/items-api:1.4.2",
    "replicas": 4,
    "env": {"LOG_LEVEL": "info", "MODE": "a"},
}


def test_override_names_are_the_registered_targets():
    (key_type, _) = typing.get_args(Profile.model_fields["overrides"].annotation)
    assert sorted(typing.get_args(key_type)) == sorted(TARGETS)


def test_override_applies_to_its_target_only():
    profile = Profile.model_validate(
        {**BASE, "overrides": {"k8s": {"replicas": 6, "memory": "1Gi", "env": {"MODE": "b"}}}}
    )
    k8s = for_target(profile, "k8s").profile
    assert (k8s.replicas, k8s.memory_bytes, k8s.env) == (6, 2**30, {"LOG_LEVEL": "info", "MODE": "b"})
    assert for_target(profile, "compose").profile is profile
    assert (profile.replicas, profile.memory) == (4, "256Mi")


def test_override_is_checked_like_the_profile():
    data = {**BASE, "overrides": {"nomad": {"env": {"DB_PASSWORD": "x"}}}}
    with pytest.raises(DeployKitError) as caught:
        render_data(data, "nomad")
    assert (
        str(caught.value)
        == "profile.yaml:1:1: overrides.nomad.env.DB_PASSWORD: DB_PASSWORD looks like a credential; reference it under `secrets:` instead of writing its value (or list it in `env_not_secret` if it holds no secret)"
    )


def test_override_reaches_the_rendered_output_with_its_location(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "app: items-api\nimage: registry.example.com/acme/items-api:1.4.2\nreplicas: 2\noverrides:\n  k8s:\n    replicas: 5\n"
    )
    rendered = run_cli("render", "k8s", "-p", "p.yaml", cwd=tmp_path)
    assert rendered.returncode == 0, rendered.stderr
    assert "  replicas: 5\n" in rendered.stdout
    (tmp_path / "p.yaml").write_text(
        "app: items-api\nimage: registry.example.com/acme/items-api:1.4.2\noverrides:\n  k8s:\n    replicas: -1\n"
    )
    failed = run_cli("render", "k8s", "-p", "p.yaml", cwd=tmp_path)
    assert (failed.returncode, failed.stderr) == (
        2,
        "error: p.yaml:5:5: overrides.k8s.replicas: must be at least 0, got -1\n",
    )


def test_override_values_are_not_shadowed_by_values_computed_for_another_target():
    """A target rendered first must not leave its memory on the copy another target renders."""
    profile = Profile.model_validate({**BASE, "overrides": {"nomad": {"memory": "1Gi", "cpu": "2"}}})
    assert (profile.memory_bytes, profile.cpu_millicores) == (256 * 2**20, 250)
    nomad = for_target(profile, "nomad").profile
    assert (nomad.memory_bytes, nomad.cpu_millicores) == (2**30, 2000)
