"""Every test gets its own book: `EXPENSE_DB` points at a temp file, so no test can touch
a real one. Rich renders at a fixed width without colour."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from expense_cli.cli.app import app


@pytest.fixture(autouse=True)
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "book.db"
    monkeypatch.setenv("EXPENSE_DB", str(path))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return path


class Result:
    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.exit_code: int = raw.exit_code
        self.stdout: str = raw.stdout
        self.stderr: str = raw.stderr

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def data(self) -> Any:
        return self.json["data"]

    @property
    def error(self) -> dict[str, Any]:
        return json.loads(self.stderr)["error"]


Cli = Callable[..., Result]

# Every field of an expense's JSON object and CSV row, as the contract lists them: reference
# §1, then release 2 (§10.2 receipts, §10.3 recurring_id, §10.5 rebill_amount, §10.6 tax,
# §10.7 original amounts, §10.9 account, §10.10 item 5 amount_from_rate).
EXPENSE_FIELDS = frozenset({
    "id", "uid", "description", "date", "time", "amount", "currency", "units", "unit_price",
    "category", "custom_category", "client", "project", "billable", "billing_status",
    "invoice_ref", "approval_status", "reimbursement_status", "notes", "tags", "created_at",
    "updated_at", "deleted_at",
    "receipts", "recurring_id", "rebill_amount", "tax_rate", "tax_amount", "net_amount",
    "original_amount", "original_currency", "amount_from_rate", "account",
})  # fmt: skip


def _installed(name: str) -> str | None:
    """The installed command `name` (beside this Python, else on PATH)."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


# The installed `expense` command, for the tests that run it as a user would, in real processes.
EXPENSE = _installed("expense")


def tool(name: str) -> str:
    """An installed command such as `hledger` or `ledger`; the test is skipped without it."""
    found = _installed(name)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    """`ARGS…` as a real process in a UTF-8 locale, without the user's `LEDGER_FILE`."""
    env = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    env.pop("LEDGER_FILE", None)
    return subprocess.run(list(args), capture_output=True, text=True, env=env, timeout=60,
                          check=False)  # fmt: skip


def installed_env(book: Path) -> dict[str, str]:
    """The environment for the installed command on `book`: no colour, a wide terminal."""
    env = {**os.environ, "EXPENSE_DB": str(book), "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("FORCE_COLOR", None)
    return env


def run_installed(book: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`expense ARGS…` as a real process on `book`."""
    assert EXPENSE is not None
    return subprocess.run(
        [EXPENSE, *args], capture_output=True, text=True, env=installed_env(book), timeout=120,
        check=False,
    )  # fmt: skip


class _Runner(CliRunner):
    """Typer rebuilds the whole command tree on every `invoke` (~0.1–0.2 s of each call);
    build it once for the session and hand the built command to the runner."""

    command = typer.main.get_command(app)

    def invoke(self, app: Any, args: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        return super(CliRunner, self).invoke(self.command, args, **kwargs)


@pytest.fixture
def cli() -> Cli:
    """Run `expense ARGS…` in-process; returns exit code, stdout, stderr."""
    runner = _Runner()

    def run(*args: str, input: str | None = None) -> Result:
        return Result(runner.invoke(app, list(args), input=input))

    return run


def ok(cli: Cli, *args: str) -> Any:
    """`cli(ARGS…, "--json")` that must succeed: its `data`."""
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return result.data


def refused(cli: Cli, exit_code: int, *args: str) -> dict[str, Any]:
    """`cli(ARGS…, "--json")` that must fail with EXIT_CODE, cleanly: its error."""
    result = cli(*args, "--json")
    assert result.exit_code == exit_code, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    return result.error


def real_book(cli: Cli, book: Path) -> Path:
    """A book with enough rows to span many pages, closed (its WAL checkpointed away)."""
    assert cli("add", "seed", "1.00", "-c", "Travel").exit_code == 0
    with closing(sqlite3.connect(book)) as conn, conn:
        conn.executemany(
            "INSERT INTO expenses (uid, description, date, amount_minor, currency, scale, "
            "category_id, approval_status, reimbursement_status, created_at, updated_at) "
            "VALUES (?, ?, '2025-03-01', 100, 'USD', 2, 1, 'approved', 'not_reimbursable', "
            "'2025-03-01T00:00:00.000000Z', '2025-03-01T00:00:00.000000Z')",
            [(f"uid-{i}", f"row {i} of a book spanning many pages") for i in range(1_000)],
        )
    check = cli("db", "check")
    assert check.exit_code == 0, check.stderr
    assert not book.with_name(book.name + "-wal").exists()
    return book
