"""Totals: exact per-currency sums; different currencies are never added together."""

from __future__ import annotations

from collections.abc import Iterable

from expense_cli.domain.models import Expense
from expense_cli.domain.money import format_minor


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
