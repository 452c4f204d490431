"""The records of the book (reference §1) as frozen dataclasses, and their JSON shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from expense_cli.domain.enums import Approval, Basis, BillingStatus, Reimbursement
from expense_cli.domain.money import format_decimal, format_minor

__all__ = ["Approval", "Basis", "BillingStatus", "Reimbursement"]


@dataclass(frozen=True)
class Ref:
    """A linked record as expenses show it: `{id, name}`."""

    id: int
    name: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True)
class UnitPrice:
    """A unit price and the first date it applies to (reference §10.10 item 3)."""

    starts: date
    price: Decimal

    def to_json(self) -> dict[str, Any]:
        return {"from": self.starts.isoformat(), "price": format_decimal(self.price)}


def price_on(prices: tuple[UnitPrice, ...], day: date) -> Decimal | None:
    """The price in force on `day`: the latest one starting on or before it; the first
    price also covers every earlier date. `prices` are sorted by start date."""
    if not prices:
        return None
    in_force = prices[0]
    for candidate in prices:
        if candidate.starts > day:
            break
        in_force = candidate
    return in_force.price


@dataclass(frozen=True)
class Category:
    """`unit_price` is the price in force on the day the category was loaded (today);
    expenses are priced with `price_on` at their own date."""

    id: int
    name: str
    basis: Basis = Basis.AMOUNT
    unit_name: str | None = None
    unit_price: Decimal | None = None
    default_approval: Approval = Approval.APPROVED
    default_reimbursement: Reimbursement = Reimbursement.NOT_REIMBURSABLE
    archived: bool = False
    is_other: bool = False
    unit_currency: str | None = None
    unit_prices: tuple[UnitPrice, ...] = ()

    @property
    def ref(self) -> Ref:
        return Ref(self.id, self.name)

    def price_on(self, day: date) -> Decimal | None:
        return price_on(self.unit_prices, day) if self.unit_prices else self.unit_price

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "basis": self.basis.value,
            "unit_name": self.unit_name,
            "unit_price": None if self.unit_price is None else format_decimal(self.unit_price),
            "unit_currency": self.unit_currency,
            "unit_prices": [p.to_json() for p in self.unit_prices],
            "default_approval": self.default_approval.value,
            "default_reimbursement": self.default_reimbursement.value,
            "archived": self.archived,
        }


@dataclass(frozen=True)
class Client:
    id: int
    name: str
    currency: str
    archived: bool = False

    @property
    def ref(self) -> Ref:
        return Ref(self.id, self.name)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "currency": self.currency,
            "archived": self.archived,
        }


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    client: Ref
    client_currency: str
    client_archived: bool = False
    archived: bool = False

    @property
    def ref(self) -> Ref:
        return Ref(self.id, self.name)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "client": self.client.to_json(),
            "archived": self.archived,
        }


@dataclass(frozen=True)
class Money:
    """Integer minor units with the currency and its minor digits snapshotted at creation."""

    minor: int
    currency: str
    digits: int

    def __str__(self) -> str:
        return format_minor(self.minor, self.digits)


@dataclass(frozen=True)
class Expense:
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
    tags: tuple[str, ...] = field(default=())
    created_at: str = ""
    updated_at: str = ""
    deleted_at: str | None = None

    @property
    def currency(self) -> str:
        return self.amount.currency

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
            "units": None if self.units is None else format_decimal(self.units),
            "unit_price": None if self.unit_price is None else format_decimal(self.unit_price),
            "category": self.category.to_json(),
            "custom_category": self.custom_category,
            "client": None if self.client is None else self.client.to_json(),
            "project": None if self.project is None else self.project.to_json(),
            "billable": self.billable,
            "billing_status": self.billing_status.value,
            "invoice_ref": self.invoice_ref,
            "approval_status": self.approval_status.value,
            "reimbursement_status": self.reimbursement_status.value,
            "notes": self.notes,
            "tags": list(self.tags),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "deleted_at": self.deleted_at,
        }


CSV_COLUMNS = (
    "id", "uid", "date", "time", "description", "amount", "currency", "units", "unit_price",
    "category", "custom_category", "client", "project", "billable", "billing_status",
    "invoice_ref", "approval_status", "reimbursement_status", "notes", "tags",
    "created_at", "updated_at", "deleted_at",
)  # fmt: skip
NUMERIC_COLUMNS = frozenset({"id", "amount", "units", "unit_price"})
# A text cell starting with one of these is a formula to a spreadsheet (reference §4).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _name(ref: Ref | None) -> str | None:
    return None if ref is None else ref.name


def csv_row(e: Expense) -> tuple[Any, ...]:
    """The CSV/TSV shape (reference §4), in `CSV_COLUMNS` order: names instead of `{id, name}`,
    tags joined by `;`, money and units as decimal strings."""
    return (
        e.id, e.uid, e.date.isoformat(), e.time, e.description, str(e.amount), e.currency,
        None if e.units is None else format_decimal(e.units),
        None if e.unit_price is None else format_decimal(e.unit_price),
        e.category.name, e.custom_category, _name(e.client), _name(e.project),
        "true" if e.billable else "false", e.billing_status.value, e.invoice_ref,
        e.approval_status.value, e.reimbursement_status.value, e.notes, ";".join(e.tags),
        e.created_at, e.updated_at, e.deleted_at,
    )  # fmt: skip
