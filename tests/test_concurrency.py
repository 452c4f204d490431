"""Concurrent writers (reference §7, §6, §8 reliability): real `expense` processes writing one book
at once, and a writer holding the lock shorter and longer than the 10 s busy timeout.

Every command is the installed `expense` in its own OS process, as cron jobs and scripts run
it. `EXPENSE_STRESS=1` runs twelve processes instead of eight, with five times the commands.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from expense_cli.store import schema
from expense_cli.store.connection import DEFAULT_BUSY_TIMEOUT_MS
from tests.conftest import EXPENSE, Cli, installed_env, run_installed

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(EXPENSE is None, reason="the `expense` command is not installed"),
]
STRESS = os.environ.get("EXPENSE_STRESS") == "1"
WORKERS = 12 if STRESS else 8
ADDS = 25 if STRESS else 5  # per worker; then i % 4 == 1 is tagged, i % 4 == 3 edited
BUSY_TIMEOUT_S = DEFAULT_BUSY_TIMEOUT_MS / 1000

# One writer: a loop of real `expense` commands, one JSON line per command on stdout.
WORKER = r"""
import json, subprocess, sys
exe, worker, adds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def run(*args):
    proc = subprocess.run([exe, *args], capture_output=True, text=True, timeout=300)
    print(json.dumps({"args": list(args), "rc": proc.returncode, "out": proc.stdout,
                      "err": proc.stderr}), flush=True)
    return proc

for i in range(adds):
    added = run("add", f"w{worker} item {i}", f"{worker}.{i:02d}", "-c", "Travel",
                "-t", f"w{worker}", "-q")
    if added.returncode != 0:
        continue
    expense_id = added.stdout.strip()
    if i % 4 == 1:
        run("tag", expense_id, "--add", f"t{worker}-{i}")
    elif i % 4 == 3:
        run("edit", expense_id, "--amount", f"1{worker}{i:02d}.50", "--notes", f"by w{worker}")
