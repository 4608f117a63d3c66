"""State volumes: mounted into the steps and the app, declared once, owned by the app through the image."""

from __future__ import annotations

import pytest
from compose_support import TWO_STEPS, profile_of, render, write
from tooling import resolved

from deploykit.errors import DeployKitError


def test_volumes_are_mounted_in_steps_and_app_and_declared(tmp_path):
    rendering, findings = render(
        profile_of(prestart=TWO_STEPS, build={"data_dirs": ["/data"]}, compose={"volumes": {"data": "/data"}})
    )
    project = resolved(write(rendering, tmp_path))
    mounts = {name: service.get("volumes", []) for name, service in project["services"].items()}
    for name in ("migrate", "seed", "items-api"):
        assert [(m["type"], m["source"], m["target"]) for m in mounts[name]] == [("volume", "data", "/data")]
    assert sorted(project["volumes"]) == ["data", "letsencrypt"]
    assert findings == []


def test_a_mount_point_the_image_does_not_prepare_is_warned_about():
    _, findings = render(profile_of(compose={"volumes": {"data": "/data"}}))
    assert [str(finding) for finding in findings] == [
        "compose.volumes.data: /data is not in build.data_dirs: a new volume there is owned by root, so the app (uid 10001) cannot write it [compose volume-not-owned]"
    ]


def test_the_certificate_volume_name_is_reserved():
    with pytest.raises(DeployKitError) as caught:
        render(profile_of(compose={"volumes": {"letsencrypt": "/data"}}))
    assert (
        str(caught.value)
        == "profile.yaml:1:1: compose.volumes.letsencrypt: 'letsencrypt' is the volume Traefik keeps its certificates in; choose another name"
    )
