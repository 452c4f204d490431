"""Invoicing clients end to end (reference §10.5, §10.1 item 10, §10.10 item 7): invoice by
client and list filters, rebill markup recorded at invoice time, `invoices`, `invoices show`
in every format, `report --by ref`, import/export of `rebill_amount`, and the migration."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from expense_cli.store import Store, schema
from tests.books import frozen_book, old_expense, query
from tests.conftest import Cli, ok


def _add(cli: Cli, description: str, amount: str, *args: str) -> int:
    return int(ok(cli, "add", description, amount, "-c", "Travel", *args)["id"])


@pytest.fixture
def acme(cli: Cli) -> dict[str, int]:
    """Acme (EUR, markup 12.5): two billable March expenses, one not billable, one billable
    in April; Globex (USD, no markup): one billable expense."""
    ok(cli, "clients", "add", "Acme", "--currency", "EUR", "--markup", "12.5")
    ok(cli, "clients", "add", "Globex")
    ids = {
        "train": _add(cli, "Train", "45.10", "--client", "Acme", "--billable", "-d", "2026-03-02"),
        "hotel": _add(cli, "Hotel", "100.05", "--client", "Acme", "--billable", "-d", "2026-03-05"),
        "lunch": _add(cli, "Lunch", "12.00", "--client", "Acme", "-d", "2026-03-06"),
        "april": _add(cli, "Taxi", "20.00", "--client", "Acme", "--billable", "-d", "2026-04-01"),
        "globex": _add(cli, "Flight", "300.00", "--client", "Globex", "--billable"),
    }
    return ids


def _show(cli: Cli, expense_id: int) -> dict[str, Any]:
    return ok(cli, "show", str(expense_id))  # type: ignore[no-any-return]


# invoice --client ---------------------------------------------------------------------
def test_invoice_by_client_takes_what_list_shows_billable_and_not_invoiced(
    cli: Cli, acme: dict[str, int]
) -> None:
    listed = ok(cli, "list", "--client", "Acme", "--to", "2026-03-31", "--billable", "yes")

    result = cli("invoice", "--client", "Acme", "--to", "2026-03-31", "--ref", "INV-3", "--json")

    assert result.exit_code == 0, result.stderr
    assert [e["id"] for e in result.data] == [acme["train"], acme["hotel"]]
    assert {e["id"] for e in listed} == {acme["train"], acme["hotel"]}
    assert {(e["billing_status"], e["invoice_ref"]) for e in result.data} == {("invoiced", "INV-3")}
    assert [e["rebill_amount"] for e in result.data] == ["50.74", "112.56"]  # half-even
    assert _show(cli, acme["lunch"])["billing_status"] == "not_invoiced"
    assert _show(cli, acme["april"])["rebill_amount"] is None
    assert _show(cli, acme["globex"])["billing_status"] == "not_invoiced"


def test_dry_run_shows_the_selection_and_writes_nothing(cli: Cli, acme: dict[str, int]) -> None:
    result = cli("invoice", "--client", "Acme", "--ref", "INV-3", "--dry-run", "--json")

    assert result.exit_code == 0, result.stderr
    assert [e["id"] for e in result.data] == [acme["train"], acme["hotel"], acme["april"]]
    assert result.data[0]["rebill_amount"] == "50.74"
    shown = _show(cli, acme["train"])
    assert (shown["billing_status"], shown["rebill_amount"]) == ("not_invoiced", None)
    assert ok(cli, "invoices") == []


def test_an_empty_selection_is_success_with_no_data(cli: Cli, acme: dict[str, int]) -> None:
    result = cli("invoice", "--client", "Acme", "--from", "2027-01-01", "--ref", "X", "--json")

    assert result.exit_code == 0, result.stderr
    assert result.json == {"data": []}
    quiet = cli("invoice", "--client", "Acme", "--from", "2027-01-01", "--ref", "X", "-q")
    assert (quiet.exit_code, quiet.stdout) == (0, "")


def test_filters_that_exclude_billable_ones_invoice_nothing(cli: Cli, acme: dict[str, int]) -> None:
    result = cli("invoice", "--client", "Acme", "--billable", "no", "--ref", "X", "--json")

    assert result.exit_code == 0, result.stderr
    assert result.data == []
    assert _show(cli, acme["lunch"])["billing_status"] == "not_invoiced"


def test_quiet_prints_the_invoiced_ids(cli: Cli, acme: dict[str, int]) -> None:
    result = cli("invoice", "--client", "Acme", "-c", "Travel", "--ref", "INV-1", "-q")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.split() == [str(acme[k]) for k in ("train", "hotel", "april")]


@pytest.mark.parametrize(
    "args",
    [
        ("--client", "Nobody", "--ref", "INV-1"),  # a filter: unknown is a usage error
        ("--client", "Acme"),  # --ref is required with --client
        ("--client", "Acme", "--ref", "INV-1", "1"),  # ids are not allowed with --client
        ("-c", "Travel", "1"),  # filters without --client
        ("--client", "Acme", "--ref", "INV-1", "--deleted"),  # deleted are never invoiced
        ("--client", "Acme", "--ref", "INV-1", "--sort", "date"),  # not an invoice option
        (),  # neither ids nor --client
    ],
)
def test_bad_selections_are_usage_errors_that_write_nothing(
    cli: Cli, acme: dict[str, int], args: tuple[str, ...]
) -> None:
    result = cli("invoice", *args, "--json")

    assert result.exit_code == 2
    assert _show(cli, acme["train"])["billing_status"] == "not_invoiced"


def test_a_ref_held_by_another_client_is_refused_whole(cli: Cli, acme: dict[str, int]) -> None:
    ok(cli, "invoice", str(acme["globex"]), "--ref", "INV-G")

    result = cli("invoice", "--client", "Acme", "--ref", "INV-G", "--json")

    assert result.exit_code == 4
    assert "ref" in result.error["fields"]
    assert _show(cli, acme["train"])["billing_status"] == "not_invoiced"


def test_a_bad_ref_is_a_validation_error(cli: Cli, acme: dict[str, int]) -> None:
    result = cli("invoice", "--client", "Acme", "--ref", "bad\x07ref", "--json")

    assert result.exit_code == 4
    assert "invoice_ref" in result.error["fields"]


def test_invoicing_by_ids_records_the_rebill_too(cli: Cli, acme: dict[str, int]) -> None:
    data = ok(cli, "invoice", str(acme["train"]), "--ref", "INV-1")

    assert data[0]["rebill_amount"] == "50.74"


# markup ----------------------------------------------------------------------------------
def test_markup_defaults_to_zero_and_prints_without_trailing_zeros(cli: Cli) -> None:
    assert ok(cli, "clients", "add", "Plain")["markup"] == "0"
    assert ok(cli, "clients", "add", "Tenth", "--markup", "10.50")["markup"] == "10.5"
    assert ok(cli, "clients", "edit", "Plain", "--markup", "1000")["markup"] == "1000"
    assert [c["markup"] for c in ok(cli, "clients")] == ["1000", "10.5"]


@pytest.mark.parametrize("markup", ["12.345", "-5", "1000.01", "+5", "1e2", "abc", "", "5%"])
def test_a_bad_markup_is_refused_on_add_and_edit(cli: Cli, markup: str) -> None:
    ok(cli, "clients", "add", "Acme", "--markup", "7")

    added = cli("clients", "add", "Other Co", "--markup", markup, "--json")
    edited = cli("clients", "edit", "Acme", "--markup", markup, "--json")

    assert (added.exit_code, edited.exit_code) == (4, 4)
    assert "markup" in added.error["fields"] and "markup" in edited.error["fields"]
    assert [c["name"] for c in ok(cli, "clients")] == ["Acme"]
    assert ok(cli, "clients")[0]["markup"] == "7"


def test_a_recorded_rebill_is_never_recomputed(cli: Cli, acme: dict[str, int]) -> None:
    ok(cli, "invoice", str(acme["train"]), "--ref", "INV-1")
    ok(cli, "clients", "edit", "Acme", "--markup", "50")

    again = ok(cli, "invoice", str(acme["train"]), "--ref", "INV-1")
    more = ok(cli, "invoice", "--client", "Acme", "--to", "2026-03-31", "--ref", "INV-1")

    assert again[0]["rebill_amount"] == "50.74"
    assert [(e["id"], e["rebill_amount"]) for e in more] == [(acme["hotel"], "150.08")]
    assert _show(cli, acme["train"])["rebill_amount"] == "50.74"


def test_uninvoice_clears_the_rebill_and_reinvoicing_uses_the_markup_then(
    cli: Cli, acme: dict[str, int]
) -> None:
    ok(cli, "invoice", str(acme["train"]), "--ref", "INV-1")

    cleared = ok(cli, "uninvoice", str(acme["train"]))
    ok(cli, "clients", "edit", "Acme", "--markup", "0")
    again = ok(cli, "invoice", str(acme["train"]), "--ref", "INV-1")

    assert cleared[0]["rebill_amount"] is None
    assert again[0]["rebill_amount"] == "45.10"


def test_the_rebill_is_locked_with_the_invoice(cli: Cli, acme: dict[str, int]) -> None:
    ok(cli, "invoice", str(acme["train"]), "--ref", "INV-1")

    result = cli("edit", str(acme["train"]), "--amount", "99.00", "--json")

    assert result.exit_code == 5
    assert _show(cli, acme["train"])["rebill_amount"] == "50.74"


def test_jpy_rebill_rounds_half_even_to_whole_yen(cli: Cli) -> None:
    ok(cli, "clients", "add", "Tokyo", "--currency", "JPY", "--markup", "50")
    odd = _add(cli, "A", "5", "--client", "Tokyo", "--billable")  # 7.5 → 8
    even = _add(cli, "B", "15", "--client", "Tokyo", "--billable")  # 22.5 → 22

    data = ok(cli, "invoice", "--client", "Tokyo", "--ref", "T-1")

    assert {e["id"]: e["rebill_amount"] for e in data} == {odd: "8", even: "22"}


# invoices, invoices show ------------------------------------------------------------------
@pytest.fixture
def invoiced(cli: Cli, acme: dict[str, int]) -> dict[str, int]:
    ok(cli, "invoice", "--client", "Acme", "--to", "2026-03-31", "--ref", "INV-3")
    ok(cli, "invoice", str(acme["globex"]))  # no ref: no invoice
    return acme


def test_invoices_lists_refs_with_totals(cli: Cli, invoiced: dict[str, int]) -> None:
    data = ok(cli, "invoices")

    assert len(data) == 1
    entry = data[0]
    assert set(entry) == {
        "ref", "client", "currency", "count", "total", "rebill_total", "invoiced_at"
    }  # fmt: skip
    assert entry["ref"] == "INV-3"
    assert entry["client"] == {"id": 1, "name": "Acme"}
    assert (entry["currency"], entry["count"]) == ("EUR", 2)
    assert (entry["total"], entry["rebill_total"]) == ("145.15", "163.30")
    assert entry["invoiced_at"].endswith("Z")


def test_invoices_count_live_expenses_and_keep_the_first_invoicing_time(
    cli: Cli, invoiced: dict[str, int]
) -> None:
    first = ok(cli, "invoices")[0]["invoiced_at"]
    ok(cli, "invoice", str(invoiced["april"]), "--ref", "INV-3")
    ok(cli, "delete", str(invoiced["train"]), "--force")

    entry = ok(cli, "invoices")[0]

    assert (entry["count"], entry["total"], entry["rebill_total"]) == (2, "120.05", "135.06")
    assert entry["invoiced_at"] == first


def test_invoices_show_json_statement(cli: Cli, invoiced: dict[str, int]) -> None:
    result = cli("invoices", "show", "INV-3", "--json")

    assert result.exit_code == 0, result.stderr
    data = result.data
    assert (data["ref"], data["client"]["name"], data["currency"]) == ("INV-3", "Acme", "EUR")
    assert data["lines"] == [
        {"id": invoiced["train"], "date": "2026-03-02", "description": "Train",
         "category": "Travel", "amount": "45.10", "rebill_amount": "50.74", "receipts": 0},
        {"id": invoiced["hotel"], "date": "2026-03-05", "description": "Hotel",
         "category": "Travel", "amount": "100.05", "rebill_amount": "112.56", "receipts": 0},
    ]  # fmt: skip
    assert (data["total"], data["rebill_total"]) == ("145.15", "163.30")


def test_the_statement_counts_receipts(cli: Cli, invoiced: dict[str, int], tmp_path: Path) -> None:
    receipt = tmp_path / "ticket.pdf"
    receipt.write_bytes(b"%PDF-1.4 ticket")
    added = cli("receipt", "add", str(invoiced["train"]), str(receipt), "--json")
    if added.exit_code != 0:
        pytest.skip("receipts are not in this build")

    lines = ok(cli, "invoices", "show", "INV-3")["lines"]

    assert [line["receipts"] for line in lines] == [1, 0]


def test_the_rebill_amounts_add_up_to_the_rebill_total(cli: Cli, acme: dict[str, int]) -> None:
    for n in range(7):
        _add(cli, f"Item {n}", f"1.0{n}", "--client", "Acme", "--billable", "-d", "2026-05-01")
    ok(cli, "invoice", "--client", "Acme", "--from", "2026-05-01", "--ref", "INV-5")

    data = ok(cli, "invoices", "show", "INV-5")

    cents = sum(int(line["rebill_amount"].replace(".", "")) for line in data["lines"])
    assert f"{cents // 100}.{cents % 100:02d}" == data["rebill_total"]


def test_invoices_show_markdown_is_a_table_with_user_text_escaped(
    cli: Cli, acme: dict[str, int]
) -> None:
    _add(cli, "Pipe | *star* <b>", "10.00", "--client", "Acme", "--billable", "-d", "2026-06-01")
    ok(cli, "invoice", "--client", "Acme", "--from", "2026-06-01", "--ref", "INV-6")

    result = cli("invoices", "show", "INV-6", "-f", "markdown")

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "**Invoice INV-6**: Acme, EUR"
    assert "| Date | Description | Category | Amount | Rebill amount | Receipts |" in lines
    assert "| 2026-06-01 | Pipe \\| \\*star\\* \\<b\\> | Travel | 10.00 | 11.25 | 0 |" in lines
    assert lines[-1] == "| | **Total** | | **10.00** | **11.25** | |"


def test_invoices_show_csv_and_table(cli: Cli, invoiced: dict[str, int]) -> None:
    csv_out = cli("invoices", "show", "INV-3", "-f", "csv")
    table = cli("invoices", "show", "INV-3")

    assert csv_out.exit_code == 0, csv_out.stderr
    assert csv_out.stdout.splitlines() == [
        "id,date,description,category,amount,rebill_amount,receipts",
        f"{invoiced['train']},2026-03-02,Train,Travel,45.10,50.74,0",
        f"{invoiced['hotel']},2026-03-05,Hotel,Travel,100.05,112.56,0",
        ",,Total,,145.15,163.30,",
    ]
    assert table.exit_code == 0, table.stderr
    assert "INV-3" in table.stdout and "163.30" in table.stdout and "Hotel" in table.stdout


def test_invoices_show_csv_neutralises_formulas(cli: Cli, acme: dict[str, int]) -> None:
    _add(cli, "=HYPERLINK(1)", "10.00", "--client", "Acme", "--billable", "-d", "2026-06-01")
    ok(cli, "invoice", "--client", "Acme", "--from", "2026-06-01", "--ref", "INV-6")

    out = cli("invoices", "show", "INV-6", "-f", "csv").stdout

    assert out.splitlines()[1].split(",")[2] == "'=HYPERLINK(1)"


@pytest.mark.parametrize("ref", ["NOPE", "", "bad\x07"])
def test_an_unknown_ref_is_not_found(cli: Cli, invoiced: dict[str, int], ref: str) -> None:
    result = cli("invoices", "show", ref, "--json")

    assert result.exit_code == 3
    assert result.error["code"] == "not_found"


def test_invoices_on_a_missing_book_is_empty_and_creates_nothing(cli: Cli, book: Path) -> None:
    assert ok(cli, "invoices") == []
    assert cli("invoices", "show", "X").exit_code == 3
    assert not book.exists()


# report --by ref ---------------------------------------------------------------------------
def test_report_by_ref_groups_invoices_and_the_rest(cli: Cli, invoiced: dict[str, int]) -> None:
    result = cli("report", "--by", "ref", "--json")

    assert result.exit_code == 0, result.stderr
    groups = [(r["group"], r["currency"], r["count"], r["total"]) for r in result.data]
    assert groups == [
        ({"ref": "INV-3"}, "EUR", 2, "145.15"),
        ({"ref": None}, "EUR", 2, "32.00"),
        ({"ref": None}, "USD", 1, "300.00"),
    ]


# import / export -----------------------------------------------------------------------------
def test_export_and_import_keep_the_rebill_on_invoiced_rows(
    cli: Cli, invoiced: dict[str, int], tmp_path: Path
) -> None:
    out = tmp_path / "all.json"
    assert cli("export", "-f", "json", "-o", str(out)).exit_code == 0
    ok(cli, "clients", "edit", "Acme", "--markup", "0")  # the file's amounts win
    other = str(tmp_path / "other.db")

    result = cli("--db", other, "import", str(out), "--create-missing", "--json")

    assert result.exit_code == 0, result.stderr
    rebills = {e["description"]: e["rebill_amount"] for e in ok(cli, "--db", other, "list")}
    assert rebills == {"Train": "50.74", "Hotel": "112.56", "Lunch": None, "Taxi": None,
                       "Flight": "300.00"}  # fmt: skip
    assert ok(cli, "--db", other, "invoices")[0]["rebill_total"] == "163.30"


def test_import_of_an_invoiced_row_without_rebill_bills_it_now(cli: Cli, tmp_path: Path) -> None:
    ok(cli, "clients", "add", "Acme", "--markup", "10")
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "date,description,amount,category,client,billable,billing_status,invoice_ref,"
        "rebill_amount\n"
        "2026-01-02,Kept,10.00,Travel,Acme,true,invoiced,INV-1,12.34\n"
        "2026-01-03,Billed now,10.00,Travel,Acme,true,invoiced,INV-1,\n"
        "2026-01-04,Not invoiced,10.00,Travel,Acme,true,not_invoiced,,99.00\n"
    )

    result = cli("import", str(rows), "--json")

    assert result.exit_code == 0, result.stderr
    rebills = {e["description"]: e["rebill_amount"] for e in ok(cli, "list")}
    assert rebills == {"Kept": "12.34", "Billed now": "11.00", "Not invoiced": None}


def test_import_refuses_a_bad_rebill_amount(cli: Cli, tmp_path: Path) -> None:
    ok(cli, "clients", "add", "Acme")
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "date,description,amount,category,client,billable,billing_status,rebill_amount\n"
        "2026-01-02,Bad,10.00,Travel,Acme,true,invoiced,1.234\n"
    )

    result = cli("import", str(rows), "--json")

    assert result.exit_code == 4
    assert "line 2.rebill_amount" in result.error["fields"]
    assert ok(cli, "list") == []


# migration -------------------------------------------------------------------------------------
_STEP = schema.STEPS.index(schema._m_invoicing)


def _frozen_book(path: Path) -> None:
    """A book as the release before invoicing left it: the steps before ours only, with
    one invoiced and one open expense of a client."""
    with frozen_book(path, _STEP) as conn:
        conn.execute(
            "INSERT INTO clients (name, name_key, currency) VALUES ('Acme', 'acme', 'USD')"
        )
        for uid, status, ref in (("u-1", "invoiced", "INV-1"), ("u-2", "not_invoiced", None)):
            old_expense(conn, uid=uid, description="Hosting", amount_minor=2000, client_id=1,
                        billable=1, billing_status=status, invoice_ref=ref,
                        updated_at="2025-03-05T10:00:00.000000Z")  # fmt: skip


def _columns(path: Path, table: str, names: list[str]) -> list[tuple[Any, ...]]:
    return query(path, f"SELECT {', '.join(names)} FROM {table} ORDER BY id")


def test_a_book_of_the_previous_version_upgrades_with_its_rows_intact(
    cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "old.db"
    _frozen_book(path)
    with closing(sqlite3.connect(path)) as conn:
        old_columns = [row[1] for row in conn.execute("PRAGMA table_info(expenses)")]
    before = _columns(path, "expenses", old_columns)

    store = Store.open(path)
    try:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST
    finally:
        store.close()

    assert _columns(path, "expenses", old_columns) == before
    assert ok(cli, "--db", str(path), "clients")[0]["markup"] == "0"
    shown = {e["uid"]: e for e in ok(cli, "--db", str(path), "list")}
    assert shown["u-1"]["rebill_amount"] == "20.00"
    assert shown["u-2"]["rebill_amount"] is None
    invoices = ok(cli, "--db", str(path), "invoices")
    assert [(i["ref"], i["invoiced_at"]) for i in invoices] == [
        ("INV-1", "2025-03-05T10:00:00.000000Z")
    ]
    statement = ok(cli, "--db", str(path), "invoices", "show", "INV-1")
    assert (statement["total"], statement["rebill_total"]) == ("20.00", "20.00")


def test_statement_csv_ends_with_the_totals(cli: Cli, acme: dict[str, int]) -> None:
    ok(cli, "invoice", "--client", "Acme", "--ref", "INV-1")
    statement = ok(cli, "invoices", "show", "INV-1")

    result = cli("invoices", "show", "INV-1", "-f", "csv")

    assert result.exit_code == 0, result.stderr
    last = result.stdout.splitlines()[-1].split(",")
    assert last[2] == "Total"
    assert (last[4], last[5]) == (statement["total"], statement["rebill_total"])
