"""The dates of a recurring schedule (reference §10.3), as pure functions over dateutil's
`rrule`: no I/O, no book.

Monthly and yearly schedules keep one day of the month, clamped to each month's last day
and never drifting (Jan 31 → Feb 28 or 29 → Mar 31): `BYMONTHDAY=(day, -1)` with
`BYSETPOS=1` takes, in each month, the earlier of that day and the month's last day, and a
month without the day has only its last day in the set.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from expense_cli.domain.dates import MAX_DATE

INTERVAL_MIN, INTERVAL_MAX = 1, 1000


class Every(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


def _rule(every: Every, interval: int, start: date, day: int, until: date) -> Any:
    from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule  # type: ignore[import-untyped]

    begin = datetime(start.year, start.month, start.day)
    end = datetime(until.year, until.month, until.day)
    if every is Every.DAY:
        return rrule(DAILY, interval=interval, dtstart=begin, until=end)
    if every is Every.WEEK:
        return rrule(WEEKLY, interval=interval, dtstart=begin, until=end)
    clamped: dict[str, Any] = {"bymonthday": (day, -1), "bysetpos": 1}
    if every is Every.MONTH:
        return rrule(MONTHLY, interval=interval, dtstart=begin, until=end, **clamped)
    return rrule(YEARLY, interval=interval, dtstart=begin, until=end, bymonth=start.month,
                 **clamped)  # fmt: skip


def occurrences(
    every: Every, interval: int, start: date, through: date, *, day: int | None = None,
    until: date | None = None,
) -> Iterator[date]:  # fmt: skip
    """Every scheduled date from `start` to the earlier of `through` and `until`, both
    inclusive. `day` is the day of the month a monthly or yearly schedule keeps (default
    `start`'s: a schedule that started on Feb 28 for the 31st passes `day=31`)."""
    last = min(through, until) if until is not None else through
    if last < start:
        return
    for moment in _rule(every, interval, start, day or start.day, last):
        yield moment.date()


def following(every: Every, interval: int, anchor: date) -> date | None:
    """The occurrence one interval after `anchor` (a schedule's default start), keeping
    `anchor`'s day of the month; None past the last date the book accepts."""
    for index, moment in enumerate(_rule(every, interval, anchor, anchor.day, MAX_DATE)):
        if index == 1:
            return moment.date()  # type: ignore[no-any-return]
    return None


def due(
    every: Every, interval: int, start: date, through: date, *, day: int,
    until: date | None, skip_before: date | None, keyed: Container[date],
) -> list[date]:  # fmt: skip
    """The occurrences to create by `through`: scheduled, not before `skip_before` (the
    resume day), and without a key yet (created, even if since deleted, or skipped)."""
    return [
        d
        for d in occurrences(every, interval, start, through, day=day, until=until)
        if (skip_before is None or d >= skip_before) and d not in keyed
    ]


def next_date(
    every: Every, interval: int, start: date, *, day: int, until: date | None,
    skip_before: date | None, keyed: Container[date],
) -> date | None:  # fmt: skip
    """The first occurrence not yet created or skipped; None once the schedule has ended."""
    for d in occurrences(every, interval, start, MAX_DATE, day=day, until=until):
        if (skip_before is None or d >= skip_before) and d not in keyed:
            return d
    return None
