"""The export's fast path writes exactly what the record path writes: `records.csv_row_maker` gives
`csv_row(records.expense(row))` for every kind of expense."""

from __future__ import annotations

from pathlib import Path

from expense_cli.domain import records
from expense_cli.domain.models import csv_row
from expense_cli.store import Store
from expense_cli.store.listing import ExpenseQuery
from tests.conftest import Cli


def test_flat_rows_equal_the_flat_shape_of_their_records(cli: Cli, book: Path) -> None:
    setup = [
        ("clients", "add", "Yen Co", "--currency", "JPY"),
        ("projects", "add", "Site", "--client", "Yen Co"),
        ("categories", "add", "Mileage", "--unit", "km", "--unit-price", "0.585"),
        ("add", "=SUM(A1)", "12.30", "-c", "Travel", "-t", "b", "-t", "A", "-n", "two\nlines"),
        ("add", "Hosting", "1500", "-c", "Software", "-p", "Site", "--billable"),
        ("add", "Drive", "--units", "12.5", "-c", "Mileage", "--time", "08:15"),
        ("add", "Desk", "1", "-c", "Other", "--label", "Office"),
        ("invoice", "2", "--ref", "INV-1"),
        ("delete", "4"),
    ]
    for args in setup:
        assert cli(*args).exit_code == 0, args
    store = Store.open(book)
    try:
        found = list(store.iter_expenses(ExpenseQuery(include_deleted=True, sort="id")))
        assert len(found) == 4
        for row in found:
            flat = records.csv_row_maker(list(row))
            assert flat(tuple(row.values())) == csv_row(records.expense(row))
    finally:
        store.close()


# `export -f csv` renders most rows in SQLite (store/csv_lines.py) and the rest through the
# record path: its bytes must be those of `write_csv_rows` over the records, row for row.
HOSTILE = [
    "=SUM(A1)", "+1", "-2", "@cmd", "'=x", "''+y", "'plain", "a,b", 'say "hi"', '"quoted"',
    "tab\tin", "\tlead", "cr\rin", "\rlead", "nl\nin", "bidi\u202eRTL\u2066x", "nul\x00x",
    "esc\x1b[31m", "del\x7f", "c1\x85\x9b", "nbsp\u00a0zw\u200bx", "ls\u2028ps\u2029",
    "émoji 🧾", "plain text", ",lead", 'x,"=y"', "-", "=",
]  # fmt: skip


def _expected(book: Path, deleted: bool) -> str:
    import io

    from expense_cli.cli import render

    store = Store.open(book)
    try:
        query = ExpenseQuery(only_deleted=deleted, sort="date", descending=False)
        out = io.StringIO()
        render.write_csv_rows((csv_row(records.expense(r)) for r in store.iter_expenses(query)),
                              False, out)  # fmt: skip
        return out.getvalue()
    finally:
        store.close()


