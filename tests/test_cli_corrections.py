"""Corrections to release 1 (reference §10.1 items 1, 3, 6, 8–13, 15, 18, 23): each test
reproduces what a new user or an adversarial run hit, end to end through the CLI."""

from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXPENSE, Cli, installed_env, ok, run_installed


def _ids(cli: Cli, *args: str) -> list[int]:
    return [e["id"] for e in ok(cli, "list", "--all", *args)]


# item 1: options are never text ----------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["add", "-minus start", "1", "-c", "Travel"],
        ["add", "--nots", "12", "-c", "Meals"],
        ["add", "x", "1", "-c", "Travel", "--colour", "red"],
        ["edit", "1", "--nots", "x"],
    ],
)
def test_an_unknown_option_is_a_usage_error_that_writes_nothing(cli: Cli, args: list[str]) -> None:
    ok(cli, "add", "Seed", "1.00", "-c", "Travel")

    result = cli(*args)

    assert result.exit_code == 2, result.stdout
    assert "No such option" in result.stderr
    assert [e["description"] for e in ok(cli, "list")] == ["Seed"]


def test_an_unknown_option_gets_did_you_mean(cli: Cli) -> None:
    result = cli("add", "--nots", "12", "-c", "Meals")

    assert result.exit_code == 2
    assert "--notes" in result.stderr


@pytest.mark.parametrize("amount", ["-5", "-5.00", "-0.01"])
def test_a_negative_amount_stays_a_validation_error(cli: Cli, amount: str) -> None:
    result = cli("add", "x", amount, "-c", "Travel", "--json")

    assert result.exit_code == 4
    assert set(result.error["fields"]) == {"amount"}


def test_text_starting_with_a_dash_goes_after_double_dash(cli: Cli) -> None:
    result = cli("add", "-c", "Travel", "-n", "-5 notes", "--json", "--", "-minus start", "1")
    assert result.exit_code == 0, result.stderr
    added = result.data

    assert added["description"] == "-minus start"
    assert added["notes"] == "-5 notes"


def test_an_option_value_that_looks_negative_is_still_the_value(cli: Cli) -> None:
    added = ok(cli, "add", "x", "2", "-c", "Travel", "-n", "-5")

    assert added["notes"] == "-5"
    assert added["amount"] == "2.00"


# item 3: one reading of a date ---------------------------------------------------------
@pytest.mark.parametrize(
    ("order", "typed", "stored"),
    [("dmy", "03/04/2025", "2025-04-03"), ("mdy", "03/04/2025", "2025-03-04"),
     ("dmy", "13/04/2025", "2025-04-13"), ("ymd", "2025/04/03", "2025-04-03")],
)  # fmt: skip
def test_numeric_dates_follow_the_date_order(cli: Cli, order: str, typed: str, stored: str) -> None:
    ok(cli, "config", "date_order", order)

    assert ok(cli, "add", "x", "1", "-c", "Travel", "-d", typed)["date"] == stored


@pytest.mark.parametrize(("order", "typed"), [("mdy", "13/04/2025"), ("ymd", "03/04/2025")])
def test_a_date_that_does_not_fit_the_order_is_refused_never_reread(
    cli: Cli, order: str, typed: str
) -> None:
    ok(cli, "config", "date_order", order)

    result = cli("add", "x", "1", "-c", "Travel", "-d", typed, "--json")

    assert result.exit_code == 4
    assert "date_order" in result.error["fields"]["date"]
    assert ok(cli, "list") == []


def test_help_explains_amount_dates_and_settings(cli: Cli) -> None:
    add_help = cli("add", "--help").stdout
    assert "minor" in add_help
    assert "tomorrow" in add_help
    assert "date_order" in add_help
    config_help = cli("config", "--help").stdout
    assert "default_currency" in config_help
    assert "date_order" in config_help


