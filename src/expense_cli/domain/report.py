"""Totals and reports: exact per-currency sums; currencies are never added together."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from expense_cli.domain.listing import Filters, build_query
from expense_cli.domain.models import Expense
from expense_cli.domain.money import format_minor
from expense_cli.errors import UsageError
from expense_cli.store import Store
from expense_cli.store.rows import ReportRow as StoreReportRow


def sum_minor(amounts: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """Add `(minor, digits)` amounts of one currency exactly: `(minor, digits)` of the sum."""
    total, scale = 0, 0
    for minor, digits in amounts:
        if digits > scale:
            total, scale = total * 10 ** (digits - scale), digits
        total += minor * 10 ** (scale - digits)
    return total, scale


def totals_by_currency(expenses: Iterable[Expense]) -> dict[str, tuple[int, str]]:
    """`currency → (count, total as a decimal string)`, currencies in alphabetical order."""
    groups: dict[str, list[tuple[int, int]]] = {}
    for expense in expenses:
        groups.setdefault(expense.currency, []).append(
            (expense.amount.minor, expense.amount.digits)
        )
    return {
        currency: (len(amounts), format_minor(*sum_minor(amounts)))
        for currency, amounts in sorted(groups.items())
    }


GROUP_FIELDS = ("category", "client", "project", "tag", "month", "year", "ref", "quarter")


@dataclass(frozen=True)
class ReportRow:
    group: dict[str, Any]
    currency: str
    count: int
    total: str

    def to_json(self) -> dict[str, Any]:
        return {"group": self.group, "currency": self.currency, "count": self.count,
                "total": self.total}  # fmt: skip


def _group_value(name: str, key: Any, names: dict[str, dict[int, str]], tag: str | None) -> Any:
    if name in ("month", "year", "ref", "quarter"):
        return key
    if name == "tag":
        return tag
    if key is None:
        return None
    return {"id": key, "name": names[name].get(key, "")}


def _sort_key(name: str, value: Any) -> tuple[int, str]:
    """Groups in order: months chronologically, names case-insensitively, none last."""
    if value is None:
        return (1, "")
    text = value["name"] if isinstance(value, dict) else str(value)
    return (0, text.casefold())


def _tag_spellings(rows: Sequence[StoreReportRow]) -> dict[str, str]:
    """One spelling per tag (the first in sort order), whatever currency its rows are in:
    tags are case-insensitive, so `Foo` and `foo` are one group."""
    spelling: dict[str, str] = {}
    for row in rows:
        tag = row.get("tag_name")
        if tag:
            key = tag.casefold()
            spelling[key] = min(spelling.get(key, tag), tag)
    return spelling


def _row_group(
    row: StoreReportRow, by: Sequence[str], names: dict[str, dict[int, str]],
    spelling: dict[str, str],
) -> tuple[Any, ...]:  # fmt: skip
    """A store row's group values, in `by` order (its tag in the spelling `_tag_spellings`
    chose)."""
    tag = row.get("tag_name")
    tag = spelling.get(tag.casefold(), tag) if tag else tag
    keys = (row.get("g0"), row.get("g1"))[: len(by)]  # the grouping keys, in `by` order
    return tuple(_group_value(name, key, names, tag) for name, key in zip(by, keys, strict=True))


def report(store: Store, filters: Filters, by: Sequence[str] = ("category",)) -> list[ReportRow]:
    """Counts and exact totals per group (one or two levels) and currency."""
    return report_and_totals(store, filters, by)[0]


def groupings(by: Sequence[str]) -> tuple[str, ...]:
    """`--by` checked: one or two different names of GROUP_FIELDS (default: category)."""
    by = tuple(by) or ("category",)
    if len(by) > 2 or len(set(by)) != len(by):
        raise UsageError("--by takes one or two different groupings")
    for name in by:
        if name not in GROUP_FIELDS:
            raise UsageError(f"--by: {name!r} is not one of {', '.join(GROUP_FIELDS)}")
    return by


def group_names(store: Store, by: Sequence[str]) -> dict[str, dict[int, str]]:
    """The name of each category, client or project by id, for the ones grouped `by`."""
    tables = {"category": "categories", "client": "clients", "project": "projects"}
    return {kind: store.names_by_id(table) for kind, table in tables.items() if kind in by}


def report_and_totals(
    store: Store, filters: Filters, by: Sequence[str] = ("category",)
) -> tuple[list[ReportRow], dict[str, tuple[int, str]]]:
    """The report and its total row per currency, in one read: each expense is in exactly
    one group unless grouped by tag, so then the groups' own rows make the totals."""
    by = groupings(by)
    with store.read():
        query = build_query(store, filters)
        rows = store.report_rows(query, by)
        grand = rows if "tag" not in by else store.report_rows(query, ())
        names = group_names(store, by)
    spelling = _tag_spellings(rows) if "tag" in by else {}
    merged: dict[tuple[Any, ...], list[Any]] = {}
    for row in rows:
        group = _row_group(row, by, names, spelling)
        key = (json.dumps(group, sort_keys=True), row["currency"])
        entry = merged.setdefault(key, [group, row["currency"], 0, []])
        entry[2] += row["n"]
        entry[3].append((row["total"], row["scale"]))
    result = [
        ReportRow(dict(zip(by, group, strict=True)), currency, count,
                  format_minor(*sum_minor(amounts)))
        for group, currency, count, amounts in merged.values()
    ]  # fmt: skip
    result.sort(key=lambda r: (*(_sort_key(n, r.group[n]) for n in by), r.currency))
    return result, _totals(grand)


def grand_totals(store: Store, filters: Filters) -> dict[str, tuple[int, str]]:
    """The total row per currency: every matching expense once (a report by tag counts an
    expense in each of its tags' groups, so its rows do not add up to the total)."""
    with store.read():
        rows = store.report_rows(build_query(store, filters), ())
    return _totals(rows)


def _totals(rows: Sequence[StoreReportRow]) -> dict[str, tuple[int, str]]:
    sums: dict[str, list[Any]] = {}
    for row in rows:
        entry = sums.setdefault(row["currency"], [0, []])
        entry[0] += row["n"]
        entry[1].append((row["total"], row["scale"]))
    return {c: (n, format_minor(*sum_minor(a))) for c, (n, a) in sorted(sums.items())}
