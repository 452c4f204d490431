"""Pinned query plans for `list` (reference §8: every list query plan free of full-table scans;
§3: keyset pagination stays fast at any depth).

The store picks a `Plan` for each resolved `ExpenseQuery` (`store.listing`):
- `walk` reads the partial `live_<sort>` index in sort order from the keyset position (it
  carries the category, client and project, so a link filter is checked on its entries);
  the LIMIT stops it.
  Its page query must therefore never sort (`USE TEMP B-TREE FOR ORDER BY`).
- `set` starts from a small set found through an index (tags, the FTS5 search table, a range,
  equality or link index, the deleted index) and sorts only that set.
`SMALL_SET` decides between them from a bounded count; tests force each kind by patching it
(0: walk wherever possible; huge: a set wherever a filter can seed one).

What counts as a full-table scan here is a `SCAN` of `expenses` (alias `e`) or `expense_tags`
without an index. One exception, documented where it is allowed: `--sort id` walks the
table's own rowid b-tree, which EXPLAIN prints as a bare `SCAN e`. That *is* the id index,
read in order and stopped by the LIMIT after one page, so it is allowed for the id sort
only, and only inside a LIMIT-bound page query or for `--all` (which reads every row anyway).
`SCAN clients` (a `--client-name` substring over the small clients table) and the FTS5
virtual table (`SCAN expense_search VIRTUAL TABLE INDEX …:M…`, a MATCH) are not expense
scans.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from expense_cli.domain.catalog import add_client, add_project, find_category
from expense_cli.domain.compose import Clock
from expense_cli.domain.expenses import add_expense, delete_expenses, invoice
from expense_cli.domain.inputs import ExpenseInput
from expense_cli.domain.models import Approval, Reimbursement
from expense_cli.store import Store, listing, schema
from expense_cli.store import expenses as store_expenses
from expense_cli.store.listing import SORT_COLUMNS, ExpenseQuery, Plan, build_select, index_for

SORTS = ("amount", "date", "created", "updated", "id")
START = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
ROWS = 300
FORCE = {"walk": 0, "set": 10**9}
BARE_SCAN = re.compile(r"^SCAN (e|expenses|t|expense_tags)$")
# Filters that can seed a `set` plan (a range on the sort column itself narrows the walk).
SET_SOURCES = {
    "one category": "category_id",
    "client": "client_id",
    "project": "project_id",
    "two categories": "category_id",
    "client name": "client_name",
    "billable": "billable",
    "status": "billing_status",
    "approval": "approval_status",
    "reimbursement": "reimbursement_status",
    "currency": "currency",
    "date range": "date",
    "created range": "created_at",
    "amount range": "amount_key",
    "search": "search",
    "tag": "tags",
    "all tags": "tags",
    "deleted": "deleted",
}
# The index (or virtual table) a `set` plan starts from, by source.
SET_INDEX = {
    "tags": "expense_tags_by_tag",
    "search": "expense_search VIRTUAL TABLE INDEX",
    "deleted": "deleted_expenses",
    "date": "live_date",
    "created_at": "live_created_at",
    "amount_key": "live_amount_key",
    "billable": "live_by_billable",
    "billing_status": "live_by_billing_status",
    "approval_status": "live_by_approval_status",
    "reimbursement_status": "live_by_reimbursement_status",
    "currency": "live_by_currency",
    "category_id": "expenses_by_category",
    "client_id": "expenses_by_client",
    "client_name": "expenses_by_client",
    "project_id": "expenses_by_project",
}
# A single link filter under `--sort id` always walks: its expenses_by_<link> index is
# already in id order, so the store does not count it.
LINK_FILTERS = ("one category", "client", "project")


# the book ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Book:
    store: Store
    ids: dict[str, int]  # category, client and project ids by name


def _fill(store: Store) -> dict[str, int]:
    """300 expenses over 3 categories, 2 currencies, 2 clients with projects, tags, notes,
    invoiced, pending and deleted ones, with tied dates, amounts and timestamps."""
    add_client(store, "Acme")
    add_client(store, "Tokyo KK", "JPY")
    add_project(store, "Web", "Acme")
    add_project(store, "Mobile", "Tokyo KK")
    categories = ("Travel", "Meals", "Software")
    ids = []
    for i in range(ROWS):
        links: dict[str, Any] = {}
        if i % 5 == 0:
            links = {"client": "Tokyo KK", "amount": str(100 * (i % 17))}
        elif i % 7 == 0:
            links = {"project": "Web", "billable": True, "amount": f"{i % 23}.50"}
        else:
            links = {"amount": f"{i % 40}.00"}
        if i % 11 == 0:
            links |= {"approval": Approval.PENDING, "reimbursement": Reimbursement.PENDING}
        tags = ("common",) + (("rare",) if i % 40 == 3 else ()) + (("odd",) if i % 2 else ())
        inp = ExpenseInput(
            description=f"item {i} lunch" if i % 3 else f"item {i} hotel",
            category=categories[i % 3], date=f"2025-0{1 + i % 9}-1{i % 10}", tags=tags,
            notes="note about the trip" if i % 4 == 0 else None, **links,
        )  # fmt: skip
        ids.append(add_expense(store, inp, clock=Clock(START + timedelta(seconds=i // 3))).id)
    billable = [ids[i] for i in range(ROWS) if i % 7 == 0 and i % 5 != 0]
    invoice(store, billable[:10], ref="INV-1", clock=Clock(START + timedelta(days=1)))
    delete_expenses(store, ids[1:30:4], force=True, clock=Clock(START + timedelta(days=2)))
    found = {name: find_category(store, name).id for name in categories}
    for row in store.conn.execute("SELECT id, name FROM clients"):
        found[row[1]] = row[0]
    for row in store.conn.execute("SELECT id, name FROM projects"):
        found[row[1]] = row[0]
    return found


@pytest.fixture(scope="module")
def plan_book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Book]:
    path: Path = tmp_path_factory.mktemp("plans") / "b.db"
    store = Store.open(path)
    try:
        yield Book(store, _fill(store))
    finally:
        store.close()


def _filters(ids: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Every documented list filter, as the domain resolves it for the store."""
    return {
        "none": {},
        "one category": {"category_ids": (ids["Travel"],)},
        "two categories": {"category_ids": (ids["Travel"], ids["Meals"])},
        "client": {"client_id": ids["Tokyo KK"]},
        "project": {"project_id": ids["Web"]},
        "client name": {"client_name": "acm"},
        "billable": {"billable": True},
        "status": {"billing_status": "invoiced"},
        "approval": {"approval_status": "pending"},
        "reimbursement": {"reimbursement_status": "pending"},
        "currency": {"currency": "JPY"},
        "date range": {"date_from": "2025-02-01", "date_to": "2025-05-31"},
        "created range": {
            "created_from": "2025-01-01T09:00:10.000000Z",
            "created_to": "2025-01-01T09:01:00.999999Z",
        },
        "amount range": {"min_amount_key": 50_000, "max_amount_key": 300_000},
        "search": {"search": "lunch"},
        "short search": {"search": "tr"},
        "tag": {"tag_keys": ("rare",)},
        "all tags": {"tag_keys": ("rare", "odd"), "all_tags": True},
        "deleted": {"only_deleted": True},
    }


