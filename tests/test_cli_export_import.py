"""`export` and `import` end to end (reference §3 export/import, §4 CSV neutralisation): the
formats, atomic `-o`, filters, exact round trips into a fresh book, all-or-nothing import
with line-numbered errors, and journals that ledger, hledger and bean-check accept."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import shutil
import sqlite3
import sys
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from expense_cli.cli.app import app
from tests.conftest import Cli, Result, ok, run_tool, tool

ROUND_TRIP_FIELDS = (
    "uid", "description", "date", "time", "amount", "currency", "units", "unit_price",
    "category", "custom_category", "client", "project", "billable", "billing_status",
    "invoice_ref", "rebill_amount", "approval_status", "reimbursement_status", "notes", "tags",
    "created_at",
)  # fmt: skip


def _add(cli: Cli, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = ok(cli, "add", *args)
    return data


def _all(cli: Cli, *args: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = ok(cli, *args, "list", "--all")
    return data


def _comparable(expense: dict[str, Any]) -> dict[str, Any]:
    """What a round trip must keep: every field but the ids and `updated_at`, with the
    category, client and project by name (ids are assigned anew in another book)."""
    out = {key: expense[key] for key in ROUND_TRIP_FIELDS}
    for key in ("category", "client", "project"):
        out[key] = expense[key]["name"] if expense[key] else None
    return out


def _by_uid(expenses: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["uid"]: _comparable(e) for e in expenses}


def _import(cli: Cli, *args: str, db: str | None = None) -> Result:
    return cli(*(["--db", db] if db else []), "import", *args)


def _write(path: Path, content: str) -> Path:
    path.write_text(content, encoding="utf-8")
    return path


def _catalog(cli: Cli, *db: str) -> None:
    """Mileage (unit-based), clients Tokyo KK (JPY) and Acme (USD), project Relaunch."""
    ok(cli, *db, "categories", "add", "Mileage", "--unit", "km", "--unit-price", "0.58")
    ok(cli, *db, "clients", "add", "Tokyo KK", "--currency", "JPY")
    ok(cli, *db, "clients", "add", "Acme")
    ok(cli, *db, "projects", "add", "Relaunch", "--client", "Acme")


def _fill_rich(cli: Cli) -> list[dict[str, Any]]:
    """A unit-based expense, an Other with a label, a JPY client's, an invoiced one, tags,
    notes with a newline, a description starting with `=`; returns them as listed."""
    _catalog(cli)
    _add(cli, "Drive to client", "--units", "120.5", "-c", "Mileage", "-d", "2025-01-10",
         "--time", "08:30", "-t", "road", "-t", "Client visit")  # fmt: skip
    _add(cli, "Gift basket", "25.00", "-c", "Other", "--label", "Client gifts",
         "-d", "2025-02-01", "-n", "line one\nline two")  # fmt: skip
    _add(cli, "Hotel Tokyo", "15000", "-c", "Travel", "--client", "Tokyo KK",
         "-d", "2025-03-01", "--approval", "pending", "--reimbursement", "pending")  # fmt: skip
    hosting = _add(cli, "Hosting", "42.50", "-c", "Software", "-p", "Relaunch", "--billable",
                   "-d", "2025-03-05", "-t", "infra")  # fmt: skip
    ok(cli, "invoice", str(hosting["id"]), "--ref", "INV-7")
    _add(cli, "=SUM(A1:A9)", "1.00", "-c", "Meals", "-d", "2025-04-01", "-n", "+notes",
         "--approval", "rejected", "--reimbursement", "rejected")  # fmt: skip
    _add(cli, "Plain coffee", "3.20", "-c", "Meals", "-d", "2025-04-02", "--billable")
    return _all(cli)


Template = tuple[Path, list[dict[str, Any]]]


def _template(folder: Path, fill: Callable[[Cli], list[dict[str, Any]]]) -> Template:
    """Fill a book once per module through the CLI (`--db`, never `$EXPENSE_DB`)."""
    path = folder / "template.db"
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return Result(runner.invoke(app, ["--db", str(path), *args], input=input))

    return path, fill(run)


def _restore(template: Template, book: Path) -> list[dict[str, Any]]:
    """A copy of the template book as this test's book; its expenses as listed."""
    source, expenses = template
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{book}{suffix}")
    return copy.deepcopy(expenses)


@pytest.fixture(scope="module")
def rich_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return _template(tmp_path_factory.mktemp("rich"), _fill_rich)


@pytest.fixture(scope="module")
def awkward_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return _template(tmp_path_factory.mktemp("awkward"), _fill_awkward)


@pytest.fixture
def rich_book(rich_template: Template, book: Path) -> list[dict[str, Any]]:
    return _restore(rich_template, book)


@pytest.fixture
def awkward(awkward_template: Template, book: Path) -> list[dict[str, Any]]:
    return _restore(awkward_template, book)


