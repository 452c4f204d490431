"""Recurring expenses (reference §10.3) end to end: schedules, catch-up runs, month ends,
racing runs, deleted occurrences, failing schedules, pause/resume/delete."""

from __future__ import annotations

import sqlite3
import subprocess
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from expense_cli.store import Store, schema
from tests.books import frozen_book, old_expense, query
from tests.conftest import EXPENSE, Cli, installed_env, ok

SCHEDULE_KEYS = {"id", "template", "every", "interval", "start", "until", "next_date", "paused"}


def _expense(cli: Cli, *args: str) -> int:
    return int(ok(cli, "add", *args)["id"])


def _schedule(cli: Cli, expense_id: int, *args: str) -> dict[str, Any]:
    result = cli("recurring", "add", str(expense_id), *args, "--json")
    assert result.exit_code == 0, result.stderr
    return dict(result.data)


def _run(cli: Cli, through: str, *args: str) -> Any:
    result = cli("recurring", "run", "--through", through, *args, "--json")
    assert result.exit_code == 0, result.stderr
    return result.json


def _dates(expenses: list[dict[str, Any]]) -> list[str]:
    return [e["date"] for e in expenses]


def _occurrences(cli: Cli, schedule_id: int) -> list[dict[str, Any]]:
    rows = ok(cli, "list", "--all", "--sort", "date")
    return [e for e in rows if e["recurring_id"] == schedule_id]


# --- add -------------------------------------------------------------------------------


def test_add_snapshots_the_clonable_fields_and_tags_and_starts_one_interval_later(
    cli: Cli,
) -> None:
    args = ["-d", "2025-01-31", "--time", "09:30", "-t", "infra", "-t", "Monthly", "-n", "plan S"]
    source = _expense(cli, "Hosting", "20.00", "-c", "Software", *args)
    made = _schedule(cli, source, "--every", "month")
    assert set(made) == SCHEDULE_KEYS
    assert (made["every"], made["interval"], made["start"], made["until"]) == (
        "month", 1, "2025-02-28", None,
    )  # fmt: skip
    assert made["next_date"] == "2025-02-28"
    assert made["paused"] is False
    template = made["template"]
    assert template["source"] == source
    assert (template["description"], template["amount"], template["currency"]) == (
        "Hosting", "20.00", "USD",
    )  # fmt: skip
    assert template["tags"] == ["infra", "Monthly"]
    assert template["notes"] == "plan S"
    assert template["category"]["name"] == "Software"
    for absent in ("time", "id", "uid", "billing_status", "invoice_ref", "date"):
        assert absent not in template
    assert ok(cli, "recurring", "list") == [made]


def test_add_quiet_prints_the_id_only(cli: Cli) -> None:
    source = _expense(cli, "Hosting", "20.00", "-c", "Software")
    result = cli("recurring", "add", str(source), "--every", "week", "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "1\n"


def _nothing_scheduled(cli: Cli) -> None:
    assert ok(cli, "recurring", "list") == []


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--every", "month", "--interval", "0"], "interval"),
        (["--every", "month", "--interval", "1001"], "interval"),
        (["--every", "month", "--start", "2025-02-30"], "start"),
        (["--every", "month", "--start", "soon"], "start"),
        (["--every", "month", "--until", "3000-01-01"], "until"),
        (["--every", "month", "--start", "2025-03-01", "--until", "2025-02-28"], "until"),
    ],
)
def test_add_rejects_bad_fields_with_exit_4_and_writes_nothing(
    cli: Cli, args: list[str], field: str
) -> None:
    source = _expense(cli, "Hosting", "20.00", "-c", "Software", "-d", "2025-01-31")
    result = cli("recurring", "add", str(source), *args, "--json")
    assert result.exit_code == 4, result.stderr
    assert result.stdout == ""
    assert result.error["code"] == "validation_failed"
    assert field in result.error["fields"]
    _nothing_scheduled(cli)


