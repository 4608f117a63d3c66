"""Cron schedules and time zones: deploykit accepts exactly what every target's scheduler reads alike.

yacron (Compose) is run for real: a schedule or time zone it refuses makes it refuse its whole
configuration, so no job runs. Kubernetes' parser (robfig/cron v3: day of week 0-6, steps within the
range) and Nomad's (hashicorp/cronexpr: a step at most the field's highest value) are Go libraries
with no binary here; the rules taken from their source are in deploykit/spec/schedule.py, and each is
tested below by what deploykit says.
"""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import pytest
from helpers import render_data
from ruamel.yaml import YAML
from tooling import missing

from deploykit.errors import DeployKitError
from deploykit.spec import schedule
from deploykit.yamldump import dump

YACRON = Path("/opt/deploykit-yacron/bin/yacron")
PROFILE = {
    "app": "shop",
    "image": "registry.example.com/acme/shop:2.1.0",
    "command": ["gunicorn", "shop.wsgi:application"],
}

# (schedule, deploykit accepts it, yacron accepts it)
SCHEDULES = [
    ("*/59 * * * *", True, True),
    ("*/60 * * * *", False, False),  # yacron: increment value must be less than 59
    ("0-59/100 * * * *", False, False),
    ("0 */23 * * *", True, True),
    ("0 */24 * * *", False, False),
    ("0 0 */30 * *", True, True),
    ("0 0 */31 * *", False, False),  # yacron: first next value 32 is out of range
    ("0 0 1 */11 *", True, True),
    ("0 0 1 */12 *", False, False),
    ("0 0 * * */6", True, True),
    ("0 0 * * */7", False, True),  # Nomad: a day-of-week step above 6 is an invalid interval
    ("0 0 * * 7", False, True),  # Kubernetes: day of week above 6
    ("0 0 * * 5-7", False, True),
    ("0 0 * * sat-sun", False, True),  # Kubernetes: beginning of range beyond its end
    ("0 0 * * 0", True, True),
    ("0 0 * * SUN,sat", True, True),
    ("0 0 * JAN-mar mon-FRI", True, True),
    ("0 0 * * monday", False, False),  # only Nomad reads whole names
    ("5/15 * * * *", True, True),
    ("0-10/30 * * * *", False, True),  # robfig/cron: step exceeds range size
    ("0-10/11 * * * *", True, True),
    ("007 * * * *", False, True),  # Nomad: at most two digits
    ("05 * * * *", True, True),
    ("0 0 L * *", False, True),
    ("0 0 ? * *", False, True),
    ("10-5 * * * *", False, False),
    ("*/0 * * * *", False, False),
]


