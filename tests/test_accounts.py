"""Payment accounts (reference §10.9, §10.10 items 4 and 5): the `account` of each expense,
`config default_account`, import/export columns, and ledger/beancount journals that credit
each expense's own account (checked in ledger, hledger and bean-check when installed)."""

from __future__ import annotations

import csv
import io
import sqlite3
import sys
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expense_cli.domain import accounts
from expense_cli.domain.validation import InvalidValue
from expense_cli.store import Store, schema
from tests.books import frozen_book, old_expense, query
from tests.conftest import Cli, ok, run_tool, tool

VALID = ("Assets:Cash", "Liabilities:Visa", "Assets:Bank:Checking-2", "Equity:Opening-Balances",
         "Income:2024", "Expenses:Café", "Assets:Ünicode")  # fmt: skip
INVALID = ("", "   ", "Assets", "assets:Cash", "Assets:cash", "Foo:Bar", "Assets:Bank Account",
           "Assets:Visa_1", "Assets::Cash", "Assets:Cash:", "Liabilities:Credit Card",
           "Assets:-Cash", "Assets:Ca$h", "Assets:Cash\x1b", "Assets:" + "A" * 300)  # fmt: skip


def _count(book: Path) -> int:
    with closing(sqlite3.connect(book)) as conn:
        return int(conn.execute("SELECT count(*) FROM expenses").fetchone()[0])


# the rule -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", VALID)
def test_valid_account_names(name: str) -> None:
    assert accounts.account(f" {name} ") == name


@pytest.mark.parametrize("name", INVALID)
def test_invalid_account_names(name: str) -> None:
    with pytest.raises(InvalidValue):
        accounts.account(name)


_COMPONENT = st.from_regex(r"\A[A-Z0-9][A-Za-z0-9-]{0,10}\Z")


@given(st.sampled_from(accounts.ROOTS), st.lists(_COMPONENT, min_size=1, max_size=4))
def test_every_name_of_the_grammar_is_accepted_as_is(root: str, parts: list[str]) -> None:
    name = ":".join([root, *parts])
    assert accounts.account(name) == name


@given(st.text(max_size=30))
def test_an_accepted_name_is_always_in_the_grammar(text: str) -> None:
    try:
        name = accounts.account(text)
    except InvalidValue:
        return
    root, *parts = name.split(":")
    assert root in accounts.ROOTS and parts
    assert all(p[0].isupper() or p[0] in "0123456789" for p in parts)
    assert all(c.isalnum() or c == "-" for p in parts for c in p)


# add / edit / clone -------------------------------------------------------------------
def test_add_defaults_to_assets_cash_and_takes_account(cli: Cli) -> None:
    plain = ok(cli, "add", "Coffee", "3.00", "-c", "Meals")
    card = ok(cli, "add", "Laptop", "900.00", "-c", "Equipment", "--account", "Liabilities:Visa")

    assert plain["account"] == "Assets:Cash"
    assert card["account"] == "Liabilities:Visa"
    assert ok(cli, "show", str(card["id"]))["account"] == "Liabilities:Visa"


@pytest.mark.parametrize("name", ["", "assets:cash", "Assets", "Liabilities:Credit Card"])
def test_add_with_a_bad_account_is_exit_4_and_writes_nothing(
    cli: Cli, book: Path, name: str
) -> None:
    result = cli("add", "Coffee", "3.00", "-c", "Meals", "--account", name, "--json")

    assert result.exit_code == 4
    assert list(result.error["fields"]) == ["account"]
    assert not book.exists() or _count(book) == 0


def test_a_bad_account_is_reported_beside_other_bad_fields(cli: Cli) -> None:
    result = cli("add", "Coffee", "3.001", "-c", "Meals", "--account", "x", "--json")

    assert result.exit_code == 4
    assert set(result.error["fields"]) == {"amount", "account"}


