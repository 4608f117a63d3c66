"""Rendering profiles for the Kubernetes tests, in memory and on disk."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from deploykit import output
from deploykit.profiles import MergedProfile
from deploykit.rendering import Rendering
from deploykit.report import Report
from deploykit.spec.load import LoadedProfile, load, validate
from deploykit.spec.model import Profile
from deploykit.targets import k8s

REPO = Path(__file__).resolve().parents[2]
BUNDLED = ("dev", "staging", "prod")
KUBERNETES_VERSIONS = ("1.29", "1.37")


@functools.cache
def bundled(environment: str) -> LoadedProfile:
    """A bundled example profile, loaded once."""
    return load(REPO / "profiles" / f"{environment}.yaml")


@functools.cache
def bundled_data(environment: str) -> dict[str, Any]:
    return bundled(environment).source.data


def profile_from(data: dict[str, Any]) -> Profile:
    """A profile from merged data, validated exactly as a file would be."""
    return validate(MergedProfile(copy.deepcopy(data), {}, "profile.yaml", ("profile.yaml",))).profile


def variant(environment: str, **changes: Any) -> Profile:
    """A bundled profile with top-level fields replaced (mappings merged one level deep)."""
    data = copy.deepcopy(bundled_data(environment))
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return profile_from(data)


def objects_of(profile: Profile) -> tuple[list[dict], Report]:
    report = Report("k8s")
    return k8s.build_objects(profile, report), report


def rendering_of(profile: Profile) -> Rendering:
    return k8s.render(profile, Report("k8s"))


def find(objects: list[dict], kind: str) -> list[dict]:
    return [obj for obj in objects if obj["kind"] == kind]


def only(objects: list[dict], kind: str) -> dict:
    found = find(objects, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def pod_spec(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


def write_rendering(profile: Profile, directory: Path) -> Path:
    """Write the rendering the way `render k8s -o DIR` does."""
    output.write_directory(directory, rendering_of(profile).files)
    return directory


def parse_stream(text: str) -> list[Any]:
    return list(YAML(typ="safe", pure=True).load_all(text))
