"""Every failure is a clear exit code; exit 1 is only a bug (reference §10.1 items 19 and 20).

In-process for the listing forms (`expense clients`) on unusable files, unusable `--db`
values, invalid stored settings and report totals beyond 64 bits; through the installed
command for what needs a real process: a damaged page, an odd `TZ`, a closed stderr, a
non-UTF-8 stdout, and `db check` beside eight writers.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from expense_cli.store import schema
from tests.conftest import EXPENSE, Cli, installed_env, ok, real_book, run_installed

installed = pytest.mark.skipif(EXPENSE is None, reason="the `expense` command is not installed")
LISTINGS = ("categories", "clients", "projects")


def _sql(book: Path, *statements: str) -> None:
    with closing(sqlite3.connect(book)) as conn, conn:
        for statement in statements:
            conn.execute(statement)


def _no_traceback(result: object) -> None:
    for stream in ("stdout", "stderr"):
        assert "Traceback" not in getattr(result, stream)


# --- listing callbacks on unusable files ----------------------------------------------


def _junk(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 100)


def _newer(path: Path) -> None:
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {schema.LATEST + 1}")


def _foreign(path: Path) -> None:
    _sql(path, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")


@pytest.mark.parametrize("make", [_junk, _newer, _foreign], ids=["junk", "newer", "foreign"])
@pytest.mark.parametrize("listing", LISTINGS)
def test_listing_forms_on_an_unusable_file_are_exit_6(
    cli: Cli, book: Path, make: object, listing: str
) -> None:
    make(book)  # type: ignore[operator]
    before = book.read_bytes()
    result = cli(listing)
    assert result.exit_code == 6, (result.stdout, result.stderr)
    assert result.stderr.startswith("Error: ") and str(book) in result.stderr
    _no_traceback(result)
    assert cli(listing, "--json").error["code"] == "database_unavailable"
    assert book.read_bytes() == before


# --- unusable --db ----------------------------------------------------------------------


@pytest.mark.parametrize("db", ["~nouser-expense-test/x.db", ""], ids=["unknown-home", "empty"])
@pytest.mark.parametrize("command", [("list",), ("add", "x", "1", "-c", "Travel"), ("db", "path")])
def test_an_unusable_db_option_is_a_usage_error(
    cli: Cli, tmp_path: Path, db: str, command: tuple[str, ...]
) -> None:
    before = sorted(Path.cwd().iterdir())
    result = cli("--db", db, *command)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "--db" in result.stderr or db in result.stderr
    _no_traceback(result)
    assert sorted(Path.cwd().iterdir()) == before


def test_an_unknown_home_in_expense_db_is_a_usage_error(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPENSE_DB", "~nouser-expense-test/x.db")
    result = cli("list")
    assert result.exit_code == 2, result.stderr
    assert "~nouser-expense-test" in result.stderr


# --- invalid stored settings (item 20 and the details paragraph) -------------------------


@pytest.mark.parametrize(
    ("key", "value", "command"),
    [
        ("date_order", "xyz", ("list",)),
        ("date_order", "xyz", ("add", "Train", "1", "-c", "Travel")),
        ("date_order", "YMD", ("report", "--from", "2026-01-01")),
        ("default_currency", "ZZZ", ("add", "Train", "1", "-c", "Travel")),
        ("default_currency", "ZZZ", ("clients", "add", "Acme")),
        ("default_currency", "ZZZ", ("config",)),
    ],
)
def test_a_stored_setting_outside_its_values_is_exit_6_naming_it_and_a_check_problem(
    cli: Cli, book: Path, key: str, value: str, command: tuple[str, ...]
) -> None:
    assert cli("add", "seed", "1", "-c", "Travel").exit_code == 0
    _sql(book, f"UPDATE settings SET value = '{value}' WHERE key = '{key}'")

    result = cli(*command)
    assert result.exit_code == 6, (result.stdout, result.stderr)
    assert key in result.stderr and value in result.stderr
    _no_traceback(result)

    checked = cli("db", "check", "--json")
    assert checked.exit_code == 4, checked.stdout
    assert value in checked.error["fields"][f"setting {key}"]

    fixed = "ymd" if key == "date_order" else "EUR"
    assert cli("config", key, fixed).exit_code == 0
    assert cli("db", "check").exit_code == 0


def test_two_bad_settings_can_each_be_fixed(cli: Cli, book: Path) -> None:
    assert cli("add", "seed", "1", "-c", "Travel").exit_code == 0
    _sql(
        book,
        "UPDATE settings SET value = 'xyz' WHERE key = 'date_order'",
        "UPDATE settings SET value = 'ZZZ' WHERE key = 'default_currency'",
    )
    assert set(cli("db", "check", "--json").error["fields"]) == {
        "setting date_order",
        "setting default_currency",
    }
    assert cli("config", "date_order", "dmy").exit_code == 0
    assert cli("config", "default_currency", "EUR").exit_code == 0
    assert ok(cli, "config") == {
        "default_currency": "EUR",
        "date_order": "dmy",
        "default_account": "Assets:Cash",
    }


# --- report totals beyond 64 bits ---------------------------------------------------------

# 999,999,999,999.9999 CLF (four minor digits): the largest amount `add` takes, in minor
# units; a thousand of them pass 2**63 - 1 (9.2e18), where SQLite's sum() stops.
BIG = 9_999_999_999_999_999
ROWS = 1_000


def test_a_report_total_beyond_64_bits_is_exact(cli: Cli, book: Path) -> None:
    assert cli("clients", "add", "Fomento", "--currency", "CLF").exit_code == 0
    added = ok(cli, "add", "seed", "999999999999.9999", "-c", "Travel", "--client", "Fomento")
    assert added["currency"] == "CLF"
    with closing(sqlite3.connect(book)) as conn, conn:
        conn.executemany(
            "INSERT INTO expenses (uid, description, date, amount_minor, currency, scale, "
            "category_id, client_id, approval_status, reimbursement_status, created_at, "
            "updated_at) VALUES (?, 'big', '2026-03-01', ?, 'CLF', 4, 1, 1, 'approved', "
            "'not_reimbursable', '2026-03-01T00:00:00.000000Z', '2026-03-01T00:00:00.000000Z')",
            ((f"big-{i}", BIG) for i in range(ROWS - 1)),
        )
    total = BIG * ROWS
    exact = f"{total // 10**4}.{total % 10**4:04d}"

    report = cli("report", "--json")
    assert report.exit_code == 0, report.stderr
    assert [row["total"] for row in report.data] == [exact]
    assert report.json["totals"] == [{"currency": "CLF", "count": ROWS, "total": exact}]
    by_month = cli("report", "--by", "month", "--by", "category")
    assert by_month.exit_code == 0, by_month.stderr
    assert exact in by_month.stdout.replace(",", "")


# --- through the installed command ------------------------------------------------------


def _damaged(cli: Cli, book: Path) -> Path:
    """A real book whose middle pages are overwritten: it opens (the schema page is intact)
    but reading the expenses meets a damaged page."""
    real_book(cli, book)
    data = bytearray(book.read_bytes())
    pages = len(data) // 4096
    for page in range(pages // 2, pages // 2 + pages // 4):
        data[page * 4096 : (page + 1) * 4096] = b"\xa5" * 4096
    book.write_bytes(bytes(data))
    return book


@installed
@pytest.mark.parametrize(
    "command",
    # `report --by client`: a report by day or category reads `day_totals`, not the pages
    [
        ("list", "--all"),
        ("report", "--by", "client"),
        ("show", "500"),
        ("export",),
        ("export", "-f", "json"),
    ],
    ids=" ".join,
)
def test_a_damaged_page_is_exit_6(cli: Cli, book: Path, command: tuple[str, ...]) -> None:
    _damaged(cli, book)
    result = run_installed(book, *command)
    assert result.returncode == 6, (result.stdout[-300:], result.stderr)
    assert "damaged" in result.stderr
    assert str(book) in result.stderr
    _no_traceback(result)


@installed
def test_db_check_reports_a_damaged_page_as_problems(cli: Cli, book: Path) -> None:
    _damaged(cli, book)
    result = run_installed(book, "db", "check", "--json")
    assert result.returncode == 4, (result.stdout, result.stderr)
    fields = json.loads(result.stderr)["error"]["fields"]
    assert any("malformed" in message for message in fields.values()), fields
    _no_traceback(result)


@installed
@pytest.mark.parametrize("tz", ["ABC+24", "XYZ-24:30"])  # glibc reads an unknown zone as UTC
def test_an_odd_tz_means_utc(book: Path, tz: str) -> None:
    env = {**installed_env(book), "TZ": tz}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        assert EXPENSE is not None
        return subprocess.run(
            [EXPENSE, *args], capture_output=True, text=True, env=env, timeout=60, check=False
        )

    before = datetime.now(UTC).date().isoformat()
    added = run("add", "Train", "45.10", "-c", "Travel", "--json")
    after = datetime.now(UTC).date().isoformat()
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["data"]["date"] in {before, after}
    listed = run("list", "--from", "today", "-q")
    assert listed.returncode == 0, listed.stderr
    assert run("add", "Later", "1", "-c", "Travel", "-d", "yesterday", "-q").returncode == 0


def _closed_stderr() -> None:
    os.close(2)


@installed
@pytest.mark.parametrize(
    ("command", "code"),
    [
        (("show", "99"), 3),
        (("add", "x", "-5", "-c", "Travel"), 4),
        (("list", "--limit", "0"), 2),
        (("export", "-o", "{dir}/out.csv"), 0),
    ],
)
def test_a_closed_stderr_never_changes_the_exit_code(
    book: Path, tmp_path: Path, command: tuple[str, ...], code: int
) -> None:
    assert EXPENSE is not None
    args = [arg.format(dir=tmp_path) for arg in command]
    result = subprocess.run(
        [EXPENSE, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env=installed_env(book), timeout=60, check=False, preexec_fn=_closed_stderr,
    )  # fmt: skip
    assert result.returncode == code, result.stdout


@installed
@pytest.mark.parametrize(
    "env",
    # LANG=C alone is fine already: Python coerces the C locale to UTF-8 (PEP 538).
    [{"PYTHONIOENCODING": "latin-1"}, {"PYTHONIOENCODING": "ascii"}],
    ids=["latin-1", "ascii"],
)
@pytest.mark.parametrize(
    "command", [("list",), ("list", "--json"), ("show", "1"), ("export",)], ids=" ".join
)
def test_a_non_utf8_stdout_still_gets_utf8(
    book: Path, env: dict[str, str], command: tuple[str, ...]
) -> None:
    assert EXPENSE is not None
    assert run_installed(book, "add", "Büro € café", "3", "-c", "Travel", "-q").returncode == 0
    result = subprocess.run(
        [EXPENSE, *command], capture_output=True, env={**installed_env(book), **env},
        timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert "Büro € café" in result.stdout.decode("utf-8")


@installed
def test_an_error_naming_non_ascii_text_on_a_latin1_stderr_keeps_its_code(book: Path) -> None:
    assert EXPENSE is not None
    result = subprocess.run(
        [EXPENSE, "add", "x", "1", "-c", "Kategorie-€"], capture_output=True,
        env={**installed_env(book), "PYTHONIOENCODING": "latin-1"}, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 4, result.stderr
    assert "Kategorie-€" in result.stderr.decode("utf-8")


# --- db check under load (item 20) -----------------------------------------------------

WRITERS = 8
CHECKS = 12


@installed
@pytest.mark.slow
def test_db_check_is_clean_beside_eight_writers(cli: Cli, book: Path) -> None:
    """Eight processes add and edit for as long as `db check` runs, twelve times over."""
    assert EXPENSE is not None
    assert cli("add", "seed", "1", "-c", "Travel").exit_code == 0
    loop = (
        f'while :; do "{EXPENSE}" add "w$0 $i" 1.$((i % 90 + 10)) -c Travel -t w$0 -q '
        ">/dev/null 2>&1; i=$((i + 1)); done"
    )
    writers = [
        subprocess.Popen(["sh", "-c", loop, str(n)], env=installed_env(book),
                         start_new_session=True)
        for n in range(WRITERS)
    ]  # fmt: skip
    try:
        time.sleep(1.0)  # the writers are busy before the first check
        results = [run_installed(book, "db", "check") for _ in range(CHECKS)]
    finally:
        for writer in writers:
            os.killpg(writer.pid, 15)
        for writer in writers:
            writer.wait(timeout=30)
    failed = [(r.returncode, r.stderr) for r in results if r.returncode != 0]
    assert failed == [], f"{len(failed)} of {CHECKS} checks failed: {failed[:3]}"
    assert len(ok(cli, "list", "--all")) > 1
