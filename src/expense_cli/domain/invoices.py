"""Invoicing clients (reference §10.5): invoicing what `list` shows for one client, the
invoice refs of the book, and the statement of one invoice.

Listing the refs imports nothing of the expense records, the list filters or the write
path (`invoices --json` at 1,000,000 expenses is held to 2x start-up, reference §8): the
use cases that need them import them when they run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from expense_cli.domain.money import format_minor
from expense_cli.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from expense_cli.domain import listing
    from expense_cli.domain.compose import Clock
    from expense_cli.domain.models import Expense, Ref
    from expense_cli.store import Store
    from expense_cli.store.rows import InvoiceRow


def invoice_matching(
    store: Store, filters: listing.Filters, ref: str | None, *, dry_run: bool = False,
    clock: Clock | None = None,
) -> list[Expense]:  # fmt: skip
    """Invoice every live, billable, not-invoiced expense of `filters.client` that `list`
    shows with `filters`, under `ref`, in one transaction (oldest first); `dry_run` shows
    them as they would be and writes nothing."""
    from expense_cli.domain import listing, text
    from expense_cli.domain.compose import Clock
    from expense_cli.domain.expenses import mark_invoiced
    from expense_cli.domain.validation import checked

    if filters.client is None:
        raise UsageError("--client: invoicing by filters needs the client to invoice")
    if ref is None:
        raise UsageError("--ref: invoicing a client's expenses needs the invoice reference")
    if filters.deleted:
        raise UsageError("--deleted: deleted expenses cannot be invoiced")
    clean_ref = checked("invoice_ref", text.invoice_ref, ref)
    clock = clock or Clock()
    # Only billable, not-invoiced expenses are invoiced: ask the store for those unless
    # the user filtered on billable or status (then their filter stands and the rest is
    # dropped here, so `--billable no` invoices nothing rather than everything).
    narrowed = filters._replace(
        billable=filters.billable if filters.billable is not None else "true",
        status=filters.status if filters.status is not None else "not_invoiced",
    )
    with store.write():
        chosen = [
            e
            for e in listing.iter_all(store, narrowed, sort="date")
            if e.billable and not e.invoiced
        ]
        if not chosen:
            return []
        return mark_invoiced(store, chosen, clean_ref, clock, dry_run=dry_run)


@dataclass(frozen=True)
class Invoice:
    """One invoice ref: its client, currency, live lines counted and summed."""

    ref: str
    client: Ref | None
    currency: str
    count: int
    total: str
    rebill_total: str
    invoiced_at: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "client": None if self.client is None else self.client.to_json(),
            "currency": self.currency,
            "count": self.count,
            "total": self.total,
            "rebill_total": self.rebill_total,
            "invoiced_at": self.invoiced_at,
        }


def _invoice(row: InvoiceRow) -> Invoice:
    from expense_cli.domain.models import Ref

    client = None if row["client_id"] is None else Ref(row["client_id"], row["client_name"] or "")
    return Invoice(
        ref=row["ref"],
        client=client,
        currency=row["currency"],
        count=row["n"],
        total=format_minor(row["total"], row["scale"]),
        rebill_total=format_minor(row["rebill_total"] or 0, row["scale"]),
        invoiced_at=row["invoiced_at"],
    )


def list_invoices(store: Store) -> list[Invoice]:
    """Every invoice ref live expenses carry (expenses invoiced without a ref are no
    invoice), in the order they were first invoiced."""
    with store.read():
        return [_invoice(row) for row in store.invoices()]


def invoices_json(store: Store) -> str | None:
    """`{"data": [...]}` of `list_invoices` as JSON text, each invoice rendered by the
    store; None when one needs Python's escaping (then render `list_invoices`)."""
    with store.read():
        items = store.invoice_json()
    return None if items is None else '{"data": [' + items + "]}"


@dataclass(frozen=True)
class Line:
    expense: Expense
    receipts: int

    def to_json(self) -> dict[str, Any]:
        e = self.expense
        return {
            "id": e.id,
            "date": e.date.isoformat(),
            "description": e.description,
            "category": e.custom_category or e.category.name,
            "amount": str(e.amount),
            "rebill_amount": None if e.rebill_amount is None else str(e.rebill_amount),
            "receipts": self.receipts,
        }


@dataclass(frozen=True)
class Statement:
    ref: str
    client: Ref | None
    currency: str
    lines: Sequence[Line]
    total: str
    rebill_total: str

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "client": None if self.client is None else self.client.to_json(),
            "currency": self.currency,
            "lines": [line.to_json() for line in self.lines],
            "total": self.total,
            "rebill_total": self.rebill_total,
        }


def statement(store: Store, ref: str) -> Statement:
    """The statement of invoice `ref`: its live expenses by date, with their rebill amounts
    and receipt counts, and the totals (not found when no live expense carries it)."""
    from expense_cli.domain import records, text
    from expense_cli.domain.validation import InvalidValue
    from expense_cli.store.listing import ExpenseQuery

    try:
        clean = text.invoice_ref(ref)
    except InvalidValue:
        raise NotFoundError(f"no invoice {ref!r} (see `expense invoices`)") from None
    with store.read():
        summaries = store.invoices(clean)
        if not summaries:
            raise NotFoundError(f"no invoice {ref!r} (see `expense invoices`)")
        query = ExpenseQuery(invoice_ref=clean, sort="date", descending=False)
        expenses = [records.expense(row) for row in store.iter_expenses(query)]
        counts = store.receipt_counts([e.id for e in expenses])
    head = _invoice(summaries[0])
    if len(summaries) > 1:  # a ref from release 1 across clients or currencies
        raise UsageError(
            f"invoice {ref!r} covers several clients or currencies (made before one invoice "
            "meant one client); list it with `expense list --ref`"
        )
    return Statement(
        ref=head.ref,
        client=head.client,
        currency=head.currency,
        lines=[Line(e, counts.get(e.id, 0)) for e in expenses],
        total=head.total,
        rebill_total=head.rebill_total,
    )
