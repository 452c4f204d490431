"""The one SELECT for expenses: allow-listed filters, sorts, keyset pagination, and a pinned
query plan.

Every value is a bound parameter; every column or direction comes from the tables below,
never from input, so sort and filter fields cannot inject SQL.

Plans are chosen here, not left to the planner (which, without statistics, once answered a
harmless extra `date >= …` with a full sort of a million rows). Each query is driven by one
index and every other term is written with a unary `+`, which SQLite never uses for an
index (https://sqlite.org/optoverview.html#disqualifying_where_clause_terms_using_unary_):
- `walk`: the partial `live_<sort>` index is read in sort order from the keyset position;
  filters are checked per row, and the LIMIT stops the walk. The index carries the
  category, client and project after `(sort, id)`, so a link filter is checked on the
  index entry itself (SQLite defers the row read until a column it lacks is needed).
- `set`: when a cheap bounded count shows a filter matches few rows (a tag, a search, a
  date/created/amount range, one category, client or project), the query starts from that
  small set and sorts it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from expense_cli.store.schema import SUM_SPLIT, index_name

SORT_COLUMNS = {
    "amount": "amount_key",
    "date": "date",
    "created": "created_at",
    "updated": "updated_at",
    "id": "id",
}
SMALL_SET = 10_000  # rows a `set` plan may sort; beyond it, walking in order is cheaper
# A `set` row (a row read, then its share of the sort) costs about as much as this many
# live_<sort> entries walked with the link checked in the index (measured at 1,000,000).
SET_ROW_COST = 100
# Joins an expense's tags in one column; tags cannot hold control characters, so this
# never splits one. The SELECT joins with it; `domain.records` splits on it.
TAG_SEPARATOR = "\x1f"
_SELECT = f"""
SELECT e.id, e.uid, e.description, e.date, e.time, e.amount_minor, e.currency, e.scale,
       e.units, e.unit_price, e.category_id, cat.name AS category_name, e.custom_category,
       e.client_id, cl.name AS client_name, e.project_id, p.name AS project_name,
       e.billable, e.billing_status, e.invoice_ref, e.approval_status,
       e.reimbursement_status, e.notes, e.created_at, e.updated_at, e.deleted_at,
       e.account, e.rebill_minor, e.recurring_id,
       e.tax_rate, e.tax_minor, e.original_minor, e.original_currency, e.amount_from_rate,
       (SELECT group_concat(t.tag, char({ord(TAG_SEPARATOR)})) FROM expense_tags t
        WHERE t.expense_id = e.id) AS tags, e.{{sort}} AS sort_value,
       (SELECT json_group_array(json_array(r.id, r.filename, r.sha256, b.size, r.media_type))
        FROM receipts r JOIN blobs b ON b.sha256 = r.sha256
        WHERE r.expense_id = e.id) AS receipts
FROM expenses e
JOIN categories cat ON cat.id = e.category_id
LEFT JOIN clients cl ON cl.id = e.client_id
LEFT JOIN projects p ON p.id = e.project_id"""
# Range filters and the index column a `set` plan would read them from.
RANGES = {
    "date": ("date_from", "date_to"),
    "created_at": ("created_from", "created_to"),
    "amount_key": ("min_amount_key", "max_amount_key"),
}


class ExpenseQuery(NamedTuple):
    """What to select, already resolved to ids and storage values by the domain. A
    NamedTuple, not a frozen dataclass: every command that reads expenses defines it, and
    generating a 27-field dataclass's methods cost ~1.3 ms of each start (reference §8)."""

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
    invoice_ref: str | None = None
    has_receipt: bool | None = None  # --receipt / --no-receipt (reference §10.2)
    sort: str = "created"
    descending: bool = True
    limit: int | None = None
    offset: int | None = None
    after: tuple[Any, int] | None = None  # keyset: (sort value, id) of the last row seen


