"""History and undo (reference §10.8, §10.10 items 11 and 12): every write path records
exactly one change; `undo` restores exactly what `show --json` printed before."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expense_cli.store import Store, schema
from tests.books import frozen_book, old_expense, query
from tests.conftest import Cli, installed_env, ok


def _add(cli: Cli, description: str = "Train", *extra: str) -> int:
    return int(ok(cli, "add", description, "45.10", "-c", "Travel", *extra)["id"])


def _log(cli: Cli) -> list[dict[str, Any]]:
    return list(ok(cli, "log", "--limit", "200"))


def _show(cli: Cli, expense_id: int) -> dict[str, Any]:
    return dict(ok(cli, "show", str(expense_id), "--deleted"))


def _import_file(tmp_path: Path, rows: int, name: str = "in.csv") -> Path:
    path = tmp_path / name
    lines = ["date,description,amount,category"]
    lines += [f"2025-03-{1 + i % 28:02d},Row {i},{i}.50,Travel" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


# every write path: one change, and undo puts back exactly what show printed ------------
def _billable(cli: Cli) -> int:
    ok(cli, "clients", "add", "Acme")
    return _add(cli, "Hotel", "--client", "Acme", "--billable")


WRITES: dict[str, tuple[Callable[[Cli], int], Callable[[Cli, int], list[str]]]] = {
    "edit": (_add, lambda c, i: ["edit", str(i), "--amount", "50", "-n", "late"]),
    "delete": (_add, lambda c, i: ["delete", str(i)]),
    "tag": (lambda c: _add(c, "Train", "-t", "a"), lambda c, i: ["tag", str(i), "x", "y"]),
    "attach": (_billable, lambda c, i: ["attach", str(i), "--client", ""]),
    "detach": (_billable, lambda c, i: ["detach", str(i)]),
    "invoice": (_billable, lambda c, i: ["invoice", str(i), "--ref", "INV-1"]),
}


@pytest.mark.parametrize("command", sorted(WRITES))
def test_a_change_is_one_log_entry_and_undo_restores_it_exactly(cli: Cli, command: str) -> None:
    make, args = WRITES[command]
    expense_id = make(cli)
    before = _show(cli, expense_id)
    changes = len(_log(cli))
    result = cli(*args(cli, expense_id), "--json")
    assert result.exit_code == 0, result.stderr
    assert _show(cli, expense_id) != before
    log = _log(cli)
    assert len(log) == changes + 1
    assert log[0]["command"] == command
    assert log[0]["expense_ids"] == [expense_id]
    undone = cli("undo", "--json")
    assert undone.exit_code == 0, undone.stderr
    assert undone.data["undoes"] == log[0]["change"]
    assert undone.data["expenses"] == [before]
    assert _show(cli, expense_id) == before  # updated_at included
    assert _log(cli)[0]["command"] == "undo"
    assert _log(cli)[0]["undoes"] == log[0]["change"]


def test_restore_and_uninvoice_are_logged_and_undone(cli: Cli) -> None:
    expense_id = _billable(cli)
    ok(cli, "delete", str(expense_id))
    before = _show(cli, expense_id)
    ok(cli, "restore", str(expense_id))
    assert _log(cli)[0]["command"] == "restore"
    assert ok(cli, "undo")["expenses"] == [before]
    assert _show(cli, expense_id)["deleted_at"] is not None
    ok(cli, "restore", str(expense_id))
    ok(cli, "invoice", str(expense_id), "--ref", "A-1")
    invoiced = _show(cli, expense_id)
    ok(cli, "uninvoice", str(expense_id))
    assert _log(cli)[0]["command"] == "uninvoice"
    ok(cli, "undo")
    assert _show(cli, expense_id) == invoiced


def test_a_command_that_changes_nothing_records_nothing(cli: Cli) -> None:
    expense_id = _add(cli)
    count = len(_log(cli))
    assert cli("restore", str(expense_id), "--json").exit_code == 0  # live: a no-op
    assert cli("edit", str(expense_id), "--amount", "-1", "--json").exit_code == 4
    assert cli("edit", str(expense_id), "--amount", "45.10", "--json").exit_code == 0
    assert cli("tag", str(expense_id), "--json").exit_code == 0  # prints the tags
    assert cli("delete", "999", "--json").exit_code == 3
    assert len(_log(cli)) == count


def test_add_and_clone_are_creations_undone_entirely(cli: Cli, book: Path) -> None:
    source = _add(cli, "Train", "-t", "a")
    clone = int(ok(cli, "clone", str(source), "-d", "2025-03-04")["id"])
    assert [e["command"] for e in _log(cli)] == ["clone", "add"]
    undone = ok(cli, "undo")
    assert set(undone) == {"change", "undoes", "expenses"}  # reference §10.10 item 12
    assert undone["expenses"] == []
    assert cli("show", str(source), "--json").exit_code == 0
    assert cli("show", str(clone), "--deleted", "--json").exit_code == 3
    assert clone not in [e["id"] for e in ok(cli, "list", "--deleted")]
    assert query(book, "SELECT count(*) FROM expense_tags WHERE expense_id = ?", [clone]) == [(0,)]
    # ids are never reused: the next expense does not get the removed one's id
    assert _add(cli) == clone + 1


def test_repeated_undo_walks_back_and_then_exits_3(cli: Cli) -> None:
    expense_id = _add(cli)
    first = _show(cli, expense_id)
    ok(cli, "edit", str(expense_id), "--description", "Plane")
    second = _show(cli, expense_id)
    ok(cli, "edit", str(expense_id), "--amount", "99")
    ok(cli, "undo")
    assert _show(cli, expense_id) == second
    ok(cli, "undo")
    assert _show(cli, expense_id) == first
    ok(cli, "undo")
    assert cli("show", str(expense_id), "--deleted", "--json").exit_code == 3
    result = cli("undo", "--json")
    assert result.exit_code == 3
    assert result.error["code"] == "not_found"
    assert "nothing to undo" in result.error["message"]


def test_dry_run_shows_the_states_and_changes_nothing(cli: Cli, book: Path) -> None:
    expense_id = _add(cli)
    before = _show(cli, expense_id)
    ok(cli, "edit", str(expense_id), "--amount", "60")
    after = _show(cli, expense_id)
    count = len(_log(cli))
    dry = cli("undo", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    assert dry.data == {"undoes": count, "expenses": [before]}
    assert _show(cli, expense_id) == after
    assert len(_log(cli)) == count


def test_import_is_one_change_its_undo_removes_every_row(cli: Cli, tmp_path: Path) -> None:
    _add(cli)
    result = cli("import", str(_import_file(tmp_path, 30)), "--json")
    assert result.exit_code == 0, result.stderr
    log = _log(cli)
    assert len(log) == 2
    assert log[0]["command"] == "import"
    assert log[0]["expense_ids"] == list(range(2, 32))
    history = ok(cli, "history", "5")
    assert [h["command"] for h in history] == ["import"]
    assert history[0]["before"] is None
    assert history[0]["after"] == _show(cli, 5)
    ok(cli, "edit", "5", "--amount", "1")
    # the import's `after` is the expense as imported, not as it is now
    assert ok(cli, "history", "5")[0]["after"] == history[0]["after"]
    ok(cli, "undo")
    undone = ok(cli, "undo")
    assert undone["expenses"] == []
    assert [e["id"] for e in ok(cli, "list", "--all")] == [1]
    assert ok(cli, "list", "--deleted") == []
    again = cli("import", str(_import_file(tmp_path, 2, "b.csv")), "--json")
    assert again.exit_code == 0
    assert [e["id"] for e in ok(cli, "list", "--all")] == [33, 32, 1]


def test_history_is_oldest_first_with_states_and_works_on_deleted(cli: Cli) -> None:
    expense_id = _add(cli)
    created = _show(cli, expense_id)
    ok(cli, "tag", str(expense_id), "x")
    tagged = _show(cli, expense_id)
    ok(cli, "delete", str(expense_id))
    deleted = _show(cli, expense_id)
    history = ok(cli, "history", str(expense_id))
    assert [h["command"] for h in history] == ["add", "tag", "delete"]
    assert set(history[0]) == {"change", "at", "command", "summary", "undoes", "before", "after"}
    assert [(h["before"], h["after"]) for h in history] == [
        (None, created), (created, tagged), (tagged, deleted)
    ]  # fmt: skip
    assert history[0]["at"].endswith("Z") and len(history[0]["at"]) == 27
    assert cli("history", "999", "--json").exit_code == 3
    assert cli("history", "1", "-q").stdout.split() == [str(h["change"]) for h in history]


def test_log_since_and_limit(cli: Cli) -> None:
    for _ in range(3):
        _add(cli)
    log = ok(cli, "log", "--limit", "2")
    assert [e["change"] for e in log] == [3, 2]
    assert set(log[0]) == {"change", "at", "command", "summary", "undoes", "expense_ids"}
    assert len(ok(cli, "log", "--since", "2000-01-01")) == 3
    assert ok(cli, "log", "--since", "2999-01-01") == []
    for bad in (["--limit", "0"], ["--limit", "201"], ["--since", "soon"]):
        result = cli("log", *bad, "--json")
        assert result.exit_code == 2, bad
        assert result.error["code"] == "usage"


def test_undo_conflict_changes_nothing(cli: Cli) -> None:
    ok(cli, "categories", "add", "Gadgets")
    expense_id = _add(cli, "Phone", "-c", "Gadgets")
    ok(cli, "edit", str(expense_id), "-c", "Travel")
    ok(cli, "categories", "delete", "Gadgets")
    now = _show(cli, expense_id)
    count = len(_log(cli))
    result = cli("undo", "--json")
    assert result.exit_code == 5
    assert result.error["code"] == "conflict"
    assert "category" in result.error["message"]
    assert _show(cli, expense_id) == now
    assert len(_log(cli)) == count


def test_undo_re_links_archived_records(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    expense_id = _add(cli, "Hotel", "--client", "Acme")
    before = _show(cli, expense_id)
    ok(cli, "detach", str(expense_id))
    ok(cli, "clients", "archive", "Acme")
    ok(cli, "undo")
    assert _show(cli, expense_id) == before


def test_undone_creation_keeps_its_idempotency_key(cli: Cli) -> None:
    args = ("add", "Hosting", "10", "-c", "Software", "--idempotency-key", "k-1")
    ok(cli, *args)
    ok(cli, "undo")
    result = cli(*args, "--json")
    assert result.exit_code == 3
    assert result.error["code"] == "not_found"


# receipts, recurring, bulk: the paths other features added ---------------------------
def test_receipt_add_and_remove_are_changes_undone_with_their_links(
    cli: Cli, tmp_path: Path
) -> None:
    expense_id = _add(cli)
    before = _show(cli, expense_id)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4 receipt")
    ok(cli, "receipt", "add", str(expense_id), str(scan))
    with_receipt = _show(cli, expense_id)
    assert _log(cli)[0]["command"] == "receipt add"
    [receipt] = with_receipt["receipts"]
    ok(cli, "receipt", "remove", str(receipt["id"]))
    assert _log(cli)[0]["command"] == "receipt remove"
    ok(cli, "undo")
    assert _show(cli, expense_id) == with_receipt  # the link, its id and bytes are back
    ok(cli, "undo")
    assert _show(cli, expense_id) == before


def test_undo_needing_vacuumed_receipt_bytes_is_a_conflict(cli: Cli, tmp_path: Path) -> None:
    expense_id = _add(cli)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4 gone")
    ok(cli, "receipt", "add", str(expense_id), str(scan))
    [receipt] = _show(cli, expense_id)["receipts"]
    ok(cli, "receipt", "remove", str(receipt["id"]))
    ok(cli, "db", "vacuum")
    now = _show(cli, expense_id)
    result = cli("undo", "--json")
    assert result.exit_code == 5
    assert result.error["code"] == "conflict"
    assert _show(cli, expense_id) == now


def test_recurring_run_is_one_change_per_schedule_and_undo_keeps_the_key(cli: Cli) -> None:
    first = int(ok(cli, "add", "Hosting", "10", "-c", "Software", "-d", "2025-01-01")["id"])
    second = int(ok(cli, "add", "Office", "100", "-c", "Rent", "-d", "2025-01-01")["id"])
    for source in (first, second):
        assert cli("recurring", "add", str(source), "--every", "month", "-q").exit_code == 0
    count = len(_log(cli))
    ran = cli("recurring", "run", "--through", "2025-03-01", "--json")
    assert ran.exit_code == 0, ran.stderr
    log = _log(cli)
    runs = log[: len(log) - count]
    assert [e["command"] for e in runs] == ["recurring run", "recurring run"]
    made = sorted(i for e in runs for i in e["expense_ids"])
    assert len(made) >= 2
    ok(cli, "undo")
    rerun = cli("recurring", "run", "--through", "2025-03-01", "--json")
    assert rerun.exit_code == 0, rerun.stderr
    assert len(_log(cli)) == len(log) + 1  # the undo only: nothing re-created


def test_bulk_edit_is_one_change(cli: Cli) -> None:
    ids = [_add(cli, f"Row {i}") for i in range(3)]
    before = [_show(cli, i) for i in ids]
    result = cli("edit", "-", "-c", "Software", "--json", input="\n".join(map(str, ids)))
    assert result.exit_code == 0, result.stderr
    assert _log(cli)[0]["expense_ids"] == ids
    assert len(_log(cli)) == 4
    ok(cli, "undo")
    assert [_show(cli, i) for i in ids] == before


# the book: migration, reliability ------------------------------------------------------
_STEP = schema.STEPS.index(schema._m_history)


def test_a_book_from_before_the_log_upgrades_with_its_rows(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with frozen_book(path, _STEP) as conn:
        old_expense(conn, amount_minor=990)
        conn.execute(
            "INSERT INTO idempotency_keys VALUES ('k', 'f', 1, '2025-03-04T10:00:00.000000Z')"
        )
    rows = query(path, "SELECT * FROM expenses")
    Store.open(path).close()
    assert query(path, "PRAGMA user_version") == [(schema.LATEST,)]
    assert query(path, "SELECT * FROM expenses") == rows
    assert query(path, "SELECT key, expense_id FROM idempotency_keys") == [("k", 1)]
    db = ("--db", str(path))
    assert ok(cli, *db, "history", "1") == []
    before = ok(cli, *db, "show", "1")
    ok(cli, *db, "edit", "1", "--amount", "5")
    ok(cli, *db, "undo")
    assert ok(cli, *db, "show", "1") == before
    assert cli(*db, "undo", "--json").exit_code == 3


_BURST = """
import sys
from pathlib import Path
from expense_cli.domain.inputs import ExpenseInput
from expense_cli.domain.expenses import add_expense, edit_expense
from expense_cli.store import Store

