"""`list`, `report` and `export` filters, sorting and pagination (reference §3), resolved to a
store query. Every bad value here is a usage error (exit 2), never a validation error."""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import ROUND_CEILING, ROUND_FLOOR, InvalidOperation
from typing import Any, NamedTuple

from expense_cli.domain import records, text
from expense_cli.domain.book import load_settings
from expense_cli.domain.dates import (
    DateOrder,
    format_timestamp,
    local_today,
    parse_date,
    parse_timestamp,
)
from expense_cli.domain.models import BillingStatus, Expense
from expense_cli.domain.money import MAX_MINOR_DIGITS, normalize_currency, plain_decimal
from expense_cli.domain.validation import InvalidValue
from expense_cli.errors import UsageError
from expense_cli.store import Store
from expense_cli.store.listing import ExpenseQuery
from expense_cli.store.rows import ExpenseRow

SORT_ALIASES = {
    "amount": "amount", "date": "date", "expensedate": "date", "created": "created",
    "createdat": "created", "updated": "updated", "updatedat": "updated", "id": "id",
}  # fmt: skip
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
CURSOR_VERSION = 1
MAX_PAGE = 2**62 // MAX_LIMIT  # the offset must stay a 64-bit SQLite integer
_STATUSES = (BillingStatus.INVOICED, BillingStatus.NOT_INVOICED)  # in --status's order


class Filters(NamedTuple):
    """Filter values as typed on the command line (None or empty: not filtering). Like
    `ExpenseQuery`, a NamedTuple: cheaper to define at each start than a dataclass."""

    category: tuple[str, ...] = ()
    client: str | None = None
    client_name: str | None = None
    project: str | None = None
    billable: str | None = None
    status: str | None = None
    approval: str | None = None
    reimbursement: str | None = None
    min_amount: str | None = None
    max_amount: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    created_from: str | None = None
    created_to: str | None = None
    search: str | None = None
    tags: tuple[str, ...] = ()
    all_tags: bool = False
    currency: str | None = None
    deleted: bool = False
    ref: str | None = None
    receipt: bool | None = None  # --receipt / --no-receipt (reference §10.2)


class Paging(NamedTuple):
    sort: str = "-created"
    limit: int | None = DEFAULT_LIMIT
    cursor: str | None = None
    page: int | None = None
    all: bool = False


class Page(NamedTuple):
    expenses: list[Expense]
    limit: int | None
    next_cursor: str | None
    page: int | None = None
    more: bool = False  # further pages follow (with --page too, where next_cursor is null)


def _usage(option: str, message: str) -> UsageError:
    return UsageError(f"{option}: {message}")


def parse_sort(value: str) -> tuple[str, bool]:
    descending = value.startswith("-")
    name = value[1:] if descending else value
    field = SORT_ALIASES.get(name.replace("_", "").lower())
    if field is None:
        allowed = "amount, date, created, updated, id (prefix - for descending)"
        raise _usage("--sort", f"cannot sort by {value!r}; use one of {allowed}")
    return field, descending


def _bool(value: str) -> bool:
    try:
        return text.parse_bool(value)
    except InvalidValue as exc:
        raise _usage("--billable", str(exc)) from None


def _bound(option: str, value: str, lower: bool) -> int:
    """An amount bound as a 4-place integer, rounded inwards so the bound stays exact."""
    amount = plain_decimal(value.strip(" "))
    if amount is None:
        raise _usage(option, f"{value!r} is not a plain non-negative decimal amount")
    try:
        scaled = amount.scaleb(MAX_MINOR_DIGITS)
        return int(scaled.to_integral_value(rounding=ROUND_CEILING if lower else ROUND_FLOOR))
    except InvalidOperation:
        raise _usage(option, f"{value!r} is not a decimal amount") from None


def _day(option: str, value: str, order: DateOrder) -> date:
    try:
        return parse_date(value, order, local_today())[0]
    except InvalidValue as exc:
        raise _usage(option, str(exc)) from None