class Plan(NamedTuple):
    """Which index drives the query: `walk` reads in sort order, `set` sorts a small set."""

    kind: str = "walk"
    link: str | None = None  # walk: the filtered link (its expenses_by_<link> serves --sort id)
    source: str | None = None  # set: "tags", "search", or a range column
    indexed: frozenset[str] = frozenset()


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def fts_phrase(text: str) -> str:
    """A search string as one FTS5 phrase: with trigrams, a case-insensitive substring."""
    return '"' + text.replace('"', '""') + '"'


CLIENTS_NAMED = "SELECT id FROM clients WHERE name_key LIKE ? ESCAPE '\\'"


def client_name_pattern(text: str) -> str:
    return f"%{_like_escape(text.casefold())}%"


def equality_filters(q: ExpenseQuery) -> dict[str, Any]:
    """`column → value` of the filters served by the small live_by_<column> indexes."""
    values = {
        "billable": None if q.billable is None else int(q.billable),
        "billing_status": q.billing_status,
        "approval_status": q.approval_status,
        "reimbursement_status": q.reimbursement_status,
        "currency": q.currency,
    }
    return {column: value for column, value in values.items() if value is not None}


def link_filter(q: ExpenseQuery) -> tuple[str, int] | None:
    """The single link equality filter: its expenses_by_<link> index can seed a set (or
    serve an id walk), and the live_<sort> indexes hold it for a walk."""
    if q.project_id is not None:
        return "project_id", q.project_id
    if q.client_id is not None:
        return "client_id", q.client_id
    if len(set(q.category_ids)) == 1:
        return "category_id", q.category_ids[0]
    return None


def range_bounds(q: ExpenseQuery, column: str) -> tuple[Any, Any]:
    low, high = RANGES[column]
    return getattr(q, low), getattr(q, high)


class _Where:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.clauses: list[str] = []
        self.params: list[Any] = []

    def col(self, column: str) -> str:
        """`e.col` where the plan's index serves it, `+e.col` (never indexed) elsewhere."""
        return f"e.{column}" if column in self.plan.indexed else f"+e.{column}"

    def add(self, clause: str, *values: Any) -> None:
        self.clauses.append(clause)
        self.params.extend(values)


def _filters(q: ExpenseQuery, w: _Where) -> None:
    if q.ids is not None:
        w.add(f"e.id IN ({', '.join('?' for _ in q.ids)})", *q.ids)
    if q.only_deleted:
        w.add("e.deleted_at IS NOT NULL")
    elif not q.include_deleted:
        w.add("e.deleted_at IS NULL")  # implies the partial live_* indexes
    if q.category_ids:
        marks = ", ".join("?" for _ in q.category_ids)
        w.add(f"{w.col('category_id')} IN ({marks})", *q.category_ids)
    for column, value in (("client_id", q.client_id), ("project_id", q.project_id)):
        if value is not None:
            w.add(f"{w.col(column)} = ?", value)
    if q.client_name is not None:
        w.add(f"{w.col('client_id')} IN ({CLIENTS_NAMED})", client_name_pattern(q.client_name))
    for column, value in equality_filters(q).items():
        w.add(f"{w.col(column)} = ?", value)
    if q.invoice_ref is not None:
        w.add(f"{w.col('invoice_ref')} = ?", q.invoice_ref)
    for column in RANGES:
        low, high = range_bounds(q, column)
        if low is not None:
            w.add(f"{w.col(column)} >= ?", low)
        if high is not None:
            w.add(f"{w.col(column)} <= ?", high)
    _search(q, w)
    _tags(q, w)
    _receipts(q, w)