# item 6: completion ------------------------------------------------------------------------
@pytest.mark.skipif(EXPENSE is None, reason="the installed command is needed")
def test_bash_completion_inserts_names_as_one_safe_word(book: Path, cli: Cli) -> None:
    ok(cli, "clients", "add", "Globex Inc")
    ok(cli, "clients", "add", "Büro & Co")
    ok(cli, "projects", "add", "Web", "--client", "Globex Inc")
    ok(cli, "projects", "add", "Web", "--client", "Büro & Co")

    def complete(words: str) -> list[str]:
        env = {**installed_env(book), "_EXPENSE_COMPLETE": "complete_bash",
               "COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)}  # fmt: skip
        assert EXPENSE is not None
        done = subprocess.run([EXPENSE], env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    assert sorted(complete("expense add x 1 --client ")) == ["Büro\\ \\&\\ Co", "Globex\\ Inc"]
    assert complete("expense add x 1 --client Glo") == ["Globex\\ Inc"]
    assert complete("expense add x 1 -p ") == ["Web"]  # each distinct name once


# item 8: filters ------------------------------------------------------------------------
@pytest.fixture
def two_webs(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    ok(cli, "clients", "add", "Globex")
    ok(cli, "projects", "add", "Web", "--client", "Acme")
    ok(cli, "projects", "add", "Web", "--client", "Globex")


@pytest.mark.usefixtures("two_webs")
@pytest.mark.parametrize(
    ("args", "option"),
    [(["-p", "Web"], "--project"), (["--currency", "EURO"], "--currency"),
     (["-t", "a,b"], "--tag"), (["--client", "Nobody"], "--client"),
     (["--page", "0"], "--page")],
)  # fmt: skip
@pytest.mark.parametrize("command", ["list", "report", "export"])
def test_every_invalid_filter_is_a_usage_error_naming_its_option(
    cli: Cli, command: str, args: list[str], option: str
) -> None:
    if option == "--page" and command != "list":
        return
    result = cli(command, *args, *(["-f", "json"] if command == "export" else ["--json"]))

    assert result.exit_code == 2, result.stderr
    assert result.error["code"] == "usage"
    assert result.error["message"].startswith(f"{option}:")
    assert "/" not in result.error["message"].split(":")[0]


def test_page_zero_says_pages_start_at_1(cli: Cli) -> None:
    result = cli("list", "--page", "0")

    assert result.exit_code == 2
    assert "start at 1" in result.stderr


# item 9: streaming --------------------------------------------------------------------
def test_list_all_table_shows_every_row_and_one_total(cli: Cli, book: Path) -> None:
    for n in range(250):
        ok(cli, "add", f"row {n}", "1.00", "-c", "Travel", "-d", "2025-01-01")

    table = cli("list", "--all")

    assert table.exit_code == 0, table.stderr
    for n in (0, 99, 100, 249):
        assert f"row {n} " in table.stdout
    assert "Total (250)" in table.stdout
    assert "250.00 USD" in table.stdout


@pytest.mark.skipif(EXPENSE is None, reason="the installed command is needed")
@pytest.mark.parametrize("args", [["--help"], ["list", "--all"], ["list", "--all", "--json"]])
def test_a_reader_that_leaves_early_is_not_a_failure(book: Path, cli: Cli, args: list[str]) -> None:
    for n in range(300):
        ok(cli, "add", f"row {n}", "1.00", "-c", "Travel")
    assert EXPENSE is not None
    shell = f"{EXPENSE} {' '.join(args)} | head -c 20 >/dev/null; echo ${{PIPESTATUS[0]}}"
    done = subprocess.run(["bash", "-c", shell], env=installed_env(book), capture_output=True,
                          text=True, check=False, timeout=60)  # fmt: skip

    assert done.stdout.strip() == "0", done.stderr
    assert "Traceback" not in done.stderr


# item 10: an invoice belongs to one client ------------------------------------------------
@pytest.fixture
def clients(cli: Cli) -> dict[str, int]:
    ok(cli, "clients", "add", "Acme", "--currency", "EUR")
    ok(cli, "clients", "add", "Globex", "--currency", "USD")
    return {
        name: ok(cli, "add", f"{name} work", "10.00", "-c", "Services", "--client", name,
                 "--billable")["id"]
        for name in ("Acme", "Globex")
    }  # fmt: skip


def test_one_ref_cannot_cover_two_clients(cli: Cli, clients: dict[str, int]) -> None:
    ok(cli, "invoice", str(clients["Acme"]), "--ref", "INV-1")

    result = cli("invoice", str(clients["Globex"]), "--ref", "INV-1", "--json")

    assert result.exit_code == 4
    assert set(result.error["fields"]) == {"ref"}
    assert ok(cli, "show", str(clients["Globex"]))["billing_status"] == "not_invoiced"


def test_one_command_cannot_invoice_two_clients_under_one_ref(
    cli: Cli, clients: dict[str, int]
) -> None:
    result = cli("invoice", str(clients["Acme"]), str(clients["Globex"]), "--ref", "X", "--json")

    assert result.exit_code == 4
    assert "ref" in result.error["fields"]
    assert ok(cli, "list", "--status", "invoiced") == []


def test_a_ref_stays_held_by_a_deleted_expense(cli: Cli, clients: dict[str, int]) -> None:
    ok(cli, "invoice", str(clients["Acme"]), "--ref", "INV-1")
    ok(cli, "delete", str(clients["Acme"]), "--force")

    assert cli("invoice", str(clients["Globex"]), "--ref", "INV-1").exit_code == 4


@pytest.mark.parametrize("ref", [[], ["--ref", "INV-9"]])
def test_a_billable_expense_without_a_client_cannot_be_invoiced(cli: Cli, ref: list[str]) -> None:
    expense = ok(cli, "add", "Loose", "5.00", "-c", "Services", "--billable")["id"]

    result = cli("invoice", str(expense), *ref, "--json")

    assert result.exit_code == 4
    assert set(result.error["fields"]) == {"client"}


def test_list_ref_filters_by_invoice_ref(cli: Cli, clients: dict[str, int]) -> None:
    ok(cli, "invoice", str(clients["Acme"]), "--ref", "INV-1")
    ok(cli, "invoice", str(clients["Globex"]), "--ref", "INV-2")

    assert _ids(cli, "--ref", "INV-1") == [clients["Acme"]]
    assert _ids(cli, "--ref", "INV-2") == [clients["Globex"]]
    assert _ids(cli, "--ref", "INV-3") == []
    report = ok(cli, "report", "--ref", "INV-2")
    assert [(r["currency"], r["total"]) for r in report] == [("USD", "10.00")]


# item 11: report totals ---------------------------------------------------------------
def test_report_json_carries_totals_counting_each_expense_once(cli: Cli) -> None:
    ok(cli, "add", "a", "1.10", "-c", "Travel", "-t", "x", "-t", "y")
    ok(cli, "add", "b", "2.20", "-c", "Meals", "-t", "x")

    result = cli("report", "--by", "tag", "--json")

    assert result.exit_code == 0, result.stderr
    assert sum(row["count"] for row in result.data) == 3  # a is in two tag groups
    assert result.json["totals"] == [{"currency": "USD", "count": 2, "total": "3.30"}]


# item 12: page totals say so ----------------------------------------------------------
def test_a_page_footer_says_page_total_and_stderr_gives_the_next_command(cli: Cli) -> None:
    for n in range(3):
        ok(cli, "add", f"e{n}", "1.00", "-c", "Travel")

    first = cli("list", "--limit", "2")
    last = cli("list", "--limit", "5")

    assert "Page total (2)" in first.stdout
    assert "next_cursor: " in first.stderr
    assert "--cursor" in first.stderr.split("next page:")[1]
    assert "Total (3)" in last.stdout
    assert "Page total" not in last.stdout
    assert last.stderr == ""


# item 13: no colour means no escapes -------------------------------------------------
@pytest.mark.skipif(EXPENSE is None or not Path("/usr/bin/script").exists(), reason="needs a tty")
def test_no_color_prints_no_escape_even_on_a_terminal(book: Path, cli: Cli) -> None:
    ok(cli, "add", "x", "1.00", "-c", "Travel")
    assert EXPENSE is not None
    env = {**installed_env(book), "NO_COLOR": "1", "TERM": "xterm-256color"}
    done = subprocess.run(["script", "-qec", f"{EXPENSE} list", "/dev/null"], env=env,
                          capture_output=True, check=False, timeout=60)  # fmt: skip

    assert done.returncode == 0
    assert b"x" in done.stdout
    assert b"\x1b" not in done.stdout


# item 15: symmetry ------------------------------------------------------------------------
def test_delete_of_a_deleted_expense_succeeds_and_changes_nothing(cli: Cli) -> None:
    expense = ok(cli, "add", "x", "1.00", "-c", "Travel")["id"]
    first = ok(cli, "delete", str(expense))[0]

    again = ok(cli, "delete", str(expense))[0]

    assert again["deleted_at"] == first["deleted_at"]
    assert again["updated_at"] == first["updated_at"]
    assert cli("delete", "999").exit_code == 3


@pytest.mark.parametrize(
    "args",
    [["tag", "{id}", "a"], ["attach", "{id}", "--client", "Acme"], ["detach", "{id}"],
     ["edit", "{id}", "--notes", "n"], ["delete", "{id}"]],
)  # fmt: skip
def test_quiet_prints_only_the_id(cli: Cli, args: list[str]) -> None:
    ok(cli, "clients", "add", "Acme")
    expense = ok(cli, "add", "x", "1.00", "-c", "Travel")["id"]

    result = cli(*(a.format(id=expense) for a in args), "-q")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{expense}\n"


# item 18: output before commit ---------------------------------------------------------
@pytest.mark.skipif(EXPENSE is None or not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("redirect", [">/dev/full", ">&-"])
def test_output_that_cannot_be_written_writes_nothing(book: Path, redirect: str) -> None:
    assert run_installed(book, "add", "seed", "1", "-c", "Travel").returncode == 0
    assert EXPENSE is not None
    shell = f"{EXPENSE} add x 1 -c Travel -q {redirect}"
    done = subprocess.run(["bash", "-c", shell], env=installed_env(book), capture_output=True,
                          text=True, check=False, timeout=60)  # fmt: skip

    assert done.returncode == 6, done.stderr
    assert "Traceback" not in done.stderr
    listed = run_installed(book, "list", "--json")
    assert [e["description"] for e in json.loads(listed.stdout)["data"]] == ["seed"]


# item 23: cursors are checked --------------------------------------------------------
def _cursor(payload: Any) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _real_cursor(cli: Cli, *args: str) -> dict[str, Any]:
    for n in range(3):
        ok(cli, "add", f"e{n}", f"{n + 1}.00", "-c", "Travel", "-d", f"2025-01-0{n + 1}")
    result = cli("list", "--limit", "1", "--json", *args)
    cursor = result.json["pagination"]["next_cursor"]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    )
    return decoded


@pytest.mark.parametrize(
    ("sort", "forge"),
    [("-created", {"v": 2}), ("-created", {"k": [12345, 1]}), ("-date", {"k": [20250101, 1]}),
     ("-amount", {"k": ["100", 1]}), ("-amount", {"k": [100, True]}), ("-id", {"k": [1.5, 1]}),
     ("-date", {"k": ["2025-01-02", "1"]}), ("-date", {"k": ["x", 1]})],
)  # fmt: skip
def test_a_forged_cursor_is_a_usage_error(cli: Cli, sort: str, forge: dict[str, Any]) -> None:
    payload = {**_real_cursor(cli, "--sort", sort), **forge}

    result = cli("list", "--limit", "1", "--sort", sort, "--cursor", _cursor(payload), "--json")

    assert result.exit_code == 2, result.stdout
    assert result.error["message"].startswith("--cursor:")


def test_a_real_cursor_still_pages(cli: Cli) -> None:
    payload = _real_cursor(cli, "--sort", "-date")
    page = cli("list", "--limit", "1", "--sort", "-date", "--cursor", _cursor(payload), "--json")

    assert page.exit_code == 0, page.stderr
    assert [e["description"] for e in page.data] == ["e1"]


@pytest.mark.skipif(EXPENSE is None, reason="the installed command is needed")
def test_completion_reads_an_older_book_without_migrating_it(book: Path, tmp_path: Path) -> None:
    from tests.test_unit_prices import _STEP, _frozen_book

    _frozen_book(book)
    before = book.read_bytes()
    env = {**installed_env(book), "_EXPENSE_COMPLETE": "complete_bash",
           "COMP_WORDS": "expense add x 1 -c Mil", "COMP_CWORD": "5"}  # fmt: skip
    assert EXPENSE is not None
    done = subprocess.run([EXPENSE], env=env, capture_output=True, text=True, check=False)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["Mileage"]
    assert book.read_bytes() == before
    with closing(sqlite3.connect(book)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == _STEP


def test_list_ref_reads_the_invoice_ref_index(tmp_path: Path) -> None:
    from expense_cli.store import Store
    from expense_cli.store.listing import ExpenseQuery, build_select

    store = Store.open(tmp_path / "plan.db")
    query = ExpenseQuery(invoice_ref="INV-1", limit=50)
    sql, params = build_select(query, store.plan(query))
    plan = " ".join(row[3] for row in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))
    store.close()

    assert "expenses_by_invoice_ref" in plan
    assert "SCAN e" not in plan


@pytest.mark.skipif(EXPENSE is None or not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args",
    [["list"], ["show", "1"], ["report", "--json"], ["categories"], ["export"],
     ["list", "--all", "-f", "csv"], ["db", "path"]],
)  # fmt: skip
@pytest.mark.parametrize("redirect", [">/dev/full", ">&-"])
def test_a_read_whose_output_cannot_be_written_is_exit_6(
    book: Path, args: list[str], redirect: str
) -> None:
    assert run_installed(book, "add", "seed", "1", "-c", "Travel").returncode == 0
    assert EXPENSE is not None
    shell = f"{EXPENSE} {' '.join(args)} {redirect}"
    done = subprocess.run(["bash", "-c", shell], env=installed_env(book), capture_output=True,
                          text=True, check=False, timeout=60)  # fmt: skip

    assert done.returncode == 6, done.stderr
    assert "cannot write the output" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(EXPENSE is None or not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("redirect", ["2>/dev/full", "2>&-"])
def test_a_broken_stderr_never_changes_the_exit_code(book: Path, redirect: str) -> None:
    assert EXPENSE is not None
    for args, code in ((["add", "--nots", "1"], 2), (["show", "99"], 3), (["list"], 0)):
        shell = f"{EXPENSE} {' '.join(args)} {redirect}"
        done = subprocess.run(["bash", "-c", shell], env=installed_env(book), capture_output=True,
                              text=True, check=False, timeout=60)  # fmt: skip
        assert done.returncode == code, (args, done.stdout)


@pytest.mark.skipif(EXPENSE is None or not Path("/usr/bin/script").exists(), reason="needs a tty")
@pytest.mark.parametrize("args", [["--help"], ["add", "--help"], ["add", "--nots"]])
def test_no_color_help_and_usage_errors_print_no_escape(book: Path, args: list[str]) -> None:
    assert EXPENSE is not None
    env = {**installed_env(book), "NO_COLOR": "1", "TERM": "xterm-256color"}
    done = subprocess.run(["script", "-qec", f"{EXPENSE} {' '.join(args)}", "/dev/null"],
                          env=env, capture_output=True, check=False, timeout=60)  # fmt: skip

    assert b"Usage" in done.stdout
    assert b"\x1b" not in done.stdout


def test_a_page_by_number_says_page_total_and_names_the_next_page(cli: Cli) -> None:
    for n in range(3):
        ok(cli, "add", f"e{n}", "1.00", "-c", "Travel")

    first = cli("list", "--limit", "2", "--page", "1")
    last = cli("list", "--limit", "2", "--page", "2")

    assert "Page total (2)" in first.stdout
    assert "--page 2" in first.stderr
    assert "Total (1)" in last.stdout
    assert "Page total" not in last.stdout


@pytest.mark.parametrize(("sort", "key"), [("-created", None), ("-id", 0), ("-amount", -1)])
def test_a_cursor_with_a_negative_or_zero_key_is_refused(
    cli: Cli, sort: str, key: int | None
) -> None:
    payload = _real_cursor(cli, "--sort", sort)
    value, _ = payload["k"]
    payload["k"] = [value, -5] if key is None else [key, 1]

    result = cli("list", "--limit", "1", "--sort", sort, "--cursor", _cursor(payload), "--json")

    assert result.exit_code == 2, result.stdout


@pytest.mark.parametrize("text", ["-5x", "-.5", "-1,000"])
def test_only_a_negative_number_reaches_the_amount_rule(cli: Cli, text: str) -> None:
    assert cli("add", "x", text, "-c", "Travel").exit_code == 2
    assert ok(cli, "list") == []


def test_a_stored_currency_of_the_wrong_shape_stops_reads(cli: Cli, book: Path) -> None:
    ok(cli, "add", "x", "1.00", "-c", "Travel")
    with closing(sqlite3.connect(book)) as conn:
        conn.execute("UPDATE settings SET value = 'XX' WHERE key = 'default_currency'")
        conn.commit()

    for command in ("list", "report"):
        result = cli(command, "--json")
        assert result.exit_code == 6
        assert "default_currency" in result.error["message"]


@pytest.mark.skipif(EXPENSE is None or not Path("/dev/full").exists(), reason="needs /dev/full")
def test_changes_whose_output_fails_write_nothing(book: Path, tmp_path: Path) -> None:
    assert run_installed(book, "add", "seed", "1", "-c", "Travel").returncode == 0
    source = tmp_path / "rows.csv"
    source.write_text("date,description,amount,category\n2025-01-01,Imported,1,Travel\n")
    assert EXPENSE is not None
    for args in (["config", "default_currency", "EUR"], ["import", str(source)]):
        shell = f"{EXPENSE} {' '.join(args)} >/dev/full"
        done = subprocess.run(["bash", "-c", shell], env=installed_env(book), capture_output=True,
                              text=True, check=False, timeout=60)  # fmt: skip
        assert done.returncode == 6, (args, done.stderr)
    assert run_installed(book, "config", "default_currency").stdout == "USD\n"
    listed = json.loads(run_installed(book, "list", "--json").stdout)["data"]
    assert [e["description"] for e in listed] == ["seed"]


@pytest.mark.parametrize("suffix", ["missing/", "file/", "."])
@pytest.mark.parametrize("command", [["export", "-o"], ["db", "backup"]])
def test_an_output_path_naming_a_folder_is_a_usage_error(
    cli: Cli, tmp_path: Path, suffix: str, command: list[str]
) -> None:
    ok(cli, "add", "x", "1.00", "-c", "Travel")
    (tmp_path / "file").write_text("keep")
    target = f"{tmp_path}/{suffix}" if suffix != "." else "."

    result = cli(*command, target)

    assert result.exit_code == 2, result.stderr
    assert (tmp_path / "file").read_text() == "keep"
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("suffix", ["ndjson", "json", "csv"])
def test_a_zero_byte_import_names_the_header(cli: Cli, tmp_path: Path, suffix: str) -> None:
    empty = tmp_path / f"empty.{suffix}"
    empty.write_bytes(b"")

    result = cli("import", str(empty), "--json")

    assert result.exit_code == 4
    assert "header" in result.error["fields"]


def test_printing_tags_of_a_missing_book_creates_nothing(cli: Cli, book: Path) -> None:
    assert cli("tag", "1").exit_code == 3
    assert not book.exists()


def test_config_quiet_prints_nothing(cli: Cli) -> None:
    result = cli("config", "date_order", "dmy", "-q")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert cli("config", "date_order").stdout == "dmy\n"


def test_receipt_remove_reads_ids_from_stdin(cli: Cli, tmp_path: Path) -> None:
    expense = ok(cli, "add", "x", "1.00", "-c", "Travel")["id"]
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4 receipt")
    receipt = ok(cli, "receipt", "add", str(expense), str(scan))["receipts"][0]["id"]

    result = cli("receipt", "remove", "-", "-q", input=f"{receipt}\n")

    assert result.exit_code == 0, result.stderr
    assert ok(cli, "show", str(expense))["receipts"] == []