def _accepted_by_deploykit(text: str) -> bool:
    try:
        schedule.check_schedule(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(("text", "accepted", "by_yacron"), SCHEDULES)
def test_deploykit_accepts_only_schedules_every_scheduler_reads(text: str, accepted: bool, by_yacron: bool):
    assert _accepted_by_deploykit(text) == accepted


def test_the_messages_say_what_to_write():
    with pytest.raises(ValueError, match=r"'\*/60': a step must be from 1 to 59 here"):
        schedule.check_schedule("*/60 * * * *")
    with pytest.raises(
        ValueError, match=r"'7': write Sunday as 0 \(or sun\): Kubernetes reads days of the week 0 to 6"
    ):
        schedule.check_schedule("0 0 * * 7")
    for zone in ("localtime", "Factory", "posixrules", "Local", "posix/Europe/Kyiv", "right/UTC"):
        with pytest.raises(ValueError, match="is not an IANA time zone name"):
            schedule.check_time_zone(zone)


def yacron() -> Path:
    if not os.access(YACRON, os.X_OK):
        missing(f"yacron is not installed at {YACRON} (scripts/setup-machine.sh installs it in its own venv)")
    return YACRON


def rendered_cron_yaml(jobs: dict[str, tuple[str, str]]) -> str:
    """The cron.yaml the Compose target renders, with jobs by name: (schedule, time zone).

    A profile holds at most 32 jobs: the first job's rendered entry is repeated for the others, and the
    whole written with deploykit's own YAML emitter, as the target writes it."""
    first, *others = jobs.items()
    (name, (text, zone)) = first
    cron = {name: {"schedule": text, "timezone": zone, "command": ["true"]}}
    rendering = render_data({**PROFILE, "cron": cron}, "compose").rendering
    content = next(file.content for file in rendering.files if file.path == "cron.yaml")
    if not others:
        return content
    configuration = YAML(typ="safe", pure=True).load(content)
    (entry,) = configuration["jobs"]
    for other, (text, zone) in others:
        configuration["jobs"].append({**entry, "name": other, "schedule": text, "timezone": zone})
    return dump(configuration)


def yacron_accepts(configuration: str, directory: Path) -> bool:
    path = directory / "cron.yaml"
    path.write_text(configuration)
    result = subprocess.run([str(yacron()), "-c", str(path), "-v"], capture_output=True, text=True, timeout=120)
    return result.returncode == 0


def test_yacron_reads_each_schedule_as_the_table_says(tmp_path: Path):
    """The schedules yacron should accept, together in one rendered cron.yaml; each it should refuse, alone
    in place of an accepted one: yacron's own configuration check decides."""
    readable = [text for text, _, by_yacron in SCHEDULES if by_yacron]
    assert yacron_accepts(rendered_cron_yaml({f"job{i}": (text, "UTC") for i, text in enumerate(readable)}), tmp_path)
    template = rendered_cron_yaml({"job": ("17 3 * * *", "UTC")})
    assert "schedule: 17 3 * * *\n" in template
    unreadable = [text for text, _, by_yacron in SCHEDULES if not by_yacron]
    accepted = [
        text
        for text in unreadable
        if yacron_accepts(template.replace("schedule: 17 3 * * *\n", f"schedule: '{text}'\n"), tmp_path)
    ]
    assert accepted == []


def random_item(rng: random.Random, low: int, high: int, names: list[str]) -> str:
    def value() -> str:
        if names and rng.random() < 0.3:
            return rng.choice(names).upper() if rng.random() < 0.5 else rng.choice(names)
        return str(rng.randint(max(0, low - 1), high + 2))

    shape = rng.randrange(5)
    part = ["*", value(), f"{value()}-{value()}", "*", value()][shape]
    return f"{part}/{rng.randint(0, high + 2)}" if shape >= 3 else part


def test_every_random_schedule_deploykit_accepts_runs_under_yacron(tmp_path: Path):
    """A seeded sample of schedules; those deploykit accepts go into one rendered cron.yaml for yacron."""
    rng = random.Random(26)
    fields = [(0, 59, []), (0, 23, []), (1, 31, []), (1, 12, ["jan", "jun", "dec"]), (0, 6, ["sun", "wed", "sat"])]
    accepted: list[str] = []
    for _ in range(3000):
        text = " ".join(random_item(rng, low, high, names) for low, high, names in fields)
        if _accepted_by_deploykit(text):
            accepted.append(text)
    assert len(accepted) > 50
    jobs = {f"job{index}": (text, "UTC") for index, text in enumerate(accepted[:300])}
    assert yacron_accepts(rendered_cron_yaml(jobs), tmp_path), accepted[:300]


def test_every_time_zone_deploykit_accepts_runs_under_yacron(tmp_path: Path):
    zones = sorted(zone for zone in schedule._time_zones() if _zone_accepted(zone))
    assert "Europe/Kyiv" in zones and "localtime" not in zones and "Factory" not in zones
    jobs = {f"job{index}": ("0 3 * * *", zone) for index, zone in enumerate(zones)}
    assert yacron_accepts(rendered_cron_yaml(jobs), tmp_path)
    # And yacron does refuse the names deploykit refuses, so the check above can fail.
    template = rendered_cron_yaml({"job": ("0 3 * * *", "UTC")})
    for zone in ("localtime", "Factory"):
        assert not yacron_accepts(template.replace("timezone: UTC", f"timezone: {zone}"), tmp_path), zone


def _zone_accepted(zone: str) -> bool:
    try:
        schedule.check_time_zone(zone)
    except ValueError:
        return False
    return True


def test_a_refused_schedule_is_a_located_error():
    with pytest.raises(DeployKitError) as raised:
        render_data({**PROFILE, "cron": {"tick": {"schedule": "*/60 * * * *", "command": ["tick"]}}}, "k8s")
    assert "cron.tick.schedule: '*/60 * * * *': '*/60': a step must be from 1 to 59 here" in str(raised.value)
