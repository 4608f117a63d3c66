"""Cron schedules as systemd calendar events (`OnCalendar=`).

systemd has no cron syntax. Each cron field is expanded to the values it matches (deploykit's
schedules are checked by spec/schedule.py, so every item is `*`, a number or name, a range, a list or
a step) and written back as systemd lists and ranges: `Mon..Fri *-*-1,15 03:17:00 Europe/Kyiv`.

Cron runs a job on a day that matches the day of month OR the day of week when both fields are
restricted; systemd requires both to match. Such a schedule becomes two `OnCalendar=` lines, one per
field, and the timer fires when either does. A field counts as unrestricted when one of its items is
`*` or `*/1`, as Kubernetes' cron library reads it (robfig/cron's parser.go: a step above 1 clears
the star bit, so `*/2` restricts the field).
"""

from __future__ import annotations

from deploykit.spec.schedule import FIELDS

_WEEKDAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


def expand(field: str, index: int) -> list[int]:
    """The values a (valid) cron field matches, sorted."""
    _, low, high, names = FIELDS[index]
    found: set[int] = set()
    for item in field.split(","):
        part, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if part == "*":
            start, end = low, high
        else:
            bounds = [int(value) if value.isdigit() else names[value.lower()] for value in part.split("-")]
            start, end = bounds[0], bounds[-1]
            if step_text and len(bounds) == 1:
                end = high  # `5/15` means from 5 to the end, every 15
        found.update(range(start, end + 1, step))
    return sorted(found)


def _runs(values: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for value in values:
        if runs and runs[-1][1] == value - 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


def _numbers(values: list[int], width: int) -> str:
    """`0,15,30,45`, `09..17`: a systemd list of values and ranges."""
    parts = []
    for start, end in _runs(values):
        if end - start >= 2:
            parts.append(f"{start:0{width}d}..{end:0{width}d}")
        else:
            parts += [f"{value:0{width}d}" for value in range(start, end + 1)]
    return ",".join(parts)


def _weekdays(values: list[int]) -> str:
    parts = []
    for start, end in _runs(values):
        if end - start >= 2:
            parts.append(f"{_WEEKDAYS[start]}..{_WEEKDAYS[end]}")
        else:
            parts += [_WEEKDAYS[value] for value in range(start, end + 1)]
    return ",".join(parts)


def _unrestricted(field: str) -> bool:
    return any(item in ("*", "*/1") for item in field.split(","))


def on_calendar(schedule: str, timezone: str) -> list[str]:
    """The `OnCalendar=` values that fire exactly when cron would run `schedule` in `timezone`."""
    fields = schedule.split()
    minute, hour, day, month, weekday = (expand(field, index) for index, field in enumerate(fields))
    time = ":".join("*" if fields[index] == "*" else _numbers(values, 2) for index, values in ((1, hour), (0, minute)))
    time += ":00"
    months = "*" if fields[3] == "*" else _numbers(month, 2)
    days = "*" if _unrestricted(fields[2]) else _numbers(day, 2)
    every_day = f"*-{months}-*"
    if not _unrestricted(fields[2]) and not _unrestricted(fields[4]):
        lines = [f"*-{months}-{days} {time}", f"{_weekdays(weekday)} {every_day} {time}"]
    elif not _unrestricted(fields[4]):
        lines = [f"{_weekdays(weekday)} {every_day} {time}"]
    else:
        lines = [f"*-{months}-{days} {time}"]
    return [f"{line} {timezone}" for line in lines]
