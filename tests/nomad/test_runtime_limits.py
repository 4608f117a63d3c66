"""A task's /tmp is a tmpfs, memory charged to the task: never larger than the task's memory."""

from __future__ import annotations

import copy
import re

import pytest
from nomad_support import BASE, only, render


def test_tmp_is_never_larger_than_the_task_memory(parse_hcl):
    data = copy.deepcopy(BASE) | {
        "memory": "128Mi",
        "processes": {"worker": {"command": ["python", "-m", "app.worker"], "memory": "64Mi"}},
    }
    rendering, _ = render(data)
    text = rendering.files[0].content
    parse_hcl(text)  # HashiCorp's parser reads it
    sizes = [int(size) for size in re.findall(r"size\s+=\s+(\d+)", text)]
    memories = [int(memory) for memory in re.findall(r"memory\s+=\s+(\d+)", text)]
    assert len(sizes) == len(memories) == 4  # the prestart task and the app, the prestart task and the worker
    for size, memory in zip(sizes, memories, strict=True):
        assert size <= memory * 2**20
    assert 64 * 2**20 in sizes  # the default 1 GiB, cut to the worker's 64 MiB


@pytest.mark.parametrize("secrets_as", ["env", "file"])
def test_a_rotated_secret_restarts_the_allocations_spread_over_minutes(parse_hcl, secrets_as):
    """Nomad's default splay (5 s) restarts every allocation at once when a secret changes."""
    rendering, _ = render(copy.deepcopy(BASE) | {"secrets_as": secrets_as})
    _, job = only(parse_hcl(rendering.files[0].content)["job"])
    found = [
        template
        for group in job["group"]
        for body in group.values()
        for task in body["task"]
        for task_body in task.values()
        for template in task_body.get("template", [])
    ]
    assert found and all(t["change_mode"] == "restart" and t["splay"] == "300s" for t in found)