@pytest.mark.parametrize(
    "args", [["--every", "fortnight"], [], ["--every", "month", "--interval", "x"]]
)
def test_add_usage_errors_exit_2(cli: Cli, args: list[str]) -> None:
    source = _expense(cli, "Hosting", "20.00", "-c", "Software")
    result = cli("recurring", "add", str(source), *args)
    assert result.exit_code == 2
    _nothing_scheduled(cli)


def test_add_of_a_missing_or_deleted_expense_is_not_found(cli: Cli) -> None:
    source = _expense(cli, "Hosting", "20.00", "-c", "Software")
    assert cli("delete", str(source)).exit_code == 0
    for ref in (str(source), "999"):
        result = cli("recurring", "add", ref, "--every", "month", "--json")
        assert result.exit_code == 3
        assert result.error["code"] == "not_found"
    _nothing_scheduled(cli)


@pytest.mark.parametrize("archive", [["categories", "archive", "Tools"],
                                     ["clients", "archive", "Acme"],
                                     ["projects", "archive", "Site"]])  # fmt: skip
def test_a_template_with_an_archived_link_cannot_be_scheduled(cli: Cli, archive: list[str]) -> None:
    ok(cli, "categories", "add", "Tools")
    ok(cli, "clients", "add", "Acme")
    ok(cli, "projects", "add", "Site", "--client", "Acme")
    source = _expense(cli, "Hosting", "20.00", "-c", "Tools", "-p", "Site")
    assert cli(*archive).exit_code == 0
    result = cli("recurring", "add", str(source), "--every", "month", "--json")
    assert result.exit_code == 4
    field = {"categories": "category", "clients": "project", "projects": "project"}[archive[0]]
    assert field in result.error["fields"]
    assert "override" not in result.error["fields"][field]
    _nothing_scheduled(cli)


# --- run: the calendar ---------------------------------------------------------------


def test_monthly_on_the_31st_clamps_through_a_leap_year(cli: Cli) -> None:
    source = _expense(cli, "Rent", "900.00", "-c", "Rent", "-d", "2024-01-31")
    _schedule(cli, source, "--every", "month")
    created = _run(cli, "2024-07-31")["data"]
    assert _dates(created) == [
        "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30", "2024-07-31",
    ]  # fmt: skip
    assert {e["recurring_id"] for e in created} == {1}


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("29", ["2025-01-29", "2025-02-28", "2025-03-29"]),
        ("30", ["2025-01-30", "2025-02-28", "2025-03-30"]),
        ("31", ["2025-01-31", "2025-02-28", "2025-03-31"]),
    ],
)
def test_days_29_30_31_with_an_explicit_start(cli: Cli, day: str, expected: list[str]) -> None:
    source = _expense(cli, "Rent", "900.00", "-c", "Rent", "-d", "2024-12-01")
    _schedule(cli, source, "--every", "month", "--start", f"2025-01-{day}")
    assert _dates(_run(cli, "2025-03-31")["data"]) == expected


def test_yearly_on_february_29(cli: Cli) -> None:
    source = _expense(cli, "Domain", "12.00", "-c", "Software", "-d", "2024-02-29")
    made = _schedule(cli, source, "--every", "year")
    assert made["start"] == "2025-02-28"
    assert _dates(_run(cli, "2028-12-31")["data"]) == [
        "2025-02-28", "2026-02-28", "2027-02-28", "2028-02-29",
    ]  # fmt: skip


def test_interval_3_is_quarterly_and_until_is_inclusive(cli: Cli) -> None:
    source = _expense(cli, "Tax advisor", "150.00", "-c", "Services", "-d", "2025-01-15")
    made = _schedule(cli, source, "--every", "month", "--interval", "3", "--until", "2025-10-15")
    assert made["start"] == "2025-04-15"
    assert _dates(_run(cli, "2026-12-31")["data"]) == ["2025-04-15", "2025-07-15", "2025-10-15"]
    assert ok(cli, "recurring", "list")[0]["next_date"] is None  # ended


