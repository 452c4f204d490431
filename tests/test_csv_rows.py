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
