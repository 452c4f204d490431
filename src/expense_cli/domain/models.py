"""The records of the book (reference §1) and their JSON shapes. An expense and the values
it holds are NamedTuples: immutable like frozen dataclasses, but defined without the
generated methods a dataclass compiles at import (~2.5 ms of every command that reads
expenses, against a start-up bar of reference §8)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from expense_cli.domain.enums import Approval, Basis, BillingStatus, Reimbursement
from expense_cli.domain.money import format_decimal, format_minor
from expense_cli.domain.taxes import format_rate

__all__ = ["Approval", "Basis", "BillingStatus", "Reimbursement"]


class Ref(NamedTuple):
    """A linked record as expenses show it: `{id, name}`."""

    id: int
    name: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


class Money(NamedTuple):
    """Integer minor units with the currency and its minor digits snapshotted at creation."""

    minor: int
    currency: str
    digits: int

    def __str__(self) -> str:
        return format_minor(self.minor, self.digits)


class Receipt(NamedTuple):
    """A receipt: one link (its own id) between an expense and stored bytes (§10.2)."""

    id: int
    filename: str
    sha256: str
    size: int
    media_type: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "filename": self.filename,
            "sha256": self.sha256,
            "size": self.size,
            "media_type": self.media_type,
        }


class Expense(NamedTuple):
    id: int
    uid: str
    description: str
    date: date
    time: str | None
    amount: Money
    units: Decimal | None
    unit_price: Decimal | None
    category: Ref
    custom_category: str | None
    client: Ref | None
    project: Ref | None
    billable: bool
    billing_status: BillingStatus
    invoice_ref: str | None
    approval_status: Approval
    reimbursement_status: Reimbursement
    notes: str | None
    tags: tuple[str, ...] = ()
    created_at: str = ""
    updated_at: str = ""
    deleted_at: str | None = None
    account: str = "Assets:Cash"  # the payment account (reference §10.9)

    # What the client is billed, set when invoiced (reference §10.5); None until then.
    rebill_amount: Money | None = None
    # Tax (reference §10.6): the rate (None for a fixed amount or no tax) and the tax in
    # the expense's currency (None when untaxed); what was paid in another currency and
    # whether the amount was derived from the book's rates (§10.7).
    tax_rate: Decimal | None = None
    tax: Money | None = None
    original: Money | None = None
    amount_from_rate: bool = False
    receipts: tuple[Receipt, ...] = ()  # reference §10.2
    recurring_id: int | None = None  # the schedule that created it (reference §10.3)

    @property
    def currency(self) -> str:
        return self.amount.currency

    @property
    def tax_minor(self) -> int:
        return 0 if self.tax is None else self.tax.minor

    @property
    def tax_amount(self) -> str:
        return format_minor(self.tax_minor, self.amount.digits)

    @property
    def net_amount(self) -> str:
        return format_minor(self.amount.minor - self.tax_minor, self.amount.digits)

    def money_json(self) -> dict[str, Any]:
        """The tax and foreign-amount keys of the JSON object (reference §10.6, §10.7)."""
        return {
            "tax_rate": None if self.tax_rate is None else format_rate(self.tax_rate),
            "tax_amount": self.tax_amount,
            "net_amount": self.net_amount,
            "original_amount": None if self.original is None else str(self.original),
            "original_currency": None if self.original is None else self.original.currency,
            "amount_from_rate": self.amount_from_rate,
        }

    @property
    def invoiced(self) -> bool:
        return self.billing_status is BillingStatus.INVOICED

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON object: snake_case keys, money and units as decimal strings."""
        return {
            "id": self.id,
            "uid": self.uid,
            "description": self.description,
            "date": self.date.isoformat(),
            "time": self.time,
            "amount": str(self.amount),
            "currency": self.amount.currency,
            **self.money_json(),
            "units": None if self.units is None else format_decimal(self.units),
            "unit_price": None if self.unit_price is None else format_decimal(self.unit_price),
            "category": self.category.to_json(),
            "custom_category": self.custom_category,
            "client": None if self.client is None else self.client.to_json(),
            "project": None if self.project is None else self.project.to_json(),
            "billable": self.billable,
            "billing_status": self.billing_status.value,
            "invoice_ref": self.invoice_ref,
            "rebill_amount": None if self.rebill_amount is None else str(self.rebill_amount),
            "approval_status": self.approval_status.value,
            "reimbursement_status": self.reimbursement_status.value,
            "notes": self.notes,
            "tags": list(self.tags),
            "receipts": [r.to_json() for r in self.receipts],
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "deleted_at": self.deleted_at,
            "account": self.account,
            "recurring_id": self.recurring_id,
        }


CSV_COLUMNS: tuple[str, ...] = (
    "id", "uid", "date", "time", "description", "amount", "currency", "units", "unit_price",
    "category", "custom_category", "client", "project", "billable", "billing_status",
    "invoice_ref", "rebill_amount", "approval_status", "reimbursement_status", "notes", "tags",
    "created_at", "updated_at", "deleted_at", "account",
)  # fmt: skip
# Tax and foreign-amount columns (reference §10.6, §10.7), after every other column.
MONEY_COLUMNS = (
    "tax_rate", "tax_amount", "net_amount", "original_amount", "original_currency",
    "amount_from_rate",
)  # fmt: skip
# Then recurring_id (reference §10.3) and the receipts count (§10.2), always the last.
CSV_COLUMNS = (*CSV_COLUMNS, *MONEY_COLUMNS, "recurring_id", "receipts")
NUMERIC_COLUMNS = frozenset(
    {
        "id",
        "amount",
        "units",
        "unit_price",
        "rebill_amount",
        "receipts",
        "recurring_id",
        "tax_rate",
        "tax_amount",
        "net_amount",
        "original_amount",  # reference §10.6, §10.7
    }
)
# A text cell starting with one of these is a formula to a spreadsheet (reference §4).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _name(ref: Ref | None) -> str | None:
    return None if ref is None else ref.name


def money_cells(e: Expense) -> tuple[Any, ...]:
    """The `MONEY_COLUMNS` cells of one expense."""
    money = e.money_json()
    return (
        money["tax_rate"], money["tax_amount"], money["net_amount"], money["original_amount"],
        money["original_currency"], "true" if e.amount_from_rate else "false",
    )  # fmt: skip


def csv_row(e: Expense) -> tuple[Any, ...]:
    """The CSV/TSV shape (reference §4), in `CSV_COLUMNS` order: names instead of `{id, name}`,
    tags joined by `;`, money and units as decimal strings."""
    return (
        e.id, e.uid, e.date.isoformat(), e.time, e.description, str(e.amount), e.currency,
        None if e.units is None else format_decimal(e.units),
        None if e.unit_price is None else format_decimal(e.unit_price),
        e.category.name, e.custom_category, _name(e.client), _name(e.project),
        "true" if e.billable else "false", e.billing_status.value, e.invoice_ref,
        None if e.rebill_amount is None else str(e.rebill_amount),
        e.approval_status.value, e.reimbursement_status.value, e.notes, ";".join(e.tags),
        e.created_at, e.updated_at, e.deleted_at, e.account,
        *money_cells(e), e.recurring_id, len(e.receipts),
    )  # fmt: skip