def _search(q: ExpenseQuery, w: _Where) -> None:
    if q.search is None:
        return
    if w.plan.source == "search":
        w.add("e.id IN (SELECT rowid FROM expense_search WHERE expense_search MATCH ?)",
              fts_phrase(q.search))  # fmt: skip
        return
    # Walking in order: test each row (few rows when matches are common). SQLite's LIKE
    # folds ASCII case in C; other scripts need Python's lower() (expense_lower).
    if q.search.isascii():
        pattern = f"%{_like_escape(q.search)}%"
        w.add(
            "(e.description LIKE ? ESCAPE '\\' OR e.custom_category LIKE ? ESCAPE '\\'"
            " OR e.notes LIKE ? ESCAPE '\\')",
            pattern, pattern, pattern,
        )  # fmt: skip
        return
    needle = q.search.lower()
    w.add(
        "(instr(expense_lower(e.description), ?) OR instr(expense_lower(e.custom_category), ?)"
        " OR instr(expense_lower(e.notes), ?))",
        needle, needle, needle,
    )  # fmt: skip


def _tags(q: ExpenseQuery, w: _Where) -> None:
    if not q.tag_keys:
        return
    marks = ", ".join("?" for _ in q.tag_keys)
    if q.all_tags:
        w.add(
            "(SELECT count(*) FROM expense_tags t WHERE t.expense_id = e.id "
            f"AND t.tag_key IN ({marks})) = ?",
            *q.tag_keys, len(set(q.tag_keys)),
        )  # fmt: skip
    if w.plan.source == "tags":
        w.add(f"e.id IN (SELECT expense_id FROM expense_tags WHERE tag_key IN ({marks}))",
              *q.tag_keys)  # fmt: skip
    elif not q.all_tags:
        w.add(
            "EXISTS (SELECT 1 FROM expense_tags t WHERE t.expense_id = e.id "
            f"AND t.tag_key IN ({marks}))",
            *q.tag_keys,
        )


# Expenses with at least one receipt: few in most books, so `--receipt` may start from them.
WITH_RECEIPTS = "SELECT expense_id FROM receipts"


def _receipts(q: ExpenseQuery, w: _Where) -> None:
    """`--receipt`/`--no-receipt`: one probe of the receipts_by_expense index per row."""
    if q.has_receipt is None:
        return
    if q.has_receipt and w.plan.source == "receipts":
        w.add(f"e.id IN ({WITH_RECEIPTS})")
        return
    exists = "EXISTS (SELECT 1 FROM receipts r WHERE r.expense_id = e.id)"
    w.add(exists if q.has_receipt else f"NOT {exists}")


def build_select(
    q: ExpenseQuery, plan: Plan | None = None, select: str | None = None
) -> tuple[str, list[Any]]:
    """The SQL and parameters for `q` under `plan`, ordered by the sort column then id.

    A page is found in two steps: the ids of the page from `expenses` alone (what the plan
    is about), then their names and tags — so a `set` plan sorts bare keys, not full rows.
    `select` replaces the expense columns of an unlimited stream (`csv_lines.csv_select`).
    """
    plan = plan or Plan(kind="set", source="ids")
    column = SORT_COLUMNS[q.sort]
    w = _Where(plan)
    _filters(q, w)
    walk = plan.kind == "walk"
    sort_col = f"e.{column}" if walk else f"+e.{column}"
    id_col = "e.id" if walk else "+e.id"
    if q.after is not None:
        op = "<" if q.descending else ">"
        if column == "id":
            w.add(f"{id_col} {op} ?", q.after[1])
        else:
            w.add(f"({sort_col}, {id_col}) {op} (?, ?)", *q.after)
    direction = "DESC" if q.descending else "ASC"
    order = (
        f"{id_col} {direction}"
        if column == "id"
        else f"{sort_col} {direction}, {id_col} {direction}"
    )
    where = ("\nWHERE " + "\n  AND ".join(w.clauses)) if w.clauses else ""
    params = w.params
    if q.limit is None:  # --all, export: one streaming pass in order
        head = _SELECT.format(sort=column) if select is None else select
        return f"{head}{where}\nORDER BY {order}", params
    # A range's set reads its live_<column> index: the covering live_report_days (it holds
    # `date` and `deleted_at`) would otherwise win a date range and read wider entries.
    pinned = (
        f" INDEXED BY {index_name(plan.source)}"
        if plan.kind == "set" and plan.source in RANGES and "e.deleted_at IS NULL" in w.clauses
        else ""
    )
    page = f"SELECT e.id FROM expenses e{pinned}{where}\nORDER BY {order}\nLIMIT ?"
    params.append(q.limit)
    if q.offset:
        page += " OFFSET ?"
        params.append(q.offset)
    # The outer ORDER BY re-sorts at most one page; `+` keeps it off the big indexes.
    outer = (
        f"+e.id {direction}" if column == "id" else f"+e.{column} {direction}, +e.id {direction}"
    )
    sql = f"{_SELECT.format(sort=column)}\nWHERE e.id IN ({page})\nORDER BY {outer}"
    return sql, params


