"""Pure rules that tie fields together: links (rules 6, 7), basis (3, 18), Other (4),
and the invoice lock (8). No I/O: the use cases load the records and call these."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from expense_cli.domain.catalog_models import Category, Client, Project
from expense_cli.domain.models import Basis, Expense, Ref
from expense_cli.domain.money import parse_amount, parse_units, units_amount
from expense_cli.domain.validation import Issues
from expense_cli.errors import InvoicedLockedError

LOCKED_FIELDS = (
    "billable",
    "amount",
    "units",
    "client",
    "project",
    "tax_rate",
    "tax_amount",
    "original_amount",
    "original_currency",
)


@dataclass(frozen=True)
class Link:
    """The client and project an expense ends up with."""

    client: Ref | None
    project: Ref | None


def link(
    project: Project | None,
    client: Client | None,
    *,
    client_given: bool,
    issues: Issues,
) -> Link:
    """Rule 6: a project forces its client; a different client given beside it is rejected.
    Rule 7: the client cannot be detached while a project stays linked."""
    if project is None:
        return Link(client.ref if client else None, None)
    if client_given and client is None:
        issues.add("client", "cannot detach the client while a project stays linked")
    elif client_given and client is not None and client.id != project.client.id:
        issues.add(
            "client",
            f"project {project.name!r} belongs to {project.client.name!r}, not {client.name!r}",
        )
    return Link(project.client, project.ref)


def check_currency(client_currency: str | None, expense_currency: str, issues: Issues) -> None:
    """Rule 7: an existing expense cannot take a client of another currency."""
    if client_currency is not None and client_currency != expense_currency:
        issues.add(
            "client",
            f"the client bills in {client_currency} but the expense is in {expense_currency}",
        )


def check_label(category: Category, label: str | None, issues: Issues) -> None:
    """Rule 4: Other needs a custom label; every other category rejects one."""
    if category.is_other and label is None:
        issues.add("custom_category", "category Other needs --label with a custom category")
    elif not category.is_other and label is not None:
        issues.add("custom_category", f"--label is only for category Other, not {category.name}")


@dataclass(frozen=True)
class Priced:
    amount_minor: int | None
    units: Decimal | None
    unit_price: Decimal | None


def price(
    category: Category,
    digits: int,
    *,
    amount: str | None,
    units: str | None,
    issues: Issues,
) -> Priced:
    """Rule 3: amount-based categories take an amount, unit-based ones units (and compute
    the amount with the category's price, rounded half-even: rule 18)."""
    if category.basis is Basis.AMOUNT:
        if units is not None:
            issues.add("units", f"{category.name} is amount-based: give an amount, not units")
        if amount is None:
            issues.add("amount", f"an amount is required for {category.name}")
            return Priced(None, None, None)
        return Priced(issues.check("amount", parse_amount, amount, digits), None, None)
    if amount is not None:
        issues.add("amount", f"{category.name} is unit-based: give --units, not an amount")
    if units is None:
        issues.add("units", f"--units is required for {category.name} ({category.unit_name})")
        return Priced(None, None, category.unit_price)
    return priced_units(units, category.unit_price, digits, issues)


def priced_units(units: str, unit_price: Decimal | None, digits: int, issues: Issues) -> Priced:
    count = issues.check("units", parse_units, units)
    if count is None or unit_price is None:
        return Priced(None, count, unit_price)
    minor = issues.check("units", units_amount, count, unit_price, digits)
    return Priced(minor, count, unit_price)


def check_stated_amount(amount: str, priced_minor: int, digits: int, issues: Issues) -> None:
    """Rule 18 read back: an amount stated beside units (an imported row's) must be what
    the units and unit price make."""
    stated = issues.check("amount", parse_amount, amount, digits)
    if stated is not None and stated != priced_minor:
        issues.add("amount", "does not equal units × unit_price")


def check_lock(expense: Expense, changed: set[str]) -> None:
    """Rule 8: once invoiced, billable, amount, units, client and project stay as they are."""
    locked = [name for name in LOCKED_FIELDS if name in changed]
    if expense.invoiced and locked:
        raise InvoicedLockedError(
            f"expense {expense.id} is invoiced: {', '.join(locked)} cannot change "
            "(uninvoice it first)",
            {name: "locked while invoiced" for name in locked},
        )


class Billed(Protocol):
    """What the invoice rules read of an expense: a stored one (`invoice`), or a row about
    to be written (`import`, whose `id` is None)."""

    @property
    def id(self) -> int | None: ...
    @property
    def billable(self) -> bool: ...
    @property
    def client(self) -> Ref | None: ...
    @property
    def currency(self) -> str: ...


def _which(expenses: Sequence[Billed]) -> str:
    ids = [str(e.id) for e in expenses if e.id is not None]
    return f"expense {', '.join(ids)}" if ids else "the expense"


def check_invoiceable(expenses: Sequence[Billed], issues: Issues) -> None:
    """Rule 9: only billable expenses are invoiced, and an invoice goes to a client."""
    not_billable = [e for e in expenses if not e.billable]
    if not_billable:
        issues.add("billable", f"{_which(not_billable)} is not billable")
    no_client = [e for e in expenses if e.billable and e.client is None]
    if no_client:
        issues.add("client", f"{_which(no_client)} has no client; an invoice goes to one client")


def check_one_invoice(
    ref: str, held_by: Iterable[tuple[Ref | None, str]], expenses: Sequence[Billed],
    issues: Issues,
) -> None:  # fmt: skip
    """An invoice ref covers one client in one currency: the expenses that already carry
    it (`held_by`: their client and currency, deleted ones included) and the new ones."""
    pairs = {*held_by, *((e.client, e.currency) for e in expenses)}
    clients = {client for client, _ in pairs}
    currencies = {currency for _, currency in pairs}
    if len(clients) > 1 or len(currencies) > 1:
        names = sorted({c.name if c else "no client" for c in clients}, key=str.casefold)
        issues.add(
            "ref",
            f"invoice {ref!r} would cover {', '.join(names)} in {', '.join(sorted(currencies))};"
            " one invoice covers one client in one currency",
        )
