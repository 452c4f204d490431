"""`import` corrections and hardening (reference §10.1 items 3, 7, 19, 21, 22; §10.10 item 4):
headers read in any case, every problem reported, round trips that keep `deleted_at` and
padded uids, types checked in JSON, references by name only, `--date-format`, and files
that are not text failing as exit 4 naming the line, never as a crash."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, Result, ok

COLUMNS = (
    "uid", "date", "time", "description", "amount", "currency", "units", "unit_price",
    "category", "custom_category", "client", "project", "billable", "billing_status",
    "invoice_ref", "approval_status", "reimbursement_status", "notes", "tags",
    "created_at", "deleted_at",
)  # fmt: skip
MINIMAL = "date,description,amount,category\n"


def _file(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def _import(cli: Cli, *args: str) -> tuple[Result, Result]:
    """The same import in JSON and in human mode (each fails alone or writes alone)."""
    return cli("import", *args, "--json"), cli("import", *args)


def _all(cli: Cli, *args: str, deleted: bool = False) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = ok(cli, *args, "list", "--all", *(["--deleted"] * deleted))
    return data


# headers (item 7) ---------------------------------------------------------------------
def test_header_names_match_in_any_case_with_spaces_around(cli: Cli, tmp_path: Path) -> None:
    path = _file(
        tmp_path, "caps.csv",
        " Date ,Description,AMOUNT, Category,Receipts,Recurring_ID\n"
        "2025-01-02,Taxi,12.50,Travel,2,7\n",
    )  # fmt: skip

    result = cli("import", path, "--json")

    assert result.exit_code == 0, result.stderr
    assert result.data["imported"] == 1
    [taxi] = _all(cli)
    assert (taxi["date"], taxi["description"], taxi["amount"]) == ("2025-01-02", "Taxi", "12.50")
    assert taxi["category"]["name"] == "Travel"


@pytest.mark.parametrize(
    "content", ["", "when,what,how much\n2025-01-02,Taxi,12.50\n"], ids=["empty", "unknown"]
)
def test_a_header_without_a_known_column_is_exit_4_listing_the_columns(
    cli: Cli, tmp_path: Path, content: str
) -> None:
    path = _file(tmp_path, "bad.csv", content)

    as_json, human = _import(cli, path)

    assert as_json.exit_code == 4
    assert set(as_json.error["fields"]) == {"header"}
    for column in COLUMNS:
        assert column in as_json.error["fields"]["header"]
    assert human.exit_code == 4
    assert re.search(r"^\s*header: .*description", human.stderr, re.MULTILINE), human.stderr
    assert _all(cli) == []


@pytest.mark.parametrize("header", ["date,description,amount,category,amount", "date,Date"])
def test_a_repeated_header_column_is_exit_4(cli: Cli, tmp_path: Path, header: str) -> None:
    path = _file(tmp_path, "twice.csv", f"{header}\n2025-01-02,Taxi,1.00,Travel,2.00\n")

    as_json, human = _import(cli, path)

    assert as_json.exit_code == 4
    assert set(as_json.error["fields"]) == {"header"}
    assert "twice" in as_json.error["fields"]["header"]
    assert human.exit_code == 4
    assert "header" in human.stderr
    assert _all(cli) == []


def test_every_problem_is_reported_and_people_see_the_first_20(cli: Cli, tmp_path: Path) -> None:
    rows = "".join(f"2025-01-02,Row {n},x,Travel\n" for n in range(150))
    path = _file(tmp_path, "many.csv", MINIMAL + rows)

    as_json, human = _import(cli, path)

    assert as_json.exit_code == 4
    assert set(as_json.error["fields"]) == {f"line {n}.amount" for n in range(2, 152)}
    assert "150 problems" in as_json.error["message"]
    assert human.exit_code == 4
    assert len(re.findall(r"^\s*line \d+: amount:", human.stderr, re.MULTILINE)) == 20
    assert "130 more" in human.stderr
    assert _all(cli) == []


def test_import_help_lists_the_columns(cli: Cli) -> None:
    result = cli("import", "--help")

    assert result.exit_code == 0
    for column in COLUMNS:
        assert column in result.stdout
    assert "--date-format" in result.stdout


def test_import_help_lists_every_column_the_importer_knows(cli: Cli) -> None:
    from expense_cli.domain.importer import IMPORT_COLUMNS

    result = cli("import", "--help")

    assert result.exit_code == 0
    words = set(re.findall(r"[a-z_]+", result.stdout))
    missing = [column for column in IMPORT_COLUMNS if column not in words]
    assert missing == []
    assert "one per line" in " ".join(result.stdout.split())


# round trips and every bad field (item 21) --------------------------------------------
def test_a_deleted_expense_imports_as_deleted_with_its_deleted_at(cli: Cli, tmp_path: Path) -> None:
    gone = ok(cli, "add", "Taxi", "12.50", "-c", "Travel", "-d", "2025-01-02")
    ok(cli, "add", "Lunch", "9.00", "-c", "Meals", "-d", "2025-01-03")
    ok(cli, "delete", str(gone["id"]))
    [deleted] = _all(cli, deleted=True)
    exported = cli("export", "-f", "ndjson", "--deleted").stdout
    fresh = str(tmp_path / "fresh.db")

    result = cli("--db", fresh, "import", _file(tmp_path, "x.ndjson", exported), "--json")

    assert result.exit_code == 0, result.stderr
    assert _all(cli, "--db", fresh) == []
    [back] = _all(cli, "--db", fresh, deleted=True)
    assert back["uid"] == deleted["uid"]
    assert back["deleted_at"] == deleted["deleted_at"]


def test_a_padded_uid_is_trimmed_before_the_duplicate_look_up(cli: Cli, tmp_path: Path) -> None:
    path = _file(tmp_path, "uid.csv", "uid," + MINIMAL + "  u-1  ,2025-01-02,Taxi,1.00,Travel\n")
    assert cli("import", path, "--json").exit_code == 0

    again = cli("import", path, "--json")

    assert again.exit_code == 0, again.stderr
    assert (again.data["imported"], again.data["skipped"]) == (0, 1)
    assert [e["uid"] for e in _all(cli)] == ["u-1"]


def test_timestamps_keep_a_four_digit_year(cli: Cli, tmp_path: Path) -> None:
    path = _file(
        tmp_path, "old.csv",
        "created_at,deleted_at," + MINIMAL
        + "0999-01-02T03:04:05Z,0999-01-03T00:00:00+00:00,2025-01-02,Taxi,1.00,Travel\n",
    )  # fmt: skip

    result = cli("import", path, "--json")

    assert result.exit_code == 0, result.stderr
    [taxi] = _all(cli, deleted=True)
    assert taxi["created_at"] == "0999-01-02T03:04:05.000000Z"
    assert taxi["deleted_at"] == "0999-01-03T00:00:00.000000Z"


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_created_at_out_of_range_is_exit_4_naming_the_line(
    cli: Cli, tmp_path: Path, stamp: str
) -> None:
    path = _file(
        tmp_path, "far.csv",
        "created_at," + MINIMAL + f"2025-01-01T00:00:00Z,2025-01-02,Ok,1.00,Travel\n"
        f"{stamp},2025-01-02,Taxi,1.00,Travel\n",
    )  # fmt: skip

    as_json, human = _import(cli, path)

    assert as_json.exit_code == 4
    assert set(as_json.error["fields"]) == {"line 3.created_at"}
    assert human.exit_code == 4
    assert "line 3: created_at" in human.stderr
    assert "Traceback" not in human.stderr
    assert _all(cli) == []


def test_every_bad_field_of_a_row_is_reported_under_its_column(cli: Cli, tmp_path: Path) -> None:
    long = "N" * 101  # names are at most 100 characters
    path = _file(
        tmp_path, "bad.csv",
        "date,description,amount,category,client,project\n"
        f"2025-13-01,Taxi,x,{long},{long},Relaunch\n",
    )  # fmt: skip

    as_json, human = _import(cli, path, "--create-missing")

    assert as_json.exit_code == 4
    fields = as_json.error["fields"]
    assert set(fields) == {
        "line 2.date", "line 2.amount", "line 2.category", "line 2.client", "line 2.project",
    }  # fmt: skip
    assert "100" in fields["line 2.category"]
    assert "100" in fields["line 2.client"]
    assert human.exit_code == 4
    assert "line 2: name" not in human.stderr
    assert ok(cli, "categories")[-1]["name"] != long
    assert _all(cli) == []


def test_a_tag_that_is_not_text_is_exit_4(cli: Cli, tmp_path: Path) -> None:
    row = {"date": "2025-01-02", "description": "Taxi", "amount": "1.00", "category": "Travel",
           "tags": ["ok", {"a": 1}]}  # fmt: skip
    path = _file(tmp_path, "tags.ndjson", json.dumps(row) + "\n")

    as_json, human = _import(cli, path)

    assert as_json.exit_code == 4
    assert set(as_json.error["fields"]) == {"line 1.tags"}
    assert human.exit_code == 4
    assert "line 1: tags" in human.stderr
    assert _all(cli) == []


@pytest.mark.parametrize("fmt", ["ndjson", "json"])
def test_json_values_of_the_wrong_type_name_their_field(cli: Cli, tmp_path: Path, fmt: str) -> None:
    row = {"date": "2025-01-02", "description": {"a": 1}, "amount": 12.5, "billable": "yes",
           "category": {"id": 2, "name": "Travel"}, "notes": 7}  # fmt: skip
    content = json.dumps(row) if fmt == "ndjson" else json.dumps({"data": [row]})
    path = _file(tmp_path, f"typed.{fmt}", content + "\n")

    as_json, human = _import(cli, path)

    assert as_json.exit_code == 4
    fields = as_json.error["fields"]
    assert set(fields) == {"line 1.description", "line 1.amount", "line 1.billable",
                           "line 1.notes"}  # fmt: skip
    assert "object" in fields["line 1.description"]
    assert "number" in fields["line 1.amount"]
    assert human.exit_code == 4
    assert "line 1: billable" in human.stderr
    assert _all(cli) == []


# references by name only (item 22) ----------------------------------------------------
def test_an_all_digit_category_is_a_name_never_an_id(cli: Cli, tmp_path: Path) -> None:
    third = next(c for c in ok(cli, "categories") if c["id"] == 3)
    path = _file(tmp_path, "ids.csv", MINIMAL + "2025-01-02,Taxi,1.00,3\n")

    as_json, human = _import(cli, path)

    assert as_json.exit_code == 4
    assert set(as_json.error["fields"]) == {"line 2.category"}
    assert "'3'" in as_json.error["fields"]["line 2.category"]
    assert human.exit_code == 4
    assert third["name"] not in human.stderr
    assert _all(cli) == []


# --date-format (item 3) ---------------------------------------------------------------
@pytest.mark.parametrize(("fmt", "day"), [("%d/%m/%Y", "2025-04-03"), ("%m/%d/%Y", "2025-03-04")])
def test_date_format_reads_every_row_with_it(cli: Cli, tmp_path: Path, fmt: str, day: str) -> None:
    path = _file(tmp_path, "d.csv", MINIMAL + "03/04/2025,Taxi,1.00,Travel\n")

    result = cli("import", path, "--date-format", fmt, "--json")

    assert result.exit_code == 0, result.stderr
    assert [e["date"] for e in _all(cli)] == [day]


def test_date_format_rejects_a_row_that_does_not_fit_naming_the_line(
    cli: Cli, tmp_path: Path
) -> None:
    path = _file(
        tmp_path, "d.csv", MINIMAL + "13/04/2025,Taxi,1.00,Travel\n2025-04-13,Bus,1.00,Travel\n"
    )

    as_json, human = _import(cli, path, "--date-format", "%d/%m/%Y")

    assert as_json.exit_code == 4
    assert set(as_json.error["fields"]) == {"line 3.date"}
    assert human.exit_code == 4
    assert "line 3: date" in human.stderr
    assert _all(cli) == []


@pytest.mark.parametrize("fmt", ["%Y-%m", "%Q"])
def test_a_date_format_without_a_whole_date_is_a_usage_error(
    cli: Cli, tmp_path: Path, fmt: str
) -> None:
    path = _file(tmp_path, "d.csv", MINIMAL + "2025-04,Taxi,1.00,Travel\n")

    as_json, human = _import(cli, path, "--date-format", fmt)

    assert as_json.exit_code == 2
    assert "--date-format" in as_json.error["message"]
    assert human.exit_code == 2
    assert _all(cli) == []


# files that are not text (item 19) ----------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "line"),
    [("bad-utf8.csv", MINIMAL.encode() + b"2025-01-02,Taxi,1,Travel\n2025-01-03,\xe9,1,Bus\n", 3),
     ("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", 1),
     ("nul.csv", MINIMAL.encode() + b"2025-01-02,Ta\x00xi,1.00,Travel\n", 2),
     ("huge.csv", (MINIMAL + "2025-01-02,Taxi,1.00,Travel\n2025-01-03,"
                   + "x" * 131_073 + ",1.00,Travel\n").encode(), 3),
     ("deep.ndjson", b'{"date": "2025-01-02"}\n' + b"[" * 100_000 + b"\n", 2),
     ("deep.json", b"[\n" + b"[" * 100_000 + b"\n]\n", 2),
     ("bad-utf8.ndjson", b'{"description": "Caf\xe9"}\n', 1)],
    ids=["utf8", "binary", "nul", "oversized", "deep-ndjson", "deep-json", "utf8-ndjson"],
)  # fmt: skip
def test_a_file_that_is_not_readable_text_is_exit_4_naming_the_line(
    cli: Cli, tmp_path: Path, name: str, content: bytes, line: int
) -> None:
    path = _file(tmp_path, name, content)

    as_json, human = _import(cli, path)

    assert as_json.exit_code == 4
    assert f"line {line}.row" in as_json.error["fields"]
    assert human.exit_code == 4
    assert f"line {line}: row" in human.stderr
    assert "Traceback" not in human.stderr
    assert _all(cli) == []


def test_invalid_utf8_on_stdin_is_exit_4_naming_the_line(cli: Cli) -> None:
    data = MINIMAL.encode() + b"2025-01-02,Caf\xff,1.00,Travel\n"

    result = cli("import", "-", "-f", "csv", "--json", input=data)

    assert result.exit_code == 4
    assert set(result.error["fields"]) == {"line 2.row"}
    assert _all(cli) == []


def test_import_names_the_amount_of_a_row_with_an_unknown_category(
    cli: Cli, tmp_path: Path
) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("date,description,amount,category\n2025-01-01,ok,x,Nope\n")
    result = cli("import", str(source), "--json")
    assert result.exit_code == 4
    assert {"line 2.category", "line 2.amount"} <= set(result.error["fields"])


# invoiced rows obey what `invoice` checks (rule 9, §10.1 item 10) ------------------------
INVOICED = "date,description,amount,category,client,billable,billing_status,invoice_ref\n"


def _clients(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme", "--currency", "EUR")
    ok(cli, "clients", "add", "Globex", "--currency", "EUR")
    ok(cli, "clients", "add", "Initech", "--currency", "USD")


def test_an_invoice_ref_in_the_file_covers_one_client(cli: Cli, tmp_path: Path) -> None:
    _clients(cli)
    path = _file(
        tmp_path, "two.csv",
        INVOICED + "2025-01-02,Taxi,1.00,Travel,Acme,true,invoiced,INV-1\n"
        "2025-01-03,Hotel,2.00,Travel,Globex,true,invoiced,INV-1\n",
    )  # fmt: skip

    as_json, human = _import(cli, path)

    assert as_json.exit_code == 4
    fields = as_json.error["fields"]
    assert set(fields) == {"line 3.invoice_ref"}
    assert "Acme, Globex" in fields["line 3.invoice_ref"]
    assert human.exit_code == 4
    assert "line 3: invoice_ref" in human.stderr
    assert _all(cli) == []


def test_an_invoice_ref_already_in_the_book_keeps_its_client_and_currency(
    cli: Cli, tmp_path: Path
) -> None:
    _clients(cli)
    held = ok(cli, "add", "Train", "9.00", "-c", "Travel", "--client", "Acme", "--billable")
    ok(cli, "invoice", str(held["id"]), "--ref", "INV-7")
    path = _file(
        tmp_path, "more.csv",
        INVOICED + "2025-01-02,Taxi,1.00,Travel,Acme,true,invoiced,INV-7\n"
        "2025-01-03,Hotel,2.00,Travel,Initech,true,invoiced,INV-7\n"
        "2025-01-04,Lunch,3.00,Meals,Initech,true,invoiced,INV-8\n",
    )  # fmt: skip

    result = cli("import", path, "--json")

    assert result.exit_code == 4
    fields = result.error["fields"]
    assert set(fields) == {"line 3.invoice_ref"}
    assert "EUR, USD" in fields["line 3.invoice_ref"]
    assert [e["id"] for e in _all(cli)] == [held["id"]]


def test_rows_of_one_client_share_an_invoice_ref(cli: Cli, tmp_path: Path) -> None:
    _clients(cli)
    path = _file(
        tmp_path, "same.csv",
        INVOICED + "2025-01-02,Taxi,1.00,Travel,Acme,true,invoiced,INV-1\n"
        "2025-01-03,Hotel,2.00,Travel,Acme,true,invoiced,INV-1\n",
    )  # fmt: skip

    result = cli("import", path, "--json")

    assert result.exit_code == 0, result.stderr
    assert result.data["imported"] == 2
    assert {(e["billing_status"], e["invoice_ref"]) for e in _all(cli)} == {("invoiced", "INV-1")}


@pytest.mark.parametrize(
    ("client", "billable", "field"),
    [("Acme", "false", "billable"), ("", "true", "client")],
    ids=["not-billable", "no-client"],
)
def test_an_invoiced_row_is_billable_and_has_a_client(
    cli: Cli, tmp_path: Path, client: str, billable: str, field: str
) -> None:
    _clients(cli)
    path = _file(
        tmp_path,
        "row.csv",
        INVOICED + f"2025-01-02,Taxi,1.00,Travel,{client},{billable},invoiced,\n",
    )

    result = cli("import", path, "--json")

    assert result.exit_code == 4
    assert set(result.error["fields"]) == {f"line 2.{field}"}
    assert _all(cli) == []