FILTER_NAMES = list(_filters(dict.fromkeys(("Travel", "Meals", "Tokyo KK", "Web"), 0)))


@pytest.fixture(params=list(FORCE))
def forced(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Force `walk` (SMALL_SET = 0) or `set` (SMALL_SET huge) plans wherever possible."""
    _force(monkeypatch, FORCE[request.param])
    return str(request.param)


def _force(monkeypatch: pytest.MonkeyPatch, small_set: int) -> None:
    # `store.expenses` imported the name, so both modules are patched.
    monkeypatch.setattr(listing, "SMALL_SET", small_set)
    monkeypatch.setattr(store_expenses, "SMALL_SET", small_set)
    if small_set:  # a set wherever a filter can seed one: a link's set always pays
        monkeypatch.setattr(store_expenses, "SET_ROW_COST", 0)


# explaining ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Explained:
    plan: Plan
    lines: list[str]  # every detail line, in order
    page: list[str]  # the detail lines of the LIMIT-bound page subquery (empty for --all)


def _explain(store: Store, q: ExpenseQuery) -> Explained:
    """The plan tree of exactly the SQL the store runs for `q`, checked against
    `Store.explain`, with the inner page query (`WHERE e.id IN (SELECT … LIMIT ?)`) apart."""
    plan = store.plan(q)
    sql, params = build_select(q, plan)
    rows = store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    lines = [row[3] for row in rows]
    assert lines == store.explain(q)
    page: list[str] = []
    if q.limit is not None:
        roots = [row[0] for row in rows if row[3].startswith("LIST SUBQUERY") and row[1] == 0]
        assert len(roots) == 1, lines
        inside = set(roots)
        for node, parent, _, detail in rows:
            if parent in inside:
                inside.add(node)
                page.append(detail)
    return Explained(plan, lines, page)


def _expense_access(lines: list[str]) -> list[str]:
    return [line for line in lines if re.match(r"^(SCAN|SEARCH) e\b", line)]


def _uses_index(lines: list[str], name: str) -> bool:
    return any(re.search(rf"USING (COVERING )?INDEX {re.escape(name)}\b", line) for line in lines)


def _rowid_walk(lines: list[str]) -> bool:
    return any(
        line == "SCAN e" or line.startswith("SEARCH e USING INTEGER PRIMARY KEY (rowid<")
        or line.startswith("SEARCH e USING INTEGER PRIMARY KEY (rowid>")
        for line in lines
    )  # fmt: skip


def _queries(book: Book, filter_name: str, sort: str) -> Iterator[tuple[str, ExpenseQuery]]:
    """First and deep page in both directions; the deep keyset is a real row's position."""
    base = ExpenseQuery(sort=sort, **_filters(book.ids)[filter_name])
    for descending in (False, True):
        q = base._replace(descending=descending, limit=51)
        yield f"{'-' if descending else ''}{sort} first page", q
        rows = list(book.store.iter_expenses(q._replace(limit=None)))
        assert rows, f"{filter_name}: the book has no row for this filter"
        middle = rows[len(rows) // 2]
        after = (middle["sort_value"], middle["id"])
        yield f"{'-' if descending else ''}{sort} deep page", q._replace(after=after)


def _expected_kind(filter_name: str, sort: str, forced: str) -> str:
    if filter_name == "deleted":
        return "set"  # the deleted index is the only way in, whatever SMALL_SET says
    source = SET_SOURCES.get(filter_name)
    if forced == "walk" or source is None or source == SORT_COLUMNS[sort]:
        return "walk"
    if filter_name in LINK_FILTERS and sort == "id":
        return "walk"
    return "set"


def _violations(name: str, q: ExpenseQuery, x: Explained, kind: str) -> list[str]:
    """Everything wrong with one plan; `scope` is the page subquery, or the whole `--all`."""
    found = []
    column = SORT_COLUMNS[q.sort]
    scope = x.page if q.limit is not None else x.lines
    if x.plan.kind != kind:
        found.append(f"{name}: {x.plan.kind} plan, expected {kind}")
    for line in x.lines:
        # The id sort's rowid walk, and only there: see the module docstring.
        if BARE_SCAN.match(line) and not (q.sort == "id" and line == "SCAN e" and line in scope):
            found.append(f"{name}: full scan {line!r}")
    if x.plan.kind == "walk":
        if "USE TEMP B-TREE FOR ORDER BY" in scope:
            found.append(f"{name}: the walk sorts instead of reading its index in order")
        if column == "id":
            link_index = x.plan.link and f"expenses_by_{x.plan.link.removesuffix('_id')}"
            if not (_rowid_walk(scope) or (link_index and _uses_index(scope, link_index))):
                found.append(f"{name}: id walk reads neither the rowid nor its link index")
        else:
            expected = index_for(x.plan, q)
            assert expected is not None
            if not _uses_index(_expense_access(scope), expected):
                found.append(f"{name}: walk does not read {expected}")
    else:
        assert x.plan.source is not None
        seeds = SET_INDEX[x.plan.source]
        seed = seeds if isinstance(seeds, str) else " or ".join(seeds)
        options = (seeds,) if isinstance(seeds, str) else seeds
        if not any(option in line for line in scope for option in options):
            found.append(f"{name}: set plan does not start from {seed}")
        if x.plan.source == "search" and not any(":M" in line for line in scope):
            found.append(f"{name}: search does not use the FTS5 MATCH")
    return found


# the plans ----------------------------------------------------------------------------
@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("filter_name", FILTER_NAMES)
def test_page_plans_never_scan_the_table_and_walk_their_index(
    plan_book: Book, forced: str, filter_name: str, sort: str
) -> None:
    kind = _expected_kind(filter_name, sort, forced)
    problems = []
    for name, q in _queries(plan_book, filter_name, sort):
        x = _explain(plan_book.store, q)
        problems += _violations(f"[{filter_name}] {name}", q, x, kind)
        assert x.page, "a LIMIT-bound list must find its page in a subquery"
    assert problems == []


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("filter_name", FILTER_NAMES)
def test_all_plans_stream_in_index_order_without_scanning(
    plan_book: Book, forced: str, filter_name: str, sort: str
) -> None:
    """`list --all` and `export`: one pass, no LIMIT; a walk reads its index in order, and
    `--all --sort id` reads the rowid b-tree (every row is the answer)."""
    kind = _expected_kind(filter_name, sort, forced)
    problems = []
    for descending in (False, True):
        q = ExpenseQuery(sort=sort, descending=descending, **_filters(plan_book.ids)[filter_name])
        x = _explain(plan_book.store, q)
        problems += _violations(f"[{filter_name}] --all {'-' * descending}{sort}", q, x, kind)
    assert problems == []


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("filter_name", FILTER_NAMES)
def test_walk_and_set_plans_return_the_same_pages(
    plan_book: Book, monkeypatch: pytest.MonkeyPatch, filter_name: str, sort: str
) -> None:
    """A plan changes how rows are found, never which rows or in what order."""
    for _, q in _queries(plan_book, filter_name, sort):
        pages = []
        for small_set in FORCE.values():
            _force(monkeypatch, small_set)
            rows = plan_book.store.iter_expenses(q._replace(limit=20))
            pages.append([(row["sort_value"], row["id"]) for row in rows])
        assert pages[0] == pages[1]
        assert pages[0] == sorted(pages[0], reverse=q.descending)
        if q.after is not None:
            assert all((key > q.after) if not q.descending else (key < q.after) for key in pages[0])


@pytest.mark.parametrize(
    ("filters", "link"),
    [({}, None), ({"category_ids": "Travel"}, "category_id"), ({"client_id": "Acme"}, "client_id"),
     ({"project_id": "Web"}, "project_id"),
     ({"project_id": "Web", "client_id": "Acme"}, "project_id")],
)  # fmt: skip
@pytest.mark.parametrize("sort", SORTS)
def test_walk_plans_name_the_live_index_of_their_sort_and_link(
    plan_book: Book,
    monkeypatch: pytest.MonkeyPatch,
    filters: dict[str, str],
    link: str | None,
    sort: str,
) -> None:
    """A walk reads live_<sort> whatever link is filtered (the index holds the links)."""
    _force(monkeypatch, 0)  # the plan book's links are small sets otherwise
    resolved: dict[str, Any] = {}
    for key, name in filters.items():
        value = plan_book.ids[name]
        resolved[key] = (value,) if key == "category_ids" else value
    q = ExpenseQuery(sort=sort, limit=51, **resolved)
    plan = plan_book.store.plan(q)
    assert (plan.kind, plan.link) == ("walk", link)
    column = SORT_COLUMNS[sort]
    if column == "id":
        assert index_for(plan, q) is None
    else:
        assert index_for(plan, q) == f"live_{column}"


def test_set_plans_have_no_walk_index(plan_book: Book) -> None:
    q = ExpenseQuery(tag_keys=("rare",), limit=51)
    plan = plan_book.store.plan(q)
    assert plan.kind == "set"
    assert index_for(plan, q) is None


def test_small_set_is_the_largest_set_a_plan_sorts(
    plan_book: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    q = ExpenseQuery(tag_keys=("rare",), limit=51)
    size = len(list(plan_book.store.iter_expenses(q._replace(limit=None))))
    assert 0 < size < ROWS // 10
    live_tagged = plan_book.store.conn.execute(
        "SELECT count(*) FROM expense_tags WHERE tag_key = 'rare'"
    ).fetchone()[0]  # the bounded count is over tags, deleted expenses included
    _force(monkeypatch, live_tagged)
    assert plan_book.store.plan(q).kind == "set"
    _force(monkeypatch, live_tagged - 1)
    assert plan_book.store.plan(q).kind == "walk"


def test_the_default_small_set_picks_a_set_for_a_rare_filter(plan_book: Book) -> None:
    assert plan_book.store.plan(ExpenseQuery(tag_keys=("rare",), limit=51)).kind == "set"
    assert plan_book.store.plan(ExpenseQuery(search="hotel", limit=51)).kind == "set"
    assert plan_book.store.plan(ExpenseQuery(limit=51)).kind == "walk"


@pytest.mark.parametrize("filter_name", FILTER_NAMES)
def test_the_counts_that_choose_a_plan_do_not_scan_either(
    plan_book: Book, forced: str, filter_name: str
) -> None:
    """`Store.plan` runs bounded counts; each of them must use an index too."""
    seen: list[str] = []
    conn = plan_book.store.conn
    conn.set_trace_callback(seen.append)
    try:
        sort = "created" if filter_name in LINK_FILTERS else "id"  # see LINK_FILTERS
        q = ExpenseQuery(sort=sort, limit=51, **_filters(plan_book.ids)[filter_name])
        plan_book.store.plan(q)  # sorted by id, so no range is the sort's own
    finally:
        conn.set_trace_callback(None)
    counts = [sql for sql in seen if sql.startswith("SELECT")]  # not FTS5's own statements
    if SET_SOURCES.get(filter_name) not in (None, "deleted"):
        assert counts, "a filter that can seed a set is counted first"
    for sql in counts:
        lines = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
        assert not any(BARE_SCAN.match(line) for line in lines), (sql, lines)


# Reports (issue 20): a date-range report groups its rows per day, category, currency and
# scale straight from the covering `live_report_days` index, in its order, so it neither
# reads the table nor sorts the range; only the outer query sorts the per-day groups.
REPORT_SHAPES = {
    "month, category": (("month", "category"), {}),
    "category with tax": (("category",), {"tax": True}),
    "month, dated (convert)": (("month",), {"dated": True}),
    "quarter, wide sums": (("quarter",), {"wide": True, "tax": True}),
    "totals": ((), {}),
}


@pytest.mark.parametrize("shape", list(REPORT_SHAPES))
def test_date_range_reports_stream_the_covering_report_index(plan_book: Book, shape: str) -> None:
    by, options = REPORT_SHAPES[shape]
    # a client: a filter `day_totals` cannot answer, so the report reads the expenses
    q = ExpenseQuery(
        sort="date", limit=None, date_from="2025-01-01", date_to="2025-12-31", client_id=1
    )
    sql, params = listing.build_report(q, by, **options)
    lines = [row[3] for row in plan_book.store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    access = _expense_access(lines)
    assert access == ["SEARCH e USING COVERING INDEX live_report_days (date>? AND date<?)"], lines
    # one sort, of the per-day groups (the outer GROUP BY), never of the range's rows
    assert lines.count("USE TEMP B-TREE FOR GROUP BY") == 1, lines
    assert lines.index("USE TEMP B-TREE FOR GROUP BY") > lines.index(access[0]) + 1, lines


@pytest.mark.parametrize("shape", list(REPORT_SHAPES))
def test_reports_by_date_category_and_currency_read_day_totals(plan_book: Book, shape: str) -> None:
    """Filtered by dates, categories and currency only, a report never reads `expenses`:
    it searches `day_totals` by its key's date range."""
    by, options = REPORT_SHAPES[shape]
    q = ExpenseQuery(sort="date", limit=None, date_from="2025-01-01", date_to="2025-12-31",
                     category_ids=(1, 2), currency="USD")  # fmt: skip
    assert listing.day_totals_serve(q, by)
    sql, params = listing.build_report(q, by, **options)
    lines = [row[3] for row in plan_book.store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    assert not any("expenses" in line or " e " in f"{line} " for line in lines), lines
    assert any(line.startswith("SEARCH day_totals USING PRIMARY KEY (date>? AND date<?)")
               for line in lines), lines  # fmt: skip


@pytest.mark.parametrize(
    "q",
    [ExpenseQuery(client_id=1), ExpenseQuery(search="x"), ExpenseQuery(tag_keys=("t",)),
     ExpenseQuery(include_deleted=True), ExpenseQuery(billable=False)],
)  # fmt: skip
def test_other_filters_and_groupings_read_the_expenses(q: ExpenseQuery) -> None:
    assert not listing.day_totals_serve(q, ("month",))
    assert not listing.day_totals_serve(ExpenseQuery(), ("client",))


def test_per_day_report_sums_equal_a_plain_group_by(plan_book: Book) -> None:
    """The two-level query adds up to what one GROUP BY over the rows gives."""
    conn = plan_book.store.conn
    q = ExpenseQuery(sort="date", limit=None, billable=True)  # read from the expenses
    sql, params = listing.build_report(q, ("month", "category"), tax=True)
    got = sorted(tuple(row) for row in conn.execute(sql, params))
    plain = conn.execute(
        "SELECT substr(date, 1, 7), category_id, currency, scale, count(*), sum(amount_minor), "
        "sum(coalesce(tax_minor, 0)) FROM expenses WHERE deleted_at IS NULL AND billable = 1 "
        "GROUP BY 1, 2, 3, 4"
    )
    assert got == sorted(tuple(row) for row in plain)
    assert got, "the plan book has live expenses"


# Book size (issue 20): the compacting step drops the live_<link>_<sort> indexes and
# rebuilds live_<sort> with the links; a book of the version before keeps every row.
def test_a_book_before_the_compact_list_indexes_upgrades_with_rows_intact(
    tmp_path: Path,
) -> None:
    from expense_cli.store import schema
    from tests.books import frozen_book, old_expense

    path = tmp_path / "old.db"
    with frozen_book(path, schema._m_compact_list_indexes) as old:
        for n in range(1, 31):
            deleted = "2025-05-01T00:00:00.000000Z" if n % 10 == 0 else None
            old_expense(
                old,
                uid=f"u-{n}",
                description="Old lunch",
                date=f"2025-03-{n:02d}",
                amount_minor=100 * n,
                category_id=1 + n % 3,
                client_id=None,
                updated_at=f"2025-04-{n:02d}T10:00:00.000000Z",
                deleted_at=deleted,
            )
        before = old.execute("SELECT * FROM expenses ORDER BY id").fetchall()
        assert "live_category_created_at" in {
            row[0] for row in old.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }

    store = Store.open(path)
    try:
        conn = store.conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST
        assert conn.execute("SELECT * FROM expenses ORDER BY id").fetchall() == before
        indexes = {
            row[0]: row[1]
            for row in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
        }
        assert not [name for name in indexes if re.match(r"live_(category|client|project)_", name)]
        for key in schema.SORT_KEYS:
            assert f"({key}, id, category_id, client_id, project_id)" in indexes[f"live_{key}"]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        q = ExpenseQuery(category_ids=(2,), sort="date", descending=False, limit=51)
        rows = list(store.iter_expenses(q))
        assert [row["id"] for row in rows] == [n for n in range(1, 31) if n % 3 == 1 and n % 10]
    finally:
        store.close()


# Invoices and reports by invoice ref (reference §8, §10.5) ---------------------------
def _explained(store: Store, sql: str, params: Any = ()) -> list[str]:
    return [row[3] for row in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


def _statements_of(store: Store, read: Any) -> list[str]:
    """The SELECTs `read()` runs, as SQLite ran them (parameters bound)."""
    seen: list[str] = []
    store.conn.set_trace_callback(seen.append)
    try:
        with store.read():
            read()
    finally:
        store.conn.set_trace_callback(None)
    return [sql for sql in seen if sql.lstrip().startswith("SELECT")]


def test_invoices_are_read_in_order_from_their_totals_never_from_expenses(
    plan_book: Book,
) -> None:
    """`invoices` (records or JSON) walks `invoice_totals_in_order`: no sort, no expense;
    one invoice (`invoices show`) is found by the table's key."""
    store = plan_book.store
    listing_reads = _statements_of(store, store.invoices) + _statements_of(
        store, store.invoice_json
    )
    assert len(listing_reads) == 2
    for sql in listing_reads:
        lines = _explained(store, sql)
        assert lines[0] == "SCAN t USING COVERING INDEX invoice_totals_in_order", lines
        assert not [line for line in lines if "TEMP B-TREE" in line or " e " in f"{line} "]
    (one,) = _statements_of(store, lambda: store.invoices("INV-1"))
    assert _explained(store, one)[0].startswith("SEARCH t USING PRIMARY KEY (ref=?)")


REF_SHAPES = {
    "ref": (("ref",), {}),
    "month, ref": (("month", "ref"), {}),
    "ref, quarter, wide sums": (("ref", "quarter"), {"wide": True}),
    "year, ref": (("year", "ref"), {}),
}
MONTH_RANGE = "SEARCH expenses USING COVERING INDEX live_invoiced_months (<expr>>? AND <expr><?)"


@pytest.mark.parametrize("dates", ["year", "none"])
@pytest.mark.parametrize("shape", list(REF_SHAPES))
def test_reports_by_ref_read_the_invoiced_index_and_day_totals(
    plan_book: Book, shape: str, dates: str
) -> None:
    """The invoiced rows straight from `live_invoiced_months` in its order (a month range of
    it for a date range), the rest from `day_totals`: no other read of the expenses."""
    by, options = REF_SHAPES[shape]
    bounds = {"date_from": "2025-01-01", "date_to": "2025-12-31"} if dates == "year" else {}
    q = ExpenseQuery(sort="date", limit=None, **bounds)
    sql, params = listing.build_report(q, by, **options)
    lines = _explained(plan_book.store, sql, params)
    reads = [line for line in lines if "expenses" in line or " e " in f"{line} "]
    whole = "SCAN expenses USING COVERING INDEX live_invoiced_months"
    assert reads == [MONTH_RANGE if bounds else whole], lines
    assert any("day_totals" in line for line in lines), lines


@pytest.mark.parametrize(
    "bounds",
    [{}, {"date_from": "2025-02-15", "date_to": "2025-06-10"}, {"date_to": "2025-03-12"}],
)
def test_ref_month_report_sums_equal_a_plain_group_by(
    plan_book: Book, bounds: dict[str, str]
) -> None:
    """The month rows add up to one GROUP BY over the expenses, boundary months included,
    the rows without a ref (day_totals less the invoiced ones) too."""
    conn = plan_book.store.conn
    sql, params = listing.build_report(ExpenseQuery(limit=None, **bounds), ("month", "ref"))
    split = schema.SUM_SPLIT
    got = sorted(
        ((*row[:5], row[5] * split + row[6]) for row in conn.execute(sql, params)), key=repr
    )
    low, high = bounds.get("date_from", "0000"), bounds.get("date_to", "9999")
    plain = conn.execute(
        "SELECT substr(date, 1, 7), invoice_ref, currency, scale, count(*), sum(amount_minor) "
        "FROM expenses WHERE deleted_at IS NULL AND date BETWEEN ? AND ? GROUP BY 1, 2, 3, 4",
        [low, high],
    )
    assert got == sorted((tuple(row) for row in plain), key=repr)
    assert {row[1] for row in got} == {None, "INV-1"}, "refs and expenses without one"


def test_invoice_totals_reread_a_group_by_its_ref(tmp_path: Path) -> None:
    """The fill (migration, bulk load, `db check`) and the triggers' re-read of a group
    find its expenses by `expenses_by_invoice_ref`, never by walking a whole currency —
    whatever order the indexes were made in (a bulk import re-creates `live_by_currency`
    after the ref index, which made the planner prefer it for `e.currency = ?`)."""
    store = Store.open(tmp_path / "order.db")
    conn = store.conn
    (sql,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'live_by_currency'"
    ).fetchone()
    conn.execute("DROP INDEX live_by_currency")
    conn.execute(sql)
    select = schema.INVOICE_TOTALS.select
    group = f"SELECT count(*) {schema._EXPENSES_OF_GROUP}".replace("invoice_totals.", "t.")
    for query in (select, f"SELECT ({group}) FROM invoice_totals t"):
        lines = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {query}")]
        assert "SEARCH e USING INDEX expenses_by_invoice_ref (invoice_ref=?)" in lines, lines
        assert not any("live_by_currency" in line for line in lines), lines
    store.close()
