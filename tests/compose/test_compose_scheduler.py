"""What runs the `cron` jobs on Compose: yacron in an image deploykit builds, otherwise host systemd
timers that start one-off containers of each job's own service (`compose.scheduler`).

The units are checked by systemd's own verifier and calendar parser, the Compose file by the real
Compose CLI; tests/e2e/test_image_as_it_is.py runs the unit's command line against a running stack.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from compose_support import profile_of, render, write
from helpers import run_cli
from quadlet.test_quadlet_calendar import cron_runs, systemd_elapses
from quadlet_support import systemd_words
from ruamel.yaml import YAML
from tooling import compose_config, require_tool, resolved

from deploykit.yamldump import dump

JOBS = {
    "report": {"schedule": "17 3 * * 1-5", "timezone": "Europe/Kyiv", "command": ["report", "--since", "$YESTERDAY"]},
    "cleanup": {
        "schedule": "0 6 1,15 * mon",
        "command": ["cleanup"],
        "image": "registry.example.com/acme/tools:2.0",
        "memory": "64Mi",
        "timeout_seconds": 600,
    },
}
# An environment whose image is built elsewhere: no dockerfile target.
ELSEWHERE = {"targets": ["compose"], "cron": JOBS, "compose": {"project": "shop", "directory": "/srv/shop"}}


def files_of(**fields) -> dict[str, str]:
    rendering, _ = render(profile_of(**fields))
    return {file.path: file.content for file in rendering.files}


def unit_values(text: str) -> dict[str, list[str]]:
    """Each `Key=value` line of a unit file, by key (keys may repeat)."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"targets": ["compose", "dockerfile"]}, "yacron"),
        ({"targets": ["compose"]}, "systemd"),
        ({"targets": ["compose"], "compose": {"scheduler": "yacron"}}, "yacron"),
        ({"targets": ["compose", "dockerfile"], "compose": {"scheduler": "systemd"}}, "systemd"),
    ],
)
def test_auto_takes_yacron_only_for_an_image_the_dockerfile_target_builds(fields, kind):
    files = files_of(cron={"report": JOBS["report"]}, **fields)
    project = YAML(typ="safe", pure=True).load(files["compose.yaml"])
    if kind == "yacron":
        assert "scheduler" in project["services"] and "cron.yaml" in files
        assert "report" not in project["services"] and not any(path.startswith("systemd/") for path in files)
        assert project["x-deploykit"]["release"]["scheduler"] == "scheduler"
    else:
        assert "scheduler" not in project["services"] and "cron.yaml" not in files
        assert sorted(path for path in files if path.startswith("systemd/")) == [
            "systemd/items-api-report.service",
            "systemd/items-api-report.timer",
        ]
        assert project["x-deploykit"]["release"]["scheduler"] is None
        # The one-document form cannot carry them: it says where they are.
        rendering, _ = render(profile_of(cron={"report": JOBS["report"]}, **fields))
        assert "written to systemd/ by `render compose -o DIR` only" in rendering.stdout


def test_each_job_is_a_service_that_up_never_starts_and_run_does(tmp_path: Path):
    rendering, findings = render(profile_of(**ELSEWHERE))
    compose_file = write(rendering, tmp_path)
    assert "scheduler-needs-yacron" not in {finding.code for finding in findings}
    # `up` starts the services of no profile: the jobs are not among them.
    listed = compose_config(compose_file, "--services")
    assert listed.returncode == 0, listed.stderr
    assert not {"report", "cleanup"} & set(listed.stdout.split())
    # `run report` activates its profile; the job's own image, limits and the app's hardening.
    project = resolved(compose_file)
    assert "report" not in project["services"]
    services = resolved(compose_file, profiles=["cron"])["services"]
    cleanup, report = services["cleanup"], services["report"]
    assert cleanup["image"] == "registry.example.com/acme/tools:2.0"
    assert cleanup["deploy"]["resources"]["limits"]["memory"] == str(64 * 2**20)
    assert report["command"] == ["report", "--since", "$$YESTERDAY"]  # config re-escapes: the container gets $YESTERDAY
    for service in (cleanup, report):
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
        assert service["restart"] == "no" and "depends_on" not in service


def test_the_units_run_the_job_once_at_a_time_with_its_timeout():
    files = files_of(**ELSEWHERE)
    service = unit_values(files["systemd/shop-cleanup.service"])
    compose = ["docker", "compose", "-p", "shop", "-f", "/srv/shop/compose.yaml"]
    run = [*compose, "run", "--no-deps", "-T", "--name", "shop-cleanup-run", "cleanup"]
    assert systemd_words(service["ExecStart"][0]) == run
    # After every run, even one that outlived its timeout and its CLI, nothing of it stays; nor of a lost one.
    assert service["ExecStartPre"] == ["-docker rm -f shop-cleanup-run"]
    assert service["ExecStopPost"] == ["-docker kill shop-cleanup-run", "-docker rm -f shop-cleanup-run"]
    assert service["Type"] == ["oneshot"] and "Restart" not in service
    assert service["TimeoutStartSec"] == ["600s"]
    assert service["WorkingDirectory"] == ["/srv/shop"]
    assert service["Environment"] == ["DOCKER_HOST=unix:///var/run/docker.sock"]
    # The default timeout, as on every target.
    assert unit_values(files["systemd/shop-report.service"])["TimeoutStartSec"] == ["3600s"]
    timer = unit_values(files["systemd/shop-cleanup.timer"])
    assert timer["Unit"] == ["shop-cleanup.service"] and timer["Persistent"] == ["true"]


