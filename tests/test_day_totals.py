"""`day_totals` (schema step `m_day_totals`, reference §8): the per-day sums that reports
filtered only by dates, categories and currency read instead of the expenses. The triggers
must keep it equal to a GROUP BY over the live expenses after every kind of write, and a
report read from it must print exactly what the same report read from the expenses prints."""

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from expense_cli.store import expenses as store_expenses
from tests.conftest import Cli, ok

S = 10**9
PLAIN = """SELECT date, category_id, currency, scale, count(*), sum(amount_minor),
    sum(coalesce(tax_minor, 0)) FROM expenses WHERE deleted_at IS NULL GROUP BY 1, 2, 3, 4"""
KEPT = f"""SELECT date, category_id, currency, scale, n, total_hi * {S} + total_lo,
    tax_hi * {S} + tax_lo FROM day_totals"""


def _agree(book: Path) -> list[tuple[object, ...]]:
    """The kept rows, after checking they equal the GROUP BY (and hold no empty group)."""
    with closing(sqlite3.connect(book)) as conn:
        kept = sorted(conn.execute(KEPT))
        assert kept == sorted(conn.execute(PLAIN))
        assert conn.execute("SELECT count(*) FROM day_totals WHERE n <= 0").fetchone() == (0,)
    return kept


def _ids(data: object) -> list[str]:
    rows = data if isinstance(data, list) else [data]
    return [str(row["id"]) for row in rows]  # type: ignore[index]


@pytest.fixture
def busy_book(cli: Cli, book: Path, tmp_path: Path) -> Path:
    """A book after every kind of write an expense goes through."""
    ok(cli, "clients", "add", "Globex", "--currency", "EUR")
    first = ok(cli, "add", "Train", "45.10", "-c", "Travel", "--date", "2025-03-01")["id"]
    ok(cli, "add", "Lunch", "12.00", "-c", "Meals", "--date", "2025-03-01", "--tax", "19%")
    euro = ok(cli, "add", "Hotel", "99.99", "-c", "Travel", "--client", "Globex",
              "--date", "2025-03-02")["id"]  # fmt: skip
    gone = ok(cli, "add", "Taxi", "20.00", "-c", "Travel", "--date", "2025-03-01")["id"]
    ok(cli, "edit", str(first), "--amount", "50.00", "--date", "2025-03-05", "-c", "Meals")
    ok(cli, "edit", str(euro), "--tax", "7%")
    ok(cli, "delete", str(gone))
    ok(cli, "clone", str(first), "--date", "2025-04-01")
    back = ok(cli, "add", "Deleted then restored", "5.00", "-c", "Software", "--date", "2025-03-01")
    ok(cli, "delete", str(back["id"]))
    ok(cli, "restore", str(back["id"]))
    csv = tmp_path / "rows.csv"
    csv.write_text(
        "date,description,amount,category\n"
        + "".join(f"2025-03-{d:02d},Row {d},{d}.25,Travel\n" for d in range(1, 29))
    )
    ok(cli, "import", str(csv))
    ok(cli, "undo")  # the import goes again, at once
    ok(cli, "import", str(csv))
    ok(cli, "edit", str(euro), "--amount", "120.00")
    ok(cli, "undo")  # back to 99.99
    ok(cli, "edit", str(euro), "--billable")
    ok(cli, "invoice", str(euro), "--ref", "INV-7")  # a ref: `report --by ref` splits it out
    return book


def test_every_write_keeps_day_totals_equal_to_the_expenses(busy_book: Path) -> None:
    kept = _agree(busy_book)
    assert len(kept) > 20  # the import's days, the edits' moves, the restored row


REPORTS = [
    ("--by", "month", "--by", "category"),
    ("--by", "ref"),
    ("--by", "month", "--by", "ref", "--from", "2025-03-02"),
    ("--by", "category", "--tax"),
    ("--by", "quarter", "--from", "2025-03-02", "--to", "2025-03-31"),
    ("--by", "year", "-c", "Travel", "-c", "Meals"),
    ("--by", "month", "--currency", "EUR"),
    (),
]


