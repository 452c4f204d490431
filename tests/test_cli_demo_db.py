"""`demo` and the `db` maintenance commands end to end (reference §3): a demo book with a year of
sample data, refused on a non-empty book; `db path` creating nothing; `db check` finding each
broken invariant; `db backup` writing a consistent copy, also while another process writes."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, Result, ok

TABLES = ("expenses", "categories", "clients", "projects", "expense_tags", "settings")


def _all(cli: Cli, *db: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = ok(cli, *db, "list", "--all")
    return data


def _everything(cli: Cli, *db: str) -> list[dict[str, Any]]:
    """Live and deleted expenses."""
    return _all(cli, *db) + ok(cli, *db, "list", "--all", "--deleted")  # type: ignore[no-any-return]


def _rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in TABLES}
    finally:
        conn.close()


def _sql(path: Path, statement: str, *params: Any) -> None:
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute(statement, params)
    finally:
        conn.close()


# demo ---------------------------------------------------------------------------------
def _check_demo_book(cli: Cli, *db: str) -> list[dict[str, Any]]:
    expenses = _all(cli, *db)
    clients = ok(cli, *db, "clients")
    projects = ok(cli, *db, "projects")
    categories = ok(cli, *db, "categories")

    assert len({c["currency"] for c in clients}) >= 2
    assert projects and all(p["client"]["name"] in {c["name"] for c in clients} for p in projects)
    unit_based = {c["name"] for c in categories if c["basis"] == "unit"}
    assert unit_based
    assert any(e["category"]["name"] in unit_based and e["units"] for e in expenses)
    assert any(e["project"] for e in expenses)
    assert {e["currency"] for e in expenses} >= {c["currency"] for c in clients}
    days = sorted(date.fromisoformat(e["date"]) for e in expenses)
    assert days[-1] <= date.today()
    assert 300 <= (days[-1] - days[0]).days <= 400
    assert 11 <= len({d.strftime("%Y-%m") for d in days}) <= 13
    assert len(expenses) >= 50
    return expenses


def test_demo_fills_a_demo_book_and_shows_list_and_report(
    cli: Cli, book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    demo_book = tmp_path / "data" / "expense" / "demo.db"

    result = cli("demo")

    assert result.exit_code == 0, result.stderr
    assert not book.exists()  # the user's own book is never touched (§10.1 item 16)
    assert str(demo_book) in result.stderr
    monkeypatch.setenv("EXPENSE_DB", str(demo_book))
    expenses = _check_demo_book(cli)
    newest = ok(cli, "list", "--limit", "1")[0]
    assert newest["description"] in result.stdout
    assert newest["amount"] in result.stdout
    for row in ok(cli, "report"):
        assert row["group"]["category"]["name"] in result.stdout
        assert row["total"] in result.stdout
    assert "Traceback" not in result.stderr
    assert len(expenses) == len(_everything(cli))
    assert cli("db", "check").exit_code == 0
    again = cli("demo")  # recreated each time: the same book again, not refused
    assert again.exit_code == 0, again.stderr
    assert len(_everything(cli)) == len(expenses)


def test_demo_with_db_fills_that_book_only(cli: Cli, book: Path, tmp_path: Path) -> None:
    target = tmp_path / "sub" / "demo.db"

    result = cli("demo", "--db", str(target))

    assert result.exit_code == 0, result.stderr
    assert target.exists()
    assert not book.exists()
    _check_demo_book(cli, "--db", str(target))


def _seed_expense(cli: Cli) -> None:
    ok(cli, "add", "Mine", "1.00", "-c", "Travel")


def _seed_deleted(cli: Cli) -> None:
    expense = ok(cli, "add", "Mine", "1.00", "-c", "Travel")
    assert cli("delete", str(expense["id"])).exit_code == 0


def _seed_client(cli: Cli) -> None:
    ok(cli, "clients", "add", "Mine Ltd")


def _seed_category(cli: Cli) -> None:
    ok(cli, "categories", "add", "Mileage", "--unit", "mi", "--unit-price", "0.67")


@pytest.mark.parametrize(
    "seed",
    [_seed_expense, _seed_deleted, _seed_client, _seed_category],
    ids=["expense", "deleted-expense", "client", "category"],
)
def test_demo_refuses_a_non_empty_book_and_adds_nothing(cli: Cli, book: Path, seed: Any) -> None:
    seed(cli)
    before = _rows(book)

    result = cli("demo", "--db", str(book))

    assert result.exit_code == 5, (result.stdout, result.stderr)
    assert result.stderr.startswith("Error:")
    assert "Traceback" not in result.stderr
    assert _rows(book) == before


# db path ------------------------------------------------------------------------------
def test_db_path_prints_the_book_path_and_creates_nothing(cli: Cli, book: Path) -> None:
    result = cli("db", "path")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{book}\n"
    assert not book.exists()


def test_db_path_follows_the_db_option_and_creates_no_folder(
    cli: Cli, book: Path, tmp_path: Path
) -> None:
    nested = tmp_path / "not" / "yet" / "there.db"

    human = cli("--db", str(nested), "db", "path")
    as_json = cli("--db", str(nested), "db", "path", "--json")

    assert human.exit_code == 0, human.stderr
    assert human.stdout.strip() == str(nested)
    assert as_json.exit_code == 0, as_json.stderr
    assert as_json.json == {"data": {"path": str(nested)}}
    assert not (tmp_path / "not").exists()
    assert not book.exists()


# db check -----------------------------------------------------------------------------
@pytest.fixture
def linked(cli: Cli, tmp_path: Path) -> dict[str, int]:
    """Filler expenses, then four linked ones whose ids name the problems found later."""
    ok(cli, "clients", "add", "Acme")
    ok(cli, "clients", "add", "Globex")
    ok(cli, "clients", "add", "Euro GmbH", "--currency", "EUR")
    ok(cli, "projects", "add", "Site", "--client", "Acme")
    ok(cli, "categories", "add", "Mileage", "--unit", "km", "--unit-price", "0.58")
    filler = tmp_path / "filler.csv"
    filler.write_text(
        "date,description,amount,category\n"
        + "".join(f"2025-01-{d:02d},Filler {d},{d}.00,Travel\n" for d in range(1, 21)),
        encoding="utf-8",
    )
    assert cli("import", str(filler)).exit_code == 0
    ids = {
        "project": ok(cli, "add", "Hosting", "10.00", "-c", "Software", "-p", "Site")["id"],
        "units": ok(cli, "add", "Drive", "--units", "100", "-c", "Mileage")["id"],
        "currency": ok(cli, "add", "Lunch", "12.00", "-c", "Meals", "--client", "Acme")["id"],
        "reference": ok(cli, "add", "Taxi", "7.00", "-c", "Travel", "-t", "x")["id"],
    }
    clients = {c["name"]: c["id"] for c in ok(cli, "clients")}
    assert all(i > 20 for i in ids.values())
    ids["globex"], ids["euro"] = clients["Globex"], clients["Euro GmbH"]
    return ids


CORRUPTIONS = {
    "project": "UPDATE expenses SET client_id = {globex} WHERE id = {project}",
    "units": "UPDATE expenses SET amount_minor = amount_minor + 1 WHERE id = {units}",
    "currency": "UPDATE expenses SET currency = 'EUR' WHERE id = {currency}",
    "reference": "UPDATE expenses SET category_id = 999 WHERE id = {reference}",
}


def _mentions(fields: dict[str, str], expense_id: int) -> bool:
    return any(re.search(rf"\b{expense_id}\b", f"{k} {v}") for k, v in fields.items())


def _check_failed(result: Result) -> dict[str, str]:
    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert result.stdout == ""
    error = result.error
    assert error["code"] == "validation_failed"
    fields: dict[str, str] = error["fields"]
    return fields


@pytest.mark.usefixtures("linked")
def test_db_check_of_a_clean_book_exits_0(cli: Cli) -> None:
    human = cli("db", "check")
    as_json = cli("db", "check", "--json")

    assert human.exit_code == 0, human.stderr
    assert human.stderr == ""
    assert as_json.exit_code == 0, as_json.stderr
    assert "data" in as_json.json


def test_db_check_of_a_new_book_exits_0(cli: Cli) -> None:
    # A read creates no book (reference §10.1 item 14): the first write does.
    assert cli("config", "date_order", "ymd").exit_code == 0
    assert cli("db", "check").exit_code == 0


@pytest.mark.parametrize("problem", list(CORRUPTIONS))
def test_db_check_finds_each_broken_invariant(
    cli: Cli, book: Path, linked: dict[str, int], problem: str
) -> None:
    _sql(book, CORRUPTIONS[problem].format(**linked))

    fields = _check_failed(cli("db", "check", "--json"))

    assert _mentions(fields, linked[problem]), fields
    others = [linked[k] for k in CORRUPTIONS if k != problem]
    assert not any(_mentions(fields, other) for other in others), fields


def test_db_check_a_project_without_its_client(
    cli: Cli, book: Path, linked: dict[str, int]
) -> None:
    _sql(book, "UPDATE expenses SET client_id = NULL WHERE id = ?", linked["project"])

    fields = _check_failed(cli("db", "check", "--json"))

    assert _mentions(fields, linked["project"]), fields


def test_db_check_lists_every_problem(cli: Cli, book: Path, linked: dict[str, int]) -> None:
    for statement in CORRUPTIONS.values():
        _sql(book, statement.format(**linked))

    fields = _check_failed(cli("db", "check", "--json"))
    human = cli("db", "check")

    assert len(fields) >= len(CORRUPTIONS)
    for problem in CORRUPTIONS:
        assert _mentions(fields, linked[problem]), (problem, fields)
    assert human.exit_code == 4
    assert human.stderr.startswith("Error:")
    assert len(human.stderr.strip().splitlines()) >= 1 + len(CORRUPTIONS)


def test_db_check_lists_two_problems_of_one_expense(
    cli: Cli, book: Path, linked: dict[str, int]
) -> None:
    _sql(book, CORRUPTIONS["units"].format(**linked))
    _sql(book, "UPDATE expenses SET client_id = ? WHERE id = ?", linked["euro"], linked["units"])

    fields = _check_failed(cli("db", "check", "--json"))

    about = [f"{k}: {v}" for k, v in fields.items() if _mentions({k: v}, linked["units"])]
    assert len(about) == 2, fields


def test_db_check_changes_nothing(cli: Cli, book: Path, linked: dict[str, int]) -> None:
    _sql(book, CORRUPTIONS["units"].format(**linked))
    before = _rows(book)

    assert cli("db", "check").exit_code == 4
    assert _rows(book) == before


# db backup ----------------------------------------------------------------------------
def _integrity(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def _leftovers(folder: Path, keep: set[str]) -> set[str]:
    """Files in `folder` besides the books in `keep` and their -wal/-shm files."""
    return {
        p.name for p in folder.iterdir() if p.name.removesuffix("-wal").removesuffix("-shm")
        not in keep
    }  # fmt: skip


@pytest.mark.usefixtures("linked")
def test_backup_writes_a_copy_with_the_same_rows(cli: Cli, book: Path, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    dest = folder / "copy.db"

    result = cli("db", "backup", str(dest))

    assert result.exit_code == 0, result.stderr
    assert _integrity(dest) == "ok"
    assert _rows(dest) == _rows(book)
    assert _everything(cli, "--db", str(dest)) == _everything(cli)
    assert cli("--db", str(dest), "db", "check").exit_code == 0
    assert _leftovers(folder, {"copy.db"}) == set()


def test_backup_refuses_an_existing_destination_without_force(cli: Cli, tmp_path: Path) -> None:
    ok(cli, "add", "Taxi", "7.00", "-c", "Travel")
    dest = tmp_path / "existing.db"
    dest.write_bytes(b"not a backup")

    human = cli("db", "backup", str(dest))
    as_json = cli("db", "backup", str(dest), "--json")

    assert human.exit_code == 5
    assert human.stderr.startswith("Error:")
    assert as_json.exit_code == 5
    assert as_json.error["code"] == "conflict"
    assert dest.read_bytes() == b"not a backup"


def test_backup_with_force_replaces_the_destination(cli: Cli, book: Path, tmp_path: Path) -> None:
    ok(cli, "add", "Taxi", "7.00", "-c", "Travel")
    dest = tmp_path / "copy.db"
    assert cli("db", "backup", str(dest)).exit_code == 0
    ok(cli, "add", "Lunch", "12.00", "-c", "Meals")
    assert cli("db", "backup", str(dest)).exit_code == 5
    assert [e["description"] for e in _all(cli, "--db", str(dest))] == ["Taxi"]

    result = cli("db", "backup", str(dest), "--force")

    assert result.exit_code == 0, result.stderr
    assert sorted(e["description"] for e in _all(cli, "--db", str(dest))) == ["Lunch", "Taxi"]
    assert _rows(dest) == _rows(book)
    assert _leftovers(tmp_path, {"copy.db", "book.db"}) == set()


def _executable() -> str | None:
    beside = Path(sys.executable).parent / "expense"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("expense")


def _count(path: Path) -> int:
    conn = sqlite3.connect(path, timeout=10)
    try:
        return int(conn.execute("SELECT count(*) FROM expenses").fetchone()[0])
    finally:
        conn.close()


_WRITER = """
i=0
while [ ! -e "$STOP" ]; do
  "$EXPENSE" add "Loop $i" 1.00 -c Travel -t loop -q > /dev/null || exit 1
  i=$((i + 1))
