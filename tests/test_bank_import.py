"""Bank and card statements (reference §10.4): --map, delimiters, preambles, decimal
commas, signs, encodings, profiles, duplicates and the summary counts."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expense_cli.domain import statements
from expense_cli.store import Store, schema
from tests.books import frozen_book, old_expense, query
from tests.conftest import Cli, ok

GERMAN = (
    '"Kontonummer:";"DE89 3704 0044 0532 0130 00";\r\n'
    '"Zeitraum:";"01.03.2025 - 31.03.2025";\r\n'
    '"Kontostand vom 31.03.2025:";"4.210,77 EUR";\r\n'
    "\r\n"
    '"Buchungstag";"Wertstellung";"Buchungstext";"Auftraggeber / Begünstigter";'
    '"Verwendungszweck";"Kategorie";"Betrag (EUR)"\r\n'
    '"03.03.2025";"03.03.2025";"Lastschrift";"DB Vertrieb GmbH";'
    '"DB Fernverkehr Fahrkarte Berlin-München";"Reisen";"-1.234,56"\r\n'
    '"05.03.2025";"05.03.2025";"Gutschrift";"Kunde AG";"Rechnung 2025-014";"";"3.500,00"\r\n'
    '"10.03.2025";"10.03.2025";"Kartenzahlung";"Café Müller";"Café Müller Kaffee";"";"-4,50"\r\n'
    '"31.03.2025";"31.03.2025";"Entgelt";"Bank";"Kontoführung";"";"0,00"\r\n'
)
GERMAN_OPTIONS = (
    "--map", "date=Buchungstag", "--map", "description=Verwendungszweck",
    "--map", "amount=Betrag (EUR)", "--skip-rows", "4", "--decimal-comma",
    "--sign", "negative", "--date-format", "%d.%m.%Y", "--encoding", "cp1252",
)  # fmt: skip
US_CARD = (
    "Transaction Date,Post Date,Description,Category,Type,Amount,Memo\n"
    "03/02/2025,03/03/2025,AMAZON WEB SERVICES,Shopping,Sale,45.10,\n"
    "03/05/2025,03/06/2025,UNITED AIRLINES,Travel,Sale,+389.20,\n"
    "03/15/2025,03/15/2025,Payment Thank You-Mobile,,Payment,-500.00,\n"
    "03/20/2025,03/21/2025,AMAZON WEB SERVICES,Shopping,Return,-12.00,\n"
)
US_OPTIONS = (
    "--map", "date=Transaction Date", "--map", "description=Description",
    "--map", "amount=Amount", "--sign", "positive", "--date-format", "%m/%d/%Y",
)  # fmt: skip


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., str]:
    def make(name: str, content: str, encoding: str = "utf-8") -> str:
        path = tmp_path / name
        path.write_bytes(content.encode(encoding))
        return str(path)

    return make


def _imported(cli: Cli) -> list[dict[str, Any]]:
    return sorted(ok(cli, "list", "--all"), key=lambda e: (e["date"], e["description"]))


def test_a_german_statement_with_a_preamble_decimal_commas_and_cp1252(
    cli: Cli, write: Callable[..., str]
) -> None:
    ok(cli, "config", "default_currency", "EUR")
    ok(cli, "rules", "add", "fernverkehr", "-c", "Travel", "-t", "bahn")
    ok(cli, "rules", "add", "/caf[eé]/", "-c", "Meals")
    path = write("umsaetze.csv", GERMAN, "cp1252")
    result = cli("import", path, *GERMAN_OPTIONS, "--default-category", "Services", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.data == {
        "imported": 3, "skipped": 0, "skipped_existing": 0, "duplicates": 0,
        "income_skipped": 1, "dry_run": False,
        "created": {"categories": [], "clients": [], "projects": []},
    }  # fmt: skip
    rows = _imported(cli)
    assert [(e["date"], e["description"], e["amount"], e["currency"], e["category"]["name"])
            for e in rows] == [
        ("2025-03-03", "DB Fernverkehr Fahrkarte Berlin-München", "1234.56", "EUR", "Travel"),
        ("2025-03-10", "Café Müller Kaffee", "4.50", "EUR", "Meals"),
        ("2025-03-31", "Kontoführung", "0.00", "EUR", "Services"),  # zero is an expense
    ]  # fmt: skip
    assert rows[0]["tags"] == ["bahn"]


def test_a_german_statement_again_imports_nothing_and_says_so(
    cli: Cli, write: Callable[..., str]
) -> None:
    path = write("umsaetze.csv", GERMAN, "cp1252")
    args = ("import", path, *GERMAN_OPTIONS, "--default-category", "Services")
    ok(cli, *args)
    again = cli(*args, "--json")
    assert again.exit_code == 0, again.stderr
    assert (again.data["imported"], again.data["duplicates"], again.data["income_skipped"]) == (
        0, 3, 1,
    )  # fmt: skip
    words = cli(*args)
    assert words.exit_code == 0
    assert "imported 0 expenses" in words.stdout
    assert "3 duplicates" in words.stdout and "1 income row" in words.stdout
    assert "1 income rows" not in words.stdout
    assert len(ok(cli, "list")) == 3


def test_error_lines_are_physical_lines_of_the_file(cli: Cli, write: Callable[..., str]) -> None:
    bad = GERMAN.replace('"-4,50"', '"-4,5,0"')
    path = write("umsaetze.csv", bad, "cp1252")
    result = cli("import", path, *GERMAN_OPTIONS, "-f", "csv", "--default-category", "Travel",
                 "--json")  # fmt: skip
    assert result.exit_code == 4
    assert list(result.error["fields"]) == ["line 8.amount"]
    assert ok(cli, "list") == []


def test_a_us_card_export_with_positive_charges_and_negative_payments(
    cli: Cli, write: Callable[..., str]
) -> None:
    ok(cli, "rules", "add", "amazon web", "-c", "Software")
    path = write("card.csv", US_CARD)
    result = cli("import", path, *US_OPTIONS, "--default-category", "Travel", "--json")
    assert result.exit_code == 0, result.stderr
    assert (result.data["imported"], result.data["income_skipped"]) == (2, 2)
    rows = _imported(cli)
    # the bank's own Category column (Shopping) is not ours: it was not mapped
    assert [(e["description"], e["amount"], e["category"]["name"]) for e in rows] == [
        ("AMAZON WEB SERVICES", "45.10", "Software"),
        ("UNITED AIRLINES", "389.20", "Travel"),
    ]


def test_without_sign_rule_2_still_rejects_signs(cli: Cli, write: Callable[..., str]) -> None:
    path = write("card.csv", US_CARD)
    options = [o for o in US_OPTIONS if o not in ("--sign", "positive")]
    result = cli("import", path, *options, "--default-category", "Travel", "--json")
    assert result.exit_code == 4
    assert {"line 3.amount", "line 4.amount", "line 5.amount"} <= set(result.error["fields"])
    assert ok(cli, "list") == []


def _month(days: list[tuple[str, str, str]]) -> str:
    lines = ["Date,Payee,Amount"] + [f"{d},{p},{a}" for d, p, a in days]
    return "\n".join(lines) + "\n"


JAN_FEB = _month([("2025-01-10", "Hosting", "-10.00"), ("2025-02-10", "Hosting", "-10.00"),
                  ("2025-02-11", "Coffee  shop", "-3.00")])  # fmt: skip
FEB_MAR = _month([("2025-02-10", "HOSTING", "-10.00"), ("2025-02-11", "coffee shop", "-3.00"),
                  ("2025-03-10", "Hosting", "-10.00")])  # fmt: skip
BANK = ("--map", "date=Date", "--map", "description=Payee", "--map", "amount=Amount",
        "--sign", "negative", "--default-category", "Services")  # fmt: skip


@pytest.mark.parametrize("order", [(JAN_FEB, FEB_MAR), (FEB_MAR, JAN_FEB)])
def test_overlapping_months_in_any_order_give_every_expense_once(
    cli: Cli, write: Callable[..., str], order: tuple[str, str]
) -> None:
    first = cli("import", write("a.csv", order[0]), *BANK, "--json")
    second = cli("import", write("b.csv", order[1]), *BANK, "--json")
    assert first.exit_code == 0 and second.exit_code == 0, first.stderr + second.stderr
    assert (first.data["imported"], second.data["imported"], second.data["duplicates"]) == (3, 1, 2)
    assert [(e["date"], e["amount"]) for e in _imported(cli)] == [
        ("2025-01-10", "10.00"), ("2025-02-10", "10.00"), ("2025-02-11", "3.00"),
        ("2025-03-10", "10.00"),
    ]  # fmt: skip


def test_duplicates_are_counted_by_occurrence(cli: Cli, write: Callable[..., str]) -> None:
    twice = _month([("2025-02-10", "Parking", "-2.00"), ("2025-02-10", "Parking", "-2.00")])
    path = write("twice.csv", twice)
    first = cli("import", path, *BANK, "--json")
    assert first.exit_code == 0
    assert (first.data["imported"], first.data["duplicates"]) == (2, 0)
    thrice = write("thrice.csv", twice + "2025-02-10,parking,-2.00\n")
    again = cli("import", thrice, *BANK, "--json")
    assert again.exit_code == 0
    assert (again.data["imported"], again.data["duplicates"]) == (1, 2)


def test_deleted_expenses_are_not_duplicates(cli: Cli, write: Callable[..., str]) -> None:
    path = write("m.csv", _month([("2025-02-10", "Parking", "-2.00")]))
    ok(cli, "import", path, *BANK)
    ok(cli, "delete", "1")
    again = cli("import", path, *BANK, "--json")
    assert (again.exit_code, again.data["imported"], again.data["duplicates"]) == (0, 1, 0)


def test_allow_duplicates_imports_and_counts_them(cli: Cli, write: Callable[..., str]) -> None:
    path = write("m.csv", JAN_FEB)
    ok(cli, "import", path, *BANK)
    again = cli("import", path, *BANK, "--allow-duplicates", "--json")
    assert again.exit_code == 0
    assert (again.data["imported"], again.data["duplicates"]) == (3, 3)
    assert len(ok(cli, "list")) == 6


def test_dry_run_reports_every_count_and_writes_nothing(
    cli: Cli, write: Callable[..., str]
) -> None:
    ok(cli, "import", write("a.csv", JAN_FEB), *BANK)
    path = write("b.csv", FEB_MAR.replace("Amount\n", "Amount\n2025-03-01,Refund,5.00\n"))
    result = cli("import", path, *BANK, "--dry-run", "--json")
    assert result.exit_code == 0
    assert {k: result.data[k] for k in ("imported", "duplicates", "income_skipped", "dry_run")} == {
        "imported": 1, "duplicates": 2, "income_skipped": 1, "dry_run": True,
    }  # fmt: skip
    assert len(ok(cli, "list")) == 3


def test_uid_rows_are_skipped_not_duplicates(cli: Cli, write: Callable[..., str]) -> None:
    ok(cli, "add", "Hosting", "10.00", "-c", "Services", "-d", "2025-01-10")
    exported = cli("export", "-f", "csv")
    assert exported.exit_code == 0
    result = cli("import", write("e.csv", exported.stdout), "--json")
    assert result.exit_code == 0
    assert (result.data["skipped_existing"], result.data["skipped"], result.data["duplicates"]) == (
        1, 1, 0,
    )  # fmt: skip


@pytest.mark.parametrize("delimiter", [";", "\t", "|", ","])
def test_the_delimiter_is_detected_from_the_header(
    cli: Cli, write: Callable[..., str], delimiter: str
) -> None:
    content = "Statement of account\n" + JAN_FEB.replace(",", delimiter)
    result = cli("import", write("d.csv", content), "--skip-rows", "1", *BANK, "--json")
    assert result.exit_code == 0, result.stderr
    assert result.data["imported"] == 3


def test_an_explicit_delimiter_and_a_utf8_bom(cli: Cli, write: Callable[..., str]) -> None:
    content = "\ufeff" + JAN_FEB.replace(",", "|")
    result = cli("import", write("d.csv", content), "--delimiter", "|", *BANK, "--json")
    assert result.exit_code == 0, result.stderr
    assert result.data["imported"] == 3


def test_release_1_minimal_csv_still_imports(cli: Cli, write: Callable[..., str]) -> None:
    path = write("m.csv", "date,description,amount,category\n2025-01-02,Taxi,12.50,Travel\n")
    result = cli("import", path, "--json")
    assert (result.exit_code, result.data["imported"]) == (0, 1)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--map", "payee=Payee"), "payee"),
        (("--map", "description"), "FIELD=COLUMN"),
        (("--map", "amount=Amount", "--map", "amount=Payee"), "twice"),
        (("--encoding", "klingon"), "klingon"),
        (("--delimiter", ";;"), "--delimiter"),
        (("--skip-rows", "-1"), "--skip-rows"),
        (("--sign", "both"), "--sign"),
        (("--date-format", "%d"), "--date-format"),
    ],
)
def test_bad_reading_options_are_usage_errors(
    cli: Cli, write: Callable[..., str], args: tuple[str, ...], needle: str
) -> None:
    result = cli("import", write("m.csv", JAN_FEB), *args, "--json")
    assert result.exit_code == 2
    assert needle in result.stderr
    assert ok(cli, "list") == []


def test_a_mapped_column_missing_from_the_header_is_exit_4(
    cli: Cli, write: Callable[..., str]
) -> None:
    result = cli("import", write("m.csv", JAN_FEB), "--map", "description=Verwendungszweck",
                 "--map", "amount=Amount", "--json")  # fmt: skip
    assert result.exit_code == 4
    assert "Verwendungszweck" in result.error["fields"]["header"]


def test_nothing_after_the_skipped_rows_is_exit_4(cli: Cli, write: Callable[..., str]) -> None:
    result = cli("import", write("m.csv", "a\nb\n"), "--skip-rows", "5", "--json")
    assert result.exit_code == 4
    assert "header" in result.error["fields"]


def test_an_unknown_default_category_is_exit_4(cli: Cli, write: Callable[..., str]) -> None:
    result = cli("import", write("m.csv", JAN_FEB), *BANK[:-2], "--default-category", "Nope",
                 "--json")  # fmt: skip
    assert result.exit_code == 4
    assert "default_category" in result.error["fields"]
    assert ok(cli, "list") == []


def test_a_row_without_category_and_no_default_is_an_error(
    cli: Cli, write: Callable[..., str]
) -> None:
    result = cli("import", write("m.csv", JAN_FEB), *BANK[:-2], "--json")
    assert result.exit_code == 4
    assert result.error["fields"]["line 2.category"].startswith("a category is required")


def test_account_fills_rows_without_one(cli: Cli, write: Callable[..., str]) -> None:
    result = cli("import", write("m.csv", JAN_FEB), *BANK, "--account", "Liabilities:Visa",
                 "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert {e["account"] for e in ok(cli, "list")} == {"Liabilities:Visa"}


# profiles -----------------------------------------------------------------------------
def test_a_profile_per_bank_then_each_month_with_profile(
    cli: Cli, write: Callable[..., str]
) -> None:
    ok(cli, "config", "default_currency", "EUR")
    saved = ok(cli, "import-profile", "add", "sparkasse", *GERMAN_OPTIONS,
               "--default-category", "Services")  # fmt: skip
    assert saved["name"] == "sparkasse"
    assert saved["map"] == {"date": "Buchungstag", "description": "Verwendungszweck",
                            "amount": "Betrag (EUR)"}  # fmt: skip
    assert (saved["skip_rows"], saved["sign"], saved["decimal_comma"]) == (4, "negative", True)
    assert saved["encoding"] == "cp1252"
    assert ok(cli, "import-profile", "show", "SPARKASSE") == saved
    assert ok(cli, "import-profile", "list") == [saved]
    path = write("maerz.csv", GERMAN, "cp1252")
    first = cli("import", path, "--profile", "sparkasse", "--json")
    assert first.exit_code == 0, first.stderr
    assert (first.data["imported"], first.data["income_skipped"]) == (3, 1)
    again = cli("import", path, "--profile", "sparkasse", "--json")
    assert (again.exit_code, again.data["imported"], again.data["duplicates"]) == (0, 0, 3)


def test_command_line_options_replace_the_profiles(cli: Cli, write: Callable[..., str]) -> None:
    ok(cli, "import-profile", "add", "card", "--map", "date=Wrong", "--sign", "negative",
       "--date-format", "%m/%d/%Y")  # fmt: skip
    path = write("card.csv", US_CARD)
    result = cli("import", path, "--profile", "card", "--map", "date=Transaction Date",
                 "--map", "description=Description", "--map", "amount=Amount",
                 "--sign", "positive", "--default-category", "Travel", "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert (result.data["imported"], result.data["income_skipped"]) == (2, 2)


def test_unknown_profiles_are_exit_3_everywhere(cli: Cli, write: Callable[..., str]) -> None:
    path = write("m.csv", JAN_FEB)
    for args in (("import", path, "--profile", "nope"), ("import-profile", "show", "nope"),
                 ("import-profile", "delete", "nope")):  # fmt: skip
        result = cli(*args, "--json")
        assert result.exit_code == 3, args
        assert result.error["code"] == "not_found"
    assert ok(cli, "list") == []


def test_profile_names_are_unique_and_delete_removes(cli: Cli) -> None:
    ok(cli, "import-profile", "add", "bank", "--sign", "negative")
    again = cli("import-profile", "add", "BANK", "--json")
    assert again.exit_code == 4
    assert "name" in again.error["fields"]
    bad = cli("import-profile", "add", "other", "--default-category", "Nope", "--json")
    assert bad.exit_code == 4
    assert "default_category" in bad.error["fields"]
    quiet = cli("import-profile", "delete", "bank", "-q")
    assert quiet.exit_code == 0 and quiet.stdout.strip().isdigit()
    assert ok(cli, "import-profile", "list") == []


# the duplicate index ------------------------------------------------------------------
def test_the_duplicate_lookup_uses_its_index(book: Path) -> None:
    Store.open(book).close()
    with closing(sqlite3.connect(book)) as conn:
        plan = conn.execute(
            "EXPLAIN QUERY PLAN " + __import__(
                "expense_cli.store.statements", fromlist=["x"]
            ).DUPLICATE_SQL, ["2025-01-01", 100, "USD"],
        ).fetchall()  # fmt: skip
    detail = " ".join(row[-1] for row in plan)
    assert "live_duplicates" in detail and "SCAN" not in detail


def test_a_book_from_before_bank_imports_upgrades_with_its_rows(
    tmp_path: Path, cli: Cli, write: Callable[..., str]
) -> None:
    ours = next(i for i, s in enumerate(schema.STEPS) if s.__name__ == "_m_bank_import")
    path = tmp_path / "old.db"
    with frozen_book(path, ours) as conn:
        old_expense(conn, description="Hosting", date="2025-01-10")
    before = query(path, "SELECT * FROM expenses")
    Store.open(path).close()
    assert query(path, "PRAGMA user_version") == [(schema.LATEST,)]
    after = query(path, "SELECT * FROM expenses")
    assert [row[: len(before[0])] for row in after] == before  # later steps add columns
    assert query(path, "SELECT count(*) FROM import_rules") == [(0,)]
    result = cli("--db", str(path), "import", write("m.csv", JAN_FEB), *BANK, "--json")
    assert result.exit_code == 0, result.stderr
    assert (result.data["imported"], result.data["duplicates"]) == (2, 1)


# pure reading rules -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "read"),
    [("1.234,56", "1234.56"), ("4,50", "4.50"), ("12", "12"), ("1.234.567,8", "1234567.8"),
     ("1.234", "1234"), (" 7,00 ", "7.00")],
)  # fmt: skip
def test_decimal_comma(typed: str, read: str) -> None:
    assert statements._decimal(typed) == read


@pytest.mark.parametrize("typed", ["1,2,3", "12.5", "4.50", "1.2345", ".5", "1.234,", "-4,50"])
def test_decimal_comma_refuses_what_it_would_have_to_guess(typed: str) -> None:
    from expense_cli.domain.validation import InvalidValue

    with pytest.raises(InvalidValue):
        statements._decimal(typed)


@pytest.mark.parametrize(
    ("typed", "sign", "read"),
    [("-12.30", "negative", "12.30"), ("12.30", "negative", None), ("+12.30", "negative", None),
     ("0.00", "negative", "0.00"), ("-0.00", "positive", "0.00"), ("+5", "positive", "5"),
     ("5", "positive", "5"), ("-5", "positive", None)],
)  # fmt: skip
def test_sign(typed: str, sign: str, read: str | None) -> None:
    assert statements._signed(typed, sign) == read


@given(
    st.lists(st.from_regex(r"[A-Za-z ]{1,8}", fullmatch=True), min_size=2, max_size=6),
    st.sampled_from(statements.DELIMITERS),
)
def test_detected_delimiter_is_the_one_written(names: list[str], delimiter: str) -> None:
    assert statements.detect_delimiter(delimiter.join(names) + "\n") == delimiter


def test_profile_names_complete(book: Path, cli: Cli) -> None:
    from expense_cli.domain.profiles import profile_names

    ok(cli, "import-profile", "add", "Sparkasse", "--sign", "negative")
    store = Store.open(book)
    try:
        assert profile_names(store) == ["Sparkasse"]
    finally:
        store.close()


# acceptance review: repeated mapped columns, -q ids, --account, strict decimal commas ----
def test_a_mapped_column_that_appears_twice_is_exit_4(cli: Cli, write: Callable[..., str]) -> None:
    path = write("twice.csv", "Datum;Text;Betrag;Betrag\n2025-03-01;Taxi;12,50;3,00\n")
    result = cli("import", path, "--map", "date=Datum", "--map", "description=Text",
                 "--map", "amount=Betrag", "--decimal-comma", "--default-category", "Travel",
                 "--json")  # fmt: skip
    assert result.exit_code == 4
    assert list(result.error["fields"]) == ["header"]
    assert "Betrag" in result.error["fields"]["header"]
    assert ok(cli, "list") == []
    # a repeated column that is not mapped is not read, so it is no ambiguity
    other = write("other.csv", "Datum;Text;Text;Betrag\n2025-03-01;Taxi;x;12,50\n")
    fine = cli("import", other, "--map", "date=Datum", "--map", "amount=Betrag",
               "--map", "description=Datum", "--decimal-comma", "--default-category", "Travel",
               "--json")  # fmt: skip
    assert fine.exit_code == 0, fine.stderr


def test_quiet_import_prints_the_created_ids_one_per_line(
    cli: Cli, write: Callable[..., str]
) -> None:
    ok(cli, "add", "Earlier", "1.00", "-c", "Meals")
    path = write("m.csv", JAN_FEB)
    dry = cli("import", path, *BANK, "--dry-run", "-q")
    assert dry.exit_code == 0, dry.stderr
    assert dry.stdout == ""
    result = cli("import", path, *BANK, "-q")
    assert result.exit_code == 0, result.stderr
    printed = [int(line) for line in result.stdout.splitlines()]
    made = sorted(e["id"] for e in ok(cli, "list") if e["description"] != "Earlier")
    assert printed == made and len(printed) == 3
    again = cli("import", path, *BANK, "-q")  # all duplicates: nothing created, nothing printed
    assert again.exit_code == 0 and again.stdout == ""


def test_import_result_keeps_id_ranges_not_one_int_per_row() -> None:
    from expense_cli.domain.importer import ImportResult

    result = ImportResult()
    for expense_id in (5, 6, 7, 9, 10, 12):
        result.add_id(expense_id)
    assert result.id_ranges == [range(5, 8), range(9, 11), range(12, 13)]
    assert list(result.created_ids()) == [5, 6, 7, 9, 10, 12]


@pytest.mark.parametrize("account", ["cash", "", "Assets:cash"])
def test_a_bad_account_is_refused_everywhere(
    cli: Cli, write: Callable[..., str], account: str
) -> None:
    added = cli("import-profile", "add", "p", "--account", account, "--json")
    assert added.exit_code == 4
    assert list(added.error["fields"]) == ["account"]
    assert ok(cli, "import-profile", "list") == []
    for content in (JAN_FEB, "Date,Payee,Amount\n"):  # up front, even with no rows
        result = cli("import", write("m.csv", content), *BANK, "--account", account, "--json")
        assert result.exit_code == 4
        assert list(result.error["fields"]) == ["account"]
    assert ok(cli, "list") == []


def test_a_profile_account_is_stored_trimmed(cli: Cli) -> None:
    saved = ok(cli, "import-profile", "add", "p", "--account", " Liabilities:Visa ")
    assert saved["account"] == "Liabilities:Visa"
    both = cli("import-profile", "add", "P", "--account", "cash", "--json")
    assert both.exit_code == 4
    assert set(both.error["fields"]) == {"name", "account"}  # every bad field at once


@pytest.mark.parametrize(
    ("amount", "stored"),
    [("1.234,56", "1234.56"), ("1234,56", "1234.56"), ("12,5", "12.50"), ("1.234", "1234.00"),
     ("12.345.678,9", "12345678.90"), ("7", "7.00")],
)  # fmt: skip
def test_decimal_comma_amounts_that_read(
    cli: Cli, write: Callable[..., str], amount: str, stored: str
) -> None:
    path = write("s.csv", f'Date;Payee;Amount\n2025-03-01;Taxi;"{amount}"\n')
    result = cli("import", path, *BANK[:-4], "--decimal-comma", "--default-category", "Travel",
                 "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert [e["amount"] for e in ok(cli, "list")] == [stored]


@pytest.mark.parametrize(
    "amount", ["4.50", "1.23", "1.2345", "1.234.5", "12.", "1234.567", "1,2,3"]
)
def test_decimal_comma_amounts_that_are_never_guessed(
    cli: Cli, write: Callable[..., str], amount: str
) -> None:
    path = write("s.csv", f'Date;Payee;Amount\n2025-03-01;Taxi;"3,00"\n2025-03-02;Bus;"{amount}"\n')
    result = cli("import", path, *BANK[:-4], "--decimal-comma", "--default-category", "Travel",
                 "--json")  # fmt: skip
    assert result.exit_code == 4
    assert list(result.error["fields"]) == ["line 3.amount"]
    assert amount in result.error["fields"]["line 3.amount"]
    assert ok(cli, "list") == []


def test_a_profile_with_a_map_shows_as_a_table(cli: Cli) -> None:
    result = cli("import-profile", "add", "mybank", "--map", "date=Buchungstag",
                 "--map", "amount=Betrag", "--decimal-comma")  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert "date=Buchungstag; amount=Betrag" in result.stdout
    shown = cli("import-profile", "show", "mybank")
    assert shown.exit_code == 0, shown.stderr