@pytest.mark.parametrize("args", REPORTS)
def test_a_report_from_day_totals_prints_what_the_expenses_give(
    cli: Cli, busy_book: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    kept = cli("report", *args, "--json")
    assert kept.exit_code == 0, kept.stderr
    monkeypatch.setattr(store_expenses, "day_totals_serve", lambda *_, **__: False)
    from expense_cli.store import listing

    monkeypatch.setattr(listing, "day_totals_serve", lambda *_, **__: False)
    read = cli("report", *args, "--json")
    assert kept.stdout == read.stdout
    assert kept.json["data"], "the report has rows"


def test_sums_past_64_bits_on_one_day_stay_exact(cli: Cli, book: Path) -> None:
    """A day's kept sums are in two parts: 1,000 of the largest CLF amounts on one day add
    up past 2**63, and the report prints the exact total."""
    ok(cli, "add", "seed", "1.00", "-c", "Travel")
    amount = 9999_9999_9999_9999  # 999,999,999,999.9999 CLF, the most one expense holds
    with closing(sqlite3.connect(book)) as conn, conn:
        conn.executemany(
            "INSERT INTO expenses (uid, description, date, amount_minor, currency, scale, "
            "category_id, approval_status, reimbursement_status, created_at, updated_at) "
            "VALUES (?, 'big', '2025-06-01', ?, 'CLF', 4, 1, 'approved', 'not_reimbursable', "
            "'2025-06-01T00:00:00.000000Z', '2025-06-01T00:00:00.000000Z')",
            [(f"big-{i}", amount) for i in range(1_000)],
        )
    assert 1_000 * amount > 2**63
    rows = ok(cli, "report", "--by", "month", "--currency", "CLF")
    assert [(r["count"], r["total"]) for r in rows] == [(1_000, "999999999999999.9000")]
    with closing(sqlite3.connect(book)) as conn:  # SQLite's sum() would stop at 64 bits
        hi, lo = conn.execute(
            "SELECT total_hi, total_lo FROM day_totals WHERE currency = 'CLF'"
        ).fetchone()
    assert hi * S + lo == 1_000 * amount


def test_a_book_from_before_the_step_gets_its_totals(cli: Cli, book: Path) -> None:
    """The migration fills the table from the live expenses a book already holds."""
    from expense_cli.store import schema
    from tests.books import frozen_book, old_expense

    with frozen_book(book, schema._m_day_totals) as old:
        for n in range(1, 41):
            deleted = "2025-05-01T00:00:00.000000Z" if n % 10 == 0 else None
            old_expense(old, uid=f"u-{n}", date=f"2025-03-{n % 28 + 1:02d}",
                        amount_minor=n * 101, category_id=n % 3 + 1, tax_minor=n % 7,
                        deleted_at=deleted)  # fmt: skip
    rows = ok(cli, "report", "--by", "month")  # opening the book runs the step
    assert [(r["count"], r["total"]) for r in rows] == [(36, "727.20")]
    assert len(_agree(book)) == 36  # no two live rows share a day and a category


def test_db_check_compares_the_kept_totals_with_the_expenses(cli: Cli, busy_book: Path) -> None:
    assert ok(cli, "db", "check")  # clean after every kind of write
    with closing(sqlite3.connect(busy_book)) as conn, conn:
        day = conn.execute("SELECT min(date) FROM day_totals").fetchone()[0]
        conn.execute("UPDATE day_totals SET total_lo = total_lo + 1 WHERE date = ?", [day])
    result = cli("db", "check", "--json")
    assert result.exit_code == 4, result.stderr
    assert result.error["fields"] == {
        "kept totals day_totals": "do not match the expenses they sum"
    }
