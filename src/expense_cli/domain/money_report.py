"""`report --tax` and `report --convert CUR` (reference §10.6, §10.7): the report's groups
with net and tax beside the total, and/or every amount converted into one currency.

The store sums per group, currency and (to convert) date, in SQL; each distinct
(currency, date) is converted once with its rate. Sums are exact (`Fraction`) and each
printed figure is rounded half-even once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from expense_cli.domain.listing import Filters, build_query
from expense_cli.domain.money import currency_digits, format_minor, normalize_currency
from expense_cli.domain.rates import Converter
from expense_cli.domain.report import (
    _row_group,
    _sort_key,
    _tag_spellings,
    group_names,
    groupings,
)
from expense_cli.domain.taxes import to_minor
from expense_cli.domain.validation import InvalidValue
from expense_cli.errors import UsageError, ValidationError
from expense_cli.store import Store
from expense_cli.store.rows import ReportRow as StoreReportRow


@dataclass
class _Sum:
    """One group's count and exact sums. The minor units are added as integers per
    (factor, scale) and turned into fractions once, when printed: a year converted at daily
    rates adds ~2,000 rows, and a `Fraction` sum per row cost more than the query."""

    count: int = 0
    digits: int = 0
    parts: dict[tuple[Fraction | int, int], list[int]] = field(default_factory=dict)

    def add(self, factor: Fraction | int, scale: int, total: int, tax: int) -> None:
        part = self.parts.setdefault((factor, scale), [0, 0])
        part[0] += total
        part[1] += tax

    def _exact(self, which: int) -> Fraction:
        return sum(
            (Fraction(sums[which], 10**scale) * factor
             for (factor, scale), sums in self.parts.items()),
            Fraction(0),
        )  # fmt: skip

    @property
    def total(self) -> Fraction:
        return self._exact(0)

    @property
    def tax(self) -> Fraction:
        return self._exact(1)


@dataclass(frozen=True)
class MoneyRow:
    group: dict[str, Any] | None
    currency: str
    count: int
    total: str
    net: str | None
    tax: str | None
    converted: bool

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {} if self.group is None else {"group": self.group}
        data.update(currency=self.currency, count=self.count, total=self.total)
        if self.tax is not None:
            data.update(net=self.net, tax=self.tax)
        if self.converted:
            data["converted"] = True
        return data


def target_currency(code: str) -> str:
    """`--convert CUR`: an ISO 4217 code, else a usage error (exit 2)."""
    try:
        return normalize_currency(code)
    except InvalidValue as exc:
        raise UsageError(f"--convert: {exc}") from None


def _fmt(value: Fraction, digits: int) -> str:
    return format_minor(to_minor(value, digits), digits)


class _Summer:
    def __init__(self, store: Store, convert: str | None) -> None:
        self.convert = convert
        self.digits = None if convert is None else currency_digits(convert)
        self.converter = Converter(store)
        self.missing: list[tuple[str, str]] = []

    def add(self, into: dict[Any, _Sum], key: Any, row: StoreReportRow) -> None:
        currency = row["currency"]
        factor: Fraction | int = 1
        if self.convert is not None:
            found = self.converter.factor(currency, self.convert, row.get("day", ""))
            if found is None:
                self.missing.append((row.get("day", ""), currency))
                return
            factor, currency = found, self.convert
        entry = into.setdefault((key, currency), _Sum())
        entry.count += row["n"]
        entry.add(factor, row["scale"], row["total"], row.get("tax", 0))
        entry.digits = self.digits if self.digits is not None else max(entry.digits, row["scale"])

    def check(self) -> None:
        if self.missing:
            day, currency = min(self.missing)
            raise ValidationError(
                {"convert": f"no rate from {currency} to {self.convert} on or before {day}"},
                f"no rate for {currency} on {day}",
            )

    def row(self, group: dict[str, Any] | None, currency: str, s: _Sum, tax: bool) -> MoneyRow:
        return MoneyRow(
            group, currency, s.count, _fmt(s.total, s.digits),
            _fmt(s.total, s.digits) if not tax else _net(s), _fmt(s.tax, s.digits) if tax else None,
            self.convert is not None,
        )  # fmt: skip


def _net(s: _Sum) -> str:
    """Net = total − tax, exact, then rounded once like every printed figure (reference
    §10.7): converted, the three may differ by a cent from adding the printed ones."""
    return _fmt(s.total - s.tax, s.digits)


def money_report(
    store: Store, filters: Filters, by: Sequence[str], *, tax: bool, convert: str | None
) -> tuple[list[MoneyRow], list[MoneyRow]]:
    """The report rows and the totals rows (each expense once)."""
    by = groupings(by)
    target = None if convert is None else target_currency(convert)
    dated = target is not None
    with store.read():
        query = build_query(store, filters)
        rows = store.report_rows(query, by, tax=tax, dated=dated)
        # each expense is in exactly one group unless grouped by tag: the groups add up
        grand = rows if "tag" not in by else store.report_rows(query, (), tax=tax, dated=dated)
        names = group_names(store, by)
        summer = _Summer(store, target)
        spelling = _tag_spellings(rows) if "tag" in by else {}
        groups: dict[Any, _Sum] = {}
        shapes: dict[str, tuple[Any, ...]] = {}
        for row in rows:
            group = _row_group(row, by, names, spelling)
            text = json.dumps(group, sort_keys=True)
            shapes[text] = group
            summer.add(groups, text, row)
        totals: dict[Any, _Sum] = {}
        for row in grand:
            summer.add(totals, None, row)
    summer.check()
    result = [
        summer.row(dict(zip(by, shapes[text], strict=True)), currency, s, tax)
        for (text, currency), s in groups.items()
    ]
    result.sort(key=lambda r: (*(_sort_key(n, (r.group or {})[n]) for n in by), r.currency))
    total_rows = sorted(
        (summer.row(None, currency, s, tax) for (_, currency), s in totals.items()),
        key=lambda r: r.currency,
    )
    return result, total_rows