def test_catch_up_creates_every_missed_occurrence_once(cli: Cli) -> None:
    source = _expense(cli, "Hosting", "20.00", "-c", "Software", "-d", "2025-01-05")
    _schedule(cli, source, "--every", "month")
    assert _dates(_run(cli, "2025-03-04")["data"]) == ["2025-02-05"]
    # the machine was off for months: one run makes up for all of them, each on its date
    assert _dates(_run(cli, "2025-07-05")["data"]) == [
        "2025-03-05", "2025-04-05", "2025-05-05", "2025-06-05", "2025-07-05",
    ]  # fmt: skip
    assert _run(cli, "2025-07-05")["data"] == []
    assert len(_occurrences(cli, 1)) == 6
    assert ok(cli, "recurring", "list")[0]["next_date"] == "2025-08-05"


def test_weekly_and_daily(cli: Cli) -> None:
    source = _expense(cli, "Lunch", "12.00", "-c", "Meals", "-d", "2025-12-29")
    _schedule(cli, source, "--every", "week", "--interval", "2")
    _schedule(cli, source, "--every", "day", "--start", "2026-01-01", "--until", "2026-01-03")
    created = _run(cli, "2026-01-31")["data"]
    by_schedule = {sid: [e["date"] for e in created if e["recurring_id"] == sid] for sid in (1, 2)}
    assert by_schedule == {
        1: ["2026-01-12", "2026-01-26"],
        2: ["2026-01-01", "2026-01-02", "2026-01-03"],
    }


def test_occurrences_are_composed_as_clones_with_the_tags(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme", "--currency", "EUR")
    args = ["--billable", "-t", "infra", "--time", "08:00", "--approval", "pending"]
    source = _expense(cli, "Hosting", "20.00", "-c", "Software", "--client", "Acme", *args)
    assert cli("invoice", str(source), "--ref", "INV-1").exit_code == 0
    _schedule(cli, source, "--every", "month", "--start", "2026-01-01")
    (made,) = _run(cli, "2026-01-31")["data"]
    assert (made["amount"], made["currency"], made["client"]["name"]) == ("20.00", "EUR", "Acme")
    assert made["billable"] is True
    assert made["billing_status"] == "not_invoiced"
    assert made["invoice_ref"] is None
    assert made["time"] is None
    assert made["approval_status"] == "approved"  # the category's default again (rule 13)
    assert made["tags"] == ["infra"]
    assert made["recurring_id"] == 1


def test_a_unit_based_template_takes_the_price_in_force_on_each_date(cli: Cli) -> None:
    ok(cli, "categories", "add", "Mileage", "--unit", "km", "--unit-price", "0.50")
    ok(cli, "categories", "edit", "Mileage", "--unit-price", "0.60", "--from", "2025-03-01")
    source = _expense(cli, "Drive", "-c", "Mileage", "--units", "100", "-d", "2025-01-10")
    _schedule(cli, source, "--every", "month")
    created = _run(cli, "2025-03-31")["data"]
    assert [(e["date"], e["unit_price"], e["amount"]) for e in created] == [
        ("2025-02-10", "0.5", "50.00"), ("2025-03-10", "0.6", "60.00"),
    ]  # fmt: skip


def test_clone_does_not_copy_recurring_id_and_csv_has_the_column(cli: Cli) -> None:
    source = _expense(cli, "Hosting", "20.00", "-c", "Software", "-d", "2025-01-05")
    _schedule(cli, source, "--every", "month")
    (made,) = _run(cli, "2025-02-05")["data"]
    copy = ok(cli, "clone", str(made["id"]), "-d", "2025-02-06")
    assert copy["recurring_id"] is None
    assert ok(cli, "show", str(source))["recurring_id"] is None
    result = cli("list", "-f", "csv", "--sort", "id")
    assert result.exit_code == 0
    header, *rows = [line.split(",") for line in result.stdout.splitlines()]
    at = header.index("recurring_id")
    assert [r[at] for r in rows] == ["", "1", ""]


# --- run: keys, deletes, races ---------------------------------------------------------


def test_a_deleted_occurrence_is_not_created_again(cli: Cli) -> None:
    source = _expense(cli, "Hosting", "20.00", "-c", "Software", "-d", "2025-01-05")
    _schedule(cli, source, "--every", "month")
    first, _second = _run(cli, "2025-03-05")["data"]
    assert cli("delete", str(first["id"])).exit_code == 0
    assert _dates(_run(cli, "2025-04-05")["data"]) == ["2025-04-05"]
    assert ok(cli, "recurring", "list")[0]["next_date"] == "2025-05-05"


def test_an_edited_occurrence_date_does_not_free_its_key(cli: Cli) -> None:
    source = _expense(cli, "Hosting", "20.00", "-c", "Software", "-d", "2025-01-05")
    _schedule(cli, source, "--every", "month")
    (made,) = _run(cli, "2025-02-05")["data"]
    assert cli("edit", str(made["id"]), "-d", "2025-02-20").exit_code == 0
    assert _run(cli, "2025-02-28")["data"] == []


def test_the_unique_key_is_in_the_database(cli: Cli, book: Path) -> None:
    source = _expense(cli, "Hosting", "20.00", "-c", "Software", "-d", "2025-01-05")
    _schedule(cli, source, "--every", "month")
    _run(cli, "2025-02-05")
    with closing(sqlite3.connect(book)) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO recurring_occurrences (recurring_id, scheduled, created_at) "
            "VALUES (1, '2025-02-05', 'x')"
        )


