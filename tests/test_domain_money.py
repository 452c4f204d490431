"""Money rules (reference §1 `amount`, rules 2, 3, 18): typed amounts to integer minor units,
ISO 4217 minor digits, units × unit price rounded half-even, exact decimal output."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expense_cli.domain.money import (
    currency_digits,
    format_decimal,
    format_minor,
    parse_amount,
    parse_unit_price,
    parse_units,
    units_amount,
)
from expense_cli.domain.validation import InvalidValue

USD, JPY, BHD, CLF = 2, 0, 3, 4


# --- currency_digits --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "digits"),
    [("JPY", 0), ("USD", 2), ("EUR", 2), ("GBP", 2), ("BHD", 3), ("KWD", 3), ("CLF", 4)],
)
def test_currency_digits_follow_iso_4217(code: str, digits: int) -> None:
    assert currency_digits(code) == digits


@pytest.mark.parametrize("code", ["ZZZ", "ABC", "US", "USDD", "", "U$D", "123", "€"])
def test_currency_digits_reject_unknown_codes(code: str) -> None:
    with pytest.raises(InvalidValue):
        currency_digits(code)


# --- parse_amount: accepted -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "digits", "minor"),
    [
        ("45.10", USD, 4510),
        ("45.1", USD, 4510),
        ("45", USD, 4500),
        ("0", USD, 0),
        ("0.00", USD, 0),
        ("0.01", USD, 1),
        ("200.00", USD, 20000),
        ("007", USD, 700),
        ("1500", JPY, 1500),
        ("0", JPY, 0),
        ("1.234", BHD, 1234),
        ("1.2", BHD, 1200),
        ("1.2345", CLF, 12345),
        ("999999999999", JPY, 999_999_999_999),
        ("999999999999.99", USD, 99_999_999_999_999),
        ("  45.10  ", USD, 4510),
        (" 1500", JPY, 1500),
    ],
)
def test_parse_amount_accepts_plain_decimals(text: str, digits: int, minor: int) -> None:
    assert parse_amount(text, digits) == minor


def test_parse_amount_returns_an_int_never_a_float() -> None:
    assert type(parse_amount("0.10", USD)) is int


# --- parse_amount: rejected -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "-5",
        "-0",
        "-5.00",
        "+5",
        ".5",
        "5.",
        "1_000",
        "1,000",
        "1,5",
        "1 000",
        "٥",  # Arabic-Indic five
        "٥.٠٠",
        "１２",  # fullwidth digits
        "५",  # Devanagari five
        "1e3",
        "1E3",
        "1e-2",
        "NaN",
        "nan",
        "inf",
        "-inf",
        "Infinity",
        "$5",
        "5$",
        "€5",
        "5 USD",
        "USD 5",
        "0x10",
        "5..0",
        "5.0.0",
        "",
        " ",
        "abc",
        "1234567890123",  # 13 digits before the point
        "5\n",
        "\u00a05",
    ],
)
def test_parse_amount_rejects_everything_but_plain_decimals(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_amount(text, USD)


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("4.500", USD),
        ("4.001", USD),
        ("0.000", USD),
        ("1500.0", JPY),
        ("1500.00", JPY),
        ("1.2345", BHD),
        ("1.23456", CLF),
    ],
)
def test_parse_amount_rejects_more_fraction_digits_than_the_currency_has(
    text: str, digits: int
) -> None:
    with pytest.raises(InvalidValue):
        parse_amount(text, digits)


# --- format_minor -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "digits", "text"),
    [
        (4510, USD, "45.10"),
        (20000, USD, "200.00"),
        (5, USD, "0.05"),
        (0, USD, "0.00"),
        (100, USD, "1.00"),
        (1500, JPY, "1500"),
        (0, JPY, "0"),
        (1234, BHD, "1.234"),
        (1, BHD, "0.001"),
        (12345, CLF, "1.2345"),
        (99_999_999_999_999, USD, "999999999999.99"),
    ],
)
def test_format_minor_prints_exactly_the_currency_minor_digits(
    minor: int, digits: int, text: str
) -> None:
    assert format_minor(minor, digits) == text


@pytest.mark.parametrize(
    ("text", "digits"),
    [("45.1", USD), ("0", USD), ("7", BHD), ("1500", JPY), ("0.5", CLF)],
)
def test_format_minor_pads_what_parse_amount_read(text: str, digits: int) -> None:
    printed = format_minor(parse_amount(text, digits), digits)
    assert Decimal(printed) == Decimal(text)
    fraction = printed.partition(".")[2]
    assert len(fraction) == digits


# --- parse_units / parse_unit_price -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", Decimal(3)),
        ("120", Decimal(120)),
        ("0.5", Decimal("0.5")),
        ("1.2345", Decimal("1.2345")),
        ("0.0001", Decimal("0.0001")),
        (" 2.5 ", Decimal("2.5")),
    ],
)
def test_parse_units_accepts_positive_decimals_up_to_4_places(text: str, value: Decimal) -> None:
    assert parse_units(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "0.0",
        "0.0000",
        "-1",
        "+1",
        ".5",
        "5.",
        "1.23456",
        "0.00001",
        "1e2",
        "NaN",
        "inf",
        "Infinity",
        "٥",
        "1,5",
        "",
        "abc",
    ],
)
def test_parse_units_rejects_zero_negatives_and_more_than_4_places(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_units(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [("0.58", Decimal("0.58")), ("12", Decimal(12)), ("0.000001", Decimal("0.000001"))],
)
def test_parse_unit_price_accepts_positive_decimals(text: str, value: Decimal) -> None:
    assert parse_unit_price(text) == value


@pytest.mark.parametrize("text", ["0", "0.00", "-0.58", "+1", "1e1", "NaN", "inf", "$1", ""])
def test_parse_unit_price_rejects_non_positive_or_non_plain_values(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_unit_price(text)


# --- units_amount (rule 18: half-even to the currency's minor digits) -------------------


@pytest.mark.parametrize(
    ("units", "unit_price", "digits", "minor"),
    [
        ("120", "0.58", USD, 6960),
        ("3", "12.5", USD, 3750),
        # exact ties round to the even neighbour
        ("0.5", "0.01", USD, 0),  # 0.005 → 0.00
        ("1.5", "0.01", USD, 2),  # 0.015 → 0.02
        ("2.5", "0.01", USD, 2),  # 0.025 → 0.02
        ("3.5", "0.01", USD, 4),  # 0.035 → 0.04
        ("1", "0.125", USD, 12),  # 0.125 → 0.12
        ("1", "0.135", USD, 14),  # 0.135 → 0.14
        ("2.5", "1", JPY, 2),  # 2.5 → 2
        ("3.5", "1", JPY, 4),  # 3.5 → 4
        ("0.5", "0.001", BHD, 0),  # 0.0005 → 0.000
        ("1.5", "0.001", BHD, 2),  # 0.0015 → 0.002
        # not ties: nearest
        ("1", "0.0051", USD, 1),
        ("1", "0.0049", USD, 0),
        ("1.0001", "0.333333", USD, 33),
        ("0.3333", "3", USD, 100),
    ],
)
def test_units_amount_rounds_half_even_to_minor_digits(
    units: str, unit_price: str, digits: int, minor: int
) -> None:
    assert units_amount(Decimal(units), Decimal(unit_price), digits) == minor


def test_units_amount_binary_float_rounding_does_not_leak_in() -> None:
    # 1.005 is 1.00499999… as a float; exact decimal arithmetic sees the tie and rounds to even.
    assert units_amount(Decimal("1.005"), Decimal(1), USD) == 100
    assert units_amount(Decimal("1.015"), Decimal(1), USD) == 102


def test_units_amount_beyond_12_whole_digits_is_rejected() -> None:
    with pytest.raises(InvalidValue):
        units_amount(Decimal("999999999999"), Decimal(10), USD)


# --- format_decimal ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal(120), "120"),
        (Decimal("120.0000"), "120"),
        (Decimal("1.2E+2"), "120"),
        (Decimal("0.58"), "0.58"),
        (Decimal("0.580000"), "0.58"),
        (Decimal("1.5"), "1.5"),
        (Decimal("0.0001"), "0.0001"),
        (Decimal("0.000001"), "0.000001"),
        (Decimal("100"), "100"),
        (Decimal("1000000"), "1000000"),
    ],
)
def test_format_decimal_prints_without_trailing_zeros_or_exponents(
    value: Decimal, text: str
) -> None:
    assert format_decimal(value) == text


@given(st.integers(-(10**20), 10**20), st.integers(1, 10**12))
def test_divide_half_even_is_rounding_the_exact_fraction(numerator: int, denominator: int) -> None:
    from fractions import Fraction

    from expense_cli.domain.money import divide_half_even

    assert divide_half_even(numerator, denominator) == round(Fraction(numerator, denominator))
