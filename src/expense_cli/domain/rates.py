"""Exchange rates (reference §10.7): `rates import|set|list`, and the conversion of an
amount on a date — direct, inverse, through EUR, then through other currencies in code
order, each leg at its latest rate on or before the date. Exact: `Fraction` throughout."""

from __future__ import annotations

import csv
import io
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from expense_cli.domain.dates import DateOrder, parse_date
from expense_cli.domain.money import normalize_currency
from expense_cli.domain.taxes import format_exchange_rate, parse_exchange_rate
from expense_cli.domain.validation import InvalidValue, Issues
from expense_cli.errors import UsageError, ValidationError
from expense_cli.store import Store

HUB = "EUR"


@dataclass(frozen=True)
class Rate:
    date: date
    base: str
    quote: str
    rate: Decimal

    def to_json(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "base": self.base, "quote": self.quote,
                "rate": format_exchange_rate(self.rate)}  # fmt: skip


def _day(text: str) -> date:
    return parse_date(text.strip(), DateOrder.YMD, date.today())[0]


def _strict_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue(f"{text.strip()!r} is not a YYYY-MM-DD date") from None


_CODE = re.compile(r"[A-Z]{3}")


def _currency(text: str) -> str:
    """A rate's currency: any three-letter code, current or withdrawn. The ECB's own file
    still has columns for CYP, SIT, HRK, BGN, … that no longer are in ISO 4217; their
    rates are history, and an expense can only ever be in a current currency anyway."""
    code = text.strip().upper()
    if _CODE.fullmatch(code):
        return code
    return normalize_currency(text)  # its message says what a code looks like


def set_rate(store: Store, day: str, base: str, quote: str, rate: str) -> Rate:
    """`rates set`: one rate, replacing the one of that date, base and quote."""
    issues = Issues()
    when = issues.check("date", _day, day)
    b = issues.check("base", normalize_currency, base)  # typed: a current code
    q = issues.check("quote", normalize_currency, quote)
    value = issues.check("rate", parse_exchange_rate, rate)
    if b is not None and b == q:
        issues.add("quote", "base and quote are the same currency")
    issues.raise_if_any()
    assert when is not None and b is not None and q is not None and value is not None
    with store.write():
        store.put_rates([(when.isoformat(), b, q, format_exchange_rate(value))])
    return Rate(when, b, q, value)


def list_rates(store: Store, currency: str | None = None) -> list[Rate]:
    """`rates list [--currency CUR]`: a code that is no currency code is a usage error."""
    code = None
    if currency is not None:
        try:
            code = _currency(currency)
        except InvalidValue as exc:
            raise UsageError(f"--currency: {exc}") from None
    with store.read():
        rows = store.rates(code)
    return [Rate(date.fromisoformat(r["date"]), r["base"], r["quote"], Decimal(r["rate"]))
            for r in rows]  # fmt: skip


def parse_rates_file(text: str) -> list[Rate]:
    """The ECB layout (`Date,USD,JPY,…` rows of units per 1 EUR, `N/A` for none, trailing
    commas) or `date,base,quote,rate`. Every bad line is named (`line 3`); nothing loads."""
    rows = list(csv.reader(io.StringIO(text)))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise ValidationError({"file": "the file has no rates"})
    header = [cell.strip() for cell in rows[0]]
    while header and header[-1] == "":
        header.pop()
    issues = Issues()
    rates: list[Rate] = []
    if [h.casefold() for h in header] == ["date", "base", "quote", "rate"]:
        for number, row in enumerate(rows[1:], start=2):
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            if len(cells) != 4:
                issues.add(f"line {number}", "expected date,base,quote,rate")
                continue
            _one(issues, number, rates, cells[0], cells[1], cells[2], cells[3])
    elif header and header[0].casefold() == "date" and len(header) > 1:
        quotes = header[1:]
        for column, code in enumerate(quotes, start=2):
            try:
                _currency(code)
            except InvalidValue as exc:
                issues.add(f"line 1.column {column}", str(exc))
        for number, row in enumerate(rows[1:], start=2):
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            while len(cells) > len(header) and cells[-1] == "":
                cells.pop()
            if len(cells) != len(header):
                issues.add(f"line {number}", f"expected {len(header)} cells, found {len(cells)}")
                continue
            for code, cell in zip(quotes, cells[1:], strict=True):
                if cell.upper() in ("N/A", ""):
                    continue
                _one(issues, number, rates, cells[0], HUB, code, cell)
    else:
        raise ValidationError(
            {"line 1": "not a rates file: expected the ECB layout (Date,USD,…) or "
                       "date,base,quote,rate"}
        )  # fmt: skip
    issues.raise_if_any()
    if not rates:
        raise ValidationError({"file": "the file has no rates"})
    return rates