def walk_plan(q: ExpenseQuery) -> Plan:
    """Read the live_<sort> index in order (a link filter is checked on its entries); the
    id sort walks the rowid, or the expenses_by_<link> index of a link filter."""
    column = SORT_COLUMNS[q.sort]
    indexed = {column, "id"}
    link = link_filter(q)
    if link is not None and column == "id":
        indexed.add(link[0])
    if column in RANGES:
        indexed.add(column)  # a range on the sort column narrows the same index
    return Plan("walk", link[0] if link else None, None, frozenset(indexed))


def index_for(plan: Plan, q: ExpenseQuery) -> str | None:
    """The index a plan is meant to use (what the plan tests expect to see)."""
    column = SORT_COLUMNS[q.sort]
    if plan.kind != "walk" or column == "id":
        return None
    return index_name(column)


# reports ------------------------------------------------------------------------------
GROUPS = {
    "category": "e.category_id",
    "client": "e.client_id",
    "project": "e.project_id",
    "month": "substr(e.date, 1, 7)",
    "year": "substr(e.date, 1, 4)",
    # reference §10.6: 2026-Q1 … 2026-Q4, chronological as text
    "quarter": "substr(e.date, 1, 4) || '-Q' || ((CAST(substr(e.date, 6, 2) AS INTEGER) + 2) / 3)",
    "tag": "t.tag_key",
    "ref": "e.invoice_ref",  # reference §10.5; not invoiced under a ref: null
}


def build_report(
    q: ExpenseQuery,
    by: tuple[str, ...],
    *,
    wide: bool = False,
    tax: bool = False,
    dated: bool = False,
) -> tuple[str, list[Any]]:
    """Counts and integer sums per group, currency and minor digits; the filters are the
    list filters, with the date range free to use the covering `live_report_days` index.
    `wide` sums in two parts (`total_hi`, `total_lo`) for totals beyond 64 bits."""
    w = _Where(Plan("set", source="report", indexed=frozenset({"date"})))
    _filters(q, w)
    keys = [f"{GROUPS[name]} AS g{i}" for i, name in enumerate(by)]
    tag_name = ", min(t.tag) AS tag_name" if "tag" in by else ""
    join = "\nLEFT JOIN expense_tags t ON t.expense_id = e.id" if "tag" in by else ""
    where = ("\nWHERE " + "\n  AND ".join(w.clauses)) if w.clauses else ""
    total = (
        f"sum(e.amount_minor / {SUM_SPLIT}) AS total_hi, sum(e.amount_minor % {SUM_SPLIT}) "
        "AS total_lo"
        if wide
        else "sum(e.amount_minor) AS total"
    )
    # reference §10.6, §10.7: the tax beside the total; per date, for conversion
    extra = [_tax_sum(wide)] if tax else []
    extra += ["e.date AS day"] if dated else []
    if day_totals_serve(q, by, tax=tax, dated=dated):  # kept sums: always in two parts
        day, params = _day_totals(q, tax=tax) if set(by) <= DAY_GROUPS else _ref_months(q)
        return _by_day(by, day, wide=True, tax=tax, dated=dated), params
    if set(by) <= DAY_GROUPS:
        return _by_day(by, _day_rows(where, wide=wide, tax=tax), wide=wide, tax=tax,
                       dated=dated), w.params  # fmt: skip
    columns = ", ".join([*keys, "e.currency", "e.scale", "count(*) AS n", total, *extra])
    by_date = ["e.date"] if dated else []
    groups = ", ".join([*(f"g{i}" for i in range(len(by))), "e.currency", "e.scale", *by_date])
    sql = f"SELECT {columns}{tag_name}\nFROM expenses e{join}{where}\nGROUP BY {groups}"
    return sql, w.params


