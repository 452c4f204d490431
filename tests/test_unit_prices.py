"""Dated unit prices with a currency (reference §10.1 item 2, §10.10 item 3): the pure look-up,
`categories add --unit-currency`, `categories edit --unit-price P --from DATE`, the price
each expense snapshots on add, clone, import and edit, and the migration of older books."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from expense_cli.domain.catalog_models import Category, UnitPrice, price_on
from expense_cli.store import Store, schema
from tests.books import frozen_book, old_expense, query
from tests.conftest import Cli, ok, refused

PRICES = (
    UnitPrice(date(1900, 1, 1), Decimal("0.58")),
    UnitPrice(date(2026, 1, 1), Decimal("0.62")),
    UnitPrice(date(2026, 7, 1), Decimal("0.7")),
)


def _mileage(cli: Cli, *extra: str) -> dict[str, Any]:
    data: dict[str, Any] = ok(
        cli, "categories", "add", "Mileage", "--unit", "km", "--unit-price", "0.58", *extra
    )
    return data


def _drive(cli: Cli, day: str, *extra: str) -> dict[str, Any]:
    data: dict[str, Any] = ok(cli, "add", "Drive", "-c", "Mileage", "--units", "100", "-d", day,
                              *extra)  # fmt: skip
    return data


def _repriced(cli: Cli, price: str = "0.62", starts: str = "2026-01-01") -> dict[str, Any]:
    data: dict[str, Any] = ok(
        cli, "categories", "edit", "Mileage", "--unit-price", price, "--from", starts
    )
    return data


def _expenses(cli: Cli) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = ok(cli, "list", "--all")
    return data


# the pure rule -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "price"),
    [
        (date(1900, 1, 1), "0.58"),
        (date(2025, 12, 31), "0.58"),
        (date(2026, 1, 1), "0.62"),
        (date(2026, 6, 30), "0.62"),
        (date(2026, 7, 1), "0.7"),
        (date(2999, 12, 31), "0.7"),
    ],
)
def test_the_price_in_force_is_the_latest_one_started(day: date, price: str) -> None:
    assert price_on(PRICES, day) == Decimal(price)


def test_the_first_price_also_covers_earlier_dates() -> None:
    later = (UnitPrice(date(2026, 1, 1), Decimal("0.62")),)
    assert price_on(later, date(2020, 5, 5)) == Decimal("0.62")
    assert price_on((), date(2020, 5, 5)) is None


def test_category_json_lists_its_dated_prices_and_currency() -> None:
    category = Category(1, "Mileage", unit_name="km", unit_price=Decimal("0.62"),
                        unit_currency="EUR", unit_prices=PRICES[:2])  # fmt: skip
    data = category.to_json()
    assert data["unit_currency"] == "EUR"
    assert data["unit_price"] == "0.62"
    assert data["unit_prices"] == [
        {"from": "1900-01-01", "price": "0.58"},
        {"from": "2026-01-01", "price": "0.62"},
    ]
    assert category.price_on(date(2025, 3, 1)) == Decimal("0.58")


# categories add / edit -----------------------------------------------------------------
def test_a_unit_category_prices_in_the_books_currency_by_default(cli: Cli) -> None:
    created = _mileage(cli)
    assert created["unit_currency"] == "USD"
    assert created["unit_price"] == "0.58"
    assert created["unit_prices"] == [{"from": "1900-01-01", "price": "0.58"}]
    ok(cli, "config", "default_currency", "EUR")
    later = ok(cli, "categories", "add", "Hours", "--unit", "h", "--unit-price", "80")
    assert later["unit_currency"] == "EUR"
    assert ok(cli, "categories", "add", "Training")["unit_currency"] is None


def test_unit_currency_can_be_given(cli: Cli) -> None:
    assert _mileage(cli, "--unit-currency", "eur")["unit_currency"] == "EUR"


@pytest.mark.parametrize(
    "args",
    [
        ("Mileage", "--unit", "km", "--unit-price", "0.58", "--unit-currency", "EURO"),
        ("Training", "--unit-currency", "EUR"),
    ],
)
def test_a_bad_or_misplaced_unit_currency_is_refused(cli: Cli, args: tuple[str, ...]) -> None:
    error = refused(cli, 4, "categories", "add", *args)
    assert "unit_currency" in error["fields"]
    assert args[0] not in {c["name"] for c in ok(cli, "categories")}


def test_a_unit_price_in_one_currency_does_not_price_another(cli: Cli) -> None:
    """Issue 10's reproduction: 0.30 EUR/km priced a JPY client's 120 km at 36 JPY."""
    ok(cli, "categories", "add", "Mileage", "--unit", "km", "--unit-price", "0.30",
       "--unit-currency", "EUR")  # fmt: skip
    ok(cli, "clients", "add", "Tokyo KK", "--currency", "JPY")
    ok(cli, "clients", "add", "Acme", "--currency", "EUR")
    error = refused(cli, 4, "add", "Drive", "--units", "120", "-c", "Mileage",
                     "--client", "Tokyo KK")  # fmt: skip
    assert "category" in error["fields"]
    assert "EUR" in error["fields"]["category"]
    assert _expenses(cli) == []
    fine = ok(cli, "add", "Drive", "--units", "120", "-c", "Mileage", "--client", "Acme")
    assert (fine["amount"], fine["currency"]) == ("36.00", "EUR")


def test_editing_into_a_category_of_another_currency_is_refused(cli: Cli) -> None:
    _mileage(cli, "--unit-currency", "EUR")
    added = ok(cli, "add", "Taxi", "10.00", "-c", "Travel")  # the book's USD
    error = refused(cli, 4, "edit", str(added["id"]), "-c", "Mileage", "--units", "5")
    assert "category" in error["fields"]
    assert ok(cli, "show", str(added["id"])) == added


def test_a_dated_price_applies_from_its_date(cli: Cli) -> None:
    _mileage(cli)
    changed = _repriced(cli, "0.62", "2026-01-01")
    assert changed["unit_prices"] == [
        {"from": "1900-01-01", "price": "0.58"},
        {"from": "2026-01-01", "price": "0.62"},
    ]
    before = _drive(cli, "2025-12-31")
    after = _drive(cli, "2026-01-01")
    assert (before["unit_price"], before["amount"]) == ("0.58", "58.00")
    assert (after["unit_price"], after["amount"]) == ("0.62", "62.00")


def test_prices_are_kept_in_date_order_and_one_per_date(cli: Cli) -> None:
    _mileage(cli)
    _repriced(cli, "0.7", "2026-07-01")
    _repriced(cli, "0.6", "2026-01-01")
    changed = _repriced(cli, "0.62", "2026-01-01")  # the same date: replaces
    assert changed["unit_prices"] == [
        {"from": "1900-01-01", "price": "0.58"},
        {"from": "2026-01-01", "price": "0.62"},
        {"from": "2026-07-01", "price": "0.7"},
    ]
    assert _drive(cli, "2026-03-01")["unit_price"] == "0.62"


def test_a_price_without_from_starts_today(cli: Cli) -> None:
    _mileage(cli)
    changed = ok(cli, "categories", "edit", "Mileage", "--unit-price", "0.62")
    today = date.today()
    assert changed["unit_prices"][-1] == {"from": today.isoformat(), "price": "0.62"}
    assert changed["unit_price"] == "0.62"
    yesterday = (today - timedelta(days=1)).isoformat()
    assert _drive(cli, yesterday)["unit_price"] == "0.58"
    assert _drive(cli, "today")["unit_price"] == "0.62"


def test_unit_price_shows_the_price_in_force_today(cli: Cli) -> None:
    _mileage(cli)
    future = (date.today() + timedelta(days=30)).isoformat()
    changed = _repriced(cli, "0.9", future)
    assert changed["unit_price"] == "0.58"
    listed = {c["name"]: c for c in ok(cli, "categories")}["Mileage"]
    assert listed["unit_price"] == "0.58"
    assert listed["unit_prices"][-1] == {"from": future, "price": "0.9"}
    table = cli("categories")
    assert "0.58 USD per km" in table.stdout
    assert f"0.9 from {future}" in table.stdout


def test_from_needs_a_unit_price(cli: Cli) -> None:
    _mileage(cli)
    refused(cli, 2, "categories", "edit", "Mileage", "--from", "2026-01-01")


@pytest.mark.parametrize("starts", ["2026-02-30", "someday"])
def test_a_bad_from_date_is_refused(cli: Cli, starts: str) -> None:
    _mileage(cli)
    error = refused(cli, 4, "categories", "edit", "Mileage", "--unit-price", "0.7",
                     "--from", starts)  # fmt: skip
    assert "from" in error["fields"]
    listed = {c["name"]: c for c in ok(cli, "categories")}["Mileage"]
    assert len(listed["unit_prices"]) == 1


def test_an_amount_category_takes_no_dated_price(cli: Cli) -> None:
    error = refused(cli, 4, "categories", "edit", "Travel", "--unit-price", "1",
                     "--from", "2026-01-01")  # fmt: skip
    assert "unit_price" in error["fields"]


# expenses re-priced at their own date ------------------------------------------------
def test_clone_takes_the_price_in_force_at_the_copys_date(cli: Cli) -> None:
    _mileage(cli)
    _repriced(cli)
    source = _drive(cli, "2025-12-01")
    later = ok(cli, "clone", str(source["id"]), "-d", "2026-02-01")
    assert (later["unit_price"], later["amount"]) == ("0.62", "62.00")
    earlier = ok(cli, "clone", str(later["id"]), "-d", "2025-11-01")
    assert (earlier["unit_price"], earlier["amount"]) == ("0.58", "58.00")


def test_edit_date_reprices_a_not_invoiced_expense(cli: Cli) -> None:
    _mileage(cli)
    _repriced(cli)
    added = _drive(cli, "2025-12-01")
    moved = ok(cli, "edit", str(added["id"]), "-d", "2026-02-01")
    assert (moved["unit_price"], moved["amount"], moved["units"]) == ("0.62", "62.00", "100")
    back = ok(cli, "edit", str(added["id"]), "-d", "2025-12-02", "--units", "50")
    assert (back["unit_price"], back["amount"]) == ("0.58", "29.00")


def test_edit_units_reprices_at_the_expenses_date(cli: Cli) -> None:
    _mileage(cli)
    added = _drive(cli, "2026-02-01")  # priced 0.58: no later price yet
    _repriced(cli)  # a price from 2026-01-01 arrives afterwards
    kept = ok(cli, "edit", str(added["id"]), "-n", "client visit")
    assert (kept["unit_price"], kept["amount"]) == ("0.58", "58.00")  # other edits keep it
    edited = ok(cli, "edit", str(added["id"]), "--units", "10")
    assert (edited["unit_price"], edited["amount"]) == ("0.62", "6.20")


def test_an_invoiced_expense_keeps_its_price_when_its_date_moves(cli: Cli) -> None:
    _mileage(cli)
    _repriced(cli)
    ok(cli, "clients", "add", "Acme")
    added = _drive(cli, "2025-12-01", "--client", "Acme", "--billable")
    assert cli("invoice", str(added["id"]), "--ref", "INV-1").exit_code == 0
    moved = ok(cli, "edit", str(added["id"]), "-d", "2026-02-01")
    assert (moved["date"], moved["unit_price"], moved["amount"]) == (
        "2026-02-01", "0.58", "58.00",
    )  # fmt: skip


def test_db_check_is_clean_after_repricing(cli: Cli) -> None:
    _mileage(cli)
    _repriced(cli)
    added = _drive(cli, "2025-12-01")
    ok(cli, "edit", str(added["id"]), "-d", "2026-02-01")
    ok(cli, "clone", str(added["id"]), "-d", "2025-01-01")
    checked = cli("db", "check", "--json")
    assert checked.exit_code == 0, checked.stderr


def test_import_keeps_a_rows_price_and_looks_up_an_empty_one(cli: Cli) -> None:
    _mileage(cli)
    _repriced(cli)
    rows = (
        "date,description,units,unit_price,category\n"
        "2025-12-01,Kept,100,0.5,Mileage\n"
        "2025-12-01,Before,100,,Mileage\n"
        "2026-02-01,After,100,,Mileage\n"
    )
    result = cli("import", "-", "-f", "csv", "--json", input=rows)
    assert result.exit_code == 0, result.stderr
    got = {e["description"]: (e["unit_price"], e["amount"]) for e in _expenses(cli)}
    assert got == {
        "Kept": ("0.5", "50.00"),
        "Before": ("0.58", "58.00"),
        "After": ("0.62", "62.00"),
    }


def test_import_refuses_a_unit_category_of_another_currency(cli: Cli) -> None:
    _mileage(cli, "--unit-currency", "EUR")
    rows = "date,description,units,category\n2025-12-01,Drive,100,Mileage\n"
    result = cli("import", "-", "-f", "csv", "--json", input=rows)
    assert result.exit_code == 4, result.stderr
    assert any(key.endswith(".category") for key in result.error["fields"])
    assert _expenses(cli) == []


# migration ---------------------------------------------------------------------------
_STEP = schema.STEPS.index(schema._m003_unit_prices)


def _frozen_book(path: Path) -> None:
    """A book as the release before dated prices left it: the steps before ours only."""
    with frozen_book(path, _STEP) as conn:
        conn.execute("UPDATE settings SET value = 'EUR' WHERE key = 'default_currency'")
        conn.execute(
            "INSERT INTO categories (name, name_key, basis, unit_name, unit_price) "
            "VALUES ('Mileage', 'mileage', 'unit', 'km', '0.58')"
        )
        mileage = conn.execute("SELECT id FROM categories WHERE name_key = 'mileage'")
        old_expense(conn, description="Drive", amount_minor=6960, currency="EUR",
                    units="120", unit_price="0.58", category_id=mileage.fetchone()[0])  # fmt: skip


def _rows(path: Path, table: str) -> list[tuple[Any, ...]]:
    return query(path, f"SELECT * FROM {table} ORDER BY id")


def test_a_book_of_the_previous_version_upgrades_with_its_rows_intact(
    cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "old.db"
    _frozen_book(path)
    expenses = _rows(path, "expenses")
    store = Store.open(path)
    try:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST
    finally:
        store.close()
    # Later steps append columns (ALTER TABLE ADD COLUMN): the old ones are intact.
    assert [row[: len(expenses[0])] for row in _rows(path, "expenses")] == expenses
    categories = {c["name"]: c for c in ok(cli, "--db", str(path), "categories")}
    mileage = categories["Mileage"]
    assert mileage["unit_currency"] == "EUR"
    assert mileage["unit_price"] == "0.58"
    assert mileage["unit_prices"] == [{"from": "1900-01-01", "price": "0.58"}]
    assert categories["Travel"]["unit_currency"] is None
    assert categories["Travel"]["unit_prices"] == []
    shown = ok(cli, "--db", str(path), "show", "1")
    assert (shown["amount"], shown["units"], shown["unit_price"]) == ("69.60", "120", "0.58")
    added = ok(cli, "--db", str(path), "add", "Drive", "-c", "Mileage", "--units", "10")
    assert (added["amount"], added["currency"]) == ("5.80", "EUR")
