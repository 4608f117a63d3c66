"""Every allocation that runs a release's code starts it only after the release's migration succeeded:
web allocations, process allocations and periodic runs alike (read back with HashiCorp's HCL parser)."""

from __future__ import annotations

import copy

from helpers import run_cli
from nomad_support import BASE, only, render

from deploykit.yamldump import dump

STEPS = [
    {"name": "migrate", "command": ["python", "-m", "app.migrate"]},
    {"name": "seed", "command": ["python", "-m", "app.seed"]},
]
BACKGROUND = {
    "processes": {"worker": {"command": ["python", "-m", "app.worker"]}},
    "cron": {"tick": {"schedule": "*/5 * * * *", "command": ["python", "-m", "app.tick"]}},
}


def groups(parse_hcl, text: str) -> dict[str, list[tuple[str, dict]]]:
    """Each group's tasks, in order, as (name, body)."""
    _, job = only(parse_hcl(text)["job"])
    return {
        name: [(task_name, body) for entry in group["task"] for task_name, body in entry.items()]
        for block in job["group"]
        for name, group in block.items()
    }


def test_every_group_of_the_service_and_periodic_jobs_migrates_first(parse_hcl):
    data = {**copy.deepcopy(BASE), "prestart": STEPS, **BACKGROUND}
    rendering, findings = render(data)
    files = {file.path: file.content for file in rendering.files}
    found = groups(parse_hcl, files["items-api.nomad.hcl"]) | groups(parse_hcl, files["items-api-tick.nomad.hcl"])
    assert sorted(found) == ["items-api", "tick", "worker"]
    for group, tasks in found.items():
        # The prestart hook makes Nomad run the task to completion before it starts the group's others.
        by_name = dict(tasks)
        assert sorted(by_name) == sorted(["prestart", group]), group
        body = by_name["prestart"]
        assert body["lifecycle"] == [{"hook": "prestart", "sidecar": False}], group
        assert body["config"][0]["args"][-1].endswith("; step python -m app.migrate; step python -m app.seed"), group
        assert "lifecycle" not in by_name[group], group
    assert "concurrent-prestart" in {finding.code for finding in findings}


def test_with_the_prestart_job_no_group_repeats_the_steps(parse_hcl):
    data = {**copy.deepcopy(BASE), **BACKGROUND}
    data["nomad"] = {**data["nomad"], "prestart": "job"}
    rendering, _ = render(data)
    files = {file.path: file.content for file in rendering.files}
    for path in ("items-api.nomad.hcl", "items-api-tick.nomad.hcl"):
        for group, tasks in groups(parse_hcl, files[path]).items():
            assert [name for name, _ in tasks] == [group], path
    assert "items-api-prestart.nomad.hcl" in files


def test_explain_says_how_the_steps_stop(tmp_path):
    data = {**copy.deepcopy(BASE), "prestart": STEPS, "targets": ["nomad"]}
    (tmp_path / "profile.yaml").write_text(dump(data), encoding="utf-8")
    result = run_cli("explain", "-p", "profile.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "on a stop (SIGTERM), stops the running step and starts no other" in result.stdout