# Groupings computed from one row per day, category, currency and scale: the inner query
# streams `live_report_days` in its order (no sort of the range, a year's ~200,000 rows
# become ~12,000), the outer one sorts only those.
DAY_GROUPS = frozenset({"category", "month", "year", "quarter"})


def _day_rows(where: str, *, wide: bool, tax: bool) -> str:
    """One row per day, category, currency and scale of the matching expenses."""
    sums = ["e.amount_minor"] + (["coalesce(e.tax_minor, 0)"] if tax else [])
    names = ["total"] + (["tax"] if tax else [])
    inner = []
    for expr, name in zip(sums, names, strict=True):
        if wide:
            inner += [f"sum({expr} / {SUM_SPLIT}) AS {name}_hi",
                      f"sum({expr} % {SUM_SPLIT}) AS {name}_lo"]  # fmt: skip
        else:
            inner.append(f"sum({expr}) AS {name}")
    return (
        "SELECT e.date AS date, e.category_id AS category_id, e.currency AS currency, "
        f"e.scale AS scale, count(*) AS n, {', '.join(inner)}\nFROM expenses e{where}\n"
        "GROUP BY e.date, e.category_id, e.currency, e.scale"
    )


# What `day_totals` (schema step `m_day_totals`) can answer: live expenses filtered by date,
# category and currency only, grouped by what a day and a category determine, or by invoice
# ref (reference §10.5) with a period, through the invoiced rows' own index.
_DAY_TOTALS_FILTERS = frozenset({"category_ids", "currency", "date_from", "date_to"})
_PAGING = frozenset({"sort", "descending", "limit", "offset", "after"})
REF_GROUPS = frozenset({"ref", "month", "year", "quarter"})


def day_totals_serve(
    q: ExpenseQuery, by: tuple[str, ...], *, tax: bool = False, dated: bool = False
) -> bool:
    """Whether the report reads `day_totals` rather than every matching expense."""
    defaults = ExpenseQuery._field_defaults
    only_days = all(
        getattr(q, name) == defaults[name]
        for name in ExpenseQuery._fields
        if name not in _DAY_TOTALS_FILTERS | _PAGING
    )
    by_ref = "ref" in by and set(by) <= REF_GROUPS and not (tax or dated)
    return only_days and (set(by) <= DAY_GROUPS or by_ref)


def _day_filters(q: ExpenseQuery) -> tuple[list[str], list[Any]]:
    """The date, category and currency filters on columns `day_totals` shares."""
    clauses: list[str] = []
    params: list[Any] = []
    if q.category_ids:
        clauses.append(f"category_id IN ({', '.join('?' for _ in q.category_ids)})")
        params += q.category_ids
    for clause, value in (("currency = ?", q.currency), ("date >= ?", q.date_from),
                          ("date <= ?", q.date_to)):  # fmt: skip
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return clauses, params


def _day_totals(q: ExpenseQuery, *, tax: bool) -> tuple[str, list[Any]]:
    """`_day_rows` read from `day_totals`, its sums in two parts (total_hi, total_lo, …)."""
    clauses, params = _day_filters(q)
    where = ("\nWHERE " + " AND ".join(clauses)) if clauses else ""
    sums = "total_hi, total_lo" + (", tax_hi, tax_lo" if tax else "")
    return f"SELECT date, category_id, currency, scale, n, {sums}\nFROM day_totals{where}", params


