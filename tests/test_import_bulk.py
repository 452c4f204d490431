"""Import at scale (reference §8): validated rows are written in batches, and a load at
least as big as the book sets the list indexes aside and builds them at the end, in the
same transaction. What an import accepts, refuses, writes and logs stays what writing the
rows one by one gave: these tests shrink the batches so a few rows cross their edges."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expense_cli.domain import importer
from expense_cli.domain.importer import ImportResult
from expense_cli.domain.taxes import tax_of
from expense_cli.store import Store
from expense_cli.store.catalog import CachedCatalog
from tests.conftest import Cli, ok

HEADER = "uid,date,description,amount,category,client,billable,billing_status,invoice_ref,tags\n"


def _file(tmp_path: Path, lines: list[str], name: str = "in.csv") -> str:
    path = tmp_path / name
    path.write_text(HEADER + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    return str(path)


def _rows(count: int, start: int = 0) -> list[str]:
    return [
        f",2025-03-{1 + i % 28:02d},Row {i},{i}.25,Travel,,false,not_invoiced,,t{i % 3};all"
        for i in range(start, start + count)
    ]


def _indexes(book: Path) -> set[tuple[str, str]]:
    with closing(sqlite3.connect(book)) as conn:
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
            "AND sql IS NOT NULL"
        ).fetchall()
    return {(name, sql) for name, sql in rows}


def _index_order(book: Path) -> dict[str, list[str]]:
    """Each loaded table's indexes in the order SQLite reads them (its planner breaks ties
    between a table's indexes by that order when it has no statistics)."""
    order: dict[str, list[str]] = {"expenses": [], "expense_tags": []}
    with closing(sqlite3.connect(book)) as conn:
        rows = conn.execute(
            "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name IN ('expenses', 'expense_tags') ORDER BY rowid"
        )
        for table, name in rows:
            order[table].append(name)
    return order


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows written three at a time; the list indexes set aside from the first batch on."""
    monkeypatch.setattr(importer, "BATCH", 3)
    monkeypatch.setattr(importer, "BULK_ROWS", 3)


@pytest.mark.usefixtures("batches")
def test_batched_rows_get_their_ids_tags_and_one_logged_change(
    cli: Cli, book: Path, tmp_path: Path
) -> None:
    first = ok(cli, "add", "Seed", "1.00", "-c", "Travel")["id"]
    indexes, order = _indexes(book), _index_order(book)

    result = cli("import", _file(tmp_path, _rows(10)), "-q")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.split() == [str(first + n) for n in range(1, 11)]
    listed = {e["id"]: e for e in ok(cli, "list", "--all")}
    for n in range(10):
        expense = listed[first + 1 + n]
        assert (expense["description"], expense["tags"]) == (f"Row {n}", ["all", f"t{n % 3}"])
    assert [e["id"] for e in ok(cli, "list", "--tag", "t1", "--all")] == [9, 6, 3]
    assert [e["id"] for e in ok(cli, "list", "--search", "Row", "--all")][-1] == 2
    assert _indexes(book) == indexes  # every index and trigger back, exactly as defined
    # and in the same order: without statistics the planner breaks ties by it
    assert _index_order(book) == order
    assert cli("db", "check").exit_code == 0
    [change, _] = ok(cli, "log")
    assert (change["command"], change["expense_ids"]) == ("import", list(range(2, 12)))
    ok(cli, "undo")
    assert [e["id"] for e in ok(cli, "list", "--all")] == [first]


@pytest.mark.usefixtures("batches")
def test_a_later_import_never_reuses_the_ids_of_an_undone_one(cli: Cli, tmp_path: Path) -> None:
    ok(cli, "add", "Seed", "1.00", "-c", "Travel")
    assert cli("import", _file(tmp_path, _rows(5))).exit_code == 0
    ok(cli, "undo")

    again = cli("import", _file(tmp_path, _rows(5, 5), "b.csv"), "-q")

    assert again.exit_code == 0, again.stderr
    assert again.stdout.split() == ["7", "8", "9", "10", "11"]


@pytest.mark.usefixtures("batches")
def test_a_bad_row_after_the_indexes_were_set_aside_leaves_the_book_as_it_was(
    cli: Cli, book: Path, tmp_path: Path
) -> None:
    ok(cli, "add", "Seed", "1.00", "-c", "Travel")
    indexes = _indexes(book)
    lines = [*_rows(8), ",2025-03-01,Bad,x,Travel,,false,not_invoiced,,"]

    result = cli("import", _file(tmp_path, lines), "--json")

    assert result.exit_code == 4
    assert set(result.error["fields"]) == {"line 10.amount"}
    assert [e["description"] for e in ok(cli, "list", "--all")] == ["Seed"]
    assert _indexes(book) == indexes
    assert len(ok(cli, "log")) == 1


def _same(cli: Cli, tmp_path: Path, lines: list[str], seeded: bool) -> Any:
    """Import LINES (into a book holding one expense when SEEDED): the JSON result."""
    if seeded:
        ok(cli, "add", "Seed", "1.00", "-c", "Meals", "-d", "2020-01-01")
    return cli("import", _file(tmp_path, lines), "--json")


# The checks that read the book read the rows still waiting to be written, too: the same
# verdicts whether a row before was written at once (batches of 1) or is pending (2,000).
SIZES = pytest.mark.parametrize("batch", [1, 2000])
BOOKS = pytest.mark.parametrize("seeded", [False, True], ids=["empty-book", "book"])


@SIZES
@BOOKS
def test_a_row_like_one_before_it_in_the_file_is_a_duplicate(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int, seeded: bool
) -> None:
    monkeypatch.setattr(importer, "BATCH", batch)
    lines = ["u-1,2025-03-01,Taxi  home,9.00,Travel,,false,not_invoiced,,",
             ",2025-03-01,taxi home,9.00,Travel,,false,not_invoiced,,",
             ",2025-03-01,Taxi home,9.00,Travel,,false,not_invoiced,,"]  # fmt: skip

    result = _same(cli, tmp_path, lines, seeded)

    assert result.exit_code == 0, result.stderr
    assert (result.data["imported"], result.data["duplicates"]) == (2, 1)


@SIZES
@BOOKS
def test_an_invoice_ref_counts_a_not_invoiced_row_before_it(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int, seeded: bool
) -> None:
    monkeypatch.setattr(importer, "BATCH", batch)
    ok(cli, "clients", "add", "Acme")
    ok(cli, "clients", "add", "Globex")
    lines = [",2025-03-01,Taxi,9.00,Travel,Acme,true,not_invoiced,INV-1,",
             ",2025-03-02,Train,9.00,Travel,Globex,true,invoiced,INV-1,"]  # fmt: skip

    result = _same(cli, tmp_path, lines, seeded)

    assert result.exit_code == 4
    assert set(result.error["fields"]) == {"line 3.invoice_ref"}
    assert "Acme, Globex" in result.error["fields"]["line 3.invoice_ref"]


@SIZES
@BOOKS
def test_a_uid_this_import_made_up_is_already_in_the_book(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int, seeded: bool
) -> None:
    monkeypatch.setattr(importer, "BATCH", batch)
    monkeypatch.setattr(importer, "new_uid", lambda: "made-up")
    lines = [",2025-03-01,Taxi,9.00,Travel,,false,not_invoiced,,",
             "made-up,2025-03-02,Train,9.00,Travel,,false,not_invoiced,,"]  # fmt: skip

    result = _same(cli, tmp_path, lines, seeded)

    assert result.exit_code == 0, result.stderr
    assert (result.data["imported"], result.data["skipped"]) == (1, 1)


def test_records_made_by_the_import_are_found_by_the_rows_after_them(
    cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        "date,description,amount,category,client,project\n"
        "2025-03-01,One,1.00,Travel,Acme,Launch\n"
        "2025-03-02,Two,1.00,Travel,,Launch\n"
        "2025-03-03,Three,1.00,Travel,Globex,Launch\n"
        "2025-03-04,Four,1.00,Travel,Globex,Other\n"
    )

    result = cli("import", str(path), "--create-missing", "--json")

    assert result.exit_code == 4
    assert result.error["fields"] == {
        "line 4.client": "project 'Launch' belongs to 'Acme', not 'Globex'"
    }
    path.write_text("\n".join(path.read_text().splitlines()[:3]) + "\n")
    made = cli("import", str(path), "--create-missing", "--json")
    assert made.exit_code == 0, made.stderr
    assert made.data["created"] == {"categories": [], "clients": ["Acme"], "projects": ["Launch"]}
    listed = ok(cli, "list", "--all")
    assert {(e["client"]["name"], e["project"]["name"]) for e in listed} == {("Acme", "Launch")}


def test_an_exported_timestamp_is_kept_and_an_impossible_one_is_refused(
    cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "created_at,date,description,amount,category\n"
        "2021-01-02T23:26:11.584369Z,2025-03-01,One,1.00,Travel\n"
        "2021-02-30T00:00:00.000000Z,2025-03-01,Two,1.00,Travel\n"
    )

    result = cli("import", str(path), "--json")

    assert result.exit_code == 4
    assert result.error["fields"] == {
        "line 3.created_at": "'2021-02-30T00:00:00.000000Z' is not an ISO 8601 timestamp"
    }
    path.write_text(path.read_text().splitlines()[0] + "\n" + path.read_text().splitlines()[1])
    assert cli("import", str(path)).exit_code == 0
    [one] = ok(cli, "list", "--all")
    assert one["created_at"] == "2021-01-02T23:26:11.584369Z"


def test_id_ranges_join_runs_of_consecutive_ids() -> None:
    result = ImportResult()
    result.add_ids(range(3, 6))
    result.add_ids(range(6, 8))
    result.add_id(8)
    result.add_ids([10, 11])
    result.add_ids(range(12, 12))

    assert result.id_ranges == [range(3, 9), range(10, 12)]
    assert list(result.created_ids()) == [3, 4, 5, 6, 7, 8, 10, 11]


@given(
    amount=st.integers(min_value=0, max_value=10**16),
    rate=st.decimals(min_value=0, max_value=100, places=2, allow_nan=False),
)
def test_tax_of_is_the_exact_half_even_share_of_the_amount(amount: int, rate: Decimal) -> None:
    exact = Fraction(amount) * Fraction(rate) / (100 + Fraction(rate))
    assert tax_of(amount, rate) == round(exact)


def test_a_remembered_catalogue_forgets_only_what_a_new_record_can_change(book: Path) -> None:
    store = Store.open(book)
    try:
        cached = CachedCatalog(store)
        travel = cached.category_named("Travel")
        assert cached.client_named("Acme") is None
        assert cached.projects_named("Launch") == []
        with store.write():
            new_id = store.insert_client({"name": "Acme", "currency": "USD", "markup_bp": 0})
            store.insert_project({"name": "Launch", "client_id": new_id})
            store.insert_category({"name": "Zoo", "basis": "amount"})
            store.conn.execute("UPDATE categories SET name = 'Trips' WHERE name = 'Travel'")
        assert cached.client_named("Acme") is None  # remembered until forgotten
        cached.forget()

        assert cached.category_named("Travel") == travel  # a row found stays
        assert cached.client_named("Acme") is not None
        assert [p["name"] for p in cached.projects_named("Launch")] == ["Launch"]
    finally:
        store.close()
