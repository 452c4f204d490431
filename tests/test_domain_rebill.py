"""Rebill amounts and markups as pure rules (reference §10.5): half-even to the currency's
minor digits (USD 2, JPY 0, BHD 3), integer-exact, markup 0–1000 with 2 decimals."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expense_cli.domain.money import parse_markup, rebill_minor
from expense_cli.domain.validation import InvalidValue


@pytest.mark.parametrize(
    ("minor", "markup_bp", "expected"),
    [
        (4510, 1250, 5074),  # USD 45.10 × 1.125 = 50.7375 → 50.74
        (10005, 1250, 11256),  # 112.55625 → 112.56
        (5, 5000, 8),  # JPY 5 × 1.5 = 7.5 → 8 (to even)
        (15, 5000, 22),  # JPY 15 × 1.5 = 22.5 → 22 (to even)
        (1, 5000, 2),  # 1.5 → 2
        (1005, 5000, 1508),  # BHD 1.005 × 1.5 = 1.5075 → 1.508 (to even)
        (1003, 5000, 1504),  # BHD 1.5045 → 1.504 (to even)
        (1234, 0, 1234),  # no markup: the amount
        (0, 100_000, 0),
        (999_999_999_999_99, 100_000, 10_999_999_999_999_89),  # 1000 % of the largest
    ],
)
def test_rebill_rounds_half_even_in_minor_units(minor: int, markup_bp: int, expected: int) -> None:
    assert rebill_minor(minor, markup_bp) == expected


@given(st.integers(0, 10**16), st.integers(0, 100_000))
def test_rebill_is_the_decimal_product_rounded_half_even(minor: int, markup_bp: int) -> None:
    exact = Decimal(minor) * (Decimal(10_000 + markup_bp) / Decimal(10_000))
    assert rebill_minor(minor, markup_bp) == int(exact.quantize(Decimal(1), ROUND_HALF_EVEN))


@pytest.mark.parametrize(
    ("text", "basis_points"),
    [("0", 0), ("12.5", 1250), ("12.50", 1250), ("1000", 100_000), ("0.01", 1), (" 7 ", 700)],
)
def test_markups_read_as_hundredths_of_a_percent(text: str, basis_points: int) -> None:
    assert parse_markup(text) == basis_points


@pytest.mark.parametrize(
    "text", ["12.345", "-5", "+5", "1000.01", "1e2", "", "NaN", "5%", "١٢", "1,5", ".5"]
)
def test_bad_markups_are_rejected(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_markup(text)
