"""The one SELECT for expenses: allow-listed filters, sorts and keyset pagination.

Every value is a bound parameter; every column or direction comes from the tables below,
never from input, so sort and filter fields cannot inject SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SORT_COLUMNS = {
    "amount": "e.amount_key",
    "date": "e.date",
    "created": "e.created_at",
    "updated": "e.updated_at",
    "id": "e.id",
}
_SELECT = """
SELECT e.id, e.uid, e.description, e.date, e.time, e.amount_minor, e.currency, e.scale,
       e.units, e.unit_price, e.category_id, cat.name AS category_name, e.custom_category,
       e.client_id, cl.name AS client_name, e.project_id, p.name AS project_name,
       e.billable, e.billing_status, e.invoice_ref, e.approval_status,
       e.reimbursement_status, e.notes, e.created_at, e.updated_at, e.deleted_at,
       (SELECT group_concat(t.tag, char(31)) FROM expense_tags t WHERE t.expense_id = e.id)
           AS tags{sort_value}
FROM expenses e
JOIN categories cat ON cat.id = e.category_id
LEFT JOIN clients cl ON cl.id = e.client_id
LEFT JOIN projects p ON p.id = e.project_id"""


@dataclass(frozen=True)
class ExpenseQuery:
    """What to select, already resolved to ids and storage values by the domain."""

    ids: tuple[int, ...] | None = None
    include_deleted: bool = False
    only_deleted: bool = False
    category_ids: tuple[int, ...] = ()
    client_id: int | None = None
    client_name: str | None = None
    project_id: int | None = None
    billable: bool | None = None
    billing_status: str | None = None
    approval_status: str | None = None
    reimbursement_status: str | None = None
    min_amount_key: int | None = None
    max_amount_key: int | None = None
    date_from: str | None = None
    date_to: str | None = None
    created_from: str | None = None
    created_to: str | None = None
    search: str | None = None
    tag_keys: tuple[str, ...] = ()
    all_tags: bool = False
    currency: str | None = None
    sort: str = "created"
    descending: bool = True
    limit: int | None = None
    offset: int | None = None
    after: tuple[Any, int] | None = None  # keyset: (sort value, id) of the last row seen


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(q: ExpenseQuery) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []

    def add(clause: str, *values: Any) -> None:
        clauses.append(clause)
        params.extend(values)

    if q.ids is not None:
        add(f"e.id IN ({', '.join('?' for _ in q.ids)})", *q.ids)
    if q.only_deleted:
        add("e.deleted_at IS NOT NULL")
    elif not q.include_deleted:
        add("e.deleted_at IS NULL")
    if q.category_ids:
        add(f"e.category_id IN ({', '.join('?' for _ in q.category_ids)})", *q.category_ids)
    if q.client_id is not None:
        add("e.client_id = ?", q.client_id)
    if q.client_name is not None:
        add(
            "e.client_id IN (SELECT id FROM clients WHERE name_key LIKE ? ESCAPE '\\')",
            f"%{_like_escape(q.client_name.casefold())}%",
        )
    if q.project_id is not None:
        add("e.project_id = ?", q.project_id)
    if q.billable is not None:
        add("e.billable = ?", int(q.billable))
    for column, value in (
        ("e.billing_status", q.billing_status),
        ("e.approval_status", q.approval_status),
        ("e.reimbursement_status", q.reimbursement_status),
        ("e.currency", q.currency),
    ):
        if value is not None:
            add(f"{column} = ?", value)
    for clause, value in (
        ("e.amount_key >= ?", q.min_amount_key),
        ("e.amount_key <= ?", q.max_amount_key),
        ("e.date >= ?", q.date_from),
        ("e.date <= ?", q.date_to),
        ("e.created_at >= ?", q.created_from),
        ("e.created_at <= ?", q.created_to),
    ):
        if value is not None:
            add(clause, value)
    if q.search is not None:
        pattern = f"%{_like_escape(q.search.casefold())}%"
        add(
            "(lower(e.description) LIKE ? ESCAPE '\\' OR lower(e.custom_category) LIKE ? "
            "ESCAPE '\\' OR lower(e.notes) LIKE ? ESCAPE '\\')",
            pattern, pattern, pattern,
        )  # fmt: skip
    if q.tag_keys:
        marks = ", ".join("?" for _ in q.tag_keys)
        if q.all_tags:
            add(
                f"(SELECT count(*) FROM expense_tags t WHERE t.expense_id = e.id "
                f"AND t.tag_key IN ({marks})) = ?",
                *q.tag_keys, len(set(q.tag_keys)),
            )  # fmt: skip
        else:
            add(
                f"e.id IN (SELECT expense_id FROM expense_tags WHERE tag_key IN ({marks}))",
                *q.tag_keys,
            )
    return clauses, params


def build_select(q: ExpenseQuery) -> tuple[str, list[Any]]:
    """The SQL and parameters for `q`, ordered by the sort column then id."""
    column = SORT_COLUMNS[q.sort]
    clauses, params = _where(q)
    if q.after is not None:
        op = "<" if q.descending else ">"
        if q.sort == "id":
            clauses.append(f"e.id {op} ?")
            params.append(q.after[1])
        else:
            clauses.append(f"({column}, e.id) {op} (?, ?)")
            params.extend(q.after)
    direction = "DESC" if q.descending else "ASC"
    sql = _SELECT.format(sort_value=f", {column} AS sort_value")
    if clauses:
        sql += "\nWHERE " + "\n  AND ".join(clauses)
    order = f"e.id {direction}" if q.sort == "id" else f"{column} {direction}, e.id {direction}"
    sql += f"\nORDER BY {order}"
    if q.limit is not None:
        sql += "\nLIMIT ?"
        params.append(q.limit)
        if q.offset:
            sql += " OFFSET ?"
            params.append(q.offset)
    return sql, params