def test_edit_changes_the_account_even_when_invoiced(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    e = ok(cli, "add", "Hosting", "20.00", "-c", "Software", "--client", "Acme", "--billable")
    assert cli("invoice", str(e["id"]), "--ref", "INV-1").exit_code == 0

    changed = cli("edit", str(e["id"]), "--account", "Liabilities:Amex", "--json")
    bad = cli("edit", str(e["id"]), "--account", "", "--json")

    assert changed.exit_code == 0, changed.stderr
    assert changed.data["account"] == "Liabilities:Amex"
    assert bad.exit_code == 4
    assert list(bad.error["fields"]) == ["account"]
    assert ok(cli, "show", str(e["id"]))["account"] == "Liabilities:Amex"


def test_edit_without_account_keeps_it(cli: Cli) -> None:
    e = ok(cli, "add", "Hosting", "20.00", "-c", "Software", "--account", "Assets:Bank")

    assert ok(cli, "edit", str(e["id"]), "--notes", "x")["account"] == "Assets:Bank"


def test_bulk_edit_of_accounts(cli: Cli) -> None:
    ids = [str(ok(cli, "add", f"E{i}", "1.00", "-c", "Meals")["id"]) for i in range(3)]

    result = cli("edit", "-", "--account", "Liabilities:Visa", "--json", input="\n".join(ids))

    assert result.exit_code == 0, result.stderr
    assert {e["account"] for e in result.data} == {"Liabilities:Visa"}


def test_clone_copies_the_account_or_takes_a_new_one(cli: Cli) -> None:
    e = ok(cli, "add", "Hosting", "20.00", "-c", "Software", "--account", "Liabilities:Visa")
    ok(cli, "config", "default_account", "Assets:Bank")

    copied = ok(cli, "clone", str(e["id"]), "-d", "2026-01-01")
    other = ok(cli, "clone", str(e["id"]), "-d", "2026-01-01", "--account", "Assets:Petty")
    bad = cli("clone", str(e["id"]), "-d", "2026-01-01", "--account", "nope", "--json")

    assert copied["account"] == "Liabilities:Visa"
    assert other["account"] == "Assets:Petty"
    assert bad.exit_code == 4 and list(bad.error["fields"]) == ["account"]


# config default_account ---------------------------------------------------------------
def test_default_account_applies_to_new_expenses_only(cli: Cli) -> None:
    before = ok(cli, "add", "Old", "1.00", "-c", "Meals")

    assert ok(cli, "config", "default_account") == {"default_account": "Assets:Cash"}
    assert ok(cli, "config", "default_account", "Liabilities:Visa")["default_account"] == (
        "Liabilities:Visa"
    )
    after = ok(cli, "add", "New", "1.00", "-c", "Meals")

    assert after["account"] == "Liabilities:Visa"
    assert ok(cli, "show", str(before["id"]))["account"] == "Assets:Cash"
    assert cli("config", "default_account").stdout == "Liabilities:Visa\n"


@pytest.mark.parametrize("name", ["", "cash", "Assets:bank"])
def test_a_bad_default_account_is_refused(cli: Cli, name: str) -> None:
    ok(cli, "config", "default_account", "Assets:Bank")

    result = cli("config", "default_account", name, "--json")

    assert result.exit_code == 4
    assert list(result.error["fields"]) == ["default_account"]
    assert ok(cli, "config", "default_account") == {"default_account": "Assets:Bank"}


def test_config_help_names_default_account(cli: Cli) -> None:
    result = cli("config", "--help")

    assert result.exit_code == 0
    assert "default_account" in result.stdout


def test_a_stored_bad_default_account_is_exit_6_and_db_check_reports_it(
    cli: Cli, book: Path
) -> None:
    ok(cli, "add", "x", "1.00", "-c", "Meals")
    with closing(sqlite3.connect(book)) as conn, conn:
        conn.execute("INSERT INTO settings (key, value) VALUES ('default_account', 'junk')")

    added = cli("add", "y", "1.00", "-c", "Meals")
    checked = cli("db", "check", "--json")

    assert added.exit_code == 6
    assert "default_account" in added.stderr
    assert checked.exit_code == 4
    assert "default_account" in checked.stderr + checked.stdout


# CSV, import, export ------------------------------------------------------------------
def test_csv_list_has_the_account_column(cli: Cli) -> None:
    ok(cli, "add", "Coffee", "3.00", "-c", "Meals", "--account", "Liabilities:Visa")

    result = cli("list", "-f", "csv")

    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["account"] == "Liabilities:Visa"


def test_import_reads_the_account_column_and_an_empty_cell_takes_the_default(
    cli: Cli, tmp_path: Path
) -> None:
    ok(cli, "config", "default_account", "Assets:Bank")
    source = tmp_path / "in.csv"
    source.write_text(
        "date,description,amount,category,account\n"
        "2026-01-02,Card,5.00,Meals,Liabilities:Visa\n"
        "2026-01-03,Plain,6.00,Meals,\n",
        encoding="utf-8",
    )

    result = cli("import", str(source), "--json")

    assert result.exit_code == 0, result.stderr
    listed = {e["description"]: e["account"] for e in ok(cli, "list", "--all")}
    assert listed == {"Card": "Liabilities:Visa", "Plain": "Assets:Bank"}


def test_import_of_a_bad_account_names_the_line(cli: Cli, book: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "date,description,amount,category,account\n"
        "2026-01-02,Fine,5.00,Meals,Assets:Cash\n"
        "2026-01-03,Bad,6.00,Meals,Assets:bank\n",
        encoding="utf-8",
    )

    result = cli("import", str(source), "--json")

    assert result.exit_code == 4
    assert list(result.error["fields"]) == ["line 3.account"]
    assert not book.exists() or _count(book) == 0


@pytest.mark.parametrize("kind", ["csv", "json", "ndjson"])
def test_export_and_import_round_trip_the_account(cli: Cli, tmp_path: Path, kind: str) -> None:
    ok(cli, "add", "Coffee", "3.00", "-c", "Meals", "--account", "Liabilities:Visa")
    ok(cli, "add", "Tea", "2.00", "-c", "Meals")
    out = tmp_path / f"out.{kind}"
    assert cli("export", "-f", kind, "-o", str(out)).exit_code == 0
    other = tmp_path / "other.db"

    result = cli("--db", str(other), "import", str(out), "-f", kind)

    assert result.exit_code == 0, result.stderr
    listed = {e["description"]: e["account"] for e in ok(cli, "--db", str(other), "list")}
    assert listed == {"Coffee": "Liabilities:Visa", "Tea": "Assets:Cash"}


# journals -----------------------------------------------------------------------------
@pytest.fixture
def paid(cli: Cli) -> list[dict[str, Any]]:
    """Expenses paid from three accounts, in two currencies."""
    ok(cli, "clients", "add", "Tokyo KK", "--currency", "JPY")
    return [
        ok(cli, "add", "Laptop", "900.00", "-c", "Equipment", "--account", "Liabilities:Visa"),
        ok(cli, "add", "Mouse", "25.50", "-c", "Equipment", "--account", "Liabilities:Visa"),
        ok(cli, "add", "Rent", "1200.00", "-c", "Rent", "--account", "Assets:Bank:Checking"),
        ok(cli, "add", "Coffee", "3.20", "-c", "Meals"),
        ok(cli, "add", "Sushi", "1500", "-c", "Meals", "--client", "Tokyo KK",
           "--account", "Liabilities:Visa"),
    ]  # fmt: skip


EXPECTED = {
    "Liabilities:Visa": {"USD": Decimal("-925.50"), "JPY": Decimal("-1500")},
    "Assets:Bank:Checking": {"USD": Decimal("-1200.00")},
    "Assets:Cash": {"USD": Decimal("-3.20")},
}


def _journal(cli: Cli, tmp_path: Path, kind: str, *args: str) -> Path:
    journal = tmp_path / f"book.{kind}"
    result = cli("export", "-f", kind, "-o", str(journal), *args)
    assert result.exit_code == 0, result.stderr
    return journal


def _hledger_balances(journal: Path) -> dict[str, dict[str, Decimal]]:
    flat = run_tool(tool("hledger"), "-f", str(journal), "bal", "--flat", "-O", "csv", "--no-total")
    assert flat.returncode == 0, flat.stderr
    balances: dict[str, dict[str, Decimal]] = {}
    for row in list(csv.reader(io.StringIO(flat.stdout)))[1:]:
        account, amounts = row[0], row[1]
        for amount in amounts.split(", "):
            number, currency = amount.rsplit(" ", 1)
            balances.setdefault(account, {})[currency] = Decimal(number.replace(",", ""))
    return balances


def test_text_journals_credit_each_expenses_own_account(
    cli: Cli, paid: list[dict[str, Any]]
) -> None:
    ledger = cli("export", "-f", "ledger")
    bean = cli("export", "-f", "beancount")

    assert ledger.exit_code == 0 and bean.exit_code == 0
    assert "    Liabilities:Visa  -900.00 USD\n" in ledger.stdout  # the gross, written out
    assert "    Assets:Bank:Checking  -" in ledger.stdout
    assert "  Liabilities:Visa  -900.00 USD\n" in bean.stdout
    for name in ("Liabilities:Visa", "Assets:Bank:Checking", "Assets:Cash"):
        assert f"1900-01-01 open {name}\n" in bean.stdout


def test_hledger_balances_per_payment_account(
    cli: Cli, paid: list[dict[str, Any]], tmp_path: Path
) -> None:
    journal = _journal(cli, tmp_path, "ledger")

    balances = _hledger_balances(journal)
    total = run_tool(tool("hledger"), "-f", str(journal), "bal")

    assert total.returncode == 0, total.stderr
    assert total.stdout.rstrip().splitlines()[-1].strip() == "0"
    assert {a: balances[a] for a in EXPECTED} == EXPECTED


def test_ledger_balances_per_payment_account(
    cli: Cli, paid: list[dict[str, Any]], tmp_path: Path
) -> None:
    journal = _journal(cli, tmp_path, "ledger")

    visa = run_tool(tool("ledger"), "-f", str(journal), "bal", "--flat", "--no-total",
                "^Liabilities:Visa$")  # fmt: skip
    total = run_tool(tool("ledger"), "-f", str(journal), "bal")

    assert total.returncode == 0, total.stderr
    assert total.stdout.rstrip().splitlines()[-1].strip() == "0"
    assert visa.returncode == 0, visa.stderr
    assert "-1500 JPY" in visa.stdout and "-925.50 USD" in visa.stdout


_BEAN_BALANCES = """
import json, sys
from beancount import loader
from collections import defaultdict
entries, errors, _ = loader.load_file(sys.argv[1])
out = defaultdict(dict)
for entry in entries:
    if type(entry).__name__ == "Transaction":
        for p in entry.postings:
            got = out[p.account].get(p.units.currency, 0)
            out[p.account][p.units.currency] = str(p.units.number + (got and __import__(
                "decimal").Decimal(got)))
print(json.dumps({"errors": [str(e.message) for e in errors], "balances": out}))
"""


def test_beancount_passes_bean_check_and_balances_per_account(
    cli: Cli, paid: list[dict[str, Any]], tmp_path: Path
) -> None:
    bean_check = tool("bean-check")
    journal = _journal(cli, tmp_path, "beancount")

    checked = run_tool(bean_check, str(journal))

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout == "" and checked.stderr == ""
    if run_tool(sys.executable, "-c", "import beancount").returncode != 0:
        pytest.skip("beancount cannot be imported")
    dumped = run_tool(sys.executable, "-c", _BEAN_BALANCES, str(journal))
    assert dumped.returncode == 0, dumped.stderr
    import json

    loaded = json.loads(dumped.stdout)
    assert loaded["errors"] == []
    balances = {a: {c: Decimal(v) for c, v in per.items()} for a, per in loaded["balances"].items()}
    assert {a: balances[a] for a in EXPECTED} == EXPECTED


def test_export_account_overrides_every_row(
    cli: Cli, paid: list[dict[str, Any]], tmp_path: Path
) -> None:
    ledger = _journal(cli, tmp_path, "ledger", "--account", "Assets:Bank")
    bean = _journal(cli, tmp_path, "beancount", "--account", "Assets:Bank")

    balances = _hledger_balances(ledger)
    checked = run_tool(tool("bean-check"), str(bean))

    assert set(balances) == {"Assets:Bank", "Expenses:Equipment", "Expenses:Meals", "Expenses:Rent"}
    assert balances["Assets:Bank"] == {"USD": Decimal("-2128.70"), "JPY": Decimal("-1500")}
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Liabilities:Visa" not in bean.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["", "Assets:Bank Account", "liabilities:card", "Cash"])
def test_export_with_a_bad_account_is_exit_4_and_writes_no_file(
    cli: Cli, paid: list[dict[str, Any]], tmp_path: Path, name: str
) -> None:
    out = tmp_path / "out.beancount"

    result = cli("export", "-f", "beancount", "-o", str(out), "--account", name)
    as_json = cli("export", "-f", "json", "--account", name)

    assert result.exit_code == 4
    assert "account" in result.stderr
    assert not out.exists()
    assert as_json.exit_code == 4
    assert list(as_json.error["fields"]) == ["account"]


# migration ----------------------------------------------------------------------------
_STEP = schema.STEPS.index(schema._m005_payment_accounts)


def _frozen_book(path: Path) -> None:
    """A book as the release before payment accounts left it: the steps before ours only."""
    with frozen_book(path, _STEP) as conn:
        for n, day in enumerate(("2025-03-04", "2025-03-05"), start=1):
            old_expense(conn, uid=f"u-{n}", date=day, amount_minor=1234,
                        created_at="2025-03-04T10:00:00.000000Z")  # fmt: skip


def test_a_book_of_the_previous_version_gets_assets_cash_with_rows_intact(
    cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "old.db"
    _frozen_book(path)
    before = query(path, "SELECT id, uid, date, amount_minor FROM expenses")

    store = Store.open(path)
    try:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST
        after = store.conn.execute("SELECT id, uid, date, amount_minor FROM expenses").fetchall()
        accounts_stored = store.conn.execute("SELECT DISTINCT account FROM expenses").fetchall()
    finally:
        store.close()

    assert [tuple(r) for r in after] == before
    assert [tuple(r) for r in accounts_stored] == [("Assets:Cash",)]
    shown = ok(cli, "--db", str(path), "show", "1")
    assert (shown["account"], shown["amount"]) == ("Assets:Cash", "12.34")
    assert ok(cli, "--db", str(path), "config", "default_account") == {
        "default_account": "Assets:Cash"
    }