store = Store.open(Path(sys.argv[1]))
print("ready", flush=True)
n = 0
while True:
    n += 1
    made = add_expense(store, ExpenseInput(description=f"e{n}", amount="1", category="Travel"))
    edit_expense(store, made.id, ExpenseInput(notes=f"n{n}"))
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_kill_9_during_changes_leaves_change_and_log_entry_or_neither(book: Path) -> None:
    Store.open(book).close()
    for round_ in range(3):
        with subprocess.Popen(
            [sys.executable, "-c", _BURST, str(book)], stdout=subprocess.PIPE, text=True,
            env=installed_env(book),
        ) as proc:  # fmt: skip
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(0.4 + 0.23 * round_)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        assert proc.returncode == -signal.SIGKILL
        Store.open(book).close()  # recovers the WAL
        expenses = query(book, "SELECT id, notes FROM expenses ORDER BY id")
        assert expenses
        created = query(book, "SELECT first_id, last_id FROM change_created")
        logged = {i for first, last in created for i in range(first, last + 1)}
        assert logged == {e[0] for e in expenses}
        edited = {r[0] for r in query(book, "SELECT expense_id FROM change_expenses")}
        assert edited == {e[0] for e in expenses if e[1] is not None}


def test_quiet_and_table_output(cli: Cli, tmp_path: Path) -> None:
    expense_id = _add(cli)
    ok(cli, "edit", str(expense_id), "--amount", "2")
    assert cli("log", "-q").stdout.split() == ["2", "1"]
    table = cli("history", str(expense_id))
    assert table.exit_code == 0
    assert "expense 1: amount" in table.stdout
    dry = cli("undo", "--dry-run", "-q")
    assert (dry.exit_code, dry.stdout) == (0, "")
    undone = cli("undo", "-q")
    assert (undone.exit_code, undone.stdout.split()) == (0, ["3"])
    # an import dry run writes nothing, so it logs nothing
    result = cli("import", str(_import_file(tmp_path, 3)), "--dry-run", "--json")
    assert result.exit_code == 0
    assert len(_log(cli)) == 3


