"""Server-side apply refuses a list that its schema declares a map (env by name, ports by number and
protocol, containers by name, ...) when two entries share a key. Every object of every profile is
walked along its schema (Kubernetes' own for built-in kinds, the official CRDs for custom resources)."""

from __future__ import annotations

import copy

import pytest
from k8s_support import KUBERNETES_VERSIONS, rendered_cases
from schema_support import list_map_duplicates

VERSION = KUBERNETES_VERSIONS[-1]


@pytest.mark.parametrize(("name", "objects"), list(rendered_cases(VERSION).items()))
def test_no_list_map_repeats_a_key(name, objects):
    for obj in objects:
        assert list_map_duplicates(obj, VERSION) == [], f"{obj['kind']} {obj['metadata']['name']}"


def test_the_walk_finds_repeated_keys_in_built_in_and_custom_kinds():
    objects = rendered_cases(VERSION)["feature-rich-gateway"]
    deployment = copy.deepcopy(next(obj for obj in objects if obj["kind"] == "Deployment"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["env"].append(dict(container["env"][0]))
    container["ports"].append(dict(container["ports"][0]))
    deployment["spec"]["template"]["spec"]["initContainers"][1]["name"] = "migrate"
    last_env = len(container["env"]) - 1
    assert sorted(list_map_duplicates(deployment, VERSION)) == [
        f'spec.template.spec.containers[0].env[{last_env}]: repeats ["{container["env"][0]["name"]}"]',
        'spec.template.spec.containers[0].ports[2]: repeats [8000, "TCP"]',
        'spec.template.spec.initContainers[1]: repeats ["migrate"]',
    ]
    listener_set = copy.deepcopy(next(obj for obj in objects if obj["kind"] == "ListenerSet"))
    listener_set["spec"]["listeners"].append(dict(listener_set["spec"]["listeners"][0]))
    last = len(listener_set["spec"]["listeners"]) - 1  # one listener per host name, then the copy
    assert list_map_duplicates(listener_set, VERSION) == [f'spec.listeners[{last}]: repeats ["https"]']