def test_export_csv_writes_the_bytes_of_the_record_path(cli: Cli, book: Path) -> None:
    import sqlite3

    setup = [
        ("clients", "add", "Yen Co", "--currency", "JPY"),
        ("clients", "add", "Acme, Inc \"EU\"", "--currency", "EUR"),
        ("projects", "add", "Site, v2", "--client", "Acme, Inc \"EU\""),
        ("categories", "add", "Mileage", "--unit", "km", "--unit-price", "0.585"),
        ("categories", "add", "=Risky, cat", "--tax", "7.5"),
        ("add", "Yen", "1500", "-c", "Travel", "--client", "Yen Co", "-d", "2026-01-02"),
        ("add", "Dinar", "12", "-c", "Travel", "--tax-amount", "2", "-d", "2026-01-03"),
        ("add", "Taxed", "107.50", "-c", "=Risky, cat", "-p", "Site, v2", "--billable",
         "-t", "=b", "-t", "A", "-t", 'q"t', "-d", "2026-01-04"),
        ("add", "Drive", "--units", "12.5", "-c", "Mileage", "--time", "08:15",
         "-d", "2026-01-05"),
        ("add", "Desk", "1", "-c", "Other", "--label", "-Office, 2", "-n", "two\nlines, \"q\"",
         "-d", "2026-01-06"),
        ("add", "Zero", "0", "-c", "Travel", "-d", "2026-01-07"),
    ]  # fmt: skip
    for args in setup:
        assert cli(*args).exit_code == 0, (args, cli(*args).stderr)
    for i in range(len(HOSTILE)):
        day = f"2026-02-{i % 28 + 1:02d}"
        result = cli("add", f"d{i}", f"{i}.{i:02d}", "-c", "Travel", "-d", day, "-t", f"t{i}")
        assert result.exit_code == 0, result.stderr
    assert cli("invoice", "3", "--ref", "INV, 1").exit_code == 0
    assert cli("delete", "2").exit_code == 0
    # What validation refuses, a tampered file may still hold: every hostile value in every
    # free-text cell, and in names and tags.
    with sqlite3.connect(book) as conn:
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM expenses WHERE description GLOB 'd[0-9]*' ORDER BY id"
            )
        ]
        for expense_id, value in zip(ids, HOSTILE, strict=True):
            conn.execute(
                "UPDATE expenses SET description = ?, notes = ?, custom_category = ?, "
                "invoice_ref = ?, uid = ? WHERE id = ?",
                [value, value, value, value, f"{value}-{expense_id}", expense_id],
            )
            conn.execute(
                "UPDATE expense_tags SET tag = ? WHERE expense_id = ?", [value, expense_id]
            )
        conn.execute("UPDATE clients SET name = ? WHERE name = 'Yen Co'", ["K\x00,=\u202e"])
        conn.execute(
            "UPDATE expenses SET original_minor = 123456, original_currency = 'KWD', "
            "amount_from_rate = 1 WHERE id = 1"
        )
    conn.close()
    for deleted in (False, True):
        flags = ("--deleted",) if deleted else ()
        result = cli("export", "-f", "csv", *flags)
        assert result.exit_code == 0, result.stderr
        expected = _expected(book, deleted)
        assert len(expected.splitlines()) > (1 if deleted else 40)
        assert result.stdout == expected
        target = book.parent / f"out-{deleted}.csv"
        assert cli("export", "-f", "csv", "-o", str(target), *flags).exit_code == 0
        assert target.read_bytes().decode() == expected


def test_export_csv_of_every_scale_and_amount_shape(cli: Cli, book: Path) -> None:
    """Amounts SQLite formats from minor units: every minor-digit count, zero, tax above the
    amount (a negative net), originals in every digit count, rebill amounts."""
    import sqlite3

    assert cli("add", "Seed", "1", "-c", "Travel").exit_code == 0
    with sqlite3.connect(book) as conn:
        row = conn.execute("SELECT * FROM expenses WHERE id = 1").fetchone()
        names = [d[0] for d in conn.execute("SELECT * FROM expenses").description]
        base = dict(zip(names, row, strict=True))
        shapes = [
            (0, 0, None, None, None), (5, 0, 3, 9, "JPY"), (1, 2, None, 5, "EUR"),
            (100, 2, 120, 1, "KWD"), (12345, 2, 0, 100000, "CLF"), (7, 3, 7, None, None),
            (99999, 4, 1, 3, "BHD"), (10**15, 2, 10**15 - 1, 10**12, "USD"),
        ]  # fmt: skip
        for n, (minor, scale, tax, original, currency) in enumerate(shapes, start=2):
            values = {
                **base, "id": n, "uid": f"u{n}", "amount_minor": minor, "scale": scale,
                "tax_minor": tax, "tax_rate": None if tax is None else "19",
                "original_minor": original, "original_currency": currency,
                "rebill_minor": None if tax is None else minor + 1,
            }  # fmt: skip
            values.pop("amount_key", None)
            marks = ", ".join("?" for _ in values)
            conn.execute(
                f"INSERT INTO expenses ({', '.join(values)}) VALUES ({marks})",
                list(values.values()),
            )
    conn.close()
    result = cli("export", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == _expected(book, False)
