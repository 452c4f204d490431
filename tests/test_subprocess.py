"""A few paths through the installed `expense` command, as shell scripts and cron jobs
run it: a real process, real exit codes, real stdout and stderr."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXPENSE

pytestmark = pytest.mark.skipif(EXPENSE is None, reason="the `expense` command is not installed")


def _run(book: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert EXPENSE is not None
    env = {**os.environ, "EXPENSE_DB": str(book), "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("FORCE_COLOR", None)
    return subprocess.run(
        [EXPENSE, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def _json(proc: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(proc.stdout)


def test_add_list_show_round_trip(book: Path) -> None:
    added = _run(book, "add", "Train to Berlin", "45.10", "-c", "Travel", "-t", "trip", "-q")
    assert added.returncode == 0, added.stderr
    expense_id = added.stdout.strip()
    assert expense_id.isdigit()

    listed = _run(book, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    payload = _json(listed)
    assert payload["pagination"] == {"limit": 50, "next_cursor": None}
    assert [e["id"] for e in payload["data"]] == [int(expense_id)]

    shown = _run(book, "show", expense_id, "--json")
    assert shown.returncode == 0, shown.stderr
    data = _json(shown)["data"]
    assert data == payload["data"][0]
    assert data["amount"] == "45.10"
    assert data["currency"] == "USD"
    assert data["tags"] == ["trip"]
    assert shown.stderr == ""


def test_validation_error_exits_4_with_a_readable_message(book: Path) -> None:
    result = _run(book, "add", "x", "-5", "-c", "Travel")
    assert result.returncode == 4
    assert result.stdout == ""
    assert result.stderr.startswith("Error:")
    assert "amount" in result.stderr
    assert "Traceback" not in result.stderr
    listed = _run(book, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert _json(listed)["data"] == []


def test_json_error_envelope_on_stderr(book: Path) -> None:
    result = _run(book, "show", "42", "--json")
    assert result.returncode == 3
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "not_found"
    assert "Traceback" not in result.stderr


def test_version_does_not_create_the_book(book: Path) -> None:
    result = _run(book, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("expense ")
    assert not book.exists()
    assert not book.parent.joinpath(book.name + "-wal").exists()
