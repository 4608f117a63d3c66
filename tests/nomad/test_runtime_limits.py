"""A task's /tmp is a tmpfs, memory charged to the task: never larger than the task's memory."""

from __future__ import annotations

import copy
import re

from nomad_support import BASE, render


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
