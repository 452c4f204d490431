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
    Expense,
    Money,
    Receipt,
    Ref,
    Reimbursement,
)
from expense_cli.domain.money import currency_digits, format_minor
from expense_cli.domain.taxes import format_rate
from expense_cli.errors import NotFoundError
from expense_cli.store.listing import TAG_SEPARATOR

if TYPE_CHECKING:
    from expense_cli.domain.catalog_models import Category, Client, Project
    from expense_cli.store import Store
    from expense_cli.store.rows import CategoryRow, ClientRow, ExpenseRow, ProjectRow, UnitPriceRow


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def category(
    row: CategoryRow, prices: Sequence[UnitPriceRow] = (), today: date | None = None
) -> Category:
    """A category with its dated prices (`store.unit_prices` rows); `unit_price` is the one
    in force `today`."""
    from expense_cli.domain.catalog_models import Category, UnitPrice, price_on

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
        tax_rate=_decimal(row["tax_rate"]),
    )


def client(row: ClientRow) -> Client:
    from expense_cli.domain.catalog_models import Client

    return Client(
        row["id"], row["name"], row["currency"], bool(row["archived"]),
        Decimal(row["markup_bp"]).scaleb(-2),
    )  # fmt: skip


def project(row: ProjectRow) -> Project:
    from expense_cli.domain.catalog_models import Project

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
        rebill_amount=None
        if row["rebill_minor"] is None
        else Money(row["rebill_minor"], row["currency"], row["scale"]),
        approval_status=Approval(row["approval_status"]),
        reimbursement_status=Reimbursement(row["reimbursement_status"]),
        notes=row["notes"],
        tags=_sorted_tags(tags),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        deleted_at=row["deleted_at"],
        receipts=receipts(row["receipts"]),
        account=row["account"],
        recurring_id=row["recurring_id"],
        **_money_fields(row),
    )


def _money_fields(row: ExpenseRow) -> dict[str, Any]:
    """Tax and foreign amount (reference §10.6, §10.7) as `Expense` keyword arguments."""
    original = row["original_currency"]
    return {
        "tax_rate": _decimal(row["tax_rate"]),
        "tax": None
        if row["tax_minor"] is None
        else Money(row["tax_minor"], row["currency"], row["scale"]),
        "original": None
        if original is None or row["original_minor"] is None
        else Money(row["original_minor"], original, currency_digits(original)),
        "amount_from_rate": bool(row["amount_from_rate"]),
    }


def receipts(joined: str | None) -> tuple[Receipt, ...]:
    """The `receipts` column of the expense SELECT: a JSON array of
    `[id, filename, sha256, size, media_type]`, `"[]"` (or NULL) for none."""
    if not joined or joined == "[]":
        return ()
    import json

    return tuple(Receipt(*item) for item in json.loads(joined))


def receipt_count(joined: str | None) -> int:
    return len(receipts(joined))


def invoice_holders(store: Store, ref: str) -> list[tuple[Ref | None, str]]:
    """The client and currency of every expense the book holds under invoice `ref`."""
    return [(_ref(h["client_id"], h["client_name"]), h["currency"]) for h in store.ref_holders(ref)]


def expense_row(store: Store, expense_id: int, *, deleted: bool = False) -> ExpenseRow:
    """The stored row of a live expense; with `deleted`, of a deleted one too (rule 14)."""
    row = store.expense(expense_id)
    if row is None or (row["deleted_at"] is not None and not deleted):
        raise NotFoundError(f"no expense {expense_id}")
    return row


def get_expense(store: Store, expense_id: int, *, deleted: bool = False) -> Expense:
    """A live expense; with `deleted`, a deleted one may be shown too (rule 14)."""
    return expense(expense_row(store, expense_id, deleted=deleted))


CSV_SOURCES = (
    "id", "uid", "date", "time", "description", "amount_minor", "scale", "currency", "units",
    "unit_price", "category_name", "custom_category", "client_name", "project_name",
    "billable", "billing_status", "invoice_ref", "rebill_minor", "approval_status",
    "reimbursement_status",
    "notes", "tags", "created_at", "updated_at", "deleted_at", "account",
)  # fmt: skip


def csv_row_maker(names: list[str]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """For rows whose columns are `names`: a function giving `models.csv_row(expense(row))`
    without building the record — the export's hot loop. Units and unit prices are stored
    canonical, so they print as stored."""
    pick = itemgetter(*(names.index(source) for source in CSV_SOURCES))
    money = money_cells_maker(names)
    recurring_at = names.index("recurring_id")  # reference §10.3

    def flat(row: tuple[Any, ...]) -> tuple[Any, ...]:
        (id_, uid, day, time, description, minor, scale, currency, units, unit_price, category,
         label, client, project, billable, billing, ref, rebill, approval, reimbursement, notes,
         tags,
         created, updated, deleted, account) = pick(row)  # fmt: skip
        return (
            id_, uid, day, time, description, format_minor(minor, scale), currency, units,
            unit_price, category, label, client, project, "true" if billable else "false",
            billing, ref, None if rebill is None else format_minor(rebill, scale), approval,
            reimbursement, notes, ";".join(_sorted_tags(tags)),
            created, updated, deleted, account,
            *money(row), row[recurring_at],
        )  # fmt: skip

    at = names.index("receipts")  # the last column (reference §10.2): the count
    return lambda row: (*flat(row), receipt_count(row[at]))


MONEY_SOURCES = (
    "tax_rate", "tax_minor", "amount_minor", "scale", "original_minor", "original_currency",
    "amount_from_rate",
)  # fmt: skip


def money_cells_maker(names: list[str]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """`models.money_cells` from bare rows whose columns are `names`."""
    pick = itemgetter(*(names.index(source) for source in MONEY_SOURCES))

    def cells(row: tuple[Any, ...]) -> tuple[Any, ...]:
        rate, tax, minor, scale, original, currency, from_rate = pick(row)
        return (
            None if rate is None else format_rate(Decimal(rate)),
            format_minor(tax or 0, scale), format_minor(minor - (tax or 0), scale),
            None if original is None or currency is None
            else format_minor(original, currency_digits(currency)),
            currency if original is not None else None,
            "true" if from_rate else "false",
        )  # fmt: skip

    return cells