"""


def _start(book: Path, *args: str) -> subprocess.Popen[str]:
    assert EXPENSE is not None
    return subprocess.Popen(
        [EXPENSE, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=installed_env(book),
    )


def _all_at_once(book: Path, commands: list[list[str]]) -> list[tuple[int, str, str]]:
    """Start every command before waiting for any: they race for the book."""
    procs = [_start(book, *command) for command in commands]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append((proc.returncode, out, err))
    return results


def _expenses(cli: Cli) -> list[dict[str, Any]]:
    result = cli("list", "--all", "--json")
    assert result.exit_code == 0, result.stderr
    return list(result.data)


def _assert_check_clean(book: Path) -> None:
    check = run_installed(book, "db", "check")
    assert check.returncode == 0, (check.stdout, check.stderr)
    assert check.stdout.startswith("ok"), check.stdout


def test_eight_writers_at_once_lose_nothing(cli: Cli, book: Path) -> None:
    """Eight writer loops (twelve under stress) start on a book that does not exist yet, so
    their first commands also race its creation and migration."""
    assert EXPENSE is not None and not book.exists()
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, EXPENSE, str(k), str(ADDS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=installed_env(book),
        )
        for k in range(WORKERS)
    ]
    logs: dict[int, list[dict[str, Any]]] = {}
    for k, proc in enumerate(workers):
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        logs[k] = [json.loads(line) for line in out.splitlines()]

    failed = [entry for log in logs.values() for entry in log if entry["rc"] != 0]
    assert failed == [], failed[:3]
    commands = sum(len(log) for log in logs.values())
    assert commands == WORKERS * (ADDS + len(range(1, ADDS, 4)) + len(range(3, ADDS, 4)))

    rows = _expenses(cli)
    assert len(rows) == WORKERS * ADDS
    assert len({row["id"] for row in rows}) == len(rows)
    by_description = {row["description"]: row for row in rows}
    for k, log in logs.items():
        printed = [int(e["out"]) for e in log if e["args"][0] == "add"]
        mine = [by_description[f"w{k} item {i}"] for i in range(ADDS)]
        assert [row["id"] for row in mine] == printed  # the id each add printed is its row
        for i, row in enumerate(mine):
            tags = [f"w{k}"] + ([f"t{k}-{i}"] if i % 4 == 1 else [])
            assert row["tags"] == sorted(tags, key=str.casefold)
            if i % 4 == 3:
                assert (row["amount"], row["notes"]) == (f"1{k}{i:02d}.50", f"by w{k}")
            else:
                assert (row["amount"], row["notes"]) == (f"{k}.{i:02d}", None)
    assert book.stat().st_mode & 0o777 == 0o600
    with closing(sqlite3.connect(book)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST
        assert conn.execute("SELECT count(*) FROM categories").fetchone()[0] == 11
    _assert_check_clean(book)


def test_eight_processes_racing_one_idempotency_key_create_one_expense(
    cli: Cli, book: Path
) -> None:
    """Reference §6: the cron job retried eight times at once still creates exactly one expense."""
    run_installed(book, "config")
    command = ["add", "Hosting", "20.00", "-c", "Software", "--idempotency-key", "race", "--json"]
    results = _all_at_once(book, [command] * WORKERS)
    assert [rc for rc, _, _ in results] == [0] * WORKERS, [err for _, _, err in results]
    ids = {json.loads(out)["data"]["id"] for _, out, _ in results}
    assert len(ids) == 1
    assert [row["id"] for row in _expenses(cli)] == list(ids)
    _assert_check_clean(book)


# --- a writer holding the lock --------------------------------------------------------


def _hold_write_lock(book: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(book, isolation_level=None, timeout=0)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def _wait_until_open(proc: subprocess.Popen[str], book: Path, limit: float = 30.0) -> None:
    """Until the process has the book open (Linux /proc), so it is now waiting on our lock."""
    fd_dir = Path(f"/proc/{proc.pid}/fd")
    if not fd_dir.is_dir():
        time.sleep(1.0)  # no /proc: a fair guess at start-up time
        return
    target = book.resolve()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if any(fd.readlink() == target for fd in fd_dir.iterdir()):
                return
        except (FileNotFoundError, ProcessLookupError):
            pass  # a descriptor closed, or the process ended, while we looked
        time.sleep(0.02)


def _snapshot(book: Path) -> list[Any]:
    with closing(sqlite3.connect(book)) as conn:
        return conn.execute("SELECT * FROM expenses ORDER BY id").fetchall()


def test_a_writer_waits_for_a_lock_held_shorter_than_the_timeout(cli: Cli, book: Path) -> None:
    assert cli("add", "before", "1.00", "-c", "Travel").exit_code == 0
    holder = _hold_write_lock(book)
    try:
        writer = _start(book, "add", "waited", "2.00", "-c", "Travel", "--json")
        reader = _start(book, "list", "--json")
        _wait_until_open(writer, book)
        listed, err = reader.communicate(timeout=60)  # WAL: readers never wait for a writer
        assert reader.returncode == 0, err
        assert [e["description"] for e in json.loads(listed)["data"]] == ["before"]
        time.sleep(1.0)
        assert writer.poll() is None, "the add finished while another process held the lock"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert json.loads(out)["data"]["description"] == "waited"
    assert [e["description"] for e in _expenses(cli)] == ["waited", "before"]
    _assert_check_clean(book)


def test_a_lock_held_past_the_timeout_fails_cleanly_with_exit_6(cli: Cli, book: Path) -> None:
    assert cli("add", "before", "1.00", "-c", "Travel").exit_code == 0
    before = _snapshot(book)
    holder = _hold_write_lock(book)
    try:
        human = _start(book, "add", "blocked", "2.00", "-c", "Travel")
        machine = _start(book, "add", "blocked too", "3.00", "-c", "Travel", "--json")
        _wait_until_open(human, book)
        started = time.monotonic()
        # Hold until both give up (about 5 s), however slow their start-up was.
        human_out, human_err = human.communicate(timeout=60)
        waited = time.monotonic() - started
        machine_out, machine_err = machine.communicate(timeout=60)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert human.returncode == 6, human_err
    assert waited >= BUSY_TIMEOUT_S - 1.0, waited
    assert human_out == ""
    assert human_err.startswith("Error:") and human_err.count("\n") == 1, human_err
    assert "busy" in human_err.lower()
    assert "Traceback" not in human_err

    assert machine.returncode == 6, machine_err
    assert machine_out == ""
    assert json.loads(machine_err)["error"]["code"] == "database_unavailable"

    assert _snapshot(book) == before  # nothing half-written
    _assert_check_clean(book)
    again = run_installed(book, "add", "after", "4.00", "-c", "Travel", "-q")  # the lock is gone
    assert again.returncode == 0, again.stderr
