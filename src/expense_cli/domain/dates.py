"""Dates and times as users type them (rule 10, 11) and the timestamps the book records."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from expense_cli.domain.validation import InvalidValue


class _Pattern:
    """A regular expression compiled on first use: `list` and `show` parse no date, and
    compiling these six at import cost ~1 ms of every command's start."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def _get(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(*self._args)
        return self._compiled

    def match(self, text: str) -> re.Match[str] | None:
        return self._get().match(text)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return self._get().fullmatch(text)


MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)
_ISO_DATE = _Pattern(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_ISO_TIMESTAMP = _Pattern(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::[0-9]{2}(?:[.,][0-9]+)?)?"
    r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?",
    re.ASCII | re.IGNORECASE,
)
_YEAR_MONTH_DAY = _Pattern(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", re.ASCII)
_TIME = _Pattern(r"([01][0-9]|2[0-3]):([0-5][0-9])", re.ASCII)
_YEAR_FIRST = _Pattern(r"[0-9]{4}(?:[^0-9]|$)", re.ASCII)
# 03/04/2025, 3.4.25, 2025/03/04 (optionally with a time): read by `date_order` alone.
_NUMERIC = _Pattern(
    r"([0-9]{1,4})([./-])([0-9]{1,2})\2([0-9]{1,4})(?:[ T]([0-9]{1,2}):([0-9]{2})(?::[0-9]{2})?)?",
    re.ASCII,
)
_ORDER_HINT = {"ymd": "YYYY/MM/DD", "dmy": "DD/MM/YYYY", "mdy": "MM/DD/YYYY"}
_RELATIVE = {"today": 0, "yesterday": -1, "tomorrow": 1}
# Two defaults that differ in every field: whatever dateutil fills in from a default shows
# up as a difference between the two parses, so nothing is silently taken from "today".
_DEFAULT_A = datetime(1901, 1, 1, 0, 0)
_DEFAULT_B = datetime(1902, 2, 2, 1, 1)


class DateOrder(StrEnum):
    YMD = "ymd"
    DMY = "dmy"
    MDY = "mdy"


def _in_range(value: date) -> date:
    if not MIN_DATE <= value <= MAX_DATE:
        raise InvalidValue(f"{value.isoformat()} is outside 1900-01-01 … 2999-12-31")
    return value


def _strict_iso(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(f"{text!r} is not a real calendar date") from None


def _dateutil(text: str, order: DateOrder) -> tuple[date, str | None]:
    from dateutil.parser import (  # type: ignore[import-untyped]  # ~50 ms: non-ISO only
        ParserError,
        parse,
    )

    if _YEAR_FIRST.match(text):
        order = DateOrder.YMD  # a leading 4-digit year reads year-month-day in every order
    kwargs = {"dayfirst": order is DateOrder.DMY, "yearfirst": order is DateOrder.YMD}
    try:
        # ignoretz: dates are taken as written, never converted between zones.
        first = parse(text, default=_DEFAULT_A, fuzzy=False, ignoretz=True, **kwargs)
        second = parse(text, default=_DEFAULT_B, fuzzy=False, ignoretz=True, **kwargs)
    except (ParserError, ValueError, OverflowError, TypeError):
        raise InvalidValue(
            f"{text!r} is not a date (use YYYY-MM-DD, today, yesterday or tomorrow)"
        ) from None
    if first.date() != second.date():
        raise InvalidValue(f"{text!r} does not give a year, month and day")
    given_time = (first.hour, first.minute) == (second.hour, second.minute)
    return first.date(), first.strftime("%H:%M") if given_time else None


def _year(field: str, today: date) -> int:
    """A two-digit year is the one nearest to today (as dateutil reads it)."""
    if len(field) > 2:
        return int(field)
    year = today.year // 100 * 100 + int(field)
    return min((year - 100, year, year + 100), key=lambda y: abs(y - today.year))


def _numeric(
    match: re.Match[str], text: str, order: DateOrder, today: date
) -> tuple[date, str | None]:
    """Exactly one reading per `date_order`; a four-digit first field is always y-m-d."""
    first, _, second, third, hour, minute = match.groups()
    if len(first) == 4 or order is DateOrder.YMD:
        year, month, day = first, second, third
    elif order is DateOrder.DMY:
        day, month, year = first, second, third
    else:
        month, day, year = first, second, third
    try:
        if len(first) != 4 and order is DateOrder.YMD:
            raise ValueError
        value = date(_year(year, today), int(month), int(day))
    except ValueError:
        raise InvalidValue(
            f"{text!r} is not a date in the book's date order {order.value} "
            f"({_ORDER_HINT[order.value]}); change it with "
            "`expense config date_order dmy|mdy|ymd`, or type YYYY-MM-DD"
        ) from None
    return _in_range(value), parse_time(f"{int(hour):02d}:{minute}") if hour else None


def parse_date(text: str, order: DateOrder, today: date) -> tuple[date, str | None]:
    """A typed date to `(date, time or None)`; the time comes only from a timestamp."""
    cleaned = text.strip()
    if not cleaned:
        raise InvalidValue("a date is required")
    if cleaned.lower() in _RELATIVE:
        return _in_range(today + timedelta(days=_RELATIVE[cleaned.lower()])), None
    if _ISO_DATE.fullmatch(cleaned):
        return _in_range(_strict_iso(cleaned)), None
    stamp = _ISO_TIMESTAMP.fullmatch(cleaned)
    if stamp:
        day = _strict_iso(stamp.group(1))
        hour, minute = stamp.group(2), stamp.group(3)
        return _in_range(day), parse_time(f"{hour}:{minute}")
    loose = _YEAR_MONTH_DAY.fullmatch(cleaned)
    if loose:  # 2025-3-4: year, month and day as written, never swapped by dateutil
        try:
            return _in_range(date(*map(int, loose.groups()))), None
        except ValueError:
            raise InvalidValue(f"{text!r} is not a real calendar date") from None
    if cleaned[:4].isdigit() and cleaned[4:5] == "-":
        # Looks like ISO but is not valid ISO: never let dateutil reinterpret it.
        raise InvalidValue(f"{text!r} is not a real calendar date (YYYY-MM-DD)")
    numeric = _NUMERIC.fullmatch(cleaned)
    if numeric:
        return _numeric(numeric, text, order, today)
    day, time = _dateutil(cleaned, order)
    return _in_range(day), time


def parse_time(text: str) -> str:
    """`HH:MM`, 24-hour, 00:00–23:59."""
    cleaned = text.strip()
    if not _TIME.fullmatch(cleaned):
        raise InvalidValue(f"{text!r} is not a time as HH:MM (24-hour, 00:00–23:59)")
    return cleaned


def utc_now() -> datetime:
    return datetime.now(UTC)


def local_day(moment: datetime) -> date:
    """The user's calendar day at `moment`; UTC when `TZ` names an offset Python cannot
    represent (`TZ=ABC+24`: a whole day or more), as reference §10.1 item 19 says of an odd `TZ`."""
    try:
        return moment.astimezone().date()
    except (ValueError, OverflowError, OSError):
        return moment.astimezone(UTC).date()


def local_today() -> date:
    return local_day(utc_now())


def format_timestamp(moment: datetime) -> str:
    """UTC ISO 8601 with microseconds and `Z`: fixed width, so text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    """A stored or imported timestamp back to an aware UTC datetime."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue(f"{text!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
