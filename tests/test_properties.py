"""Property tests (hypothesis) of the pure rules: amounts (rule 2), dates (rule 10) and
tags (rule 12), against oracles written from docs/reference.md rather than from the code."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expense_cli.domain.dates import DateOrder, parse_date
from expense_cli.domain.money import format_minor, parse_amount
from expense_cli.domain.text import apply_tag_edits, normalize_tags, tag
from expense_cli.domain.validation import InvalidValue, Issues

# conftest's autouse fixture gives each test a temp book; these tests never touch it.
PROPERTY = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# --- amounts ----------------------------------------------------------------------------

# Rule 2, verbatim: after trimming surrounding spaces, the ASCII pattern must match whole.
AMOUNT_PATTERN = re.compile(r"[0-9]{1,12}(\.[0-9]+)?", re.ASCII)
digits_st = st.integers(min_value=0, max_value=4)


def spec_accepts(text: str, digits: int) -> bool:
    match = AMOUNT_PATTERN.fullmatch(text.strip(" "))
    return match is not None and len((match.group(1) or ".")[1:]) <= digits


@st.composite
def valid_amounts(draw: st.DrawFn) -> tuple[str, int]:
    digits = draw(digits_st)
    whole = draw(st.text(alphabet="0123456789", min_size=1, max_size=12))
    places = draw(st.integers(min_value=0, max_value=digits))
    fraction = draw(st.text(alphabet="0123456789", min_size=places, max_size=places))
    pad = draw(st.sampled_from(["", " ", "  "]))
    text = f"{pad}{whole}.{fraction}{pad}" if fraction else f"{pad}{whole}{pad}"
    return text, digits


@given(valid_amounts())
@PROPERTY
def test_amount_parse_format_parse_round_trips(case: tuple[str, int]) -> None:
    text, digits = case
    minor = parse_amount(text, digits)
    assert Decimal(minor).scaleb(-digits) == Decimal(text.strip(" "))
    printed = format_minor(minor, digits)
    assert parse_amount(printed, digits) == minor
    assert len(printed.partition(".")[2]) == digits
    assert format_minor(parse_amount(printed, digits), digits) == printed


@given(st.integers(min_value=0, max_value=10**12 - 1), digits_st, st.data())
@PROPERTY
def test_minor_units_format_then_parse_round_trips(
    whole: int, digits: int, data: st.DataObject
) -> None:
    minor = whole * 10**digits + data.draw(st.integers(min_value=0, max_value=10**digits - 1))
    assert parse_amount(format_minor(minor, digits), digits) == minor


AMOUNT_PIECES = [
    *"0123456789",
    ".", "-", "+", "_", ",", " ", "e", "E", "$", "€", "\t", "\n", "\u00a0",
    "٥", "１", "NaN", "inf", "Infinity", "0x", "000", "9999999",
]  # fmt: skip
amount_like = st.lists(st.sampled_from(AMOUNT_PIECES), max_size=10).map("".join)
any_text = st.text(max_size=20)


@given(st.one_of(amount_like, any_text), digits_st)
@PROPERTY
def test_amount_parser_accepts_exactly_what_rule_2_allows(text: str, digits: int) -> None:
    if spec_accepts(text, digits):
        minor = parse_amount(text, digits)
        assert Decimal(minor).scaleb(-digits) == Decimal(text.strip(" "))
    else:
        with pytest.raises(InvalidValue):
            parse_amount(text, digits)


@given(st.one_of(amount_like, any_text), digits_st)
@PROPERTY
def test_rejected_amounts_are_named_under_the_amount_field(text: str, digits: int) -> None:
    issues = Issues()
    result = issues.check("amount", parse_amount, text, digits)
    if spec_accepts(text, digits):
        assert result is not None
        assert not issues
    else:
        assert result is None
        assert set(issues.fields) == {"amount"}
        assert issues.fields["amount"]


@given(
    st.text(alphabet="0123456789", min_size=1, max_size=12),
    digits_st,
    st.integers(min_value=1, max_value=4),
)
@PROPERTY
def test_more_fraction_digits_than_the_currency_are_never_rounded(
    whole: str, digits: int, extra: int
) -> None:
    with pytest.raises(InvalidValue):
        parse_amount(f"{whole}.{'0' * (digits + extra)}", digits)


# --- dates ------------------------------------------------------------------------------

in_range = st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31))
orders = st.sampled_from(list(DateOrder))


@given(in_range, orders, in_range)
@PROPERTY
def test_iso_dates_round_trip_under_every_order(day: date, order: DateOrder, today: date) -> None:
    assert parse_date(day.isoformat(), order, today) == (day, None)


@given(
    st.one_of(
        st.dates(min_value=date(1000, 1, 1), max_value=date(1899, 12, 31)),
        st.dates(min_value=date(3000, 1, 1), max_value=date(9999, 12, 31)),
    ),
    orders,
)
@PROPERTY
def test_iso_dates_outside_the_range_are_rejected(day: date, order: DateOrder) -> None:
    with pytest.raises(InvalidValue):
        parse_date(day.isoformat(), order, date(2025, 6, 15))


@given(
    in_range,
    st.integers(min_value=0, max_value=23),
    st.integers(min_value=0, max_value=59),
    st.sampled_from(["", ":00", ":59.5", ":07.123456"]),
    st.sampled_from(["", "Z", "+00:00", "+09:00", "-06:00", "+0530", "-12:00", "+14:00"]),
    orders,
)
@PROPERTY
def test_iso_timestamps_keep_date_and_time_as_written(
    day: date, hour: int, minute: int, seconds: str, offset: str, order: DateOrder
) -> None:
    text = f"{day.isoformat()}T{hour:02d}:{minute:02d}{seconds}{offset}"
    assert parse_date(text, order, date(2025, 6, 15)) == (day, f"{hour:02d}:{minute:02d}")


# --- tags -------------------------------------------------------------------------------

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
tag_chars = st.characters(  # no controls (rule 17), no invisible characters (§10.1 item 24)
    blacklist_categories=("Cc", "Cs", "Cf", "Zl", "Zp"),
    blacklist_characters=",;" + BIDI,
)
raw_tags = st.text(alphabet=tag_chars, min_size=1, max_size=55).filter(
    lambda t: 0 < len(" ".join(t.split())) <= 50
)
# A narrow alphabet makes case-insensitive duplicates likely.
near_duplicates = st.text(alphabet="aAbB  ", min_size=1, max_size=4).filter(
    lambda t: t.strip() != ""
)
tag_lists = st.lists(st.one_of(raw_tags, near_duplicates), max_size=10)
small_tag_lists = st.lists(st.one_of(raw_tags, near_duplicates), max_size=4)


def collapse(value: str) -> str:
    return " ".join(value.split())


@given(tag_lists)
@PROPERTY
def test_normalize_tags_properties(values: list[str]) -> None:
    result = normalize_tags(values)
    keys = [t.casefold() for t in result]
    assert normalize_tags(result) == result  # idempotent
    assert normalize_tags(list(result)[::-1]) == result  # order of a clean set is irrelevant
    assert keys == sorted(keys)  # sorted case-insensitively
    assert len(set(keys)) == len(keys)  # no case-insensitive duplicates
    assert all(tag(t) == t for t in result)  # each is a clean tag
    # the same set of tags as given, each spelt as first given
    assert set(keys) == {collapse(v).casefold() for v in values}
    for value in result:
        first = next(collapse(v) for v in values if collapse(v).casefold() == value.casefold())
        assert value == first


def ascii_swapcase(value: str) -> str:
    return "".join(c.swapcase() if c.isascii() else c for c in value)


@given(small_tag_lists, st.one_of(st.none(), small_tag_lists), small_tag_lists, st.data())
@PROPERTY
def test_apply_tag_edits_replaces_then_adds_then_removes(
    current: list[str],
    replace: list[str] | None,
    add: list[str],
    data: st.DataObject,
) -> None:
    current_set = normalize_tags(current)
    base = list(current_set) if replace is None else replace
    # remove some of what is there (in another case) and some tags that may not be
    hits = data.draw(st.lists(st.sampled_from([*current_set, *base, *add] or ["x"]), max_size=3))
    remove = [ascii_swapcase(t) for t in hits] + data.draw(small_tag_lists)
    result = apply_tag_edits(current_set, replace, add, remove)
    kept = {collapse(v).casefold() for v in [*base, *add]}
    removed = {collapse(v).casefold() for v in remove}
    assert {t.casefold() for t in result} == kept - removed
    assert [t.casefold() for t in result] == sorted(t.casefold() for t in result)
    assert set(result) <= {collapse(v) for v in [*base, *add]}


@st.composite
def invalid_tags(draw: st.DrawFn) -> str:
    valid = draw(raw_tags)
    kind = draw(st.sampled_from(["separator", "control", "bidi", "long", "blank"]))
    if kind == "long":
        return draw(st.text(alphabet="abcXYZ", min_size=51, max_size=80))
    if kind == "blank":
        return draw(st.text(alphabet=" \u00a0\u3000", max_size=5))
    bad = {
        "separator": st.sampled_from(",;"),
        "control": st.characters(whitelist_categories=("Cc",)),
        "bidi": st.sampled_from(BIDI),
    }[kind]
    at = draw(st.integers(min_value=0, max_value=len(valid)))
    return valid[:at] + draw(bad) + valid[at:]


@given(invalid_tags())
@PROPERTY
def test_invalid_tags_are_rejected(value: str) -> None:
    with pytest.raises(InvalidValue):
        tag(value)
    with pytest.raises(InvalidValue):
        normalize_tags(["ok", value])
