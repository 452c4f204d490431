"""Store rows (the `TypedDict` shapes of store/rows.py) to domain records, mapped once here;
the store knows columns, not rules.
Also the plain read of one expense, kept here so `show` loads no use-case machinery."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from expense_cli.domain.models import (
    Approval,
    Basis,
    BillingStatus,
    Category,
    Client,
    Expense,
    Money,
    Project,
    Ref,
    Reimbursement,
    UnitPrice,
    price_on,
)
from expense_cli.domain.money import format_minor
from expense_cli.errors import NotFoundError
from expense_cli.store.listing import TAG_SEPARATOR

if TYPE_CHECKING:
    from expense_cli.store import Store
    from expense_cli.store.rows import CategoryRow, ClientRow, ExpenseRow, ProjectRow, UnitPriceRow


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def category(
    row: CategoryRow, prices: Sequence[UnitPriceRow] = (), today: date | None = None
) -> Category:
    """A category with its dated prices (`store.unit_prices` rows); `unit_price` is the one
    in force `today`."""
    dated = tuple(UnitPrice(date.fromisoformat(p["starts"]), Decimal(p["price"])) for p in prices)
    current = price_on(dated, today) if dated and today else _decimal(row["unit_price"])
    return Category(
        id=row["id"],
        name=row["name"],
        basis=Basis(row["basis"]),
        unit_name=row["unit_name"],
        unit_price=current,
        default_approval=Approval(row["default_approval"]),
        default_reimbursement=Reimbursement(row["default_reimbursement"]),
        archived=bool(row["archived"]),
        is_other=bool(row["is_other"]),
        unit_currency=row["unit_currency"],
        unit_prices=dated,
    )


def client(row: ClientRow) -> Client:
    return Client(row["id"], row["name"], row["currency"], bool(row["archived"]))


def project(row: ProjectRow) -> Project:
    return Project(
        id=row["id"],
        name=row["name"],
        client=Ref(row["client_id"], row["client_name"]),
        client_currency=row["client_currency"],
        client_archived=bool(row["client_archived"]),
        archived=bool(row["archived"]),
    )


def _sorted_tags(joined: str | None) -> tuple[str, ...]:
    """The stored tags of one expense, in the contract's case-insensitive order."""
    if not joined:
        return ()
    return tuple(sorted(joined.split(TAG_SEPARATOR), key=lambda t: (t.casefold(), t)))


def _ref(ref_id: int | None, name: str | None) -> Ref | None:
    return None if ref_id is None else Ref(ref_id, name or "")


def expense(row: ExpenseRow) -> Expense:
    tags = row["tags"]
    return Expense(
        id=row["id"],
        uid=row["uid"],
        description=row["description"],
        date=date.fromisoformat(row["date"]),
        time=row["time"],
        amount=Money(row["amount_minor"], row["currency"], row["scale"]),
        units=_decimal(row["units"]),
        unit_price=_decimal(row["unit_price"]),
        category=Ref(row["category_id"], row["category_name"]),
        custom_category=row["custom_category"],
        client=_ref(row["client_id"], row["client_name"]),
        project=_ref(row["project_id"], row["project_name"]),
        billable=bool(row["billable"]),
        billing_status=BillingStatus(row["billing_status"]),
        invoice_ref=row["invoice_ref"],
        approval_status=Approval(row["approval_status"]),
        reimbursement_status=Reimbursement(row["reimbursement_status"]),
        notes=row["notes"],
        tags=_sorted_tags(tags),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        deleted_at=row["deleted_at"],
    )


def get_expense(store: Store, expense_id: int, *, deleted: bool = False) -> Expense:
    """A live expense; with `deleted`, a deleted one may be shown too (rule 14)."""
    row = store.expense(expense_id)
    if row is None or (row["deleted_at"] is not None and not deleted):
        raise NotFoundError(f"no expense {expense_id}")
    return expense(row)


CSV_SOURCES = (
    "id", "uid", "date", "time", "description", "amount_minor", "scale", "currency", "units",
    "unit_price", "category_name", "custom_category", "client_name", "project_name",
    "billable", "billing_status", "invoice_ref", "approval_status", "reimbursement_status",
    "notes", "tags", "created_at", "updated_at", "deleted_at",
)  # fmt: skip


def csv_row_maker(names: list[str]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """For rows whose columns are `names`: a function giving `models.csv_row(expense(row))`
    without building the record — the export's hot loop. Units and unit prices are stored
    canonical, so they print as stored."""
    pick = itemgetter(*(names.index(source) for source in CSV_SOURCES))

    def flat(row: tuple[Any, ...]) -> tuple[Any, ...]:
        (id_, uid, day, time, description, minor, scale, currency, units, unit_price, category,
         label, client, project, billable, billing, ref, approval, reimbursement, notes, tags,
         created, updated, deleted) = pick(row)  # fmt: skip
        return (
            id_, uid, day, time, description, format_minor(minor, scale), currency, units,
            unit_price, category, label, client, project, "true" if billable else "false",
            billing, ref, approval, reimbursement, notes, ";".join(_sorted_tags(tags)),
            created, updated, deleted,
        )  # fmt: skip

    return flat
