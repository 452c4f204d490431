"""Dates and times as typed (rules 10, 11) and the UTC timestamps the book records (§1)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from expense_cli.domain.dates import DateOrder, format_timestamp, parse_date, parse_time
from expense_cli.domain.validation import InvalidValue

TODAY = date(2025, 6, 15)
ORDERS = list(DateOrder)


# --- YYYY-MM-DD -------------------------------------------------------------------------


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-05", date(2025, 3, 5)),
        ("2024-02-29", date(2024, 2, 29)),
        ("2025-12-31", date(2025, 12, 31)),
        ("1900-01-01", date(1900, 1, 1)),
        ("2999-12-31", date(2999, 12, 31)),
        ("  2025-03-05  ", date(2025, 3, 5)),
    ],
)
def test_iso_dates_mean_the_same_under_every_order(
    text: str, expected: date, order: DateOrder
) -> None:
    assert parse_date(text, order, TODAY) == (expected, None)


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    "text",
    [
        "2025-13-01",  # month 13: never reread as day-first
        "2025-00-10",
        "2025-02-29",  # not a leap year
        "1900-02-29",  # 1900 was not a leap year
        "2025-04-31",
        "2025-01-32",
        "2025-01-00",
        "2025-13-01T10:00",
    ],
)
def test_impossible_iso_dates_are_errors_under_every_order(text: str, order: DateOrder) -> None:
    with pytest.raises(InvalidValue):
        parse_date(text, order, TODAY)


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    "text",
    [
        "1899-12-31",
        "0001-01-01",
        "3000-01-01",
        "9999-12-31",
        "1899-12-31T12:00",
        "31 December 1899",
        "1 January 3000",
    ],
)
def test_dates_outside_1900_to_2999_are_errors(text: str, order: DateOrder) -> None:
    with pytest.raises(InvalidValue):
        parse_date(text, order, TODAY)


# --- ISO timestamps: date and HH:MM as written, no time-zone conversion -----------------


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-05T14:30", (date(2025, 3, 5), "14:30")),
        ("2025-03-05T14:30:59", (date(2025, 3, 5), "14:30")),
        ("2025-03-05 09:05:00", (date(2025, 3, 5), "09:05")),
        ("2025-03-05T23:59:59.123456", (date(2025, 3, 5), "23:59")),
        ("2025-03-05T10:00:00Z", (date(2025, 3, 5), "10:00")),
        # would be 2025-03-04T14:59Z in UTC: the written date and time stay
        ("2025-03-05T23:59:00+09:00", (date(2025, 3, 5), "23:59")),
        # would be 2025-03-06T05:30Z in UTC
        ("2025-03-05T23:30:00-06:00", (date(2025, 3, 5), "23:30")),
        ("2025-03-05T00:00:00+0530", (date(2025, 3, 5), "00:00")),
    ],
)
def test_iso_timestamps_keep_date_and_time_as_written(
    text: str, expected: tuple[date, str], order: DateOrder
) -> None:
    assert parse_date(text, order, TODAY) == expected


@pytest.mark.parametrize("text", ["2025-03-05T24:00", "2025-03-05T12:60", "2025-02-30T10:00"])
def test_iso_timestamps_with_impossible_parts_are_errors(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_date(text, DateOrder.YMD, TODAY)


# --- today / yesterday / tomorrow -------------------------------------------------------


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    ("text", "offset"),
    [("today", 0), ("yesterday", -1), ("tomorrow", 1), ("Today", 0), (" TOMORROW ", 1)],
)
def test_relative_words_count_from_the_given_today(
    text: str, offset: int, order: DateOrder
) -> None:
    assert parse_date(text, order, TODAY) == (TODAY + timedelta(days=offset), None)


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        (date(2025, 1, 1), "yesterday", date(2024, 12, 31)),
        (date(2024, 2, 28), "tomorrow", date(2024, 2, 29)),
        (date(2025, 2, 28), "tomorrow", date(2025, 3, 1)),
    ],
)
def test_relative_words_cross_month_and_year_boundaries(
    today: date, text: str, expected: date
) -> None:
    assert parse_date(text, DateOrder.YMD, today) == (expected, None)


def test_relative_words_that_leave_the_range_are_errors() -> None:
    with pytest.raises(InvalidValue):
        parse_date("tomorrow", DateOrder.YMD, date(2999, 12, 31))
    with pytest.raises(InvalidValue):
        parse_date("yesterday", DateOrder.YMD, date(1900, 1, 1))


# --- other dateutil forms: only with year, month and day --------------------------------


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 March 2025", date(2025, 3, 5)),
        ("March 5, 2025", date(2025, 3, 5)),
        ("Mar 5 2025", date(2025, 3, 5)),
        ("5-Mar-2025", date(2025, 3, 5)),
        ("2025/12/31", date(2025, 12, 31)),  # a four-digit first field is always y-m-d
        ("2025.03.05", date(2025, 3, 5)),
    ],
)
def test_unambiguous_written_dates_parse_under_every_order(
    text: str, expected: date, order: DateOrder
) -> None:
    assert parse_date(text, order, TODAY) == (expected, None)


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("03/04/2025", DateOrder.DMY, date(2025, 4, 3)),
        ("03/04/2025", DateOrder.MDY, date(2025, 3, 4)),
        ("13/04/2025", DateOrder.DMY, date(2025, 4, 13)),
        ("04/13/2025", DateOrder.MDY, date(2025, 4, 13)),
        ("3.4.25", DateOrder.DMY, date(2025, 4, 3)),
        ("31-12-1999", DateOrder.DMY, date(1999, 12, 31)),
    ],
)
def test_numeric_dates_read_by_the_date_order_alone(
    text: str, order: DateOrder, expected: date
) -> None:
    assert parse_date(text, order, TODAY) == (expected, None)


@pytest.mark.parametrize(
    ("text", "order"),
    [
        ("13/04/2025", DateOrder.MDY),  # never re-read day-first because 13 is no month
        ("13/04/2025", DateOrder.YMD),
        ("03/04/2025", DateOrder.YMD),
        ("04/13/2025", DateOrder.DMY),
        ("31/12/2025", DateOrder.MDY),
    ],
)
def test_a_numeric_date_that_does_not_fit_the_order_is_an_error(
    text: str, order: DateOrder
) -> None:
    with pytest.raises(InvalidValue, match="date_order"):
        parse_date(text, order, TODAY)


@pytest.mark.parametrize(
    ("order", "expected"),
    [(DateOrder.DMY, date(2025, 3, 5)), (DateOrder.MDY, date(2025, 5, 3))],
)
@pytest.mark.parametrize("text", ["05/03/2025", "05.03.2025", "5/3/2025"])
def test_ambiguous_day_month_follows_the_date_order(
    text: str, order: DateOrder, expected: date
) -> None:
    assert parse_date(text, order, TODAY) == (expected, None)


def test_written_date_with_time_fills_the_time() -> None:
    assert parse_date("March 5, 2025 10:30", DateOrder.YMD, TODAY) == (date(2025, 3, 5), "10:30")


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    "text",
    [
        "March",  # month only
        "5",  # day only
        "2025",  # year only
        "March 2025",  # no day
        "5 March",  # no year
        "March 5",
        "05/03",
        "10:30",  # a time, no date
        "Monday",
        "next-ish week",  # fuzzy parsing is off
        "next week",
        "on 5 March 2025 I think",
        "the 5th",
        "banana",
        "",
        "   ",
    ],
)
def test_incomplete_or_fuzzy_dates_are_errors(text: str, order: DateOrder) -> None:
    with pytest.raises(InvalidValue):
        parse_date(text, order, TODAY)


def test_nothing_is_filled_in_from_today() -> None:
    # the same partial input would resolve differently on other days if today leaked in
    for today in (date(2025, 1, 1), date(2030, 7, 20)):
        with pytest.raises(InvalidValue):
            parse_date("5 March", DateOrder.DMY, today)


# --- parse_time (rule 11) ---------------------------------------------------------------


@pytest.mark.parametrize("text", ["00:00", "09:05", "12:30", "13:00", "23:59"])
def test_parse_time_accepts_24_hour_hh_mm(text: str) -> None:
    assert parse_time(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "24:00",
        "23:60",
        "25:00",
        "99:99",
        "-1:00",
        "12",
        "1230",
        "12.30",
        "12-30",
        "12:3",
        "12:30 PM",
        "1:30pm",
        "noon",
        "",
        "١٢:٣٠",  # Arabic-Indic digits
    ],
)
def test_parse_time_rejects_anything_but_hh_mm(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_time(text)


# --- format_timestamp (§1 created_at/updated_at) ----------------------------------------


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2025, 3, 5, 14, 30, 0, tzinfo=UTC), "2025-03-05T14:30:00.000000Z"),
        (datetime(2025, 3, 5, 14, 30, 7, 123456, tzinfo=UTC), "2025-03-05T14:30:07.123456Z"),
        (datetime(2025, 3, 5, 14, 30, 0, 5, tzinfo=UTC), "2025-03-05T14:30:00.000005Z"),
        # other offsets are converted to UTC
        (
            datetime(2025, 3, 5, 1, 30, tzinfo=timezone(timedelta(hours=2))),
            "2025-03-04T23:30:00.000000Z",
        ),
        (
            datetime(2025, 12, 31, 20, 0, tzinfo=timezone(timedelta(hours=-5))),
            "2026-01-01T01:00:00.000000Z",
        ),
    ],
)
def test_format_timestamp_is_utc_with_microseconds_and_z(moment: datetime, text: str) -> None:
    assert format_timestamp(moment) == text


def test_format_timestamp_text_order_is_time_order() -> None:
    base = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)
    moments = [base + timedelta(microseconds=n) for n in (0, 1, 999_999, 1_000_000)]
    moments += [base + timedelta(hours=h) for h in (-13, 13)]
    texts = [format_timestamp(m) for m in moments]
    assert sorted(texts) == [format_timestamp(m) for m in sorted(moments)]
    assert len({len(t) for t in texts}) == 1