def _ref_months(q: ExpenseQuery) -> tuple[str, list[Any]]:
    """One row per month, ref, currency and scale, sums in two parts: the invoiced rows
    from `live_invoiced_months` in its order (a month range of it for a date range), and
    per month the rows without a ref as `day_totals` less the invoiced ones."""
    clauses, params = _day_filters(q)
    month = "substr(date, 1, 7)"  # the index's own expression, so the planner uses it
    bounds = [(f"{month} >= ?", q.date_from), (f"{month} <= ?", q.date_to)]
    months = [clause for clause, day in bounds if day is not None]
    invoiced_where = " AND ".join(
        ["deleted_at IS NULL", "invoice_ref IS NOT NULL", *months, *clauses]
    )
    kept_where = ("\n  WHERE " + " AND ".join(clauses)) if clauses else ""
    s = SUM_SPLIT
    sql = f"""WITH invoiced AS MATERIALIZED (
  SELECT {month} AS month, invoice_ref, currency, scale, count(*) AS n,
    sum(amount_minor / {s}) AS total_hi, sum(amount_minor % {s}) AS total_lo
  FROM expenses INDEXED BY live_invoiced_months WHERE {invoiced_where}
  GROUP BY {month}, invoice_ref, currency, scale)
SELECT month AS date, invoice_ref, currency, scale, n, total_hi, total_lo FROM invoiced
UNION ALL
SELECT t.month, NULL, t.currency, t.scale, t.n - coalesce(i.n, 0),
  t.total_hi - coalesce(i.total_hi, 0), t.total_lo - coalesce(i.total_lo, 0)
FROM (SELECT {month} AS month, currency, scale, sum(n) AS n, sum(total_hi) AS total_hi,
    sum(total_lo) AS total_lo FROM day_totals{kept_where}
  GROUP BY {month}, currency, scale) t
LEFT JOIN (SELECT month, currency, scale, sum(n) AS n, sum(total_hi) AS total_hi,
    sum(total_lo) AS total_lo FROM invoiced GROUP BY month, currency, scale) i
  ON i.month = t.month AND i.currency = t.currency AND i.scale = t.scale
WHERE t.n > coalesce(i.n, 0)"""
    month_params = [day[:7] for _, day in bounds if day is not None]
    return sql, [*month_params, *params, *params]


def _by_day(by: tuple[str, ...], day: str, *, wide: bool, tax: bool, dated: bool) -> str:
    """The report's groups from one row per day, category, currency and scale (`day`)."""
    names = ["total"] + (["tax"] if tax else [])
    if wide:
        outer = [f"sum(d.{n}_{part}) AS {n}_{part}" for n in names for part in ("hi", "lo")]
    else:
        outer = [f"sum(d.{n}) AS {n}" for n in names]
    keys = [f"{GROUPS[name].replace('e.', 'd.')} AS g{i}" for i, name in enumerate(by)]
    columns = ", ".join(
        [*keys, "d.currency", "d.scale", "sum(d.n) AS n", *outer, *(["d.date AS day"] * dated)]
    )
    groups = ", ".join(
        [*(f"g{i}" for i in range(len(by))), "d.currency", "d.scale", *(["d.date"] * dated)]
    )
    return f"SELECT {columns}\nFROM ({day}) d\nGROUP BY {groups}"


def _tax_sum(wide: bool) -> str:
    """The summed tax of a report group (untaxed expenses count 0)."""
    if wide:
        return (
            f"sum(coalesce(e.tax_minor, 0) / {SUM_SPLIT}) AS tax_hi, "
            f"sum(coalesce(e.tax_minor, 0) % {SUM_SPLIT}) AS tax_lo"
        )
    return "sum(coalesce(e.tax_minor, 0)) AS tax"
