"""`invoice_totals` (schema step `m_invoice_totals`): the per-invoice counts and sums that
`invoices` lists at 1,000,000 expenses (reference §8, §10.5), kept by triggers on every
write to an expense with a ref, and the JSON SQLite renders from them.

The invariant: the table equals a GROUP BY over the live expenses with a ref, after any
write — commands, undo, and raw SQL alike — and `invoices --json` prints the same bytes
whichever path (SQLite's rendering or Python's records) made them."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expense_cli.cli import render
from expense_cli.domain import invoices as use
from expense_cli.store import Store, schema
from tests.books import frozen_book, old_expense
from tests.conftest import Cli, ok

# What the table must hold: every live expense with a ref, grouped, its first invoicing
# time and how many of the group's expenses have it.
EXPECTED = """
SELECT invoice_ref, coalesce(client_id, 0) AS ck, currency, scale, count(*),
       sum(amount_minor), sum(coalesce(rebill_minor, 0)), min(invoiced_at),
       sum(coalesce(invoiced_at = (
           SELECT min(x.invoiced_at) FROM expenses x WHERE x.invoice_ref = e.invoice_ref
           AND coalesce(x.client_id, 0) = coalesce(e.client_id, 0) AND x.currency = e.currency
           AND x.scale = e.scale AND x.deleted_at IS NULL), 0))
FROM expenses e WHERE invoice_ref IS NOT NULL AND deleted_at IS NULL
GROUP BY 1, 2, 3, 4"""
KEPT = f"""
SELECT ref, client_key, currency, scale, n, total_hi * {schema.SUM_SPLIT} + total_lo,
       rebill_hi * {schema.SUM_SPLIT} + rebill_lo, first_at, at_first