done
"""


def test_backup_while_another_process_writes(cli: Cli, book: Path, tmp_path: Path) -> None:
    expense = _executable()
    shell = shutil.which("sh")
    if expense is None or shell is None:
        pytest.skip("needs the installed `expense` command and sh")
    ok(cli, "add", "Seed", "1.00", "-c", "Travel")
    stop = tmp_path / "stop"
    env = {**os.environ, "EXPENSE_DB": str(book), "EXPENSE": expense, "STOP": str(stop)}
    writer = subprocess.Popen([shell, "-c", _WRITER], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)  # fmt: skip
    copies: list[tuple[Path, int]] = []
    try:
        deadline = time.monotonic() + 30
        for n in range(3):
            while _count(book) < 2 + n and time.monotonic() < deadline:
                assert writer.poll() is None, writer.stderr.read() if writer.stderr else ""
                time.sleep(0.05)
            assert writer.poll() is None, "the writer stopped early"
            floor = _count(book)
            dest = tmp_path / f"copy{n}.db"
            result = cli("db", "backup", str(dest))
            assert result.exit_code == 0, result.stderr
            copies.append((dest, floor))
        assert writer.poll() is None, "the writer stopped before the last backup"
    finally:
        stop.touch()
        _, errors = writer.communicate(timeout=60)
    assert writer.returncode == 0, errors

    final = {e["id"]: e for e in _all(cli)}
    for dest, floor in copies:
        assert _integrity(dest) == "ok"
        check = cli("--db", str(dest), "db", "check")
        assert check.exit_code == 0, check.stderr
        copied = _all(cli, "--db", str(dest))
        assert floor <= len(copied) <= len(final)
        for e in copied:
            assert e == final[e["id"]]
    assert len(copies[-1][0].read_bytes()) > 0
    assert len(final) > copies[0][1]