# export formats -----------------------------------------------------------------------
def test_export_defaults_to_csv_with_flat_columns(
    cli: Cli, rich_book: list[dict[str, Any]]
) -> None:
    result = cli("export")

    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(rich_book)
    drive = next(r for r in rows if r["description"] == "Drive to client")
    assert drive["category"] == "Mileage"
    assert drive["tags"] == "Client visit;road"
    assert (drive["amount"], drive["units"], drive["unit_price"]) == ("69.89", "120.5", "0.58")
    hosting = next(r for r in rows if r["description"] == "Hosting")
    assert (hosting["client"], hosting["project"]) == ("Acme", "Relaunch")
    assert (hosting["billing_status"], hosting["invoice_ref"]) == ("invoiced", "INV-7")
    hotel = next(r for r in rows if r["description"] == "Hotel Tokyo")
    assert (hotel["amount"], hotel["currency"]) == ("15000", "JPY")


def test_export_json_is_the_list_all_envelope(cli: Cli, rich_book: list[dict[str, Any]]) -> None:
    result = cli("export", "-f", "json")

    assert result.exit_code == 0, result.stderr
    assert set(result.json) == {"data", "pagination"}
    assert result.json["pagination"] == {"limit": None, "next_cursor": None}
    listed = cli("list", "--all", "--json").json
    assert sorted(result.data, key=lambda e: e["id"]) == sorted(
        listed["data"], key=lambda e: e["id"]
    )


def test_export_ndjson_is_one_expense_per_line(cli: Cli, rich_book: list[dict[str, Any]]) -> None:
    result = cli("export", "-f", "ndjson")

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(rich_book)
    objects = [json.loads(line) for line in lines]
    assert {o["id"]: o for o in objects} == {e["id"]: e for e in rich_book}


def test_export_of_an_empty_book(cli: Cli) -> None:
    assert cli("export", "-f", "ndjson").stdout == ""
    assert cli("export", "-f", "json").json == {
        "data": [],
        "pagination": {"limit": None, "next_cursor": None},
    }
    header = cli("export").stdout.splitlines()
    assert len(header) == 1 and "description" in header[0].split(",")


def test_export_filters_apply(cli: Cli, rich_book: list[dict[str, Any]]) -> None:
    def uids(*args: str) -> set[str]:
        result = cli("export", "-f", "ndjson", *args)
        assert result.exit_code == 0, result.stderr
        return {json.loads(line)["uid"] for line in result.stdout.splitlines()}

    by_name = {e["description"]: e["uid"] for e in rich_book}
    assert uids("--from", "2025-03-01", "--to", "2025-03-05") == {
        by_name["Hotel Tokyo"],
        by_name["Hosting"],
    }
    assert uids("-c", "meals") == {by_name["=SUM(A1:A9)"], by_name["Plain coffee"]}
    assert uids("--client", "Tokyo KK") == {by_name["Hotel Tokyo"]}
    assert uids("-t", "road", "-t", "infra") == {by_name["Drive to client"], by_name["Hosting"]}
    assert uids("--status", "invoiced") == {by_name["Hosting"]}
    assert uids("--currency", "JPY") == {by_name["Hotel Tokyo"]}


def test_export_leaves_deleted_expenses_out_unless_asked(
    cli: Cli, rich_book: list[dict[str, Any]]
) -> None:
    coffee = next(e for e in rich_book if e["description"] == "Plain coffee")
    assert cli("delete", str(coffee["id"])).exit_code == 0

    live = cli("export", "-f", "ndjson").stdout.splitlines()
    deleted = cli("export", "-f", "ndjson", "--deleted").stdout.splitlines()

    assert coffee["uid"] not in {json.loads(line)["uid"] for line in live}
    assert len(live) == len(rich_book) - 1
    assert [json.loads(line)["uid"] for line in deleted] == [coffee["uid"]]


@pytest.mark.parametrize("args", [["-f", "xml"], ["-c", "Nope"], ["--from", "soon"]])
def test_export_usage_errors(cli: Cli, args: list[str]) -> None:
    result = cli("export", *args)

    assert result.exit_code == 2
    assert result.stdout == ""


# export -o ----------------------------------------------------------------------------
def _leftovers(folder: Path, keep: set[str]) -> set[str]:
    """Files in `folder` other than `keep` and the book's own files."""
    return {p.name for p in folder.iterdir() if p.name not in keep and "book.db" not in p.name}