FROM invoice_totals"""


def _groups(conn: sqlite3.Connection, sql: str) -> list[tuple[Any, ...]]:
    return sorted((tuple(row) for row in conn.execute(sql)), key=repr)


def assert_kept(conn: sqlite3.Connection) -> None:
    assert _groups(conn, KEPT) == _groups(conn, EXPECTED)


def _open(book: Path) -> sqlite3.Connection:
    return sqlite3.connect(book, isolation_level=None)


# through the commands ------------------------------------------------------------------
def _add(cli: Cli, amount: str, *args: str) -> int:
    return int(ok(cli, "add", "Item", amount, "-c", "Travel", "--billable", *args)["id"])


def test_every_command_that_writes_an_invoiced_expense_keeps_the_totals(
    cli: Cli, book: Path
) -> None:
    ok(cli, "clients", "add", "Acme", "--currency", "EUR", "--markup", "10")
    ok(cli, "clients", "add", "Tokyo", "--currency", "JPY")
    ids = [
        _add(cli, f"{10 + n}.25", "--client", "Acme", "-d", f"2026-03-0{n + 1}") for n in range(5)
    ]
    ids += [_add(cli, "1200", "--client", "Tokyo")]
    with closing(_open(book)) as conn:
        steps = [
            ("invoice", "--client", "Acme", "--to", "2026-03-03", "--ref", "INV-1"),
            ("invoice", str(ids[3]), "--ref", "INV-2"),
            ("invoice", str(ids[5]), "--ref", "INV-3"),
            ("invoice", str(ids[4]), "--ref", "INV-1"),
            ("delete", str(ids[0]), "--force"),
            ("uninvoice", str(ids[1])),
            ("restore", str(ids[0])),
            ("undo",),  # the restore
            ("undo",),  # the uninvoice
            ("delete", str(ids[5]), "--force"),
        ]
        for step in steps:
            result = cli(*step, "--json")
            assert result.exit_code == 0, (step, result.stderr)
            assert_kept(conn)
    listed = [(i["ref"], i["count"], i["total"], i["rebill_total"]) for i in ok(cli, "invoices")]
    assert listed == [
        ("INV-1", 3, "37.75", "41.54"),  # ids 1, 2 and 4: 11.25, 12.25, 14.25 plus 10 %
        ("INV-2", 1, "13.25", "14.58"),
    ]


def test_imported_invoiced_rows_are_counted(cli: Cli, book: Path, tmp_path: Path) -> None:
    ok(cli, "clients", "add", "Acme")
    rows = "".join(
        f"2026-01-0{n},Row {n},{n}.00,Travel,Acme,true,invoiced,IMP-{n % 2}\n" for n in range(1, 6)
    )
    path = tmp_path / "in.csv"
    path.write_text(
        "date,description,amount,category,client,billable,billing_status,invoice_ref\n" + rows
    )
    assert cli("import", str(path), "--json").exit_code == 0
    with closing(_open(book)) as conn:
        assert_kept(conn)
    assert {i["ref"]: i["count"] for i in ok(cli, "invoices")} == {"IMP-0": 2, "IMP-1": 3}


# any write at all: raw SQL, generated -------------------------------------------------
# Few values, mostly the same ones, so that writes meet in one group.
_STAMPS = st.sampled_from([None, "2026-01-01T00:00:00.000000Z", "2026-01-02T00:00:00.000000Z"])
_ROW = st.fixed_dictionaries(
    {
        "invoice_ref": st.sampled_from([None, "A", "A", "B"]),
        "client_id": st.sampled_from([1, 1, 1, None]),
        "currency": st.sampled_from(["USD", "USD", "USD", "JPY"]),
        "scale": st.sampled_from([2, 2, 2, 0]),
        "amount_minor": st.sampled_from([0, 1, 999_999_999, 10**16]),
        "rebill_minor": st.sampled_from([None, 5, 10**16]),
        "invoiced_at": _STAMPS,
        "deleted_at": st.sampled_from([None, None, "2026-02-01T00:00:00.000000Z"]),
    }
)
_WRITE = st.one_of(
    st.tuples(st.just("insert"), _ROW),
    st.tuples(st.just("update"), st.integers(0, 7), _ROW.map(lambda r: dict(list(r.items())[:4]))),
    st.tuples(st.just("update"), st.integers(0, 7), _ROW.map(lambda r: dict(list(r.items())[4:]))),
    st.tuples(st.just("delete"), st.integers(0, 7)),
)


@pytest.fixture(scope="module")
def empty_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("totals") / "b.db"
    Store.open(path).close()
    with closing(_open(path)) as conn:
        conn.execute("INSERT INTO clients (name, name_key, currency) VALUES ('A', 'a', 'USD')")
        conn.execute("INSERT INTO clients (name, name_key, currency) VALUES ('B', 'b', 'USD')")
    return path


def _write(conn: sqlite3.Connection, write: tuple[Any, ...], serial: int) -> None:
    ids = [row[0] for row in conn.execute("SELECT id FROM expenses ORDER BY id")]
    if write[0] == "insert":
        row = {"uid": f"u{serial}", "description": "x", "date": "2026-01-01", "category_id": 1,
               "approval_status": "approved", "reimbursement_status": "not_reimbursable",
               "created_at": "t", "updated_at": "t", **write[1]}  # fmt: skip
        names, marks = ", ".join(row), ", ".join("?" * len(row))
        conn.execute(f"INSERT INTO expenses ({names}) VALUES ({marks})", list(row.values()))
    elif ids and write[0] == "update":
        sets = ", ".join(f"{name} = ?" for name in write[2])
        target = ids[write[1] % len(ids)]
        conn.execute(f"UPDATE expenses SET {sets} WHERE id = ?", [*write[2].values(), target])
    elif ids:
        conn.execute("DELETE FROM expenses WHERE id = ?", [ids[write[1] % len(ids)]])


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(writes=st.lists(_WRITE, min_size=2, max_size=16))
def test_the_totals_equal_the_grouped_expenses_after_any_writes(
    empty_book: Path, writes: list[tuple[Any, ...]]
) -> None:
    with closing(_open(empty_book)) as conn:
        conn.execute("BEGIN")
        try:
            for serial, write in enumerate(writes):
                _write(conn, write, serial)
                assert_kept(conn)
        finally:
            conn.execute("ROLLBACK")


def _insert(conn: sqlite3.Connection, serial: int, **row: Any) -> None:
    """An invoiced expense in USD cents of client 1 unless `row` says otherwise."""
    defaults = {"invoice_ref": "A", "client_id": 1, "currency": "USD", "scale": 2,
                "amount_minor": 100, "invoiced_at": "2026-01-01T00:00:00.000000Z"}  # fmt: skip
    _write(conn, ("insert", defaults | row), serial)


def test_removing_the_last_expense_with_the_first_time_finds_the_next(empty_book: Path) -> None:
    """The one case that reads the group again: its first invoicing time left it."""
    with closing(_open(empty_book)) as conn:
        conn.execute("BEGIN")
        try:
            for serial, at in enumerate(["2026-01-03", "2026-01-01", "2026-01-01", "2026-01-02"]):
                _insert(conn, serial, invoiced_at=at)
            first = "SELECT first_at, at_first FROM invoice_totals"
            assert conn.execute(first).fetchall() == [("2026-01-01", 2)]
            conn.execute("UPDATE expenses SET deleted_at = 'x' WHERE id = 2")
            assert conn.execute(first).fetchall() == [("2026-01-01", 1)]
            conn.execute("DELETE FROM expenses WHERE id = 3")
            assert conn.execute(first).fetchall() == [("2026-01-02", 1)]
            conn.execute("UPDATE expenses SET invoice_ref = NULL")
            assert conn.execute(first).fetchall() == []
        finally:
            conn.execute("ROLLBACK")


# the JSON SQLite renders ----------------------------------------------------------------
HOSTILE_NAME = 'Quote " back\\slash é 😀 \n tab\t'


def _book_of(path: Path, rows: list[dict[str, Any]]) -> Store:
    store = Store.open(path)
    with closing(_open(path)) as conn:
        conn.execute(
            "INSERT INTO clients (name, name_key, currency) VALUES (?, 'k', 'USD')", [HOSTILE_NAME]
        )
        for serial, row in enumerate(rows):
            _insert(conn, serial, **row)
    return store


def _by_python(store: Store) -> str:
    return render.dumps(render.envelope([i.to_json() for i in use.list_invoices(store)]))


SCALES = [
    {"invoice_ref": f"S{s}", "scale": s, "amount_minor": 7, "rebill_minor": None, "currency": c}
    for s, c in enumerate(["JPY", "AAA", "EUR", "BHD", "CLF"])
]


@pytest.mark.parametrize(
    ("rows", "rendered_by_sqlite"),
    [
        ([], True),
        ([{"invoice_ref": "INV-1", "amount_minor": 12345, "rebill_minor": 13580}], True),
        (SCALES, True),
        ([{"invoice_ref": 'q"\\\x01\n', "amount_minor": 5, "client_id": None}], True),
        ([{"invoice_ref": "R", "amount_minor": 10**16, "invoiced_at": None}] * 40, True),
        ([{"invoice_ref": "BIG", "amount_minor": 10**16, "rebill_minor": 10**16}] * 950, False),
        ([{"invoice_ref": "bidi\u202e", "amount_minor": 1}], False),
        ([{"invoice_ref": "C1\x85", "amount_minor": 1}], False),
    ],
    ids=["none", "one", "every scale", "escapes", "large", "beyond 64 bits", "bidi", "C1"],
)
def test_sqlite_renders_the_bytes_python_would(
    tmp_path: Path, rows: list[dict[str, Any]], rendered_by_sqlite: bool
) -> None:
    store = _book_of(tmp_path / "b.db", rows)
    try:
        with store.read():
            assert (store.invoice_json() is not None) is rendered_by_sqlite
        text = use.invoices_json(store)
        if rendered_by_sqlite:
            assert text == _by_python(store)
        else:
            assert text is None
    finally:
        store.close()


def test_invoices_json_prints_what_the_records_print(cli: Cli, book: Path) -> None:
    """The command's fast path and its record path give the same output."""
    ok(cli, "clients", "add", "Acme")
    for n in range(3):
        _add(cli, f"{n}.10", "--client", "Acme")
    assert cli("invoice", "1", "2", "--ref", "A-1", "--json").exit_code == 0
    assert cli("invoice", "3", "--ref", "A-2", "--json").exit_code == 0
    fast = cli("invoices", "--json").stdout
    with closing(_open(book)) as conn:  # a bidi control in a ref: the record path prints
        conn.execute("UPDATE expenses SET invoice_ref = 'A-2\u202e' WHERE id = 3")
    slow = cli("invoices", "--json").stdout
    assert fast.replace("A-2", "A-2\\u202e") == slow
    assert [i["ref"] for i in ok(cli, "invoices")] == ["A-1", "A-2\u202e"]


# the migration -------------------------------------------------------------------------
def test_a_book_before_the_step_gets_its_totals(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with frozen_book(path, schema._m_invoice_totals) as old:
        old.execute("INSERT INTO clients (name, name_key, currency) VALUES ('A', 'a', 'USD')")
        for n in range(1, 13):
            old_expense(
                old,
                uid=f"u{n}",
                amount_minor=100 * n,
                client_id=1 if n % 4 else None,
                invoice_ref=f"R{n % 3}" if n % 5 else None,
                billing_status="invoiced",
                rebill_minor=110 * n,
                invoiced_at=f"2026-01-0{1 + n % 3}T00:00:00.000000Z",
                deleted_at="2026-02-01T00:00:00.000000Z" if n == 6 else None,
            )
    store = Store.open(path)
    try:
        assert_kept(store.conn)
        # refs R0-R2 of client 1 and of none; 5 and 10 carry no ref, 6 is deleted
        assert store.conn.execute("SELECT count(*) FROM invoice_totals").fetchone()[0] == 6
    finally:
        store.close()
