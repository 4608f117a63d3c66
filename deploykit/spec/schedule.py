"""Cron schedules and time zones, as every target reads them.

A schedule is the five standard fields, `minute hour day-of-month month day-of-week`, which Kubernetes
CronJobs, Nomad's periodic jobs and the Compose scheduler (yacron) all read the same way. Anything
else is refused: a sixth field means seconds to Nomad but a year to yacron, `@every 5m` exists only in
some schedulers, and macros such as `@daily` are spelled out instead so the output says what it does.
"""

from __future__ import annotations

import re
from functools import cache

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
# (name, lowest, highest, names the field accepts for numbers). Day-of-week stops at 6: Kubernetes' parser
# (robfig/cron v3 `dow` bounds 0-6) refuses 7, which yacron and Nomad read as Sunday.
FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {name: number for number, name in enumerate(_MONTHS, 1)}),
    ("day of week", 0, 6, {name: number for number, name in enumerate(_DAYS)}),
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
# Numbers of one or two digits (Nomad's cronexpr matches `0?[0-9]|[1-5][0-9]` and the like) and the
# three-letter names every parser knows, in any case; Nomad alone also reads `monday`, `L`, `W` and `#`.
_ITEM = re.compile(
    r"^(?P<range>\*|(?:[0-9]{1,2}|[A-Za-z]{3})(?:-(?:[0-9]{1,2}|[A-Za-z]{3}))?)(?:/(?P<step>[0-9]{1,2}))?$"
)


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
    for field, (name, low, high, names) in zip(fields, FIELDS, strict=True):
        for item in field.split(","):
            _check_item(item, name, low, high, names, text)
    return text


def _check_item(item: str, name: str, low: int, high: int, names: dict[str, int], text: str) -> None:
    match = _ITEM.fullmatch(item)
    problem = f"{text!r}: {item!r} is not a valid {name} (use *, a number from {low} to {high}, a range a-b, a list a,b, or a step */n)"
    if match is None:
        raise ValueError(problem)
    if match.group("range") == "*":
        first, last = low, high
    else:
        bounds = [_value(part, names) for part in match.group("range").split("-")]
        numbers = [value for value in bounds if value is not None]
        if name == "day of week" and 7 in numbers:
            raise ValueError(
                f"{text!r}: {item!r}: write Sunday as 0 (or sun): Kubernetes reads days of the week 0 to 6 only"
            )
        if (
            len(numbers) != len(bounds)
            or any(not low <= value <= high for value in numbers)
            or numbers != sorted(numbers)
        ):
            raise ValueError(problem)
        first, last = numbers[0], numbers[-1]
        if len(numbers) == 1 and match.group("step") is not None:
            last = high  # `5/15` runs from 5 to the field's end, as every parser reads it
    if match.group("step") is not None:
        step = int(match.group("step"))
        if not 1 <= step <= _largest_step(first, last, high):
            raise ValueError(
                f"{text!r}: {item!r}: a step must be from 1 to {_largest_step(first, last, high)} here, "
                f"so that every target's scheduler accepts it (yacron refuses the whole file otherwise)"
            )


def _largest_step(first: int, last: int, high: int) -> int:
    """The largest step each target's scheduler accepts from `first` to `last` of a field ending at `high`.

    yacron (parse-crontab, not looping) needs first + step to stay in the field (day of week: up to 7,
    Sunday again), Nomad (cronexpr) a step no larger than the field's highest value, and robfig/cron
    (Kubernetes; its current source) refuses a step larger than the range it divides. Measured on the real
    yacron: `*/60` and `0-59/100` make it refuse its whole configuration; `*/59` does not.
    """
    yacron_end = 7 if high == 6 else high
    return min(yacron_end - first, high, last - first + 1)


def _value(part: str, names: dict[str, int]) -> int | None:
    if part.isdigit():
        return int(part)
    return names.get(part.lower())


@cache
def _time_zones() -> frozenset[str]:
    import zoneinfo  # the IANA database: Debian's tzdata, or the tzdata package

    return frozenset(zoneinfo.available_timezones())


# Names the IANA database installs that are not time zones: `Factory` (a placeholder zone), `localtime`
# and `posixrules` (copies of some other zone), `Local` (Go's name for the host's zone, which Kubernetes
# refuses). yacron (pytz) refuses each, so it refuses its whole configuration and no job runs.
_NOT_TIME_ZONES = frozenset({"Factory", "localtime", "posixrules", "Local"})


def check_time_zone(name: str) -> str:
    """`name` if it is an IANA time zone (Europe/Kyiv, UTC), which every target's scheduler loads."""
    if name in _NOT_TIME_ZONES or name.startswith(("posix/", "right/")) or name not in _time_zones():
        raise ValueError(f"{name!r} is not an IANA time zone name such as UTC, Europe/Kyiv or America/New_York")
    return name