EDITS = [
    ("--amount", "7"), ("--description", "Bus"), ("-n", "note"), ("-c", "Meals"),
    ("--time", "10:30"), ("--billable", None),
]  # fmt: skip


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(range(len(EDITS))), min_size=1, max_size=4))
def test_undoing_every_edit_walks_back_to_the_start(cli: Cli, steps: list[int]) -> None:
    expense_id = _add(cli, "Train", "-t", "keep")
    states = [_show(cli, expense_id)]
    for step in steps:
        option, value = EDITS[step]
        args = [option] if value is None else [option, value]
        ok(cli, "edit", str(expense_id), *args)
        if _show(cli, expense_id) != states[-1]:  # an edit to the same values logs nothing
            states.append(_show(cli, expense_id))
    for state in reversed(states[:-1]):
        ok(cli, "undo")
        assert _show(cli, expense_id) == state


def test_reading_the_log_of_a_missing_book_creates_nothing(cli: Cli, book: Path) -> None:
    assert ok(cli, "log") == []
    assert cli("history", "1", "--json").exit_code == 3
    assert cli("undo", "--json").exit_code == 3
    assert not book.exists()


def test_summaries_name_fields_as_the_json_does(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    ok(cli, "projects", "add", "Web", "--client", "Acme")
    expense = int(ok(cli, "add", "x", "1.00", "-c", "Travel")["id"])
    ok(cli, "edit", str(expense), "-c", "Meals")
    ok(cli, "attach", str(expense), "-p", "Web")

    summaries = [entry["summary"] for entry in ok(cli, "log")]

    assert "category" in summaries[1] and "category_id" not in summaries[1]
    assert "project" in summaries[0] and "_id" not in summaries[0]