def _one(issues: Issues, number: int, out: list[Rate], day: str, base: str, quote: str,
         rate: str) -> None:  # fmt: skip
    where = f"line {number}"
    when = issues.check(f"{where}.date", _strict_day, day)
    b = issues.check(f"{where}.base", _currency, base)
    q = issues.check(f"{where}.quote", _currency, quote)
    value = issues.check(f"{where}.rate", parse_exchange_rate, rate)
    if b is not None and b == q:
        issues.add(f"{where}.quote", "base and quote are the same currency")
    if when is not None and b is not None and q is not None and value is not None and b != q:
        out.append(Rate(when, b, q, value))


def import_rates(store: Store, path: Path) -> int:
    """`rates import FILE`: all rates of the file or none."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError({"file": f"cannot read {path}: {exc}"}) from None
    rates = parse_rates_file(text)
    with store.write():
        store.put_rates(
            (r.date.isoformat(), r.base, r.quote, format_exchange_rate(r.rate)) for r in rates
        )
    return len(rates)


@dataclass
class Converter:
    """Factors `amount in A × factor = amount in B` on a date, cached per (A, B, date)."""

    store: Store
    _legs: dict[tuple[str, str, str], Fraction | None] = field(default_factory=dict)
    _factors: dict[tuple[str, str, str], Fraction | None] = field(default_factory=dict)
    _via: list[str] | None = None
    # each pair's dates and rates, loaded on its first look-up; each rate text read once
    _series: dict[tuple[str, str], tuple[list[str], list[str]]] = field(default_factory=dict)
    _exact: dict[str, Fraction] = field(default_factory=dict)

    def _rate(self, a: str, b: str, day: str) -> Fraction | None:
        """The latest a → b rate on or before `day`."""
        if (a, b) not in self._series:
            rows = self.store.rate_series(a, b)
            self._series[(a, b)] = ([d for d, _ in rows], [r for _, r in rows])
        dates, rates = self._series[(a, b)]
        at = bisect_right(dates, day)
        if not at:
            return None
        text = rates[at - 1]
        if text not in self._exact:
            self._exact[text] = Fraction(Decimal(text))
        return self._exact[text]

    def _leg(self, a: str, b: str, day: str) -> Fraction | None:
        """One leg: the direct rate, else the inverse of b → a."""
        key = (a, b, day)
        if key not in self._legs:
            direct = self._rate(a, b, day)
            inverse = self._rate(b, a, day) if direct is None else None
            self._legs[key] = direct if inverse is None else 1 / inverse
        return self._legs[key]

    def factor(self, a: str, b: str, day: date | str) -> Fraction | None:
        if a == b:
            return Fraction(1)
        when = day if isinstance(day, str) else day.isoformat()
        key = (a, b, when)
        if key in self._factors:
            return self._factors[key]
        found = self._leg(a, b, when)
        if found is None:
            if self._via is None:
                self._via = [HUB, *(c for c in self.store.rate_currencies() if c != HUB)]
            for middle in self._via:
                if middle in (a, b):
                    continue
                first = self._leg(a, middle, when)
                second = self._leg(middle, b, when) if first is not None else None
                if first is not None and second is not None:
                    found = first * second
                    break
        self._factors[key] = found
        return found
