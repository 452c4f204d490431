"""The shapes of the rows the store returns: one `TypedDict` per query, keyed by column.

Annotations only: the rows are the plain dicts `sqlite3` gives (no per-row conversion), so
mypy checks every column a caller reads while reading a million rows costs what it did.
`domain/records.py` maps them to records once. Integers 0/1 are SQLite booleans.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NotRequired

if TYPE_CHECKING:
    from typing import TypedDict
else:  # at run time a shape is a plain dict subclass: typing's TypedDict evaluates every
    TypedDict = dict  # annotation (a compile per column), ~2 ms on every command's start


class SettingRow(TypedDict):
    key: str
    value: str


class CategoryRow(TypedDict):
    """`SELECT * FROM categories`."""

    id: int
    name: str
    name_key: str
    basis: str
    unit_name: str | None
    unit_price: str | None
    default_approval: str
    default_reimbursement: str
    archived: int
    is_other: int
    unit_currency: str | None
    tax_rate: str | None


class UnitPriceRow(TypedDict):
    """One dated price of a category (`starts` is an ISO date, `price` a decimal string)."""

    starts: str
    price: str


class CategoryPriceRow(UnitPriceRow):
    category_id: int


class ClientRow(TypedDict):
    """`SELECT * FROM clients`."""

    id: int
    name: str
    name_key: str
    currency: str
    archived: int
    markup_bp: int  # the rebill markup in hundredths of a percent


class ProjectRow(TypedDict):
    """A project with its client's name, currency and archived flag."""

    id: int
    name: str
    archived: int
    client_id: int
    client_name: str
    client_currency: str
    client_archived: int


class ExpenseRow(TypedDict):
    """The one expense SELECT (`store/listing.py`): the columns, the linked names, the tags
    joined by `\\x1f`, and the value of the sort column (for cursors)."""

    id: int
    uid: str
    description: str
    date: str
    time: str | None
    amount_minor: int
    currency: str
    scale: int
    units: str | None
    unit_price: str | None
    category_id: int
    category_name: str
    custom_category: str | None
    client_id: int | None
    client_name: str | None
    project_id: int | None
    project_name: str | None
    billable: int
    billing_status: str
    invoice_ref: str | None
    approval_status: str
    reimbursement_status: str
    notes: str | None
    created_at: str
    updated_at: str
    deleted_at: str | None
    account: str
    recurring_id: int | None
    rebill_minor: int | None
    tax_rate: str | None
    tax_minor: int | None
    original_minor: int | None
    original_currency: str | None
    amount_from_rate: int
    tags: str | None
    receipts: str | None  # JSON [[id, filename, sha256, size, media_type], ...] or "[]"
    sort_value: Any


class ReportRow(TypedDict):
    """One group of a report: `g0` (and `g1`) are the grouping keys for `by` in order;
    `tag_name` only when grouping by tag."""

    g0: NotRequired[Any]
    g1: NotRequired[Any]
    tag_name: NotRequired[str | None]
    currency: str
    scale: int
    n: int
    total: int
    tax: NotRequired[int]  # with `tax` (reference §10.6)
    day: NotRequired[str]  # with `dated`: the expenses' date (§10.7 conversion)


class LinkProblemRow(TypedDict):
    id: int
    field: str
    problem: str


class UnitRow(TypedDict):
    """An expense priced by units, with what `db check` recomputes its amount from."""

    id: int
    units: str
    unit_price: str
    scale: int
    amount_minor: int


class BillableRow(TypedDict):
    id: int
    client_id: int | None


class InvoiceRow(TypedDict):
    """One invoice ref's live expenses: their client, currency, count and sums (minor
    units at `scale`; `rebill_total` is None only when no line has a rebill amount)."""

    ref: str
    client_id: int | None
    client_name: str | None
    currency: str
    scale: int
    n: int
    total: int
    rebill_total: int | None
    invoiced_at: str | None


class RefHolderRow(TypedDict):
    client_id: int | None
    client_name: str | None
    currency: str


class IdempotencyKeyRow(TypedDict):
    key: str
    fingerprint: str
    expense_id: int
    created_at: str


class BlobRow(TypedDict):
    sha256: str
    size: int


class ReceiptRow(TypedDict):
    """A receipt link with its blob's size and its expense's `deleted_at`."""

    id: int
    expense_id: int
    filename: str
    sha256: str
    size: int
    media_type: str
    deleted_at: str | None


class ImportRuleRow(TypedDict):
    """One rule of `rules list` with its linked names (reference §10.4)."""

    id: int
    position: int
    pattern: str
    category_id: int | None
    category_name: str | None
    custom_category: str | None
    client_id: int | None
    client_name: str | None
    project_id: int | None
    project_name: str | None
    billable: int | None
    tags: str | None  # a JSON list


class ImportProfileRow(TypedDict):
    id: int
    name: str
    options: str  # JSON object of the reading options


class ScheduleRow(TypedDict):
    """`SELECT * FROM recurring`: a recurring schedule (reference §10.3)."""

    id: int
    source_id: int | None
    template: str
    every: str
    interval: int
    start: str
    month_day: int
    until: str | None
    paused: int
    skip_before: str | None
    created_at: str
    updated_at: str
    deleted_at: str | None


class RateRow(TypedDict):
    """One exchange rate: 1 `base` = `rate` `quote` on `date` (reference §10.7)."""

    date: str
    base: str
    quote: str
    rate: str


class ChangeRow(TypedDict):
    """One entry of the change log (reference §10.8)."""

    id: int
    at: str
    command: str
    summary: str
    undoes: int | None


class HistoryRow(ChangeRow):
    """A change of one expense with its states as stored (JSON; None: absent)."""

    before: str | None
    after: str | None
