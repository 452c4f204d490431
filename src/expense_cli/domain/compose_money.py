"""The composer's tax and foreign-amount steps (reference §10.6, §10.7, §10.10 items 5, 6):
kept apart from `compose.py`, called by its `_Composer.run` with the composer itself (any
`Draft`), so this module needs nothing of `compose.py`."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from expense_cli.domain.catalog_models import Category
from expense_cli.domain.inputs import ExpenseInput
from expense_cli.domain.models import Basis, Expense
from expense_cli.domain.money import currency_digits, format_minor, normalize_currency, parse_amount
from expense_cli.domain.taxes import convert_minor, format_rate, parse_tax_rate, tax_of

if TYPE_CHECKING:
    from expense_cli.domain.validation import Issues
    from expense_cli.store import Store


class Draft(Protocol):
    """What these steps read and write of an expense being composed."""

    store: Store
    inp: ExpenseInput
    base: Expense | None
    cloning: bool
    issues: Issues
    values: dict[str, Any]
    changed: set[str]

    def day(self) -> date | None:
        """The date the expense will have (None while the typed one is bad)."""


def original(c: Draft, category: Category | None, digits: int) -> ExpenseInput:
    """What was paid in another currency, and the amount derived from it when none is
    typed (half-even at the expense's date); returns the input with that amount."""
    inp, base = c.inp, c.base
    carried = base is not None  # edit keeps it; clone copies it (§10.10 item 5)
    orig: tuple[int, str] | None = None
    from_rate = False
    derive = False
    if inp.original is not None or inp.original_currency is not None:
        amount_text = (inp.original or "").strip()
        currency_text = (inp.original_currency or "").strip()
        if amount_text and currency_text:
            code = c.issues.check("original_currency", normalize_currency, currency_text)
            minor = None
            if code is not None:
                minor = c.issues.check(
                    "original_amount", parse_amount, amount_text, currency_digits(code)
                )
            if code is not None and minor is not None:
                orig = (minor, code)
                derive = inp.amount is None
            elif inp.amount is None and category is not None and category.basis is Basis.AMOUNT:
                inp = replace(inp, amount="0")  # the bad original is the one problem (rule 16)
        elif amount_text or currency_text:
            missing = "original_currency" if amount_text else "original_amount"
            c.issues.add(missing, "--original and --original-currency go together")
    elif carried and base is not None and base.original is not None:
        orig = (base.original.minor, base.original.currency)
        redated = c.cloning or inp.date is not None
        derive = base.amount_from_rate and inp.amount is None and redated
        from_rate = base.amount_from_rate and inp.amount is None
    if derive and orig is not None and category is not None and category.basis is Basis.AMOUNT:
        day = c.day()
        if day is not None:
            from expense_cli.domain.rates import Converter

            factor = Converter(c.store).factor(orig[1], c.values["currency"], day)
            if factor is None:
                c.issues.add(
                    "original_currency",
                    f"no rate from {orig[1]} to {c.values['currency']} on or before "
                    f"{day.isoformat()} (see `expense rates`)",
                )
                inp = replace(inp, amount="0")  # the rate is the one problem to report
            else:
                minor = convert_minor(orig[0], currency_digits(orig[1]), factor, digits)
                inp = replace(inp, amount=format_minor(minor, digits))
                from_rate = True
    c.values["original_minor"] = None if orig is None else orig[0]
    c.values["original_currency"] = None if orig is None else orig[1]
    c.values["amount_from_rate"] = int(from_rate)
    if base is not None and not c.cloning:
        before = base.original
        if (None if before is None else before.minor) != c.values["original_minor"]:
            c.changed.add("original_amount")
        if (None if before is None else before.currency) != c.values["original_currency"]:
            c.changed.add("original_currency")
    return inp


def tax(c: Draft, category: Category | None, digits: int) -> None:
    """The tax rate and amount: as typed, kept (a rate recomputed with the amount), copied
    by a clone, or the category's default for a new expense (or an untaxed clone)."""
    inp, base = c.inp, c.base
    amount = c.values.get("amount_minor")
    rate = None
    fixed: int | None = None
    taxed = False
    if inp.tax is not None and inp.tax.strip() != "":
        rate = c.issues.check("tax_rate", parse_tax_rate, inp.tax)
        taxed = rate is not None
    elif inp.tax_amount is not None and inp.tax_amount.strip() != "":
        fixed = c.issues.check("tax_amount", parse_amount, inp.tax_amount, digits)
        taxed = fixed is not None
    elif inp.tax is not None or inp.tax_amount is not None:
        taxed = False  # "" removes the tax
    elif base is not None and (base.tax_rate is not None or base.tax is not None):
        rate, fixed = base.tax_rate, None if base.tax_rate is not None else base.tax_minor
        taxed = True
    elif (base is None or c.cloning) and category is not None and category.tax_rate is not None:
        rate, taxed = category.tax_rate, True
    tax_minor: int | None = None
    if taxed and amount is not None:
        if rate is not None:
            tax_minor = tax_of(amount, rate)
            if inp.tax_amount is not None and inp.tax_amount.strip() != "" and inp.tax:
                given = c.issues.check("tax_amount", parse_amount, inp.tax_amount, digits)
                if given is not None and given != tax_minor:
                    c.issues.add(
                        "tax_amount",
                        f"does not match tax_rate {format_rate(rate)}% of the amount "
                        f"({format_minor(tax_minor, digits)})",
                    )
        elif fixed is not None:
            if fixed > amount:
                c.issues.add(
                    "tax_amount",
                    f"{format_minor(fixed, digits)} is more than the amount "
                    f"{format_minor(amount, digits)}",
                )
            tax_minor = fixed
    c.values["tax_rate"] = None if rate is None or not taxed else format_rate(rate)
    c.values["tax_minor"] = tax_minor if taxed else None
    if base is not None and not c.cloning:
        if c.values["tax_rate"] != (None if base.tax_rate is None else format_rate(base.tax_rate)):
            c.changed.add("tax_rate")
        if c.values["tax_minor"] != (None if base.tax is None else base.tax.minor):
            c.changed.add("tax_amount")
