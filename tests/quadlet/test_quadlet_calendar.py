"""Every cron schedule as systemd reads its `OnCalendar=` lines: `systemd-analyze calendar` lists the next
elapses over a year, which must be exactly the runs a cron evaluator (written here, independently of
deploykit's translation) finds for the same year, in the job's time zone."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from helpers import render_data
from tooling import require_tool

BASE = datetime(2027, 1, 1, tzinfo=UTC)
END = BASE + timedelta(days=366)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_DAYS = {name: number for number, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}

SCHEDULES = [
    ("17 3 * * *", "Europe/Kyiv"),
    ("0 6 1,15 * mon", "UTC"),
    ("*/20 */6 */10 jan-jun sun", "UTC"),
    ("30 2 * * 0,6", "America/New_York"),  # 7 (Sunday again) is refused: Kubernetes reads 0-6 only
    ("0 0 29 2 *", "UTC"),
    ("5 9-17/2 * 3,6,9,12 1-5", "Asia/Kolkata"),
    ("45 23 31 * *", "Australia/Sydney"),
    ("0 0 1-7 * 5", "Europe/Kyiv"),
    ("10/25 4 */3 * *", "UTC"),
    ("0 8 */1 * 1", "UTC"),
    ("0 8 */2 * 1", "UTC"),
]


def _values(field: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    found: set[int] = set()
    for item in field.split(","):
        span, _, step = item.partition("/")
        if span == "*":
            first, last = low, high
        else:
            ends = [int(part) if part.isdigit() else names[part.lower()] for part in span.split("-")]
            first, last = ends[0], ends[-1] if len(ends) == 2 else (high if step else ends[0])
        found |= set(range(first, last + 1, int(step or 1)))
    return found


def restricted(field: str) -> bool:
    """Whether a day field restricts the day, as robfig/cron (Kubernetes) reads it: a `*` item with a step
    of 1 sets its star bit, a step above 1 clears it."""
    return not any(item.split("/")[0] == "*" and item.partition("/")[2] in ("", "1") for item in field.split(","))


def cron_runs(schedule: str, timezone: str) -> set[datetime]:
    """The runs in (BASE, END) as cron reads `schedule`: day of month OR day of week when both are restricted."""
    minute, hour, dom, month, dow = schedule.split()
    minutes, hours = _values(minute, 0, 59, {}), _values(hour, 0, 23, {})
    days, months = _values(dom, 1, 31, {}), _values(month, 1, 12, _MONTHS)
    weekdays = {day % 7 for day in _values(dow, 0, 7, _DAYS)}
    zone = ZoneInfo(timezone)
    runs = set()
    day = BASE.date() - timedelta(days=1)
    while day <= END.date():
        cron_weekday = (day.weekday() + 1) % 7
        day_ok, weekday_ok = day.day in days, cron_weekday in weekdays
        matches = (day_ok or weekday_ok) if restricted(dom) and restricted(dow) else (day_ok and weekday_ok)
        if day.month in months and matches:
            for h in hours:
                for m in minutes:
                    moment = datetime(day.year, day.month, day.day, h, m, tzinfo=zone).astimezone(UTC)
                    if BASE < moment < END:  # systemd lists elapses after its base time
                        runs.add(moment)
        day += timedelta(days=1)
    return runs


def _transition_days(timezone: str) -> set[date]:
    """Local dates on which the zone's offset changes: cron implementations disagree about them."""
    zone = ZoneInfo(timezone)
    found = set()
    day = BASE.date() - timedelta(days=1)
    while day <= END.date():
        start = datetime(day.year, day.month, day.day, tzinfo=zone)
        if start.utcoffset() != (start + timedelta(hours=23, minutes=59)).utcoffset():
            found.add(day)
        day += timedelta(days=1)
    return found


def systemd_elapses(events: list[str], count: int) -> set[datetime]:
    analyze = require_tool("systemd-analyze", "apt-get install systemd")
    found = set()
    for event in events:
        done = subprocess.run(
            [analyze, "calendar", f"--iterations={count}", "--base-time=2027-01-01 00:00:00 UTC", event],
            env={"TZ": "UTC", "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        for stamp in re.findall(r"(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", done.stdout):
            moment = datetime.fromisoformat(stamp).replace(tzinfo=UTC)
            if moment < END:
                found.add(moment)
    return found


@pytest.mark.parametrize(("schedule", "timezone"), SCHEDULES)
def test_systemd_fires_when_cron_would_over_a_year(schedule, timezone):
    data = {
        "app": "shop",
        "image": "registry.example.com/acme/shop:2.1.0",
        "cron": {"job": {"schedule": schedule, "timezone": timezone, "command": ["true"]}},
    }
    timer = next(file for file in render_data(data, "quadlet").rendering.files if file.path.endswith(".timer"))
    events = [line.removeprefix("OnCalendar=") for line in timer.content.splitlines() if line.startswith("OnCalendar=")]
    expected = cron_runs(schedule, timezone)
    found = systemd_elapses(events, len(expected) + 1)
    skipped = _transition_days(timezone)
    zone = ZoneInfo(timezone)

    def steady(runs: set[datetime]) -> set[datetime]:
        return {run for run in runs if run.astimezone(zone).date() not in skipped}

    assert steady(found) == steady(expected)
    assert len(steady(expected)) > 0 or schedule == "0 0 29 2 *"
    # The day-of-month OR day-of-week rule needs two lines; otherwise one.
    assert len(events) == (2 if restricted(schedule.split()[2]) and restricted(schedule.split()[4]) else 1)
