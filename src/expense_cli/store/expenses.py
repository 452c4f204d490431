"""Queries for expenses: rows with their names and tags, writes, idempotency keys."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from operator import itemgetter
from typing import Any, cast

from expense_cli.store.base import StoreBase, fits
from expense_cli.store.listing import (
    CLIENTS_NAMED,
    RANGES,
    SET_ROW_COST,
    SMALL_SET,
    SORT_COLUMNS,
    WITH_RECEIPTS,
    ExpenseQuery,
    Plan,
    build_report,
    build_select,
    client_name_pattern,
    day_totals_serve,
    equality_filters,
    fts_phrase,
    link_filter,
    range_bounds,
    walk_plan,
)
from expense_cli.store.rows import (
    BillableRow,
    ExpenseRow,
    IdempotencyKeyRow,
    RefHolderRow,
    ReportRow,
)
from expense_cli.store.schema import KEPT_TOTALS, SEARCHED, SUM_SPLIT, KeptTotals

# SQLite's default ceiling (SQLITE_MAX_MMAP_SIZE): a bigger book maps its first 2 GiB.
MAP_FOR_EXPORT = 0x7FFF0000
EXPENSE_COLUMNS = frozenset(
    {"uid", "description", "date", "time", "amount_minor", "currency", "scale", "units",
     "unit_price", "category_id", "custom_category", "client_id", "project_id", "billable",
     "billing_status", "invoice_ref", "approval_status", "reimbursement_status", "notes",
     "created_at", "updated_at", "deleted_at", "tax_rate", "tax_minor", "original_minor",
     "original_currency", "amount_from_rate", "rebill_minor", "invoiced_at", "account",
     "recurring_id"}
)  # fmt: skip
_ID_CHUNK = 500  # ids bound per statement when reading many expenses by id
_SEARCH_INSERT_TRIGGER = "expense_search_insert"  # keeps the search index in step on insert
# Indexes an import reads for every row (duplicates, invoice refs): kept during a bulk load.
LOAD_READS = frozenset({"live_duplicates", "expenses_by_invoice_ref"})


class BulkLoad:
    """A big load into `expenses` inside one write transaction (`search_indexed_at_end`):
    what the book derives from the rows can be set aside while they go in and derived once
    at the end — the list and report indexes (rebuilt from the exact `CREATE INDEX` the
    book holds) and the totals its triggers keep row by row (`schema.KEPT_TOTALS`, refilled
    from the expenses with their fill). Readers never see the book without them: the drop,
    the load and the rebuild are one commit, and a failure rolls all of it back."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.suspended = False
        self.indexes: list[tuple[str, str]] = []  # (name, CREATE INDEX), in the book's order
        self.totals: list[tuple[KeptTotals, str]] = []  # each with its insert trigger's SQL

    def suspend(self) -> None:
        """Drop the indexes of `expenses` and `expense_tags` but those a load reads per
        row (uid and tag uniqueness, duplicates, invoice refs), and the insert triggers of
        the kept totals."""
        if self.suspended:
            return
        self.suspended = True
        self.indexes = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('expenses', 'expense_tags') ORDER BY rowid"
        ).fetchall()
        for name, _ in self.indexes:
            if name not in LOAD_READS:
                self.conn.execute(f'DROP INDEX "{name}"')
        for kept in KEPT_TOTALS:
            (trigger,) = self.conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                [kept.insert_trigger],
            ).fetchone()
            self.conn.execute(f'DROP TRIGGER "{kept.insert_trigger}"')
            self.totals.append((kept, trigger))

    def restore(self) -> None:
        """Rebuild what `suspend` set aside: every index in the book's own order, the kept
        ones re-made too (without statistics SQLite breaks ties between equal indexes by
        their order, so the book plans as it did before the load), then the kept totals."""
        for name, _ in self.indexes:
            if name in LOAD_READS:
                self.conn.execute(f'DROP INDEX "{name}"')
        for _, sql in self.indexes:
            self.conn.execute(sql)
        for kept, trigger in self.totals:
            self.conn.execute(f"DELETE FROM {kept.table}")
            self.conn.execute(kept.fill)
            self.conn.execute(trigger)
        self.suspended, self.indexes, self.totals = False, [], []


