"""Tax (reference §10.6, §10.10 item 6): --tax / --tax-amount on add, edit, clone and
import; category default rates; report --tax and --by quarter; journals post the tax."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expense_cli.domain.taxes import format_rate, half_even, parse_tax_rate, tax_of
from expense_cli.domain.validation import InvalidValue
from tests.conftest import Cli, ok


# pure rules ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "rate"),
    [("19", "19"), ("19%", "19"), ("7.5", "7.5"), ("7.50%", "7.5"), ("0", "0"), ("100", "100"),
     (" 5 % ", "5")],
)  # fmt: skip
def test_rates_parse_without_trailing_zeros(typed: str, rate: str) -> None:
    assert format_rate(parse_tax_rate(typed)) == rate


@pytest.mark.parametrize(
    "typed", ["120%", "100.01", "-5", "1.234", "abc", "", "%", "1e2", "NaN", "+5", ".5"]
)
def test_bad_rates_are_refused(typed: str) -> None:
    with pytest.raises(InvalidValue):
        parse_tax_rate(typed)


def test_tax_inside_a_gross_amount_is_half_even() -> None:
    assert tax_of(11900, Decimal(19)) == 1900
    assert tax_of(100, Decimal(100)) == 50
    assert tax_of(1, Decimal(100)) == 0  # 0.5 minor unit: ties to even
    assert tax_of(3, Decimal(100)) == 2  # 1.5 → 2
    assert (half_even(Fraction(5, 2)), half_even(Fraction(7, 2)), half_even(Fraction(-5, 2))) == (
        2, 4, -2
    )  # fmt: skip


@given(
    amount=st.integers(min_value=0, max_value=10**14),
    rate=st.decimals(min_value=0, max_value=100, places=2, allow_nan=False),
)
def test_net_plus_tax_is_the_amount_and_tax_never_exceeds_it(amount: int, rate: Decimal) -> None:
    tax = tax_of(amount, rate)
    net = amount - tax
    assert 0 <= tax <= amount
    assert net + tax == amount
    exact = Decimal(amount) * rate / (100 + rate)
    assert abs(Decimal(tax) - exact) <= Decimal("0.5")


# add, edit, clone ---------------------------------------------------------------------
def test_add_with_a_rate_prints_tax_and_net(cli: Cli) -> None:
    e = ok(cli, "add", "Hotel", "119.00", "-c", "Travel", "--tax", "19%")
    assert (e["tax_rate"], e["tax_amount"], e["net_amount"]) == ("19", "19.00", "100.00")


def test_untaxed_expense_shows_zero_tax_and_the_amount_as_net(cli: Cli) -> None:
    e = ok(cli, "add", "Lunch", "12.50", "-c", "Meals")
    assert (e["tax_rate"], e["tax_amount"], e["net_amount"]) == (None, "0.00", "12.50")


def test_jpy_tax_has_no_minor_digits(cli: Cli) -> None:
    ok(cli, "clients", "add", "Tanaka", "--currency", "JPY")
    e = ok(cli, "add", "Taxi", "1100", "-c", "Travel", "--client", "Tanaka", "--tax", "10")
    assert (e["tax_amount"], e["net_amount"]) == ("100", "1000")


def test_fixed_tax_amount_sets_the_rate_null(cli: Cli) -> None:
    e = ok(cli, "add", "Laptop", "1000.00", "-c", "Equipment", "--tax-amount", "159.66")
    assert (e["tax_rate"], e["tax_amount"], e["net_amount"]) == (None, "159.66", "840.34")


def test_both_tax_options_are_a_usage_error_and_write_nothing(cli: Cli) -> None:
    r = cli("add", "x", "10", "-c", "Meals", "--tax", "19", "--tax-amount", "1", "--json")
    assert r.exit_code == 2
    assert r.error["code"] == "usage"
    assert ok(cli, "list") == []


@pytest.mark.parametrize("rate", ["120%", "-1", "19.123", "x"])
def test_bad_rate_is_exit_4_naming_tax_rate(cli: Cli, rate: str) -> None:
    r = cli("add", "x", "10", "-c", "Meals", "--tax", rate, "--json")
    assert r.exit_code in (2, 4)  # "-1" may read as an option
    if r.exit_code == 4:
        assert "tax_rate" in r.error["fields"]
    assert ok(cli, "list") == []


def test_tax_amount_above_the_amount_is_exit_4(cli: Cli) -> None:
    r = cli("add", "x", "10.00", "-c", "Meals", "--tax-amount", "10.01", "--json")
    assert r.exit_code == 4
    assert "tax_amount" in r.error["fields"]
    r = cli("add", "x", "10.00", "-c", "Meals", "--tax-amount", "1.001", "--json")
    assert r.exit_code == 4
    assert "tax_amount" in r.error["fields"]
    assert ok(cli, "list") == []


def test_rate_tax_is_recomputed_when_the_amount_changes(cli: Cli) -> None:
    ok(cli, "add", "Hotel", "119.00", "-c", "Travel", "--tax", "19")
    e = ok(cli, "edit", "1", "--amount", "238.00")
    assert (e["tax_rate"], e["tax_amount"], e["net_amount"]) == ("19", "38.00", "200.00")


def test_fixed_tax_stays_and_an_edit_below_it_is_refused(cli: Cli) -> None:
    ok(cli, "add", "Laptop", "100.00", "-c", "Equipment", "--tax-amount", "15.00")
    e = ok(cli, "edit", "1", "--amount", "50.00")
    assert e["tax_amount"] == "15.00"
    r = cli("edit", "1", "--amount", "10.00", "--json")
    assert r.exit_code == 4
    assert "tax_amount" in r.error["fields"]
    assert ok(cli, "show", "1")["amount"] == "50.00"


def test_edit_tax_empty_removes_it(cli: Cli) -> None:
    ok(cli, "add", "Hotel", "119.00", "-c", "Travel", "--tax", "19")
    e = ok(cli, "edit", "1", "--tax", "")
    assert (e["tax_rate"], e["tax_amount"], e["net_amount"]) == (None, "0.00", "119.00")


def test_unit_based_expenses_take_the_rate(cli: Cli) -> None:
    ok(cli, "categories", "add", "Mileage", "--unit", "km", "--unit-price", "0.50")
    e = ok(cli, "add", "Drive", "-c", "Mileage", "--units", "238", "--tax", "19")
    assert (e["amount"], e["tax_amount"], e["net_amount"]) == ("119.00", "19.00", "100.00")
    e = ok(cli, "edit", "1", "--units", "476")
    assert e["tax_amount"] == "38.00"


def test_clone_copies_the_tax(cli: Cli) -> None:
    ok(cli, "add", "Hotel", "119.00", "-c", "Travel", "--tax", "19")
    e = ok(cli, "clone", "1", "-d", "2026-02-01", "--amount", "238.00")
    assert (e["tax_rate"], e["tax_amount"]) == ("19", "38.00")


def test_category_default_rate_applies_to_new_and_untaxed_clones_not_edit_c(cli: Cli) -> None:
    cat = ok(cli, "categories", "edit", "Software", "--tax", "20%")
    assert cat["tax_rate"] == "20"
    e = ok(cli, "add", "IDE", "120.00", "-c", "Software")
    assert (e["tax_rate"], e["tax_amount"]) == ("20", "20.00")
    ok(cli, "add", "Lunch", "12.00", "-c", "Meals")
    moved = ok(cli, "edit", "2", "-c", "Software")
    assert moved["tax_rate"] is None
    clone = ok(cli, "clone", "2", "-d", "2026-03-01")
    assert clone["tax_rate"] == "20"
    new = ok(cli, "categories", "add", "Books", "--tax", "7")
    assert new["tax_rate"] == "7"
    r = cli("categories", "add", "Bad", "--tax", "101", "--json")
    assert r.exit_code == 4
    assert "tax_rate" in r.error["fields"]


def test_tax_is_locked_once_invoiced(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    ok(cli, "add", "Hotel", "119.00", "-c", "Travel", "--client", "Acme", "--billable",
       "--tax", "19")  # fmt: skip
    ok(cli, "invoice", "1", "--ref", "INV-1")
    r = cli("edit", "1", "--tax", "7", "--json")
    assert r.exit_code == 5
    assert r.error["code"] == "invoiced_locked"
    assert ok(cli, "show", "1")["tax_rate"] == "19"


# report -------------------------------------------------------------------------------
def test_report_tax_adds_net_and_tax_to_rows_and_totals(cli: Cli) -> None:
    ok(cli, "add", "Hotel", "119.00", "-c", "Travel", "--tax", "19", "-d", "2026-01-10")
    ok(cli, "add", "Train", "50.00", "-c", "Travel", "-d", "2026-04-02")
    r = cli("report", "--tax", "--json")
    assert r.exit_code == 0
    body = r.json
    assert body["data"] == [{"group": {"category": {"id": 1, "name": "Travel"}},
                             "currency": "USD", "count": 2, "total": "169.00",
                             "net": "150.00", "tax": "19.00"}]  # fmt: skip
    assert body["totals"] == [
        {"currency": "USD", "count": 2, "total": "169.00", "net": "150.00", "tax": "19.00"}
    ]


def test_report_by_quarter_is_chronological(cli: Cli) -> None:
    for day in ("2026-11-02", "2025-12-31", "2026-01-01", "2026-04-30"):
        ok(cli, "add", "x", "1.00", "-c", "Meals", "-d", day)
    r = cli("report", "--by", "quarter", "--json")
    assert r.exit_code == 0
    assert [row["group"]["quarter"] for row in r.data] == [
        "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q4"
    ]  # fmt: skip


# export and import --------------------------------------------------------------------
def test_csv_export_carries_the_tax_and_import_round_trips_it(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(cli, "add", "Hotel", "119.00", "-c", "Travel", "--tax", "19")
    ok(cli, "add", "Laptop", "100.00", "-c", "Equipment", "--tax-amount", "15.00")
    out = tmp_path / "out.csv"
    assert cli("export", "-o", str(out)).exit_code == 0
    header = out.read_text().splitlines()[0].split(",")
    assert {"tax_rate", "tax_amount", "net_amount"} <= set(header)
    monkeypatch.setenv("EXPENSE_DB", str(tmp_path / "other.db"))
    r = cli("import", str(out), "--json")
    assert r.exit_code == 0, r.stderr
    rows = {e["description"]: e for e in ok(cli, "list")}
    assert (rows["Hotel"]["tax_rate"], rows["Hotel"]["tax_amount"]) == ("19", "19.00")
    assert (rows["Laptop"]["tax_rate"], rows["Laptop"]["tax_amount"]) == (None, "15.00")


def test_import_checks_tax_cells_against_the_rate(cli: Cli, tmp_path: Path) -> None:
    f = tmp_path / "in.csv"
    f.write_text("date,description,amount,category,tax_rate,tax_amount,net_amount\n"
                 "2026-01-01,a,119.00,Travel,19,19.00,100.00\n"
                 "2026-01-01,b,119.00,Travel,19,18.00,\n"
                 "2026-01-01,c,119.00,Travel,19,,99.00\n")  # fmt: skip
    r = cli("import", str(f), "--json")
    assert r.exit_code == 4
    assert set(r.error["fields"]) == {"line 3.tax_amount", "line 4.net_amount"}
    assert ok(cli, "list") == []


def test_import_takes_the_category_default_only_when_both_tax_cells_are_empty(
    cli: Cli, tmp_path: Path
) -> None:
    ok(cli, "categories", "edit", "Travel", "--tax", "10")
    f = tmp_path / "in.csv"
    f.write_text("date,description,amount,category,tax_rate,tax_amount\n"
                 "2026-01-01,a,110.00,Travel,,\n"
                 "2026-01-01,b,110.00,Travel,,5.00\n")  # fmt: skip
    assert cli("import", str(f)).exit_code == 0
    rows = {e["description"]: e for e in ok(cli, "list")}
    assert (rows["a"]["tax_rate"], rows["a"]["tax_amount"]) == ("10", "10.00")
    assert (rows["b"]["tax_rate"], rows["b"]["tax_amount"]) == (None, "5.00")


def _journal_book(cli: Cli) -> None:
    ok(cli, "add", "Hotel", "119.00", "-c", "Travel", "--tax", "19")
    ok(cli, "add", "Lunch", "12.00", "-c", "Meals")
    ok(cli, "add", "Zero", "10.00", "-c", "Meals", "--tax", "0")


def test_ledger_posts_net_and_tax(cli: Cli) -> None:
    _journal_book(cli)
    r = cli("export", "-f", "ledger", "--tax-account", "Assets:VAT")
    assert r.exit_code == 0
    assert "    Expenses:Travel  100.00 USD\n    Assets:VAT  19.00 USD\n" in r.stdout
    assert r.stdout.count("Assets:VAT") == 1  # no posting for a zero tax
    for tool in ("ledger", "hledger"):
        if shutil.which(tool) is None:
            continue
        done = subprocess.run([tool, "-f", "-", "bal"], input=r.stdout, capture_output=True,
                              text=True, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.rstrip().endswith("0")


def test_beancount_posts_the_tax_and_balances(cli: Cli, tmp_path: Path) -> None:
    _journal_book(cli)
    r = cli("export", "-f", "beancount")
    assert r.exit_code == 0
    assert "  Assets:Tax:Input  19.00 USD\n" in r.stdout
    assert "open Assets:Tax:Input" in r.stdout
    import sys

    check = Path(sys.executable).parent / "bean-check"
    if check.exists():
        f = tmp_path / "book.beancount"
        f.write_text(r.stdout)
        done = subprocess.run([str(check), str(f)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


def test_bad_tax_account_is_exit_4(cli: Cli) -> None:
    r = cli("export", "-f", "ledger", "--tax-account", "tax")
    assert r.exit_code == 4
    assert "tax_account" in r.stderr


@pytest.mark.parametrize("kind", ["ledger", "beancount"])
def test_journals_keep_the_rate_the_original_and_the_gross_credit(cli: Cli, kind: str) -> None:
    ok(cli, "rates", "set", "2026-01-01", "EUR", "USD", "1.1")
    ok(cli, "add", "Hotel", "119", "-c", "Meals", "--tax", "19", "-d", "2026-01-15",
       "--original", "100", "--original-currency", "EUR")  # fmt: skip

    journal = cli("export", "-f", kind).stdout

    assert "tax_rate: " in journal and "19" in journal.split("tax_rate: ")[1].split("\n")[0]
    assert "original_amount: " in journal and "original_currency: " in journal
    assert "Assets:Cash  -119.00 USD" in journal


def test_occurrences_copy_the_templates_tax_and_an_untaxed_one_takes_the_default(
    cli: Cli,
) -> None:
    ok(cli, "categories", "edit", "Software", "--tax", "20%")
    ok(cli, "add", "IDE", "119.00", "-c", "Software", "-d", "2026-01-01", "--tax", "19")
    ok(cli, "add", "Hosting", "12.00", "-c", "Meals", "-d", "2026-01-01")
    ok(cli, "edit", "2", "-c", "Software")  # untaxed: edit -c takes no default
    for source in ("1", "2"):
        assert cli("recurring", "add", source, "--every", "month", "-q").exit_code == 0
    made = ok(cli, "recurring", "run", "--through", "2026-02-01")
    taxes = {e["description"]: (e["tax_rate"], e["tax_amount"]) for e in made}
    assert taxes == {"IDE": ("19", "19.00"), "Hosting": ("20", "2.00")}


def test_markup_applies_to_the_gross_amount(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme", "--markup", "10")
    ok(cli, "add", "Hotel", "119.00", "-c", "Travel", "--tax", "19", "--client", "Acme",
       "--billable")  # fmt: skip
    (invoiced,) = ok(cli, "invoice", "1", "--ref", "INV-1")
    assert (invoiced["net_amount"], invoiced["rebill_amount"]) == ("100.00", "130.90")
