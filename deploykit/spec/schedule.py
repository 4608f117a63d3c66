"""Cron schedules and time zones, as every target reads them.

A schedule is the five standard fields, `minute hour day-of-month month day-of-week`, which Kubernetes
CronJobs, Nomad's periodic jobs and the Compose scheduler (yacron) all read the same way. Anything
else is refused: a sixth field means seconds to Nomad but a year to yacron, `@every 5m` exists only in
some schedulers, and macros such as `@daily` are spelled out instead so the output says what it does.
"""

from __future__ import annotations

import re
from functools import cache

# (name, lowest, highest, names the field accepts for numbers)
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    (
        "month",
        1,
        12,
        {
            name: number
            for number, name in enumerate(
                ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
            )
        },
    ),
    # 7 is Sunday as well as 0, as every cron reads it.
    (
        "day of week",
        0,
        7,
        {name: number for number, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
    ),
)
# Cron's macros as the five fields they stand for.
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_ITEM = re.compile(r"^(?P<range>\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:/(?P<step>[0-9]+))?$")


def check_schedule(text: str) -> str:
    """`text` if it is a valid five-field cron schedule, else a ValueError that says how to write it."""
    stripped = text.strip()
    if stripped in MACROS:
        raise ValueError(f"write {stripped} as its five fields, {MACROS[stripped]!r}, which every target reads alike")
    if stripped.startswith("@"):
        raise ValueError(
            f"{text!r} is not a cron schedule; write the five fields minute hour day-of-month month day-of-week, e.g. '*/5 * * * *'"
        )
    fields = text.split()
    if len(fields) != 5 or text != " ".join(fields):
        raise ValueError(
            f"{text!r} has {len(fields)} fields; write the five standard ones, minute hour day-of-month month "
            "day-of-week, separated by single spaces (a sixth field means seconds to some schedulers and a year to others)"
        )
    for field, (name, low, high, names) in zip(fields, _FIELDS, strict=True):
        for item in field.split(","):
            _check_item(item, name, low, high, names, text)
    return text


def _check_item(item: str, name: str, low: int, high: int, names: dict[str, int], text: str) -> None:
    match = _ITEM.fullmatch(item)
    problem = f"{text!r}: {item!r} is not a valid {name} (use *, a number from {low} to {high}, a range a-b, a list a,b, or a step */n)"
    if match is None:
        raise ValueError(problem)
    if match.group("step") is not None and int(match.group("step")) < 1:
        raise ValueError(problem)
    if match.group("range") == "*":
        return
    bounds = [_value(part, names) for part in match.group("range").split("-")]
    numbers = [value for value in bounds if value is not None]
    if len(numbers) != len(bounds) or any(not low <= value <= high for value in numbers) or numbers != sorted(numbers):
        raise ValueError(problem)


def _value(part: str, names: dict[str, int]) -> int | None:
    if part.isdigit():
        return int(part)
    return names.get(part.lower())


@cache
def _time_zones() -> frozenset[str]:
    import zoneinfo  # the IANA database: Debian's tzdata, or the tzdata package

    return frozenset(zoneinfo.available_timezones())


def check_time_zone(name: str) -> str:
    """`name` if it is an IANA time zone (Europe/Kyiv, UTC), which every target's scheduler loads."""
    if name not in _time_zones():
        raise ValueError(f"{name!r} is not an IANA time zone name such as UTC, Europe/Kyiv or America/New_York")
    return name