class ExpenseQueries(StoreBase):
    def expense(self, expense_id: int) -> ExpenseRow | None:
        """One expense row, deleted or not; the caller decides what a deleted one means."""
        if not fits(expense_id):
            return None
        sql, params = build_select(ExpenseQuery(ids=(expense_id,), include_deleted=True))
        return self._one(ExpenseRow, sql, params)

    def expenses_by_id(self, ids: Sequence[int]) -> dict[int, ExpenseRow]:
        """Rows by id, in chunks: ids read from stdin (`edit -`) may be more than SQLite
        takes as bound parameters in one statement."""
        ids = list(dict.fromkeys(i for i in ids if fits(i)))
        found: dict[int, ExpenseRow] = {}
        for start in range(0, len(ids), _ID_CHUNK):
            chunk = tuple(ids[start : start + _ID_CHUNK])
            sql, params = build_select(ExpenseQuery(ids=chunk, include_deleted=True))
            found.update((row["id"], row) for row in self._all(ExpenseRow, sql, params))
        return found

    def expense_id_for_uid(self, uid: str) -> int | None:
        row = self.conn.execute("SELECT id FROM expenses WHERE uid = ?", [uid]).fetchone()
        return None if row is None else int(row[0])

    def iter_expenses(self, query: ExpenseQuery, batch: int = 500) -> Iterator[ExpenseRow]:
        """Rows in the query's order, fetched in batches so `--all` runs in constant memory."""
        names, tuples = self.iter_expense_tuples(query, batch)
        rows = (dict(zip(names, row, strict=True)) for row in tuples)
        yield from cast("Iterator[ExpenseRow]", rows)

    def iter_expense_tuples(
        self, query: ExpenseQuery, batch: int = 500
    ) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
        """The column names and the bare rows (for streaming a million of them)."""
        sql, params = build_select(query, self.plan(query))
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]

        def rows() -> Iterator[tuple[Any, ...]]:
            while fetched := cursor.fetchmany(batch):
                yield from fetched

        return names, rows()

    def iter_csv_lines(
        self, query: ExpenseQuery, digits: Mapping[str, int], batch: int = 1000
    ) -> Iterator[list[Any]]:
        """The rows as CSV lines rendered by SQLite (store/csv_lines.py), in batches: each
        item a line without its line end, or the id (an int) of a row left to Python."""
        from expense_cli.store.csv_lines import csv_select

        receipts = self.conn.execute("SELECT EXISTS (SELECT 1 FROM receipts)").fetchone()[0]
        select = csv_select(digits, bool(receipts))
        sql, params = build_select(query, self.plan(query), select=select)
        # Date order visits the table's pages at random: mapped, each visit is a memory read
        # rather than a read() call (a second of system time at a million rows). For this
        # read only: a mapped file turns an I/O error into a signal.
        self.conn.execute(f"PRAGMA mmap_size = {MAP_FOR_EXPORT}")
        try:
            cursor = self.conn.execute(sql, params)
            first = itemgetter(0)
            while fetched := cursor.fetchmany(batch):
                yield list(map(first, fetched))
        finally:
            with suppress(sqlite3.ProgrammingError):  # the store closed before the stream
                self.conn.execute("PRAGMA mmap_size = 0")

    def plan(self, q: ExpenseQuery) -> Plan:
        """Walk the sort index, unless a cheap bounded count finds a small set to sort."""
        if q.ids is not None:
            return Plan("set", source="ids")
        if q.only_deleted:
            return Plan("set", source="deleted")
        if q.invoice_ref is not None:  # an invoice holds few expenses: its index finds them
            return Plan("set", source="invoice_ref", indexed=frozenset({"invoice_ref"}))
        sizes: list[tuple[int, Plan]] = []
        if q.tag_keys:
            marks = ", ".join("?" for _ in q.tag_keys)
            sizes.append((
                self._bounded(f"SELECT 1 FROM expense_tags WHERE tag_key IN ({marks})", q.tag_keys),
                Plan("set", source="tags"),
            ))  # fmt: skip
        if q.has_receipt:
            sizes.append((self._bounded(WITH_RECEIPTS, ()), Plan("set", source="receipts")))
        if q.search is not None and len(q.search) >= 3:
            sizes.append((
                self._bounded(
                    "SELECT 1 FROM expense_search WHERE expense_search MATCH ?",
                    [fts_phrase(q.search)],
                ),
                Plan("set", source="search"),
            ))  # fmt: skip
        link = link_filter(q)
        if link is not None and SORT_COLUMNS[q.sort] != "id":  # the id walk reads its index
            # Counted on its expenses_by_<link> index alone (deleted ones included, as tags
            # are): a rare link is a small set, a common one a short walk of live_<sort>.
            size = self._bounded(f"SELECT 1 FROM expenses WHERE {link[0]} = ?", [link[1]])
            if self._link_set_pays(q, size):
                sizes.append((size, Plan("set", source=link[0], indexed=frozenset({link[0]}))))
        # Several categories or clients: counted on expenses_by_<link> alone, deleted ones
        # included (an estimate; testing deleted_at would read the table once per entry).
        if len(set(q.category_ids)) > 1:
            marks = ", ".join("?" for _ in q.category_ids)
            sizes.append((
                self._bounded(
                    f"SELECT 1 FROM expenses WHERE category_id IN ({marks})", q.category_ids
                ),
                Plan("set", source="category_id", indexed=frozenset({"category_id"})),
            ))  # fmt: skip
        if q.client_name is not None:
            sizes.append((
                self._bounded(
                    f"SELECT 1 FROM expenses WHERE client_id IN ({CLIENTS_NAMED})",
                    [client_name_pattern(q.client_name)],
                ),
                Plan("set", source="client_name", indexed=frozenset({"client_id"})),
            ))  # fmt: skip
        for column, value in equality_filters(q).items():
            sizes.append((
                self._live_size(f"{column} = ?", [value]),
                Plan("set", source=column, indexed=frozenset({column})),
            ))  # fmt: skip
        for column in RANGES:
            low, high = range_bounds(q, column)
            if column != SORT_COLUMNS[q.sort] and (low is not None or high is not None):
                sizes.append((self._range_size(column, low, high), Plan(
                    "set", source=column, indexed=frozenset({column})
                )))  # fmt: skip
        if sizes:
            size, smallest = min(sizes, key=lambda pair: pair[0])
            if size <= SMALL_SET:
                return smallest
        return walk_plan(q)

    def _link_set_pays(self, q: ExpenseQuery, size: int) -> bool:
        """Whether sorting a link's `size` rows beats walking live_<sort>, which checks the
        link on its entries and reads about (offset + limit) × all rows / size of them for a
        page (all rows estimated by the largest id, without counting)."""
        if q.limit is None:  # --all: the walk reads the whole index
            return True
        rows = int(self.conn.execute("SELECT coalesce(max(id), 0) FROM expenses").fetchone()[0])
        walked = ((q.offset or 0) + q.limit) * rows // max(size, 1)
        return size * SET_ROW_COST <= walked

    def _bounded(self, sql: str, params: Any) -> int:
        row = self.conn.execute(
            f"SELECT count(*) FROM ({sql} LIMIT {SMALL_SET + 1})", list(params)
        ).fetchone()
        return int(row[0])

    def _live_size(self, condition: str, params: Any) -> int:
        return self._bounded(
            f"SELECT 1 FROM expenses WHERE deleted_at IS NULL AND {condition}", params
        )

    def _range_size(self, column: str, low: Any, high: Any) -> int:
        clauses = [f"{column} >= ?"] if low is not None else []
        clauses += [f"{column} <= ?"] if high is not None else []
        params = [v for v in (low, high) if v is not None]
        return self._live_size(" AND ".join(clauses), params)

    def report_rows(
        self, query: ExpenseQuery, by: tuple[str, ...], *, tax: bool = False, dated: bool = False
    ) -> list[ReportRow]:
        """Group sums, exact however large: the one-sum query first (the fast, usual case),
        the split one only when a sum has left 64 bits. `tax` adds the summed tax, `dated`
        splits each group by date (for conversion at each date's rate)."""
        if not day_totals_serve(query, by, tax=tax, dated=dated):  # kept: sums in two parts
            sql, params = build_report(query, by, tax=tax, dated=dated)
            try:
                return self._all(ReportRow, sql, params)
            except sqlite3.OperationalError as exc:
                if "integer overflow" not in str(exc):
                    raise
        sql, params = build_report(query, by, wide=True, tax=tax, dated=dated)
        rows: list[dict[str, Any]] = self._all(dict, sql, params)  # total_hi and total_lo
        for row in rows:
            row["total"] = row.pop("total_hi") * SUM_SPLIT + row.pop("total_lo")
            if tax:
                row["tax"] = row.pop("tax_hi") * SUM_SPLIT + row.pop("tax_lo")
        return cast("list[ReportRow]", rows)

    def count_expenses(self, query: ExpenseQuery) -> int:
        sql, params = build_select(query, self.plan(query))
        return int(self.conn.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0])

    def names_by_id(self, table: str) -> dict[int, str]:
        if table not in ("categories", "clients", "projects"):
            raise ValueError(table)
        return {row[0]: row[1] for row in self.conn.execute(f"SELECT id, name FROM {table}")}

    def billable_before(self, day: str | Any) -> list[BillableRow]:
        return self._all(
            BillableRow,
            "SELECT id, client_id FROM expenses WHERE billable = 1 AND deleted_at IS NULL "
            "AND date < ? AND billing_status = 'not_invoiced' ORDER BY id",
            [str(day)],
        )

    def explain(self, query: ExpenseQuery) -> list[str]:
        """`EXPLAIN QUERY PLAN` of the SQL this store runs for `query` (for plan tests)."""
        sql, params = build_select(query, self.plan(query))
        return [row[3] for row in self.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]

    @contextmanager
    def search_indexed_at_end(self) -> Iterator[BulkLoad]:
        """For bulk inserts inside one write transaction: new rows reach the FTS index in one
        pass at the end instead of one trigger call per row (7x faster for a big import).
        The trigger is dropped and re-created, as the book defines it, within the same
        transaction, so no other connection ever sees the book without it, and a failure
        rolls both back. The handle can set more aside (`BulkLoad.suspend`), rebuilt here at
        the end, before the search index is filled."""
        first = self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM expenses").fetchone()[0]
        (trigger,) = self.conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
            [_SEARCH_INSERT_TRIGGER],
        ).fetchone()
        self.conn.execute(f"DROP TRIGGER {_SEARCH_INSERT_TRIGGER}")
        load = BulkLoad(self.conn)
        yield load
        load.restore()
        self.conn.execute(
            f"INSERT INTO expense_search(rowid, {SEARCHED}) "
            f"SELECT id, {SEARCHED} FROM expenses WHERE id >= ?",
            [first],
        )
        self.conn.execute(trigger)

    def ref_holders(self, ref: str) -> list[RefHolderRow]:
        """The (client, currency) pairs of every expense under invoice `ref`, deleted ones
        included: a ref stays one client's while any expense carries it."""
        return self._all(
            RefHolderRow,
            "SELECT DISTINCT e.client_id, cl.name AS client_name, e.currency FROM expenses e "
            "LEFT JOIN clients cl ON cl.id = e.client_id WHERE e.invoice_ref = ?",
            (ref,),
        )

    def insert_expense(self, values: dict[str, Any], tags: Iterable[str] = ()) -> int:
        explicit = self._next_expense_id()  # ids are never reused (reference §10.8)
        if explicit is not None:
            values = {"id": explicit, **values}
        expense_id = self._insert("expenses", EXPENSE_COLUMNS | {"id"}, values)
        self._created(expense_id)
        self._add_tags(expense_id, tags)
        return expense_id

    def insert_expenses(
        self, rows: Sequence[tuple[dict[str, Any], Sequence[str]]]
    ) -> Sequence[int]:
        """New expenses with their tags, as `insert_expense` one after the other would write
        them (the same ids, logged alike), in a few `executemany` calls: the first row
        takes the next id, the others follow it; rows with the same columns go together."""
        if not rows:
            return ()
        first = self.insert_expense(*rows[0])
        rest = rows[1:]
        ids = range(first + 1, first + 1 + len(rest))
        if not fits(first + len(rest)):  # past 2**63 - 1 SQLite picks ids at random
            return [first, *(self.insert_expense(values, tags) for values, tags in rest)]
        groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        tagged: list[tuple[int, str, str]] = []
        for expense_id, (values, tags) in zip(ids, rest, strict=True):
            groups.setdefault(tuple(values), []).append((expense_id, *values.values()))
            tagged += [(expense_id, tag, tag.casefold()) for tag in tags]
        for columns, params in groups.items():
            if not EXPENSE_COLUMNS.issuperset(columns):  # allow-listed, never from input
                raise ValueError(f"unknown columns {sorted(set(columns) - EXPENSE_COLUMNS)}")
            marks = ", ".join("?" for _ in params[0])
            self.conn.executemany(
                f"INSERT INTO expenses (id, {', '.join(columns)}) VALUES ({marks})", params
            )
        for expense_id in ids:
            self._created(expense_id)
        self.conn.executemany(
            "INSERT INTO expense_tags (expense_id, tag, tag_key) VALUES (?, ?, ?)", tagged
        )
        return range(first, ids.stop)

    def update_expense(self, expense_id: int, values: dict[str, Any]) -> None:
        self._update("expenses", EXPENSE_COLUMNS, expense_id, values)

    def replace_tags(self, expense_id: int, tags: Iterable[str]) -> None:
        self._touch(expense_id)
        self.conn.execute("DELETE FROM expense_tags WHERE expense_id = ?", [expense_id])
        self._add_tags(expense_id, tags)

    def _add_tags(self, expense_id: int, tags: Iterable[str]) -> None:
        self.conn.executemany(
            "INSERT INTO expense_tags (expense_id, tag, tag_key) VALUES (?, ?, ?)",
            [(expense_id, tag, tag.casefold()) for tag in tags],
        )

    # idempotency keys -----------------------------------------------------------------
    def idempotency_key(self, key: str) -> IdempotencyKeyRow | None:
        return self._one(IdempotencyKeyRow, "SELECT * FROM idempotency_keys WHERE key = ?", [key])

    def put_idempotency_key(self, key: str, fingerprint: str, expense_id: int, at: str) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO idempotency_keys (key, fingerprint, expense_id, created_at) "
            "VALUES (?, ?, ?, ?)",
            [key, fingerprint, expense_id, at],
        )

    def forget_idempotency_keys(self, before: str) -> None:
        self.conn.execute("DELETE FROM idempotency_keys WHERE created_at < ?", [before])
