"""The dates of a recurring schedule (reference §10.3): pure, no book."""

from __future__ import annotations

from datetime import date

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from expense_cli.domain.recurrence import Every, due, following, next_date, occurrences


def _dates(*isos: str) -> list[date]:
    return [date.fromisoformat(d) for d in isos]


def test_monthly_on_the_31st_clamps_and_never_drifts_in_a_leap_year() -> None:
    got = list(occurrences(Every.MONTH, 1, date(2024, 1, 31), date(2024, 6, 30)))
    assert got == _dates(
        "2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30"
    )


def test_monthly_on_the_31st_in_a_common_year() -> None:
    got = list(occurrences(Every.MONTH, 1, date(2025, 1, 31), date(2025, 3, 31)))
    assert got == _dates("2025-01-31", "2025-02-28", "2025-03-31")


@pytest.mark.parametrize(
    ("day", "february"), [(29, "2025-02-28"), (30, "2025-02-28"), (31, "2025-02-28")]
)
def test_days_29_to_31_clamp_in_february_and_come_back(day: int, february: str) -> None:
    got = list(occurrences(Every.MONTH, 1, date(2025, 1, day), date(2025, 3, 31)))
    assert got == [date(2025, 1, day), date.fromisoformat(february), date(2025, 3, day)]


def test_a_start_clamped_already_keeps_the_day_it_was_given() -> None:
    """A template dated Jan 31 starts on Feb 28 (one month later) and still means the 31st."""
    got = list(occurrences(Every.MONTH, 1, date(2025, 2, 28), date(2025, 5, 31), day=31))
    assert got == _dates("2025-02-28", "2025-03-31", "2025-04-30", "2025-05-31")


def test_yearly_on_february_29_clamps_in_common_years() -> None:
    got = list(occurrences(Every.YEAR, 1, date(2024, 2, 29), date(2028, 12, 31)))
    assert got == _dates("2024-02-29", "2025-02-28", "2026-02-28", "2027-02-28", "2028-02-29")


def test_interval_3_is_quarterly() -> None:
    got = list(occurrences(Every.MONTH, 3, date(2025, 1, 30), date(2025, 12, 31)))
    assert got == _dates("2025-01-30", "2025-04-30", "2025-07-30", "2025-10-30")


def test_until_is_inclusive_and_through_bounds_too() -> None:
    rule = (Every.WEEK, 2, date(2025, 1, 1))
    assert list(occurrences(*rule, date(2025, 12, 31), until=date(2025, 1, 29))) == _dates(
        "2025-01-01", "2025-01-15", "2025-01-29"
    )
    assert list(occurrences(*rule, date(2025, 1, 28))) == _dates("2025-01-01", "2025-01-15")
    assert list(occurrences(*rule, date(2024, 12, 31))) == []


def test_daily_runs_across_a_leap_day() -> None:
    got = list(occurrences(Every.DAY, 1, date(2024, 2, 28), date(2024, 3, 1)))
    assert got == _dates("2024-02-28", "2024-02-29", "2024-03-01")


@pytest.mark.parametrize(
    ("every", "interval", "anchor", "expected"),
    [
        (Every.MONTH, 1, "2025-01-31", "2025-02-28"),
        (Every.MONTH, 1, "2024-01-31", "2024-02-29"),
        (Every.MONTH, 3, "2025-11-30", "2026-02-28"),
        (Every.YEAR, 1, "2024-02-29", "2025-02-28"),
        (Every.WEEK, 2, "2025-12-25", "2026-01-08"),
        (Every.DAY, 10, "2025-02-25", "2025-03-07"),
    ],
)
def test_following_is_one_interval_later(
    every: Every, interval: int, anchor: str, expected: str
) -> None:
    assert following(every, interval, date.fromisoformat(anchor)) == date.fromisoformat(expected)


def test_following_past_the_last_date_is_none() -> None:
    assert following(Every.DAY, 1, date(2999, 12, 31)) is None


def test_due_leaves_out_keyed_dates_and_those_before_the_resume_day() -> None:
    got = due(
        Every.MONTH, 1, date(2025, 1, 15), date(2025, 6, 30), day=15, until=None,
        skip_before=date(2025, 3, 1), keyed={date(2025, 4, 15)},
    )  # fmt: skip
    assert got == _dates("2025-03-15", "2025-05-15", "2025-06-15")


def test_next_date_is_the_first_open_one_and_none_once_ended() -> None:
    rule = {"day": 10, "until": date(2025, 3, 10), "skip_before": None}
    start = date(2025, 1, 10)
    assert next_date(Every.MONTH, 1, start, **rule, keyed=set()) == start
    keyed = {date(2025, 1, 10), date(2025, 2, 10)}
    assert next_date(Every.MONTH, 1, start, **rule, keyed=keyed) == date(2025, 3, 10)
    assert next_date(Every.MONTH, 1, start, **rule, keyed=keyed | {date(2025, 3, 10)}) is None


@given(
    start=st.dates(min_value=date(1900, 1, 1), max_value=date(2900, 12, 31)),
    interval=st.integers(1, 24),
    count=st.integers(1, 40),
)
def test_monthly_equals_months_added_to_the_start(start: date, interval: int, count: int) -> None:
    """Property: the k-th occurrence is the start plus k×interval months, clamped (computed
    from the start each time, so it never drifts)."""
    through = start + relativedelta(months=interval * (count - 1))
    got = list(occurrences(Every.MONTH, interval, start, through))
    assert got == [start + relativedelta(months=interval * k) for k in range(count)]


@given(
    start=st.dates(min_value=date(1900, 1, 1), max_value=date(2900, 12, 31)),
    count=st.integers(1, 12),
)
def test_yearly_equals_years_added_to_the_start(start: date, count: int) -> None:
    through = start + relativedelta(years=count - 1)
    got = list(occurrences(Every.YEAR, 1, start, through))
    assert got == [start + relativedelta(years=k) for k in range(count)]