def test_export_to_a_file_writes_it_and_nothing_else(
    cli: Cli, rich_book: list[dict[str, Any]], tmp_path: Path
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "expenses.csv"

    result = cli("export", "-o", str(target))

    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8") == cli("export").stdout
    assert _leftovers(out_dir, {"expenses.csv"}) == set()


def test_export_replaces_an_existing_file(
    cli: Cli, rich_book: list[dict[str, Any]], tmp_path: Path
) -> None:
    target = _write(tmp_path / "expenses.ndjson", "old content\n")

    result = cli("export", "-f", "ndjson", "-o", str(target))

    assert result.exit_code == 0, result.stderr
    lines = target.read_text(encoding="utf-8").splitlines()
    assert {json.loads(line)["uid"] for line in lines} == {e["uid"] for e in rich_book}


def test_export_usage_error_leaves_the_destination_untouched(
    cli: Cli, rich_book: list[dict[str, Any]], tmp_path: Path
) -> None:
    target = _write(tmp_path / "keep.csv", "precious\n")

    result = cli("export", "-o", str(target), "-c", "Nope")

    assert result.exit_code == 2
    assert target.read_text(encoding="utf-8") == "precious\n"
    assert _leftovers(tmp_path, {"keep.csv"}) == set()


def test_export_failing_mid_stream_leaves_the_destination_untouched(
    cli: Cli, rich_book: list[dict[str, Any]], book: Path, tmp_path: Path
) -> None:
    # A row no program could have written, sorted last by date: the export fails after
    # writing the other rows to its temporary file.
    with sqlite3.connect(book) as conn:
        conn.execute("UPDATE expenses SET date = 'zzzz' WHERE id = ?", [rich_book[0]["id"]])
    conn.close()
    target = _write(tmp_path / "keep.json", "precious\n")

    result = cli("export", "-f", "json", "-o", str(target))

    assert result.exit_code != 0
    assert "Traceback" not in result.stderr
    assert target.read_text(encoding="utf-8") == "precious\n"
    assert _leftovers(tmp_path, {"keep.json"}) == set()


# CSV formula neutralisation -----------------------------------------------------------
@pytest.fixture
def formulas(cli: Cli) -> dict[str, Any]:
    ok(cli, "clients", "add", "=Evil Corp")
    ok(cli, "categories", "add", "+Plus")
    expense = _add(cli, "minus", "3.00", "-c", "+Plus", "--client", "=Evil Corp", "-n",
                   "+1 555 0100\tcall", "-t", "=tag", "--billable", "-d", "2025-05-05")  # fmt: skip
    ok(cli, "edit", str(expense["id"]), "--description=-minus")
    ok(cli, "invoice", str(expense["id"]), "--ref=@INV-1")
    _add(cli, "@home office", "4.00", "-c", "Other", "--label", "=label", "-n", "a=b",
         "-d", "2025-05-06")  # fmt: skip
    return expense


@pytest.mark.usefixtures("formulas")
def test_csv_export_neutralises_formula_cells(cli: Cli) -> None:
    result = cli("export")

    assert result.exit_code == 0, result.stderr
    rows = {r["uid"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    first, second = sorted(rows.values(), key=lambda r: r["date"])
    assert first["description"] == "'-minus"
    assert first["category"] == "'+Plus"
    assert first["client"] == "'=Evil Corp"
    assert first["notes"] == "'+1 555 0100\tcall"
    assert first["tags"] == "'=tag"
    assert first["invoice_ref"] == "'@INV-1"
    assert first["amount"] == "3.00"
    assert second["description"] == "'@home office"
    assert second["custom_category"] == "'=label"
    assert second["notes"] == "a=b"
    assert second["amount"] == "4.00"


@pytest.mark.usefixtures("formulas")
def test_csv_import_reverses_the_neutralisation_exactly(cli: Cli, tmp_path: Path) -> None:
    source = _all(cli)
    exported = tmp_path / "formulas.csv"
    assert cli("export", "-o", str(exported)).exit_code == 0
    fresh = str(tmp_path / "fresh.db")

    result = _import(cli, str(exported), "--create-missing", "--json", db=fresh)

    assert result.exit_code == 0, result.stderr
    assert result.data["imported"] == 2
    assert _by_uid(_all(cli, "--db", fresh)) == _by_uid(source)


def test_csv_round_trip_keeps_text_that_already_starts_with_a_quote(
    cli: Cli, tmp_path: Path
) -> None:
    # Reference §4: import removes the one `'` that export added, "so round trips are exact":
    # a value that itself starts with `'=` must come back with its quote.
    _add(cli, "'=1+1", "1.00", "-c", "Travel", "-n", "'+quoted", "-d", "2025-01-01")
    _add(cli, "'plain", "2.00", "-c", "Travel", "-d", "2025-01-02")
    source = _all(cli)
    exported = tmp_path / "quotes.csv"
    assert cli("export", "-o", str(exported)).exit_code == 0
    fresh = str(tmp_path / "fresh.db")

    result = _import(cli, str(exported), db=fresh)

    assert result.exit_code == 0, result.stderr
    assert _by_uid(_all(cli, "--db", fresh)) == _by_uid(source)


# round trips --------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson"])
def test_round_trip_into_a_fresh_book_reproduces_every_expense_once(
    cli: Cli, rich_book: list[dict[str, Any]], tmp_path: Path, fmt: str
) -> None:
    exported = tmp_path / f"expenses.{fmt}"
    assert cli("export", "-f", fmt, "-o", str(exported)).exit_code == 0
    fresh = str(tmp_path / "fresh.db")
    _catalog(cli, "--db", fresh)
    before = ok(cli, "--db", fresh, "add", "Already here", "9.99", "-c", "Travel")

    result = _import(cli, str(exported), "--json", db=fresh)

    assert result.exit_code == 0, result.stderr
    assert result.data["imported"] == len(rich_book)
    assert result.data["skipped"] == 0
    imported = _all(cli, "--db", fresh)
    assert len(imported) == len(rich_book) + 1
    assert _by_uid([e for e in imported if e["uid"] != before["uid"]]) == _by_uid(rich_book)
    assert ok(cli, "--db", fresh, "show", str(before["id"])) == before
    assert len({e["id"] for e in imported}) == len(imported)

    again = _import(cli, str(exported), "--json", db=fresh)
    human = _import(cli, str(exported), db=fresh)
    assert again.exit_code == 0, again.stderr
    assert (again.data["imported"], again.data["skipped"]) == (0, len(rich_book))
    assert human.exit_code == 0, human.stderr
    assert f"skipped {len(rich_book)}" in human.stdout
    assert _all(cli, "--db", fresh) == imported


def test_create_missing_rebuilds_the_catalogue_in_an_empty_book(
    cli: Cli, rich_book: list[dict[str, Any]], tmp_path: Path
) -> None:
    exported = tmp_path / "expenses.json"
    assert cli("export", "-f", "json", "-o", str(exported)).exit_code == 0
    fresh = str(tmp_path / "fresh.db")

    plain = _import(cli, str(exported), "--json", db=fresh)
    created = _import(cli, str(exported), "--create-missing", "--json", db=fresh)

    assert plain.exit_code == 4
    fields = plain.error["fields"]
    assert any(k.endswith(".category") and "Mileage" in v for k, v in fields.items())
    assert any(k.endswith(".client") and "Tokyo KK" in v for k, v in fields.items())
    assert any(k.endswith(".project") and "Relaunch" in v for k, v in fields.items())
    assert created.exit_code == 0, created.stderr
    assert _by_uid(_all(cli, "--db", fresh)) == _by_uid(rich_book)
    clients = {c["name"]: c["currency"] for c in ok(cli, "--db", fresh, "clients")}
    assert clients == {"Tokyo KK": "JPY", "Acme": "USD"}


def test_ndjson_is_read_whatever_the_file_is_called(
    cli: Cli, rich_book: list[dict[str, Any]], tmp_path: Path
) -> None:
    exported = tmp_path / "dump.txt"
    assert cli("export", "-f", "ndjson", "-o", str(exported)).exit_code == 0
    fresh = str(tmp_path / "fresh.db")
    _catalog(cli, "--db", fresh)

    result = _import(cli, str(exported), "-f", "ndjson", "--json", db=fresh)

    assert result.exit_code == 0, result.stderr
    assert _by_uid(_all(cli, "--db", fresh)) == _by_uid(rich_book)


# import -------------------------------------------------------------------------------
MINIMAL = (
    "date,description,amount,category\n2025-01-01,Taxi,12.50,Travel\n2025-01-03,Lunch,9,meals\n"
)


def test_minimal_csv_imports_with_names_resolved_and_the_book_currency(
    cli: Cli, tmp_path: Path
) -> None:
    result = _import(cli, str(_write(tmp_path / "min.csv", MINIMAL)), "--json")

    assert result.exit_code == 0, result.stderr
    assert (result.data["imported"], result.data["skipped"]) == (2, 0)
    got = {e["description"]: e for e in _all(cli)}
    assert (got["Taxi"]["amount"], got["Taxi"]["currency"]) == ("12.50", "USD")
    assert got["Taxi"]["category"]["name"] == "Travel"
    assert (got["Lunch"]["amount"], got["Lunch"]["category"]["name"]) == ("9.00", "Meals")
    assert got["Lunch"]["date"] == "2025-01-03"
    assert got["Taxi"]["uid"] != got["Lunch"]["uid"]


def test_import_reads_stdin(cli: Cli) -> None:
    result = cli("import", "-", "-f", "csv", "--json", input=MINIMAL)

    assert result.exit_code == 0, result.stderr
    assert {e["description"] for e in _all(cli)} == {"Taxi", "Lunch"}


def test_one_bad_row_imports_nothing_and_names_its_line(cli: Cli, tmp_path: Path) -> None:
    bad = _write(
        tmp_path / "bad.csv",
        "date,description,amount,category\n2025-01-01,Taxi,12.50,Travel\n"
        "2025-01-02,Bad,-12.50,Travel\n2025-01-03,Lunch,9,Meals\n",
    )

    human = _import(cli, str(bad))
    as_json = _import(cli, str(bad), "--json")

    assert human.exit_code == 4
    assert human.stdout == ""
    assert human.stderr.startswith("Error:")
    assert re.search(r"^\s*line 3: amount: .+", human.stderr, re.MULTILINE), human.stderr
    assert as_json.exit_code == 4
    assert as_json.error["code"] == "validation_failed"
    assert set(as_json.error["fields"]) == {"line 3.amount"}
    assert _all(cli) == []


def test_every_bad_row_is_reported(cli: Cli, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "bad.csv",
        "date,description,amount,category,time\n2025-13-01,Taxi,12.50,Travel,\n"
        "2025-01-02,Fine,1.00,Travel,\n2025-01-03,Lunch,4.500,Meals,25:00\n",
    )

    result = _import(cli, str(path), "--json")

    assert result.exit_code == 4
    assert set(result.error["fields"]) == {"line 2.date", "line 4.amount", "line 4.time"}
    assert _all(cli) == []


def test_line_numbers_count_physical_lines_of_a_multiline_cell(cli: Cli, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "notes.csv",
        'date,description,amount,category,notes\n2025-01-01,Taxi,1.00,Travel,"one\ntwo\nthree"\n'
        "2025-01-02,Bad,x,Travel,\n",
    )

    result = _import(cli, str(path), "--json")

    assert result.exit_code == 4
    assert set(result.error["fields"]) == {"line 5.amount"}


def test_json_and_ndjson_errors_name_the_line_of_the_bad_object(
    cli: Cli, rich_book: list[dict[str, Any]], tmp_path: Path
) -> None:
    envelope = cli("export", "-f", "json").stdout
    ndjson = cli("export", "-f", "ndjson").stdout
    fresh = str(tmp_path / "fresh.db")
    _catalog(cli, "--db", fresh)

    # the second expense is on line 3 of the JSON envelope, line 2 of the NDJSON
    second = sorted(rich_book, key=lambda e: (e["date"], e["id"]))[1]["uid"]
    bad_json = _write(tmp_path / "bad.json", envelope.replace('"25.00"', '"25,00"'))
    bad_ndjson = _write(tmp_path / "bad.ndjson", ndjson.replace('"25.00"', '"-25"'))

    from_json = _import(cli, str(bad_json), "--json", db=fresh)
    from_ndjson = _import(cli, str(bad_ndjson), "--json", db=fresh)

    assert json.loads(envelope.splitlines()[2].rstrip(","))["uid"] == second
    assert from_json.exit_code == 4
    assert set(from_json.error["fields"]) == {"line 3.amount"}
    assert from_ndjson.exit_code == 4
    assert set(from_ndjson.error["fields"]) == {"line 2.amount"}
    assert _all(cli, "--db", fresh) == []


@pytest.mark.parametrize(
    ("row", "field"),
    [("2025-01-01,Gift,5.00,Other,", "custom_category"),
     ("2025-01-01,Taxi,5.00,Travel,label", "custom_category"),
     ("2025-01-01,   ,5.00,Travel,", "description"),
     ("2025-01-01,Taxi,1e3,Travel,", "amount"),
     ("March,Taxi,5.00,Travel,", "date")],
)  # fmt: skip
def test_import_applies_the_rules_of_add(cli: Cli, tmp_path: Path, row: str, field: str) -> None:
    path = _write(tmp_path / "r.csv", f"date,description,amount,category,custom_category\n{row}\n")

    result = _import(cli, str(path), "--json")

    assert result.exit_code == 4
    assert f"line 2.{field}" in result.error["fields"]
    assert _all(cli) == []


def test_unknown_references_are_errors_naming_them(cli: Cli, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "refs.csv",
        "date,description,amount,category,client,project\n"
        "2025-01-01,Taxi,5.00,Travel,,\n2025-01-02,Thing,5.00,Gadgets,Ghost Ltd,Phantom\n",
    )

    human = _import(cli, str(path))
    as_json = _import(cli, str(path), "--json")

    assert human.exit_code == 4
    for name in ("Gadgets", "Ghost Ltd", "Phantom"):
        assert name in human.stderr
    fields = as_json.error["fields"]
    assert set(fields) == {"line 3.category", "line 3.client", "line 3.project"}
    assert "Gadgets" in fields["line 3.category"]
    assert "Ghost Ltd" in fields["line 3.client"]
    assert "Phantom" in fields["line 3.project"]
    assert _all(cli) == []
    assert "Gadgets" not in {c["name"] for c in ok(cli, "categories")}
    assert ok(cli, "clients") == []


def test_create_missing_creates_the_unknown_references(cli: Cli, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "refs.csv",
        "date,description,amount,category,client,project\n"
        "2025-01-02,Thing,5.00,Gadgets,Ghost Ltd,Phantom\n",
    )

    result = _import(cli, str(path), "--create-missing", "--json")

    assert result.exit_code == 0, result.stderr
    (expense,) = _all(cli)
    assert expense["category"]["name"] == "Gadgets"
    assert expense["client"]["name"] == "Ghost Ltd"
    assert expense["project"]["name"] == "Phantom"
    projects = ok(cli, "projects")
    assert [(p["name"], p["client"]["name"]) for p in projects] == [("Phantom", "Ghost Ltd")]


def test_dry_run_validates_and_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "dry.csv",
        "date,description,amount,category,client\n2025-01-01,Taxi,5.00,Travel,\n"
        "2025-01-02,Thing,5.00,Gadgets,Ghost Ltd\n",
    )

    as_json = _import(cli, str(path), "--dry-run", "--create-missing", "--json")
    human = _import(cli, str(path), "--dry-run", "--create-missing")
    bad = _import(cli, str(path), "--dry-run", "--json")

    assert as_json.exit_code == 0, as_json.stderr
    assert (as_json.data["imported"], as_json.data["dry_run"]) == (2, True)
    assert human.exit_code == 0, human.stderr
    assert "2" in human.stdout
    assert bad.exit_code == 4
    assert "line 3.category" in bad.error["fields"]
    assert _all(cli) == []
    assert ok(cli, "clients") == []
    assert "Gadgets" not in {c["name"] for c in ok(cli, "categories")}


def test_a_currency_column_must_equal_the_currency_the_row_gets(cli: Cli, tmp_path: Path) -> None:
    ok(cli, "clients", "add", "Tokyo KK", "--currency", "JPY")
    header = "date,description,amount,category,client,currency\n"
    good = _write(
        tmp_path / "good.csv",
        header + "2025-01-01,Taxi,5.00,Travel,,USD\n2025-01-02,Hotel,9000,Travel,Tokyo KK,JPY\n",
    )
    bad = _write(
        tmp_path / "bad.csv",
        header + "2025-01-01,Taxi,5.00,Travel,,EUR\n2025-01-02,Hotel,9000,Travel,Tokyo KK,USD\n",
    )

    rejected = _import(cli, str(bad), "--json")

    assert rejected.exit_code == 4
    assert set(rejected.error["fields"]) == {"line 2.currency", "line 3.currency"}
    assert _all(cli) == []
    accepted = _import(cli, str(good), "--json")
    assert accepted.exit_code == 0, accepted.stderr
    assert sorted((e["amount"], e["currency"]) for e in _all(cli)) == [
        ("5.00", "USD"),
        ("9000", "JPY"),
    ]


def test_a_unit_based_row_amount_must_equal_units_times_unit_price(
    cli: Cli, tmp_path: Path
) -> None:
    ok(cli, "categories", "add", "Mileage", "--unit", "km", "--unit-price", "0.60")
    header = "date,description,amount,units,unit_price,category\n"
    bad = _write(tmp_path / "bad.csv", header + "2025-01-01,Drive,6.00,10,0.58,Mileage\n")
    good = _write(
        tmp_path / "good.csv",
        header + "2025-01-01,Drive,5.80,10,0.58,Mileage\n2025-01-02,Back,,2.5,0.58,Mileage\n",
    )

    rejected = _import(cli, str(bad), "--json")

    assert rejected.exit_code == 4
    assert set(rejected.error["fields"]) == {"line 2.amount"}
    assert _all(cli) == []
    accepted = _import(cli, str(good), "--json")
    assert accepted.exit_code == 0, accepted.stderr
    got = {e["description"]: (e["amount"], e["units"], e["unit_price"]) for e in _all(cli)}
    assert got == {"Drive": ("5.80", "10", "0.58"), "Back": ("1.45", "2.5", "0.58")}


def test_import_of_a_missing_file_fails_cleanly(cli: Cli, tmp_path: Path) -> None:
    result = _import(cli, str(tmp_path / "nope.csv"))

    assert result.exit_code != 0
    assert "Traceback" not in result.stderr
    assert _all(cli) == []


# ledger, hledger, beancount -----------------------------------------------------------
def _fill_awkward(cli: Cli) -> list[dict[str, Any]]:
    """Names with spaces, colons and non-ASCII; tags with spaces; four currencies."""
    ok(cli, "categories", "add", "Home office")
    ok(cli, "categories", "add", "Office: Supplies")
    ok(cli, "categories", "add", "Café Équipement")
    ok(cli, "categories", "add", "mileage log", "--unit", "km", "--unit-price", "0.58")
    ok(cli, "clients", "add", "Tokyo KK", "--currency", "JPY")
    ok(cli, "clients", "add", "Manama Trading", "--currency", "BHD")
    ok(cli, "clients", "add", "Zürich AG", "--currency", "EUR")
    _add(cli, 'Lunch "big"; with | pipes', "12.34", "-c", "Office: Supplies",
         "-t", "client visit", "-t", "Été", "-d", "2025-01-02")  # fmt: skip
    _add(cli, "Caffè ☕ \\ back", "1.234", "-c", "Café Équipement", "--client",
         "Manama Trading", "-d", "2025-02-02")  # fmt: skip
    _add(cli, "Hotel", "15000", "-c", "Home office", "--client", "Tokyo KK", "-d", "2025-02-03",
         "-t", "long   stay")  # fmt: skip
    _add(cli, "Desk", "199.99", "-c", "Home office", "--client", "Zürich AG", "-d", "2025-02-04")
    _add(cli, "Drive", "--units", "10", "-c", "mileage log", "-d", "2025-02-05")
    _add(cli, "Gift", "5.00", "-c", "Other", "--label", "Ünïcode: label", "-d", "2025-02-06")
    return _all(cli)


def _expected_totals(expenses: list[dict[str, Any]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for e in expenses:
        totals[e["currency"]] += Decimal(e["amount"])
    return dict(totals)


_AMOUNT = re.compile(r"^\s*(-?[\d,]*\.?\d+) ([A-Z]{3})(?:  +(\S.*))?$")


def _ledger_flat_balances(output: str) -> dict[str, dict[str, Decimal]]:
    """`ledger bal --flat --no-total`: amounts of a multi-commodity account precede the line
    that names it."""
    balances: dict[str, dict[str, Decimal]] = {}
    pending: list[tuple[str, Decimal]] = []
    for line in output.splitlines():
        match = _AMOUNT.match(line)
        assert match, f"unexpected line {line!r}"
        pending.append((match[2], Decimal(match[1].replace(",", ""))))
        if match[3]:
            balances[match[3].strip()] = dict(pending)
            pending = []
    assert pending == []
    return balances


def _hledger_flat_balances(output: str) -> dict[str, dict[str, Decimal]]:
    rows = list(csv.reader(io.StringIO(output)))
    assert rows[0] == ["account", "balance"]
    assert rows[-1] == ["total", "0"]
    balances = {}
    for account, balance in rows[1:-1]:
        amounts = {}
        for part in balance.split(", "):
            number, commodity = part.split(" ")
            amounts[commodity] = Decimal(number.replace(",", ""))
        balances[account] = amounts
    return balances


def _check_balances(
    balances: dict[str, dict[str, Decimal]], expenses: list[dict[str, Any]], credit: str
) -> None:
    expected = _expected_totals(expenses)
    per_commodity: dict[str, Decimal] = defaultdict(Decimal)
    spent: dict[str, Decimal] = defaultdict(Decimal)
    for account, amounts in balances.items():
        for commodity, value in amounts.items():
            per_commodity[commodity] += value
            if account.startswith("Expenses:"):
                spent[commodity] += value
    assert set(per_commodity) == set(expected)
    assert all(value == 0 for value in per_commodity.values()), per_commodity
    assert dict(spent) == expected
    assert balances[credit] == {c: -v for c, v in expected.items()}
    assert set(balances) - {credit} == {a for a in balances if a.startswith("Expenses:")}
    assert len(balances) - 1 == len({e["category"]["name"] for e in expenses})


def test_ledger_export_loads_in_ledger_and_balances(
    cli: Cli, awkward: list[dict[str, Any]], tmp_path: Path
) -> None:
    ledger = tool("ledger")
    for account in ("Assets:Cash", "Assets:Bank-Account"):
        journal = tmp_path / "book.ledger"
        args = [] if account == "Assets:Cash" else ["--account", account]
        assert cli("export", "-f", "ledger", "-o", str(journal), *args).exit_code == 0

        total = run_tool(ledger, "-f", str(journal), "bal")
        flat = run_tool(ledger, "-f", str(journal), "bal", "--flat", "--no-total")

        assert total.returncode == 0, total.stderr
        assert total.stderr == ""
        assert total.stdout.rstrip().splitlines()[-1].strip() == "0"
        assert flat.returncode == 0, flat.stderr
        balances = _ledger_flat_balances(flat.stdout)
        _check_balances(balances, awkward, account)
        home = {"JPY": Decimal(15000), "EUR": Decimal("199.99")}
        assert balances["Expenses:Home-office"] == home
        assert balances["Expenses:Café-Équipement"] == {"BHD": Decimal("1.234")}


def test_ledger_export_carries_tags_and_uids(
    cli: Cli, awkward: list[dict[str, Any]], tmp_path: Path
) -> None:
    ledger = tool("ledger")
    journal = tmp_path / "book.ledger"
    assert cli("export", "-f", "ledger", "-o", str(journal)).exit_code == 0
    lunch = next(e for e in awkward if e["description"].startswith("Lunch"))

    by_uid = run_tool(
        ledger, "-f", str(journal), "bal", "--flat", "--no-total", f"%uid={lunch['uid']}"
    )
    by_tag = run_tool(ledger, "-f", str(journal), "bal", "--flat", "--no-total", "%Été")

    assert by_uid.returncode == 0, by_uid.stderr
    assert _ledger_flat_balances(by_uid.stdout)["Assets:Cash"] == {"USD": Decimal("-12.34")}
    assert by_tag.returncode == 0, by_tag.stderr
    assert _ledger_flat_balances(by_tag.stdout)["Assets:Cash"] == {"USD": Decimal("-12.34")}


def test_ledger_export_loads_in_hledger_and_balances(
    cli: Cli, awkward: list[dict[str, Any]], tmp_path: Path
) -> None:
    hledger = tool("hledger")
    journal = tmp_path / "book.journal"
    assert cli("export", "-f", "ledger", "-o", str(journal)).exit_code == 0

    total = run_tool(hledger, "-f", str(journal), "bal")
    flat = run_tool(hledger, "-f", str(journal), "bal", "--flat", "-O", "csv")
    uids = run_tool(hledger, "-f", str(journal), "tags", "--values", "uid")

    assert total.returncode == 0, total.stderr
    assert total.stdout.rstrip().splitlines()[-1].strip() == "0"
    assert flat.returncode == 0, flat.stderr
    _check_balances(_hledger_flat_balances(flat.stdout), awkward, "Assets:Cash")
    assert uids.returncode == 0, uids.stderr
    assert set(uids.stdout.split()) == {e["uid"] for e in awkward}


_BEANCOUNT_DUMP = """
import json, sys
from beancount import loader
entries, errors, _ = loader.load_file(sys.argv[1])
out = {"errors": [str(e.message) for e in errors], "opens": [], "transactions": []}
for entry in entries:
    kind = type(entry).__name__
    if kind == "Open":
        out["opens"].append(entry.account)
    elif kind == "Transaction":
        out["transactions"].append({
            "date": entry.date.isoformat(), "narration": entry.narration,
            "uid": entry.meta.get("uid"), "tags": sorted(entry.tags),
            "postings": [[p.account, str(p.units.number), p.units.currency]
                         for p in entry.postings]})
print(json.dumps(out))
"""


def _beancount_python(bean_check: str) -> str | None:
    """The interpreter that runs bean-check, if it can import beancount."""
    first = Path(bean_check).read_text(encoding="utf-8", errors="replace").partition("\n")[0]
    candidates = [first[2:].strip()] if first.startswith("#!") else []
    candidates.append(sys.executable)
    for python in candidates:
        if Path(python).is_file() and run_tool(python, "-c", "import beancount").returncode == 0:
            return python
    return None


def test_beancount_export_passes_bean_check(
    cli: Cli, awkward: list[dict[str, Any]], tmp_path: Path
) -> None:
    bean_check = tool("bean-check")
    for account in ("Assets:Cash", "Assets:Bank-Account", "Liabilities:Credit-Card"):
        journal = tmp_path / "book.beancount"
        args = [] if account == "Assets:Cash" else ["--account", account]
        assert cli("export", "-f", "beancount", "-o", str(journal), *args).exit_code == 0

        checked = run_tool(bean_check, str(journal))

        assert checked.returncode == 0, (account, checked.stdout + checked.stderr)
        assert checked.stdout == "" and checked.stderr == ""


def test_beancount_export_has_one_transaction_per_expense(
    cli: Cli, awkward: list[dict[str, Any]], tmp_path: Path
) -> None:
    python = _beancount_python(tool("bean-check"))
    if python is None:
        pytest.skip("beancount cannot be imported")
    journal = tmp_path / "book.beancount"
    assert cli("export", "-f", "beancount", "-o", str(journal)).exit_code == 0

    dumped = run_tool(python, "-c", _BEANCOUNT_DUMP, str(journal))

    assert dumped.returncode == 0, dumped.stderr
    loaded = json.loads(dumped.stdout)
    assert loaded["errors"] == []
    transactions = {t["uid"]: t for t in loaded["transactions"]}
    assert set(transactions) == {e["uid"] for e in awkward}
    used = set()
    for expense in awkward:
        t = transactions[expense["uid"]]
        assert (t["date"], t["narration"]) == (expense["date"], expense["description"])
        (debit, debit_number, debit_currency), (credit, credit_number, _) = t["postings"]
        assert debit.startswith("Expenses:") and credit == "Assets:Cash"
        assert (Decimal(debit_number), debit_currency) == (
            Decimal(expense["amount"]),
            expense["currency"],
        )
        assert Decimal(credit_number) == -Decimal(expense["amount"])
        assert len(t["tags"]) == len(expense["tags"])
        used |= {debit, credit}
    assert set(loaded["opens"]) == used
    home = next(e for e in awkward if e["description"] == "Hotel")
    assert transactions[home["uid"]]["postings"][0][0] == "Expenses:Home-office"
    assert transactions[home["uid"]]["tags"] == ["long-stay"]
    drive = next(e for e in awkward if e["description"] == "Drive")
    assert transactions[drive["uid"]]["postings"][0][0] == "Expenses:Mileage-log"
    lunch = next(e for e in awkward if e["description"].startswith("Lunch"))
    assert "client-visit" in transactions[lunch["uid"]]["tags"]


def test_beancount_accounts_keep_non_ascii_letters_and_stay_distinct(
    cli: Cli, tmp_path: Path
) -> None:
    # beancount v3 accepts Unicode letters in account names; reference §3 maps a category to
    # `Expenses:<Category>` (components capitalised, spaces as `-`), one account each.
    python = _beancount_python(tool("bean-check"))
    if python is None:
        pytest.skip("beancount cannot be imported")
    for name in ("Café Équipement", "Cafè Équipement", "été"):
        ok(cli, "categories", "add", name)
        _add(cli, f"Bought for {name}", "1.00", "-c", name, "-d", "2025-01-01")
    journal = tmp_path / "book.beancount"
    assert cli("export", "-f", "beancount", "-o", str(journal)).exit_code == 0

    dumped = run_tool(python, "-c", _BEANCOUNT_DUMP, str(journal))

    assert dumped.returncode == 0, dumped.stderr
    loaded = json.loads(dumped.stdout)
    assert loaded["errors"] == []
    debits = {t["narration"]: t["postings"][0][0] for t in loaded["transactions"]}
    assert len(set(debits.values())) == 3, debits
    assert debits["Bought for Café Équipement"] == "Expenses:Café-Équipement"
    assert debits["Bought for été"] == "Expenses:Été"


def test_export_to_a_file_says_nothing_extra_when_stderr_is_not_a_terminal(
    cli: Cli, tmp_path: Path
) -> None:
    """Reference §4: long work shows progress only on a terminal, and nothing extra otherwise."""
    _add(cli, "Taxi", "12.50", "-c", "Travel")
    target = tmp_path / "out.csv"
    result = cli("export", "-o", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == ""
    assert target.read_text().count("\n") == 2