def _created(option: str, value: str, order: DateOrder, upper: bool) -> str:
    """A created-at bound: a bare date is a UTC calendar day, so an upper one is its end."""
    stripped = value.strip()
    if len(stripped) > 10 and stripped[:4].isdigit():
        try:
            return format_timestamp(parse_timestamp(stripped))
        except InvalidValue as exc:
            raise _usage(option, str(exc)) from None
    day = _day(option, stripped, order)
    moment = datetime.combine(day, time.max if upper else time.min)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _enum(option: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        raise _usage(option, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def build_query(store: Store, f: Filters) -> ExpenseQuery:
    """Resolve typed filters to ids and storage values; unknown names are usage errors."""
    search = None
    if f.search is not None:
        if len(f.search) > text.SEARCH_MAX:
            raise _usage("--search", f"search text is limited to {text.SEARCH_MAX} characters")
        search = f.search.strip() or None
    try:
        tag_keys = tuple(dict.fromkeys(text.tag_key(text.tag(t)) for t in f.tags))
    except InvalidValue as exc:
        raise _usage("--tag", str(exc)) from None
    try:
        currency = normalize_currency(f.currency) if f.currency is not None else None
    except InvalidValue as exc:
        raise _usage("--currency", str(exc)) from None
    if f.client is not None or f.project is not None or f.category:
        from expense_cli.domain.catalog import Miss, category_id, client_id, project_id
    client = client_id(store, f.client, Miss.FILTER) if f.client is not None else None
    project = None
    if f.project is not None:
        project = project_id(store, f.project, Miss.FILTER, client_id=client)
    order = load_settings(store, checked=("date_order",)).date_order  # no ISO table for a read

    def day(option: str, value: str | None) -> str | None:
        return None if value is None else _day(option, value, order).isoformat()

    def created(option: str, value: str | None, upper: bool) -> str | None:
        return None if value is None else _created(option, value, order, upper)

    return ExpenseQuery(
        only_deleted=f.deleted,
        category_ids=tuple(category_id(store, c, Miss.FILTER) for c in f.category),
        client_id=client,
        client_name=f.client_name,
        project_id=project,
        billable=None if f.billable is None else _bool(f.billable),
        billing_status=_enum("--status", f.status, _STATUSES),
        approval_status=f.approval,
        reimbursement_status=f.reimbursement,
        min_amount_key=None if f.min_amount is None else _bound("--min", f.min_amount, True),
        max_amount_key=None if f.max_amount is None else _bound("--max", f.max_amount, False),
        date_from=day("--from", f.date_from),
        date_to=day("--to", f.date_to),
        created_from=created("--created-from", f.created_from, False),
        created_to=created("--created-to", f.created_to, True),
        search=search,
        tag_keys=tag_keys,
        all_tags=f.all_tags,
        currency=currency,
        invoice_ref=_ref(f.ref),
        has_receipt=f.receipt,
    )


def _ref(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return text.invoice_ref(value)
    except InvalidValue as exc:
        raise _usage("--ref", str(exc)) from None


# cursors ------------------------------------------------------------------------------
def _scope(query: ExpenseQuery) -> str:
    """A digest of everything but the page position: a cursor only fits its own query."""
    scope = query._replace(limit=None, offset=None, after=None)._asdict()
    # Not a secret, only a tie to the query: crc32 spares hashlib's import on every list.
    return f"{zlib.crc32(json.dumps(scope, sort_keys=True).encode()):08x}"


def encode_cursor(query: ExpenseQuery, last: ExpenseRow) -> str:
    payload = {"v": CURSOR_VERSION, "q": _scope(query), "k": [last["sort_value"], last["id"]]}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(query: ExpenseQuery, cursor: str) -> tuple[Any, int]:
    try:
        padded = (cursor + "=" * (-len(cursor) % 4)).encode("ascii")
        raw = base64.b64decode(padded, altchars=b"-_", validate=True)  # no silent skipping
        payload = json.loads(raw)
        version, scope = payload["v"], payload["q"]
        value, last_id = payload["k"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeError, RecursionError):
        raise _usage("--cursor", "not a cursor printed by `expense list`") from None
    if type(version) is not int or version != CURSOR_VERSION:
        raise _usage("--cursor", "this cursor was made by another version of expense")
    if scope != _scope(query):
        raise _usage("--cursor", "this cursor was made for another sort or other filters")
    if not (_is_int64(last_id) and last_id > 0 and _fits_sort(query.sort, value)):
        raise _usage("--cursor", "not a cursor printed by `expense list`")
    return value, last_id


def _is_int64(value: object) -> bool:
    return type(value) is int and -(2**63) <= value < 2**63  # bool is no id


# What each sort's key looks like in the book: a forged cursor must not page off a value
# of another type (SQLite orders any integer before any text, so the page would be wrong).
_SORT_KEYS = {
    "date": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
    "created": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z"),
    "updated": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z"),
}


def _fits_sort(sort: str, value: object) -> bool:
    pattern = _SORT_KEYS.get(sort)
    if pattern is None:  # amount (its integer key, never negative) and id (from 1)
        return _is_int64(value) and value >= (1 if sort == "id" else 0)  # type: ignore[operator]
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def check_paging(paging: Paging) -> int:
    """The page size, once `--cursor`, `--page`, `--all` and `--limit` are known to fit."""
    given = (("--cursor", paging.cursor is not None), ("--page", paging.page is not None),
             ("--all", paging.all))  # fmt: skip
    chosen = [name for name, on in given if on]
    if len(chosen) > 1:
        raise UsageError(f"{' and '.join(chosen)} exclude each other")
    limit = paging.limit if paging.limit is not None else DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise _usage("--limit", f"must be 1–{MAX_LIMIT}, got {limit}")
    if paging.page is not None and paging.page < 1:
        raise _usage("--page", f"pages start at 1, got {paging.page}")
    if paging.page is not None and paging.page > MAX_PAGE:
        raise _usage("--page", f"page {paging.page} is past any book's end; use --cursor")
    return limit


def list_page(store: Store, filters: Filters, paging: Paging) -> Page:
    """One page by keyset (`cursor`) or by offset (`page`); `--all` streams `iter_all`."""
    sort, descending = parse_sort(paging.sort)
    limit = check_paging(paging)
    with store.read():
        query = build_query(store, filters)._replace(sort=sort, descending=descending)
        after = decode_cursor(query, paging.cursor) if paging.cursor is not None else None
        offset = (paging.page - 1) * limit if paging.page else None
        fetched = list(
            store.iter_expenses(query._replace(limit=limit + 1, after=after, offset=offset))
        )
    more = len(fetched) > limit
    page_rows = fetched[:limit]
    cursor = encode_cursor(query, page_rows[-1]) if more and paging.page is None else None
    return Page([records.expense(r) for r in page_rows], limit, cursor, paging.page, more)


def iter_all(store: Store, filters: Filters, sort: str = "-created") -> Iterator[Expense]:
    """Every matching expense, streamed (for `list --all` and `export`). Filters are checked
    now, before the caller writes anything; rows are read later, in one snapshot."""
    field, descending = parse_sort(sort)
    query = build_query(store, filters)._replace(sort=field, descending=descending)
    return _stream(store, query)


def _stream(store: Store, query: ExpenseQuery) -> Iterator[Expense]:
    with store.read():
        for row in store.iter_expenses(query):
            yield records.expense(row)


def iter_csv_rows(
    store: Store, filters: Filters, sort: str = "-created"
) -> Iterator[tuple[Any, ...]]:
    """`iter_all` as flat CSV rows (`models.csv_row`), without building each record."""
    field, descending = parse_sort(sort)
    query = build_query(store, filters)._replace(sort=field, descending=descending)
    return _stream_csv_rows(store, query)


def _stream_csv_rows(store: Store, query: ExpenseQuery) -> Iterator[tuple[Any, ...]]:
    with store.read():
        names, found = store.iter_expense_tuples(query)
        yield from map(records.csv_row_maker(names), found)


def iter_csv_chunks(
    store: Store, filters: Filters, sort: str = "-created"
) -> Iterator[str | tuple[Any, ...]]:
    """`iter_csv_rows` for `export -f csv`, most of it rendered by SQLite: runs of finished
    CSV text (`str`, each line ending in a newline) that need nothing more, and between
    them flat rows (`tuple`) for `render` to neutralise and escape — the rows holding a
    control character, a line break, or a cell starting like a formula."""
    field, descending = parse_sort(sort)
    query = build_query(store, filters)._replace(sort=field, descending=descending)
    return _stream_csv_chunks(store, query)


# In SQLite's lines a cell starts after a `,` (the first is the id, never neutralised),
# quoted or not; a leading tab or CR is a control character, found by `isprintable`.
_FORMULA_CELL = re.compile(",\"?[=+@'-]")


def _stream_csv_chunks(store: Store, query: ExpenseQuery) -> Iterator[str | tuple[Any, ...]]:
    digits = _minor_digits()
    with store.read():
        for lines in store.iter_csv_lines(query, digits):
            try:  # an int among the lines (a row SQLite left to Python) fails the test
                clean = all(map(str.isprintable, lines))  # no control, bidi or line break
            except TypeError:
                clean = False
            chunk = "\n".join([*lines, ""]) if clean else ""  # each line ends in "\n"
            if clean and _FORMULA_CELL.search(chunk) is None:
                yield chunk
            else:
                yield from _mixed_chunks(store, lines)


def _mixed_chunks(store: Store, lines: list[Any]) -> Iterator[str | tuple[Any, ...]]:
    """A batch with rows SQLite's text cannot carry: those come through the record path."""
    ids = {
        line if line.__class__ is int else int(line[: line.index(",")])
        for line in lines
        if line.__class__ is int or text.CONTROL_CHARS.search(line) or _FORMULA_CELL.search(line)
    }
    rows: dict[int, tuple[Any, ...]] = {}
    if ids:  # else only harmless non-printables (a no-break space): SQLite's text stands
        names, found = store.iter_expense_tuples(
            ExpenseQuery(ids=tuple(sorted(ids)), include_deleted=True, sort="id", descending=False)
        )
        flat = records.csv_row_maker(names)
        at = names.index("id")
        rows = {row[at]: flat(row) for row in found}
    run: list[str] = []
    for line in lines:
        key = line if line.__class__ is int else int(line[: line.index(",")])
        if key in ids:
            if run:
                yield "\n".join(run) + "\n"
                run = []
            yield rows[key]
        else:
            run.append(line)
    if run:
        yield "\n".join(run) + "\n"


def _minor_digits() -> dict[str, int]:
    """Minor digits of every ISO 4217 currency that has them (original amounts' SQL)."""
    from expense_cli.domain.currency_table import DIGITS

    return {code: digits for code, digits in DIGITS.items() if digits is not None}


def count(store: Store, filters: Filters) -> int:
    """How many expenses match (for progress bars)."""
    with store.read():
        return store.count_expenses(build_query(store, filters))
