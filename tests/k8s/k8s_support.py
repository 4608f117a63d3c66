"""Rendering profiles for the Kubernetes tests through the pipeline, in memory and on disk."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from helpers import BUNDLED_ENVIRONMENTS, REPO, bundled, load_data
from ruamel.yaml import YAML

from deploykit import output, pipeline
from deploykit.loading.validation import LoadedProfile
from deploykit.rendering import Rendering
from deploykit.report import Finding

BUNDLED = BUNDLED_ENVIRONMENTS
KUBERNETES_VERSIONS = ("1.29", "1.37")
Source = LoadedProfile | dict[str, Any]

__all__ = ["BUNDLED", "KUBERNETES_VERSIONS", "REPO", "bundled"]


def variant(environment: str, **changes: Any) -> dict[str, Any]:
    """A bundled profile's data with top-level fields replaced (mappings merged one level deep)."""
    data = copy.deepcopy(bundled(environment).source.data)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def _output(source: Source) -> pipeline.TargetOutput:
    loaded = source if isinstance(source, LoadedProfile) else load_data(source)
    return pipeline.render(loaded, "k8s")


def objects_of(source: Source) -> tuple[list[dict], list[Finding]]:
    """The objects and warnings of a loaded profile or of profile data."""
    result = _output(source)
    return list(result.rendering.objects), list(result.findings)


def rendering_of(source: Source) -> Rendering:
    return _output(source).rendering


def find(objects: list[dict], kind: str) -> list[dict]:
    return [obj for obj in objects if obj["kind"] == kind]


def only(objects: list[dict], kind: str) -> dict:
    found = find(objects, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def pod_spec(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


def write_rendering(source: Source, directory: Path) -> Path:
    """Write the rendering the way `render k8s -o DIR` does."""
    output.write_directory(directory, rendering_of(source).files)
    return directory


def parse_stream(text: str) -> list[Any]:
    return list(YAML(typ="safe", pure=True).load_all(text))
