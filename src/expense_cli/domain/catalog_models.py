"""The catalogue's records (categories with their dated prices, clients, projects), as
frozen dataclasses: the records a read of expenses does not build, so `list` and `show`
never import this module (reference §8 start-up bar)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from expense_cli.domain.enums import Approval, Basis, Reimbursement
from expense_cli.domain.models import Ref
from expense_cli.domain.money import format_decimal
from expense_cli.domain.taxes import format_rate


class _Linkable:
    """A catalogue record that expenses link to as `{id, name}`."""

    id: int
    name: str

    @property
    def ref(self) -> Ref:
        return Ref(self.id, self.name)


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
class Category(_Linkable):
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
    tax_rate: Decimal | None = None  # the default rate of new expenses (reference §10.6)

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
            "tax_rate": None if self.tax_rate is None else format_rate(self.tax_rate),
            "default_approval": self.default_approval.value,
            "default_reimbursement": self.default_reimbursement.value,
            "archived": self.archived,
        }


@dataclass(frozen=True)
class Client(_Linkable):
    id: int
    name: str
    currency: str
    archived: bool = False
    markup: Decimal = Decimal(0)  # rebill markup in percent (reference §10.5)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "currency": self.currency,
            "archived": self.archived,
            "markup": format_decimal(self.markup),
        }


@dataclass(frozen=True)
class Project(_Linkable):
    id: int
    name: str
    client: Ref
    client_currency: str
    client_archived: bool = False
    archived: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "client": self.client.to_json(),
            "archived": self.archived,
        }
