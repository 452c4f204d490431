"""Money: typed amounts to integer minor units, ISO 4217 minor digits, exact formatting.

Amounts never pass through float (beancount's rule for accounting systems): they are parsed
from strings into `int` minor units of their currency, and formatted back with integer
arithmetic. Unit quantities and unit prices are `Decimal`.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from functools import cache

from expense_cli.domain.validation import InvalidValue

# The one shape of a typed amount, units, unit price or amount bound: digits, at most 12
# before an optional point; no sign, exponent, grouping or currency symbol.
_PLAIN_DECIMAL = re.compile(r"([0-9]{1,12})(?:\.([0-9]+))?", re.ASCII)
_CURRENCY = re.compile(r"[A-Za-z]{3}", re.ASCII)
MAX_UNITS_FRACTION = 4
MAX_PRICE_FRACTION = 6
MAX_MINOR_DIGITS = 4  # the most any ISO 4217 currency has (CLF, UYW)


@cache
def currency_digits(code: str) -> int:
    """Minor digits of an ISO 4217 currency (USD 2, JPY 0, BHD 3); InvalidValue if unknown."""
    if not _CURRENCY.fullmatch(code):
        raise InvalidValue(f"{code!r} is not an ISO 4217 currency code")
    from expense_cli.domain.currency_table import DIGITS  # the package's, without its XML

    code_upper = code.upper()
    exponent = DIGITS[code_upper] if code_upper in DIGITS else _package_digits(code)
    if exponent is None:
        raise InvalidValue(f"{code.upper()} has no minor unit and cannot hold expenses")
    return int(exponent)


def _package_digits(code: str) -> int | None:
    """A code the table lacks (one added by a newer `iso4217`, or a typo) asks the package."""
    from iso4217 import Currency  # ~25 ms of XML parsing: only for a code not in the table

    try:
        return Currency(code.upper()).exponent
    except ValueError:
        raise InvalidValue(f"{code!r} is not an ISO 4217 currency code") from None


def normalize_currency(code: str) -> str:
    """Trimmed, upper-cased, and known to ISO 4217."""
    code = code.strip().upper()
    currency_digits(code)
    return code


def plain_decimal(text: str) -> Decimal | None:
    """`text` (already trimmed as its caller trims) as a `Decimal` when it is a plain
    non-negative decimal, else None: the callers word their own rejection."""
    return Decimal(text) if _PLAIN_DECIMAL.fullmatch(text) else None


def parse_amount(text: str, digits: int) -> int:
    """A typed amount (`"45.10"`) to minor units; no signs, exponents or silent rounding."""
    match = _PLAIN_DECIMAL.fullmatch(text.strip(" "))
    if match is None:
        raise InvalidValue(
            f"{text!r} is not a plain non-negative decimal amount (like 45.10, at most 12 digits"
            " before the point)"
        )
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > digits:
        raise InvalidValue(f"{text!r} has more than {digits} decimal places for this currency")
    scale: int = 10**digits
    return int(whole) * scale + int(fraction.ljust(digits, "0") or "0")


def format_minor(minor: int, digits: int) -> str:
    """Minor units back to a decimal string with exactly `digits` places (`"200.00"`)."""
    if digits == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**digits)
    return f"{sign}{whole}.{fraction:0{digits}d}"


def _parse_positive_decimal(text: str, max_fraction: int, what: str) -> Decimal:
    value = plain_decimal(text.strip(" "))
    if value is None:
        raise InvalidValue(f"{text!r} is not a plain positive decimal {what}")
    if -value.as_tuple().exponent > max_fraction:  # type: ignore[operator]
        raise InvalidValue(f"{text!r} has more than {max_fraction} decimal places")
    if value <= 0:
        raise InvalidValue(f"{what} must be greater than 0")
    return value


def parse_units(text: str) -> Decimal:
    """Units of a unit-based expense: > 0, at most 4 decimal places."""
    return _parse_positive_decimal(text, MAX_UNITS_FRACTION, "number of units")


def parse_unit_price(text: str) -> Decimal:
    """A category's unit price: > 0, at most 6 decimal places."""
    return _parse_positive_decimal(text, MAX_PRICE_FRACTION, "unit price")


def format_decimal(value: Decimal) -> str:
    """Units and unit prices print without trailing zeros (`"120"`, `"0.58"`)."""
    text = format(value.normalize(), "f")
    return text


def units_amount(units: Decimal, unit_price: Decimal, digits: int) -> int:
    """`units × unit_price` rounded half-even to the currency's minor digits, in minor units."""
    with localcontext() as ctx:
        ctx.prec = 60
        product = (units * unit_price).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_EVEN)
        minor = int(product.scaleb(digits))
    if minor >= 10 ** (12 + digits):
        raise InvalidValue("units × unit price exceeds the largest amount (12 digits)")
    return minor


MAX_MARKUP_BP = 100_000  # 1000 %, in hundredths of a percent


def parse_markup(text: str) -> int:
    """A client's rebill markup in percent (`"12.5"`): 0–1000 with at most 2 decimal
    places, as hundredths of a percent (1250); signs, exponents and the like are rejected."""
    value = plain_decimal(text.strip(" "))
    if value is None:
        raise InvalidValue(f"{text!r} is not a plain percentage from 0 to 1000 (like 12.5)")
    if -value.as_tuple().exponent > 2:  # type: ignore[operator]
        raise InvalidValue(f"{text!r} has more than 2 decimal places")
    basis_points = int(value.scaleb(2))
    if basis_points > MAX_MARKUP_BP:
        raise InvalidValue("a markup is at most 1000 (percent)")
    return basis_points


def divide_half_even(numerator: int, denominator: int) -> int:
    """`numerator / denominator` (denominator > 0) to the nearest integer, ties to even,
    in integers (what `round(Fraction(numerator, denominator))` gives, without one)."""
    quotient, remainder = divmod(numerator, denominator)
    if remainder * 2 > denominator or (remainder * 2 == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


def rebill_minor(amount_minor: int, markup_bp: int) -> int:
    """`amount × (1 + markup/100)` in the amount's own minor units, rounded half-even to
    them, i.e. to the currency's minor digits (reference §10.5). Integer-exact."""
    return divide_half_even(amount_minor * (10_000 + markup_bp), 10_000)
