"""Foreign currencies (reference §10.7, §10.10 item 5): rates import|set|list, --original on
add/edit/clone/import, report --convert, and the migration that adds them."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expense_cli.domain.taxes import convert_minor, half_even
from expense_cli.store import Store, schema
from tests.books import frozen_book, old_expense, query
from tests.conftest import Cli, ok

ECB = """Date,USD,JPY,GBP,
2026-01-05,1.2000,160.00,N/A,
2026-01-02,1.1000,150.00,0.8500,
"""


def _rates(cli: Cli, tmp_path: Path, text: str = ECB) -> None:
    f = tmp_path / "eurofxref-hist.csv"
    f.write_text(text)
    r = cli("rates", "import", str(f), "--json")
    assert r.exit_code == 0, r.stderr
    assert r.data["imported"] > 0


# rates --------------------------------------------------------------------------------
def test_ecb_file_loads_every_rate_but_na(cli: Cli, tmp_path: Path) -> None:
    _rates(cli, tmp_path)
    listed = ok(cli, "rates", "list")
    assert len(listed) == 5
    assert listed[0] == {"date": "2026-01-02", "base": "EUR", "quote": "GBP", "rate": "0.85"}
    jpy = ok(cli, "rates", "list", "--currency", "jpy")
    assert [r["rate"] for r in jpy] == ["150", "160"]


def test_date_base_quote_rate_layout(cli: Cli, tmp_path: Path) -> None:
    f = tmp_path / "r.csv"
    f.write_text("date,base,quote,rate\n2026-01-02,USD,JPY,148.123456\n")
    assert cli("rates", "import", str(f)).exit_code == 0
    assert ok(cli, "rates", "list") == [
        {"date": "2026-01-02", "base": "USD", "quote": "JPY", "rate": "148.123456"}
    ]


def test_malformed_rates_file_names_lines_and_loads_nothing(cli: Cli, tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    f.write_text("Date,USD,JPY,\n2026-01-05,1.2,abc,\n2026-13-02,1.1,150,\n2026-01-01,0,1,\n")
    r = cli("rates", "import", str(f), "--json")
    assert r.exit_code == 4
    fields = r.error["fields"]
    assert {"line 2.rate", "line 3.date", "line 4.rate"} <= set(fields)
    assert ok(cli, "rates", "list") == []


def test_rates_set_replaces_and_refuses_non_positive(cli: Cli) -> None:
    ok(cli, "rates", "set", "2026-01-02", "EUR", "USD", "1.1")
    ok(cli, "rates", "set", "2026-01-02", "eur", "usd", "1.15")
    assert [r["rate"] for r in ok(cli, "rates", "list")] == ["1.15"]
    for bad in ("0", "-1", "abc"):
        r = cli("rates", "set", "2026-01-03", "EUR", "USD", bad, "--json")
        assert r.exit_code in (2, 4)
    r = cli("rates", "set", "2026-01-03", "EUR", "XXQ", "1", "--json")
    assert r.exit_code == 4
    assert "quote" in r.error["fields"]
    assert len(ok(cli, "rates", "list")) == 1


def test_rates_quiet_prints_nothing(cli: Cli) -> None:
    r = cli("rates", "set", "2026-01-02", "EUR", "USD", "1.1", "-q")
    assert r.exit_code == 0
    assert r.stdout == ""


# --original ---------------------------------------------------------------------------
def test_amount_from_original_at_the_rate_of_the_date(cli: Cli, tmp_path: Path) -> None:
    _rates(cli, tmp_path)
    e = ok(cli, "add", "Ramen", "-c", "Meals", "--original", "1500", "--original-currency",
           "JPY", "-d", "2026-01-03")  # fmt: skip
    # 1500 JPY / 150 JPY per EUR × 1.1 USD per EUR = 11.00 USD (through EUR)
    assert (e["amount"], e["currency"]) == ("11.00", "USD")
    assert (e["original_amount"], e["original_currency"], e["amount_from_rate"]) == (
        "1500", "JPY", True
    )  # fmt: skip
    moved = ok(cli, "edit", "1", "-d", "2026-01-06")
    assert moved["amount"] == "11.25"  # 1500 / 160 × 1.2
    clone = ok(cli, "clone", "1", "-d", "2026-01-02")
    assert (clone["amount"], clone["amount_from_rate"]) == ("11.00", True)


def test_amount_from_rate_is_kept_when_an_amount_is_given_and_recomputed_per_occurrence(
    cli: Cli, tmp_path: Path
) -> None:
    _rates(cli, tmp_path)
    ok(cli, "add", "Ramen", "-c", "Meals", "--original", "1500", "--original-currency", "JPY",
       "-d", "2026-01-02")  # fmt: skip
    given = ok(cli, "clone", "1", "-d", "2026-01-05", "--amount", "9.00")
    assert (given["amount"], given["amount_from_rate"]) == ("9.00", False)
    assert cli("recurring", "add", "1", "--every", "day", "-q").exit_code == 0
    made = ok(cli, "recurring", "run", "--through", "2026-01-05")
    # 2026-01-03/04 use the rates of 01-02 (11.00); 01-05's rates give 1500 / 160 × 1.2
    assert [(e["date"], e["amount"], e["amount_from_rate"]) for e in made] == [
        ("2026-01-03", "11.00", True), ("2026-01-04", "11.00", True),
        ("2026-01-05", "11.25", True),
    ]  # fmt: skip


def test_both_given_are_kept_and_need_no_rate(cli: Cli) -> None:
    e = ok(cli, "add", "Ramen", "10.00", "-c", "Meals", "--original", "1500",
           "--original-currency", "JPY")  # fmt: skip
    assert (e["amount"], e["original_amount"], e["amount_from_rate"]) == ("10.00", "1500", False)
    cleared = ok(cli, "edit", "1", "--original", "")
    assert (cleared["original_amount"], cleared["original_currency"]) == (None, None)


def test_no_rate_is_exit_4_on_original_currency(cli: Cli) -> None:
    r = cli("add", "Ramen", "-c", "Meals", "--original", "1500", "--original-currency", "JPY",
            "--json")  # fmt: skip
    assert r.exit_code == 4
    assert set(r.error["fields"]) == {"original_currency"}
    assert ok(cli, "list") == []


def test_original_needs_its_currency(cli: Cli) -> None:
    r = cli("add", "x", "1.00", "-c", "Meals", "--original", "5", "--json")
    assert r.exit_code == 2
    r = cli("add", "x", "1.00", "-c", "Meals", "--original", "5.001", "--original-currency",
            "EUR", "--json")  # fmt: skip
    assert r.exit_code == 4
    assert "original_amount" in r.error["fields"]
    r = cli("add", "x", "1.00", "-c", "Meals", "--original", "5", "--original-currency",
            "XXQ", "--json")  # fmt: skip
    assert r.exit_code == 4
    assert "original_currency" in r.error["fields"]


def test_original_is_locked_once_invoiced(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    ok(cli, "add", "x", "10.00", "-c", "Meals", "--client", "Acme", "--billable",
       "--original", "9", "--original-currency", "EUR")  # fmt: skip
    ok(cli, "invoice", "1", "--ref", "INV-1")
    r = cli("edit", "1", "--original", "8", "--original-currency", "EUR", "--json")
    assert r.exit_code == 5
    assert r.error["code"] == "invoiced_locked"


def test_import_reads_original_columns(cli: Cli, tmp_path: Path) -> None:
    _rates(cli, tmp_path)
    f = tmp_path / "in.csv"
    f.write_text("date,description,category,amount,original_amount,original_currency\n"
                 "2026-01-03,a,Meals,,1500,JPY\n2026-01-03,b,Meals,9.00,1500,JPY\n")  # fmt: skip
    assert cli("import", str(f)).exit_code == 0
    rows = {e["description"]: e for e in ok(cli, "list")}
    assert (rows["a"]["amount"], rows["a"]["amount_from_rate"]) == ("11.00", True)
    assert (rows["b"]["amount"], rows["b"]["amount_from_rate"]) == ("9.00", False)


# report --convert ----------------------------------------------------------------------
def _three_currencies(cli: Cli, tmp_path: Path) -> None:
    _rates(cli, tmp_path)
    ok(cli, "clients", "add", "Tanaka", "--currency", "JPY")
    ok(cli, "clients", "add", "Berlin", "--currency", "EUR")
    ok(cli, "add", "a", "11.00", "-c", "Meals", "-d", "2026-01-03")  # USD: 10 EUR
    ok(cli, "add", "b", "1600", "-c", "Meals", "--client", "Tanaka", "-d", "2026-01-06",
       "--tax", "10")  # JPY at 160: 10 EUR, tax 145 JPY  # fmt: skip
    ok(cli, "add", "c", "5.00", "-c", "Travel", "--client", "Berlin", "-d", "2026-01-02")


def test_report_convert_sums_every_currency_into_one(cli: Cli, tmp_path: Path) -> None:
    _three_currencies(cli, tmp_path)
    r = cli("report", "--convert", "EUR", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.data == [
        {"group": {"category": {"id": 2, "name": "Meals"}}, "currency": "EUR", "count": 2,
         "total": "20.00", "converted": True},
        {"group": {"category": {"id": 1, "name": "Travel"}}, "currency": "EUR", "count": 1,
         "total": "5.00", "converted": True},
    ]  # fmt: skip
    assert r.json["totals"] == [
        {"currency": "EUR", "count": 3, "total": "25.00", "converted": True}
    ]


def test_report_convert_with_tax(cli: Cli, tmp_path: Path) -> None:
    _three_currencies(cli, tmp_path)
    r = cli("report", "--convert", "EUR", "--tax", "--by", "quarter", "--json")
    assert r.exit_code == 0
    (row,) = r.data
    assert row["group"] == {"quarter": "2026-Q1"}
    assert (row["total"], row["tax"], row["net"]) == ("25.00", "0.91", "24.09")  # 145/160


def test_report_convert_missing_rate_names_the_earliest_date(cli: Cli, tmp_path: Path) -> None:
    _three_currencies(cli, tmp_path)
    ok(cli, "add", "old", "1.00", "-c", "Meals", "-d", "2025-12-01")
    ok(cli, "add", "older", "1", "-c", "Meals", "--client", "Tanaka", "-d", "2025-11-01")
    r = cli("report", "--convert", "EUR", "--json")
    assert r.exit_code == 4
    assert r.error["fields"] == {"convert": "no rate from JPY to EUR on or before 2025-11-01"}


def test_report_convert_unknown_code_is_usage(cli: Cli) -> None:
    r = cli("report", "--convert", "XXQ", "--json")
    assert r.exit_code == 2


def test_report_convert_table(cli: Cli, tmp_path: Path) -> None:
    _three_currencies(cli, tmp_path)
    r = cli("report", "--convert", "USD")
    assert r.exit_code == 0
    assert "USD" in r.stdout and "Total" in r.stdout


# properties ----------------------------------------------------------------------------
@given(
    minor=st.integers(min_value=0, max_value=10**12),
    rate=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(10000), places=4),
)
def test_convert_there_and_back_within_rounding(minor: int, rate: Decimal) -> None:
    factor = Fraction(rate)
    there = convert_minor(minor, 2, factor, 2)
    back = convert_minor(there, 2, 1 / factor, 2)
    # one half unit lost going there, magnified by 1/rate coming back, plus half a unit
    assert abs(back - minor) <= Fraction(1, 2) / factor + Fraction(1, 2)


@given(
    amounts=st.lists(st.integers(min_value=0, max_value=10**10), min_size=1, max_size=30),
    rate=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(1000), places=4),
)
def test_summed_converted_rows_stay_within_rounding_of_the_converted_total(
    amounts: list[int], rate: Decimal
) -> None:
    factor = Fraction(rate)
    rows = [convert_minor(a, 2, factor, 0) for a in amounts]
    total = half_even(Fraction(sum(amounts), 100) * factor)
    assert abs(sum(rows) - total) <= Fraction(len(rows) + 1, 2)


# migration ------------------------------------------------------------------------------
_STEP = schema.STEPS.index(schema._m_tax_currencies)


def _frozen_book(path: Path) -> None:
    with frozen_book(path, _STEP) as conn:
        old_expense(conn, description="Lunch", amount_minor=1250, category_id=2)


def _rows(path: Path) -> list[tuple[Any, ...]]:
    return query(path, "SELECT id, uid, description, amount_minor FROM expenses")


def test_a_book_of_the_previous_version_upgrades_with_its_rows(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _frozen_book(path)
    before = _rows(path)
    store = Store.open(path)
    try:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST
    finally:
        store.close()
    assert _rows(path) == before
    shown = ok(cli, "--db", str(path), "show", "1")
    assert (shown["amount"], shown["tax_rate"], shown["tax_amount"], shown["net_amount"]) == (
        "12.50", None, "0.00", "12.50"
    )  # fmt: skip
    assert (shown["original_amount"], shown["amount_from_rate"]) == (None, False)
    assert ok(cli, "--db", str(path), "rates", "list") == []


def test_the_ecb_file_with_withdrawn_currencies_loads(cli: Cli, tmp_path: Path) -> None:
    ecb = tmp_path / "eurofxref-hist.csv"
    ecb.write_text(
        "Date,USD,JPY,BGN,CYP,SIT,HRK,\n"
        "2024-03-18,1.0872,162.43,1.9558,N/A,N/A,N/A,\n"
        "2008-01-02,1.4717,164.12,1.9558,0.585274,239.64,7.3165,\n"
    )

    assert cli("rates", "import", str(ecb), "--json").exit_code == 0
    bgn = ok(cli, "rates", "list", "--currency", "BGN")
    assert sorted((r["date"], r["rate"]) for r in bgn) == [
        ("2008-01-02", "1.9558"),
        ("2024-03-18", "1.9558"),
    ]
    assert [r["rate"] for r in ok(cli, "rates", "list", "--currency", "CYP")] == ["0.585274"]


@pytest.mark.parametrize(
    ("original", "currency", "field"),
    [("10.005", "EUR", "original_amount"), ("1500.5", "JPY", "original_amount"),
     ("10", "XQZ", "original_currency")],
)  # fmt: skip
def test_a_bad_original_names_only_itself(
    cli: Cli, original: str, currency: str, field: str
) -> None:
    result = cli("add", "d", "-c", "Meals", "--original", original, "--original-currency",
                 currency, "-d", "2026-01-15", "--json")  # fmt: skip

    assert result.exit_code == 4
    assert set(result.error["fields"]) == {field}


def test_converted_net_is_rounded_once_from_the_exact_figure(cli: Cli) -> None:
    ok(cli, "clients", "add", "Tokyo KK", "--currency", "JPY")
    ok(cli, "add", "Ramen", "1500", "-c", "Meals", "--client", "Tokyo KK", "--tax", "10",
       "-d", "2026-01-15")  # fmt: skip
    ok(cli, "rates", "set", "2026-01-01", "EUR", "JPY", "160.52")

    row = ok(cli, "report", "--convert", "EUR", "--tax")[0]

    assert (row["total"], row["tax"], row["net"]) == ("9.34", "0.85", "8.50")  # 1364/160.52


def _seek(store: Store, base: str, quote: str, day: str) -> Fraction | None:
    """The latest rate on or before `day` by one index seek (the look-up before series)."""
    row = store.conn.execute(
        "SELECT rate FROM rates WHERE base = ? AND quote = ? AND date <= ? "
        "ORDER BY date DESC LIMIT 1",
        [base, quote, day],
    ).fetchone()
    return None if row is None else Fraction(Decimal(row[0]))


@given(st.lists(st.integers(0, 60), min_size=1, max_size=40))
def test_converter_factors_equal_a_seek_per_day(days: list[int]) -> None:
    """Each pair's dates are loaded once and bisected: every day (weekend gaps, before the
    first rate, after the last, the inverse pair, via the hub) gives what a seek gives."""
    import tempfile
    from datetime import date, timedelta

    from expense_cli.domain.rates import Converter

    start = date(2025, 1, 1)
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "rates.db")
        with store.write():
            store.put_rates(
                [((start + timedelta(d)).isoformat(), "EUR", "USD", f"1.{d:02d}7")
                 for d in range(5, 50) if d % 7 not in (5, 6)]
                + [((start + timedelta(d)).isoformat(), "EUR", "JPY", f"16{d}.5")
                   for d in range(10, 40, 3)]
            )  # fmt: skip
        converter = Converter(store)
        for offset in days:
            day = (start + timedelta(offset)).isoformat()
            eur_usd = _seek(store, "EUR", "USD", day)
            eur_jpy = _seek(store, "EUR", "JPY", day)
            assert converter.factor("EUR", "USD", day) == eur_usd
            assert converter.factor("USD", "EUR", day) == (eur_usd and 1 / eur_usd)
            via = eur_jpy / eur_usd if eur_usd and eur_jpy else None
            assert converter.factor("USD", "JPY", day) == via
        store.close()