@pytest.mark.skipif(EXPENSE is None, reason="needs the installed command")
def test_racing_runs_create_each_occurrence_exactly_once(cli: Cli, book: Path) -> None:
    for n in range(3):
        source = _expense(cli, f"Sub {n}", "5.00", "-c", "Software", "-d", "2025-01-01")
        _schedule(cli, source, "--every", "day" if n == 0 else "week")
    env = installed_env(book)
    assert EXPENSE is not None

    def run(_: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [EXPENSE, "recurring", "run", "--through", "2025-03-31", "-q"],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )  # fmt: skip

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(run, range(3)))
    assert [r.returncode for r in results] == [0, 0, 0], [r.stderr for r in results]
    printed = [int(i) for r in results for i in r.stdout.split()]
    assert len(printed) == len(set(printed))  # each id printed by the run that made it
    daily, weekly = 89, 12  # Jan 2 … Mar 31; Jan 8 … Mar 26
    assert len(printed) == daily + 2 * weekly
    for sid, expected in ((1, daily), (2, weekly), (3, weekly)):
        dates = [e["date"] for e in _occurrences(cli, sid)]
        assert len(dates) == len(set(dates)) == expected


# --- run: failures, dry run, output -----------------------------------------------------


def test_a_failing_schedule_creates_nothing_and_the_others_still_run(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    good = _expense(cli, "Hosting", "20.00", "-c", "Software", "-d", "2025-01-05")
    bad = _expense(cli, "Retainer", "50.00", "-c", "Services", "--client", "Acme",
                   "-d", "2025-01-05")  # fmt: skip
    _schedule(cli, good, "--every", "month")
    _schedule(cli, bad, "--every", "month")
    assert cli("clients", "archive", "Acme").exit_code == 0
    result = cli("recurring", "run", "--through", "2025-03-05", "--json")
    assert result.exit_code == 4
    assert _dates(result.json["data"]) == ["2025-02-05", "2025-03-05"]
    assert {e["recurring_id"] for e in result.json["data"]} == {1}
    (error,) = result.json["errors"]
    assert (error["schedule"], error["code"]) == (2, "validation_failed")
    assert "client" in error["fields"]
    assert "schedule 2" in error["message"]
    assert result.error["fields"] == error["fields"]  # the first failure's envelope on stderr
    assert _occurrences(cli, 2) == []
    # fixed, the schedule catches up on the next run
    assert cli("clients", "unarchive", "Acme").exit_code == 0
    assert _dates(_run(cli, "2025-03-05")["data"]) == ["2025-02-05", "2025-03-05"]


def test_a_failing_schedule_is_named_for_people_too(cli: Cli) -> None:
    ok(cli, "categories", "add", "Tools")
    source = _expense(cli, "Hosting", "20.00", "-c", "Tools", "-d", "2025-01-05")
    _schedule(cli, source, "--every", "month")
    assert cli("categories", "archive", "Tools").exit_code == 0
    result = cli("recurring", "run", "--through", "2025-03-05")
    assert result.exit_code == 4
    assert "schedule 1" in result.stderr
    assert "category" in result.stderr


def test_dry_run_shows_the_same_shape_without_ids_and_creates_nothing(cli: Cli) -> None:
    source = _expense(cli, "Hosting", "20.00", "-c", "Software", "-d", "2025-01-05")
    _schedule(cli, source, "--every", "month")
    preview = _run(cli, "2025-03-05", "--dry-run")
    assert preview["errors"] == []
    assert _dates(preview["data"]) == ["2025-02-05", "2025-03-05"]
    assert all(e["id"] is None and e["uid"] is None for e in preview["data"])
    assert all(e["recurring_id"] == 1 for e in preview["data"])
    assert _occurrences(cli, 1) == []
    assert ok(cli, "recurring", "list")[0]["next_date"] == "2025-02-05"
    assert _dates(_run(cli, "2025-03-05")["data"]) == ["2025-02-05", "2025-03-05"]


def test_quiet_run_prints_the_new_ids_only(cli: Cli) -> None:
    source = _expense(cli, "Hosting", "20.00", "-c", "Software", "-d", "2025-01-05")
    _schedule(cli, source, "--every", "month")
    result = cli("recurring", "run", "--through", "2025-03-05", "-q")
    assert result.exit_code == 0
    assert result.stdout.split() == ["2", "3"]
    again = cli("recurring", "run", "--through", "2025-03-05", "-q")
    assert (again.exit_code, again.stdout) == (0, "")


def test_table_run_lists_what_it_created(cli: Cli) -> None:
    source = _expense(cli, "Hosting", "20.00", "-c", "Software", "-d", "2025-01-05")
    _schedule(cli, source, "--every", "month")
    result = cli("recurring", "run", "--through", "2025-02-05")
    assert result.exit_code == 0
    assert "2025-02-05" in result.stdout and "Hosting" in result.stdout


@pytest.mark.parametrize("through", ["3000-01-01", "2025-13-01", "someday", ""])
def test_run_through_out_of_range_is_a_usage_error(cli: Cli, through: str) -> None:
    source = _expense(cli, "Hosting", "20.00", "-c", "Software", "-d", "2025-01-05")
    _schedule(cli, source, "--every", "month")
    result = cli("recurring", "run", "--through", through, "--json")
    assert result.exit_code == 2
    assert result.error["code"] == "usage"
    assert _occurrences(cli, 1) == []


def test_run_defaults_to_today(cli: Cli) -> None:
    today = date.today()
    source = _expense(
        cli, "Coffee", "3.00", "-c", "Meals", "-d", (today - timedelta(3)).isoformat()
    )
    _schedule(cli, source, "--every", "day")
    created = ok(cli, "recurring", "run")
    assert _dates(created) == [(today - timedelta(d)).isoformat() for d in (2, 1, 0)]


# --- pause, resume, delete ---------------------------------------------------------------


def test_pause_then_resume_skips_occurrences_before_the_resume_day(cli: Cli) -> None:
    today = date.today()
    source = _expense(
        cli, "Coffee", "3.00", "-c", "Meals", "-d", (today - timedelta(6)).isoformat()
    )
    _schedule(cli, source, "--every", "day")
    paused = ok(cli, "recurring", "pause", "1")
    assert paused["paused"] is True
    assert ok(cli, "recurring", "pause", "1")["paused"] is True  # already: no change
    assert ok(cli, "recurring", "run") == []
    resumed = ok(cli, "recurring", "resume", "1")
    assert resumed["paused"] is False
    assert resumed["next_date"] == today.isoformat()
    assert _dates(ok(cli, "recurring", "run")) == [today.isoformat()]
    assert ok(cli, "recurring", "list")[0]["next_date"] == (today + timedelta(1)).isoformat()


def test_delete_removes_the_schedule_and_keeps_its_expenses(cli: Cli) -> None:
    source = _expense(cli, "Hosting", "20.00", "-c", "Software", "-d", "2025-01-05")
    _schedule(cli, source, "--every", "month")
    (made,) = _run(cli, "2025-02-05")["data"]
    result = cli("recurring", "delete", "1", "-q")
    assert (result.exit_code, result.stdout) == (0, "1\n")
    assert ok(cli, "recurring", "list") == []
    assert ok(cli, "show", str(made["id"]))["recurring_id"] == 1
    assert _run(cli, "2025-12-31")["data"] == []
    assert cli("recurring", "delete", "1").exit_code == 0  # already deleted: no change
    for command in ("pause", "resume"):
        gone = cli("recurring", command, "1", "--json")
        assert gone.exit_code == 3
        assert gone.error["code"] == "not_found"


@pytest.mark.parametrize("command", ["pause", "resume", "delete"])
def test_an_unknown_schedule_is_not_found(cli: Cli, command: str) -> None:
    result = cli("recurring", command, "42", "--json")
    assert result.exit_code == 3
    assert result.error["code"] == "not_found"
    assert result.stdout == ""


def test_list_quiet_and_table(cli: Cli) -> None:
    source = _expense(cli, "Hosting", "20.00", "-c", "Software", "-d", "2025-01-05")
    _schedule(cli, source, "--every", "month", "--interval", "2")
    quiet = cli("recurring", "list", "-q")
    assert (quiet.exit_code, quiet.stdout) == (0, "1\n")
    table = cli("recurring", "list")
    assert table.exit_code == 0
    assert "2 months" in table.stdout and "Hosting" in table.stdout


# --- the migration ---------------------------------------------------------------------

_STEP = schema.STEPS.index(schema._m_recurring)


def _frozen_book(path: Path) -> None:
    """A book as the release before recurring expenses left it: the steps before ours."""
    with frozen_book(path, _STEP) as conn:
        old_expense(conn, description="Hosting", date="2025-01-05", amount_minor=2000,
                    category_id=3)  # fmt: skip


def test_a_book_of_the_previous_version_upgrades_with_its_rows_intact(
    cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "old.db"
    _frozen_book(path)
    before = query(path, "SELECT * FROM expenses")
    Store.open(path).close()
    assert query(path, "PRAGMA user_version") == [(schema.LATEST,)]
    after = query(path, "SELECT * FROM expenses")
    assert [row[: len(before[0])] for row in after] == before
    shown = ok(cli, "--db", str(path), "show", "1")
    assert shown["recurring_id"] is None
    assert ok(cli, "--db", str(path), "recurring", "add", "1", "--every", "month")["start"] == (
        "2025-02-05"
    )
    created = ok(cli, "--db", str(path), "recurring", "run", "--through", "2025-02-05")
    assert _dates(created) == ["2025-02-05"]


@pytest.mark.parametrize("every", ["day", "week", "month", "year"])
def test_a_negative_interval_without_start_is_a_validation_error(cli: Cli, every: str) -> None:
    expense = ok(cli, "add", "Hosting", "10.00", "-c", "Software", "-d", "2025-01-31")["id"]

    result = cli("recurring", "add", str(expense), "--every", every, "--interval", "-1", "--json")

    assert result.exit_code == 4
    assert set(result.error["fields"]) == {"interval"}


def test_an_occurrence_has_the_templates_account_not_the_default_now(cli: Cli) -> None:
    source = _expense(cli, "Phone", "30.00", "-c", "Software", "-d", "2026-01-01",
                      "--account", "Liabilities:Visa")  # fmt: skip
    _schedule(cli, source, "--every", "month")
    ok(cli, "config", "default_account", "Assets:Bank")
    (made,) = _run(cli, "2026-02-01")["data"]
    assert (made["date"], made["account"], made["currency"]) == (
        "2026-02-01", "Liabilities:Visa", "USD"
    )  # fmt: skip