def test_with_steps_a_run_waits_for_the_last_steps_success_of_this_configuration():
    steps = [{"name": "migrate", "command": ["migrate"]}, {"name": "seed", "command": ["seed"]}]
    service = unit_values(files_of(**ELSEWHERE, prestart=steps)["systemd/shop-report.service"])
    compose = "docker compose -p shop -f /srv/shop/compose.yaml"
    state = '\'{{.State}} {{.ExitCode}} {{.Label "com.docker.compose.config-hash"}} {{.Label "com.docker.compose.oneoff"}}\''
    assert systemd_words(service["ExecCondition"][0]) == [
        "/bin/sh",
        "-c",
        f'h=$({compose} config --hash seed) && {compose} ps --all --format {state} seed | grep -qx "exited 0 ${{h#* }} False"',
    ]
    # Without steps there is nothing to wait for.
    assert "ExecCondition" not in unit_values(files_of(**ELSEWHERE)["systemd/shop-report.service"])


def test_the_default_directory_is_under_srv_and_the_socket_is_the_profiles():
    fields = {**ELSEWHERE, "compose": {"docker_socket": "/run/user/1000/docker.sock"}}
    service = unit_values(files_of(**fields)["systemd/items-api-report.service"])
    assert service["WorkingDirectory"] == ["/srv/items-api"]
    assert "/srv/items-api/compose.yaml" in systemd_words(service["ExecStart"][0])
    assert service["Environment"] == ["DOCKER_HOST=unix:///run/user/1000/docker.sock"]


def test_systemd_verifies_the_units(tmp_path: Path):
    analyze = require_tool("systemd-analyze", "apt-get install systemd")
    rendering, _ = render(profile_of(**ELSEWHERE, prestart=[{"name": "migrate", "command": ["migrate"]}]))
    write(rendering, tmp_path)
    units = sorted((tmp_path / "systemd").iterdir())
    assert len(units) == 4 and "ExecCondition=" in (tmp_path / "systemd" / "shop-report.service").read_text()
    done = subprocess.run(
        [analyze, "verify", "--man=no", *map(str, units)],
        env={"PATH": "/usr/bin:/bin", "SYSTEMD_UNIT_PATH": f"{tmp_path / 'systemd'}:"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    problems = [line for line in done.stderr.splitlines() if line.strip()]
    # The verifier also requires ExecStart's program on this machine; where the Docker CLI is not installed
    # (CI), that is the only complaint allowed.
    searched = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin"]
    if shutil.which("docker", path=":".join(searched)):
        assert (done.returncode, problems) == (0, [])
    else:
        assert problems and all(
            line.endswith("Command docker is not executable: No such file or directory") for line in problems
        ), problems


@pytest.mark.parametrize("job", sorted(JOBS))
def test_the_timer_fires_when_cron_would(job: str):
    timer = unit_values(files_of(**ELSEWHERE)[f"systemd/shop-{job}.timer"])
    schedule, timezone = JOBS[job]["schedule"], JOBS[job].get("timezone", "UTC")
    expected = cron_runs(schedule, timezone)
    assert expected and systemd_elapses(timer["OnCalendar"], len(expected) + 1) == expected


def test_explain_says_what_runs_the_jobs(tmp_path: Path):
    (tmp_path / "profile.yaml").write_text(dump(profile_of(**ELSEWHERE)), encoding="utf-8")
    result = run_cli("explain", "-p", "profile.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        "report at 17 3 * * 1-5 (Europe/Kyiv) by a systemd timer on the host (systemd/shop-report.timer"
        in result.stdout
    )


@pytest.mark.parametrize(
    "fields",
    [
        # yacron runs the jobs: no unit reads the directory.
        {
            **ELSEWHERE,
            "cron": {"report": JOBS["report"]},
            "compose": {"project": "shop", "directory": "/srv/shop", "scheduler": "yacron"},
            "accept_warnings": ["scheduler-needs-yacron"],
        },
        # No job: no unit at all.
        {**ELSEWHERE, "cron": None},
    ],
)
def test_a_server_directory_no_unit_reads_is_said_unused(fields):
    _, findings = render(profile_of(**fields))
    assert (("compose", "directory"), "not-rendered") in {(finding.path, finding.code) for finding in findings}


def test_the_server_directory_the_units_read_is_not_said_unused():
    _, findings = render(profile_of(**ELSEWHERE))
    assert ("compose", "directory") not in {finding.path for finding in findings}


def test_a_run_at_boot_waits_for_the_network_it_pulls_in():
    """A run missed while the server was off starts at boot (Persistent=true): After= alone orders against
    network-online.target only when something else pulls it in (systemd.special(7): Wants= and After=), which
    a Docker host's docker.service does, and a Podman host's socket does not."""
    service = unit_values(files_of(**ELSEWHERE)["systemd/shop-report.service"])
    assert service["Wants"] == ["network-online.target"]
    assert "network-online.target" in service["After"][0].split()
