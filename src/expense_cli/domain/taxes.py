"""Tax and foreign amounts (reference §10.6, §10.7): pure rules, exact arithmetic.

Rates are exact decimals; every figure is computed with `Fraction` and rounded half-even
once, to the currency's minor digits (Python's `round` of a `Fraction` is half-even).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING

from expense_cli.domain.money import divide_half_even
from expense_cli.domain.validation import InvalidValue

if TYPE_CHECKING:
    from fractions import Fraction  # imported where used: not on the list/show path

_RATE = re.compile(r"([0-9]{1,3})(?:\.([0-9]{1,2}))?", re.ASCII)
_EXCHANGE_RATE = re.compile(r"([0-9]{1,12})(?:\.([0-9]{1,18}))?", re.ASCII)


def half_even(value: Fraction) -> int:
    """The nearest integer, ties to even (banker's rounding), exactly."""
    return round(value)


def parse_tax_rate(text: str) -> Decimal:
    """`--tax RATE[%]`: 0–100 with at most 2 decimals, an optional trailing `%`."""
    raw = text.strip(" ")
    typed = raw[:-1].rstrip(" ") if raw.endswith("%") else raw
    match = _RATE.fullmatch(typed)
    if match is None:
        raise InvalidValue(f"{text!r} is not a tax rate (a percentage 0–100, like 19 or 7.5%)")
    rate = Decimal(typed)
    if rate > 100:
        raise InvalidValue(f"{text!r} is above 100%")
    return rate


def format_rate(rate: Decimal) -> str:
    """A rate without trailing zeros (`"19"`, `"7.5"`, `"0"`)."""
    text = format(rate.normalize(), "f")
    return "0" if Decimal(text) == 0 else text


def tax_of(amount_minor: int, rate: Decimal) -> int:
    """The tax inside a gross amount: amount × rate / (100 + rate), half-even, minor units.
    With rate = p/q exactly: amount × p / (100q + p), divided in integers (an import
    computes it for every row; `Fraction` takes ten times as long for the same result)."""
    p, q = rate.as_integer_ratio()
    return divide_half_even(amount_minor * p, 100 * q + p)


def parse_exchange_rate(text: str) -> Decimal:
    """A rate of exchange: a plain positive decimal (> 0), kept exact."""
    match = _EXCHANGE_RATE.fullmatch(text.strip(" "))
    if match is None:
        raise InvalidValue(f"{text!r} is not a plain positive decimal rate")
    value = Decimal(text.strip(" "))
    if value <= 0:
        raise InvalidValue("a rate must be greater than 0")
    return value


def format_exchange_rate(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


def to_minor(value: Fraction, digits: int) -> int:
    """An exact value in major units to minor units, rounded half-even once."""
    return half_even(value * 10**digits)


def convert_minor(minor: int, digits: int, factor: Fraction, target_digits: int) -> int:
    """`minor` (of a currency with `digits`) times `factor`, in the target's minor units."""
    from fractions import Fraction

    return to_minor(Fraction(minor, 10**digits) * factor, target_digits)
