"""A few paths through the installed `expense` command, as shell scripts and cron jobs
run it: a real process, real exit codes, real stdout and stderr."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXPENSE, run_installed

pytestmark = pytest.mark.skipif(EXPENSE is None, reason="the `expense` command is not installed")


def _json(proc: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(proc.stdout)


def test_add_list_show_round_trip(book: Path) -> None:
    added = run_installed(
        book, "add", "Train to Berlin", "45.10", "-c", "Travel", "-t", "trip", "-q"
    )
    assert added.returncode == 0, added.stderr
    expense_id = added.stdout.strip()
    assert expense_id.isdigit()

    listed = run_installed(book, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    payload = _json(listed)
    assert payload["pagination"] == {"limit": 50, "next_cursor": None}
    assert [e["id"] for e in payload["data"]] == [int(expense_id)]

    shown = run_installed(book, "show", expense_id, "--json")
    assert shown.returncode == 0, shown.stderr
    data = _json(shown)["data"]
    assert data == payload["data"][0]
    assert data["amount"] == "45.10"
    assert data["currency"] == "USD"
    assert data["tags"] == ["trip"]
    assert shown.stderr == ""


def test_validation_error_exits_4_with_a_readable_message(book: Path) -> None:
    result = run_installed(book, "add", "x", "-5", "-c", "Travel")
    assert result.returncode == 4
    assert result.stdout == ""
    assert result.stderr.startswith("Error:")
    assert "amount" in result.stderr
    assert "Traceback" not in result.stderr
    listed = run_installed(book, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert _json(listed)["data"] == []


def test_json_error_envelope_on_stderr(book: Path) -> None:
    result = run_installed(book, "show", "42", "--json")
    assert result.returncode == 3
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "not_found"
    assert "Traceback" not in result.stderr


def test_version_does_not_create_the_book(book: Path) -> None:
    result = run_installed(book, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("expense ")
    assert not book.exists()
    assert not book.parent.joinpath(book.name + "-wal").exists()


def test_no_color_removes_colour_from_a_coloured_terminal(tmp_path: Path) -> None:
    """Reference §3: NO_COLOR is honoured (FORCE_COLOR stands in for a colour terminal)."""
    book = tmp_path / "colour.db"
    assert run_installed(book, "add", "Taxi", "5", "-c", "Travel").returncode == 0
    assert EXPENSE is not None
    base = {**os.environ, "EXPENSE_DB": str(book), "FORCE_COLOR": "1", "COLUMNS": "120"}
    base.pop("NO_COLOR", None)
    coloured = subprocess.run(
        [EXPENSE, "report", "--chart"], capture_output=True, text=True, env=base, check=False
    )
    plain = subprocess.run(
        [EXPENSE, "report", "--chart"], capture_output=True, text=True,
        env={**base, "NO_COLOR": "1"}, check=False,
    )  # fmt: skip
    assert coloured.returncode == plain.returncode == 0
    assert "\x1b[36m" in coloured.stdout  # the chart's bars are cyan on a colour terminal
    assert "\x1b[36m" not in plain.stdout
    assert "█" in plain.stdout


def test_a_bulk_import_then_reports_from_the_kept_totals(book: Path, tmp_path: Path) -> None:
    """Through the installed command at its real batch size: 5,000 rows into an empty book
    take the bulk path (indexes and kept-total triggers set aside, rebuilt at the end), and
    what reports and `invoices` read of the kept totals then adds up to the rows."""
    rows = "".join(
        f"2025-{1 + i % 12:02d}-{1 + i % 28:02d},Row {i},{i % 97}.{i % 100:02d},"
        f"{'Travel' if i % 3 else 'Meals'},Acme,{'true' if i % 2 else 'false'},"
        f"{'invoiced' if i % 4 == 1 else 'not_invoiced'},{f'INV-{i % 12}' if i % 4 == 1 else ''}\n"
        for i in range(5000)
    )
    csv_file = tmp_path / "rows.csv"
    csv_file.write_text(
        "date,description,amount,category,client,billable,billing_status,invoice_ref\n" + rows
    )
    imported = run_installed(book, "import", str(csv_file), "--create-missing", "--json")
    assert imported.returncode == 0, imported.stderr
    assert _json(imported)["data"]["imported"] == 5000
    expected = sum(i % 97 * 100 + i % 100 for i in range(5000))  # in cents
    report = _json(run_installed(book, "report", "--by", "month", "--json"))
    assert sum(r["count"] for r in report["data"]) == 5000
    assert report["totals"] == [{"currency": "USD", "count": 5000,
                                 "total": f"{expected // 100}.{expected % 100:02d}"}]  # fmt: skip
    invoices = _json(run_installed(book, "invoices", "--json"))["data"]
    assert {i["ref"]: i["count"] for i in invoices} == {"INV-1": 417, "INV-5": 417, "INV-9": 416}
    checked = run_installed(book, "db", "check", "--json")
    assert checked.returncode == 0, checked.stderr
