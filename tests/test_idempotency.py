"""Reference §6 end to end: `--idempotency-key` on `add` and `clone` — replays, conflicts, one key
space, deleted originals, the 24-hour window, normalisation, and racing processes."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import Cli, ok

ADD = ("add", "Hosting", "20.00", "-c", "Software", "-d", "2025-03-01")


def _ids(cli: Cli) -> list[int]:
    return sorted(e["id"] for e in ok(cli, "list", "--all"))


def _age_keys(book: Path, created_at: str) -> None:
    """Move every stored key back in time, as if it had been used at `created_at`."""
    conn = sqlite3.connect(book)
    try:
        with conn:
            conn.execute("UPDATE idempotency_keys SET created_at = ?", [created_at])
    finally:
        conn.close()


def _conflict(cli: Cli, *args: str) -> None:
    before = _ids(cli)
    result = cli(*args, "--json")
    assert result.exit_code == 5, (result.stdout, result.stderr)
    assert result.error["code"] == "idempotency_conflict"
    assert _ids(cli) == before


# replay ---------------------------------------------------------------------------------
def test_add_repeat_with_the_same_key_prints_the_original_and_creates_nothing(cli: Cli) -> None:
    first = ok(cli, *ADD, "--idempotency-key", "k1")

    again = cli(*ADD, "--idempotency-key", "k1", "--json")

    assert again.exit_code == 0, again.stderr
    assert again.data == first
    assert _ids(cli) == [first["id"]]


def test_many_repeats_still_create_one_expense(cli: Cli) -> None:
    first = ok(cli, *ADD, "--idempotency-key", "k1")

    for _ in range(3):
        assert ok(cli, *ADD, "--idempotency-key", "k1")["id"] == first["id"]

    assert _ids(cli) == [first["id"]]


def test_replay_prints_the_original_as_it_is_now(cli: Cli) -> None:
    first = ok(cli, *ADD, "--idempotency-key", "k1")
    ok(cli, "edit", str(first["id"]), "--description", "Hosting (edited)")
    ok(cli, "tag", str(first["id"]), "infra")

    again = ok(cli, *ADD, "--idempotency-key", "k1")

    assert again["id"] == first["id"]
    assert again["description"] == "Hosting (edited)"
    assert again["tags"] == ["infra"]
    assert _ids(cli) == [first["id"]]


def test_replay_with_quiet_prints_the_original_id(cli: Cli) -> None:
    first = ok(cli, *ADD, "--idempotency-key", "k1")

    again = cli(*ADD, "--idempotency-key", "k1", "-q")

    assert again.exit_code == 0, again.stderr
    assert again.stdout.strip() == str(first["id"])


def test_without_a_key_or_with_other_keys_each_add_creates_one(cli: Cli) -> None:
    ok(cli, *ADD)
    ok(cli, *ADD)
    ok(cli, *ADD, "--idempotency-key", "a")
    ok(cli, *ADD, "--idempotency-key", "b")

    assert len(_ids(cli)) == 4


# conflicts ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "changed",
    [
        ("add", "Hosting", "21.00", "-c", "Software", "-d", "2025-03-01"),
        ("add", "Hosting EU", "20.00", "-c", "Software", "-d", "2025-03-01"),
        ("add", "Hosting", "20.00", "-c", "Services", "-d", "2025-03-01"),
        ("add", "Hosting", "20.00", "-c", "Software", "-d", "2025-03-02"),
        ("add", "Hosting", "20.00", "-c", "Software", "-d", "2025-03-01", "--billable"),
        ("add", "Hosting", "20.00", "-c", "Software", "-d", "2025-03-01", "-t", "x"),
        ("add", "Hosting", "20.00", "-c", "Software", "-d", "2025-03-01", "-n", "note"),
    ],
    ids=["amount", "description", "category", "date", "billable", "tag", "notes"],
)
def test_same_key_with_a_different_add_is_a_conflict(cli: Cli, changed: tuple[str, ...]) -> None:
    first = ok(cli, *ADD, "--idempotency-key", "k1")

    _conflict(cli, *changed, "--idempotency-key", "k1")

    assert ok(cli, "show", str(first["id"])) == first


def test_conflict_in_human_mode(cli: Cli) -> None:
    ok(cli, *ADD, "--idempotency-key", "k1")

    result = cli("add", "Other", "1.00", "-c", "Meals", "--idempotency-key", "k1")

    assert result.exit_code == 5
    assert result.stdout == ""
    assert result.stderr.startswith("Error:")


def test_a_conflict_does_not_replace_the_stored_request(cli: Cli) -> None:
    first = ok(cli, *ADD, "--idempotency-key", "k1")
    _conflict(cli, "add", "Other", "1.00", "-c", "Meals", "--idempotency-key", "k1")

    assert ok(cli, *ADD, "--idempotency-key", "k1")["id"] == first["id"]


def test_a_failed_add_does_not_use_up_the_key(cli: Cli) -> None:
    bad = cli("add", "Hosting", "20.001", "-c", "Software", "--idempotency-key", "k1", "--json")
    assert bad.exit_code == 4
    assert _ids(cli) == []

    first = ok(cli, *ADD, "--idempotency-key", "k1")
    again = ok(cli, *ADD, "--idempotency-key", "k1")

    assert again["id"] == first["id"]
    assert _ids(cli) == [first["id"]]


@pytest.mark.parametrize("key", ["", "k" * 256], ids=["empty", "256-chars"])
def test_a_key_outside_1_to_255_chars_is_refused(cli: Cli, key: str) -> None:
    result = cli(*ADD, "--idempotency-key", key, "--json")

    assert result.exit_code in (2, 4)
    assert _ids(cli) == []


def test_a_key_of_255_chars_works(cli: Cli) -> None:
    key = "k" * 255
    first = ok(cli, *ADD, "--idempotency-key", key)

    assert ok(cli, *ADD, "--idempotency-key", key)["id"] == first["id"]
    assert _ids(cli) == [first["id"]]


# clone and the shared key space ---------------------------------------------------------
def test_clone_repeat_with_the_same_key_prints_the_original_clone(cli: Cli) -> None:
    source = ok(cli, *ADD)["id"]
    first = ok(cli, "clone", str(source), "-d", "2025-04-01", "--idempotency-key", "c1")

    again = ok(cli, "clone", str(source), "-d", "2025-04-01", "--idempotency-key", "c1")

    assert again == first
    assert _ids(cli) == sorted([source, first["id"]])


@pytest.mark.parametrize(
    "changed",
    [("-d", "2025-04-02"), ("-d", "2025-04-01", "--amount", "30.00"),
     ("-d", "2025-04-01", "--no-billable", "--description", "Other")],
    ids=["date", "amount", "description"],
)  # fmt: skip
def test_same_key_with_a_different_clone_is_a_conflict(cli: Cli, changed: tuple[str, ...]) -> None:
    source = ok(cli, *ADD)["id"]
    ok(cli, "clone", str(source), "-d", "2025-04-01", "--idempotency-key", "c1")

    _conflict(cli, "clone", str(source), *changed, "--idempotency-key", "c1")


def test_same_key_cloning_another_source_is_a_conflict(cli: Cli) -> None:
    source = ok(cli, *ADD)["id"]
    other = ok(cli, *ADD)["id"]
    ok(cli, "clone", str(source), "-d", "2025-04-01", "--idempotency-key", "c1")

    _conflict(cli, "clone", str(other), "-d", "2025-04-01", "--idempotency-key", "c1")


def test_a_key_used_by_add_conflicts_with_clone(cli: Cli) -> None:
    first = ok(cli, *ADD, "--idempotency-key", "shared")

    _conflict(cli, "clone", str(first["id"]), "-d", "2025-03-01", "--idempotency-key", "shared")


def test_a_key_used_by_clone_conflicts_with_add(cli: Cli) -> None:
    source = ok(cli, *ADD)["id"]
    ok(cli, "clone", str(source), "-d", "2025-03-01", "--idempotency-key", "shared")

    _conflict(cli, *ADD, "--idempotency-key", "shared")


def test_clone_replay_survives_an_edit_of_the_source(cli: Cli) -> None:
    # The cron example of §6: the retry is the same request even if the source has changed.
    source = ok(cli, *ADD)["id"]
    first = ok(cli, "clone", str(source), "-d", "2025-04-01", "--idempotency-key", "hosting-04")
    ok(cli, "edit", str(source), "--amount", "25.00")

    again = cli("clone", str(source), "-d", "2025-04-01", "--idempotency-key", "hosting-04",
                "--json")  # fmt: skip

    assert again.exit_code == 0, again.stderr
    assert again.data["id"] == first["id"]
    assert again.data["amount"] == "20.00"
    assert len(_ids(cli)) == 2


def test_add_replay_survives_a_new_unit_price(cli: Cli) -> None:
    # Same typed request, same resolved names: a retry after a price change replays.
    ok(cli, "categories", "add", "Mileage", "--unit", "km", "--unit-price", "0.58")
    drive = ("add", "Drive", "-c", "Mileage", "--units", "100", "-d", "2025-03-01")
    first = ok(cli, *drive, "--idempotency-key", "k1")
    ok(cli, "categories", "edit", "Mileage", "--unit-price", "0.62")

    again = cli(*drive, "--idempotency-key", "k1", "--json")

    assert again.exit_code == 0, again.stderr
    assert again.data["id"] == first["id"]
    assert again.data["amount"] == "58.00"
    assert _ids(cli) == [first["id"]]


def test_add_replay_survives_archiving_its_category(cli: Cli) -> None:
    # The original exists; the repeat asks for nothing new, so it replays.
    first = ok(cli, *ADD, "--idempotency-key", "k1")
    ok(cli, "categories", "archive", "Software")

    again = cli(*ADD, "--idempotency-key", "k1", "--json")

    assert again.exit_code == 0, again.stderr
    assert again.data["id"] == first["id"]
    assert _ids(cli) == [first["id"]]


# deleted originals ----------------------------------------------------------------------
def test_replay_of_a_deleted_original_is_not_found(cli: Cli) -> None:
    first = ok(cli, *ADD, "--idempotency-key", "k1")
    assert cli("delete", str(first["id"])).exit_code == 0

    again = cli(*ADD, "--idempotency-key", "k1", "--json")

    assert again.exit_code == 3
    assert again.error["code"] == "not_found"
    assert _ids(cli) == []
    assert len(ok(cli, "list", "--all", "--deleted")) == 1


def test_replay_of_a_deleted_clone_is_not_found(cli: Cli) -> None:
    source = ok(cli, *ADD)["id"]
    first = ok(cli, "clone", str(source), "-d", "2025-04-01", "--idempotency-key", "c1")
    assert cli("delete", str(first["id"])).exit_code == 0

    again = cli("clone", str(source), "-d", "2025-04-01", "--idempotency-key", "c1", "--json")

    assert again.exit_code == 3
    assert again.error["code"] == "not_found"
    assert _ids(cli) == [source]


def test_replay_of_a_restored_original_works_again(cli: Cli) -> None:
    first = ok(cli, *ADD, "--idempotency-key", "k1")
    assert cli("delete", str(first["id"])).exit_code == 0
    assert cli("restore", str(first["id"])).exit_code == 0

    again = ok(cli, *ADD, "--idempotency-key", "k1")

    assert again["id"] == first["id"]
    assert _ids(cli) == [first["id"]]


# the 24-hour window ---------------------------------------------------------------------
def test_a_key_older_than_24_hours_is_forgotten(cli: Cli, book: Path) -> None:
    first = ok(cli, *ADD, "--idempotency-key", "k1")
    _age_keys(book, "2000-01-01T00:00:00.000000Z")

    second = ok(cli, *ADD, "--idempotency-key", "k1")
    third = ok(cli, *ADD, "--idempotency-key", "k1")

    assert second["id"] != first["id"]
    assert second["uid"] != first["uid"]
    assert third["id"] == second["id"]
    assert _ids(cli) == sorted([first["id"], second["id"]])


def test_a_forgotten_key_takes_a_different_request_without_conflict(cli: Cli, book: Path) -> None:
    first = ok(cli, *ADD, "--idempotency-key", "k1")
    _age_keys(book, "2000-01-01T00:00:00.000000Z")

    other = ok(cli, "add", "Lunch", "12.50", "-c", "Meals", "--idempotency-key", "k1")

    assert other["id"] != first["id"]
    assert other["description"] == "Lunch"
    assert len(_ids(cli)) == 2


def test_a_forgotten_clone_key_creates_a_new_clone(cli: Cli, book: Path) -> None:
    source = ok(cli, *ADD)["id"]
    first = ok(cli, "clone", str(source), "-d", "2025-04-01", "--idempotency-key", "c1")
    _age_keys(book, "2000-01-01T00:00:00.000000Z")

    second = ok(cli, "clone", str(source), "-d", "2025-04-01", "--idempotency-key", "c1")

    assert second["id"] not in (source, first["id"])
    assert len(_ids(cli)) == 3


def test_a_key_23_hours_old_is_still_remembered(cli: Cli, book: Path) -> None:
    first = ok(cli, *ADD, "--idempotency-key", "k1")
    recent = datetime.now(UTC) - timedelta(hours=23)
    _age_keys(book, recent.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))

    again = ok(cli, *ADD, "--idempotency-key", "k1")
    _conflict(cli, "add", "Lunch", "12.50", "-c", "Meals", "--idempotency-key", "k1")

    assert again["id"] == first["id"]
    assert _ids(cli) == [first["id"]]


# normalisation --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("original", "repeat"),
    [
        (("-d", "today"), ("-d", date.today().isoformat())),
        (("-d", date.today().isoformat()), ("-d", "today")),
        (("-d", "yesterday"), ("-d", (date.today() - timedelta(days=1)).isoformat())),
        (("-d", "2025-03-01"), ("-d", "2025/03/01")),
    ],
    ids=["today-then-iso", "iso-then-today", "yesterday", "slashes"],
)
def test_dates_are_compared_resolved(
    cli: Cli, original: tuple[str, ...], repeat: tuple[str, ...]
) -> None:
    first = ok(cli, "add", "Hosting", "20.00", "-c", "Software", *original,
                "--idempotency-key", "k1")  # fmt: skip

    again = ok(cli, "add", "Hosting", "20.00", "-c", "Software", *repeat,
                "--idempotency-key", "k1")  # fmt: skip

    assert again["id"] == first["id"]
    assert len(_ids(cli)) == 1


@pytest.mark.parametrize(
    "repeat",
    [
        ("add", "Hosting", "20", "-c", "Software", "-d", "2025-03-01"),
        ("add", "Hosting", " 20.0 ", "-c", "Software", "-d", "2025-03-01"),
        ("add", "Hosting", "20.00", "-c", "software", "-d", "2025-03-01"),
        ("add", "Hosting", "20.00", "-c", "3", "-d", "2025-03-01"),
        ("add", "  Hosting ", "20.00", "-c", "Software", "-d", "2025-03-01"),
    ],
    ids=["amount-20", "amount-20.0-spaced", "category-case", "category-id", "description-trim"],
)
def test_names_and_amounts_are_compared_resolved(cli: Cli, repeat: tuple[str, ...]) -> None:
    first = ok(cli, *ADD, "--idempotency-key", "k1")
    assert first["category"] == {"id": 3, "name": "Software"}

    again = ok(cli, *repeat, "--idempotency-key", "k1")

    assert again["id"] == first["id"]
    assert len(_ids(cli)) == 1


def test_client_and_project_by_name_or_id_are_the_same_request(cli: Cli) -> None:
    client = ok(cli, "clients", "add", "Acme")["id"]
    project = ok(cli, "projects", "add", "Website", "--client", "Acme")["id"]
    first = ok(cli, *ADD, "-p", "Website", "--client", "acme", "--idempotency-key", "k1")

    again = ok(cli, *ADD, "-p", str(project), "--client", str(client), "--idempotency-key", "k1")

    assert again["id"] == first["id"]
    assert len(_ids(cli)) == 1


def test_tags_are_compared_as_a_normalised_set(cli: Cli) -> None:
    first = ok(cli, *ADD, "-t", "b", "-t", "A", "--idempotency-key", "k1")

    again = ok(cli, *ADD, "-t", " A ", "-t", "b", "-t", "B", "--idempotency-key", "k1")

    assert again["id"] == first["id"]
    assert again["tags"] == ["A", "b"]


def test_clone_date_today_and_iso_are_the_same_request(cli: Cli) -> None:
    source = ok(cli, *ADD)["id"]
    first = ok(cli, "clone", str(source), "-d", "today", "--idempotency-key", "c1")

    again = ok(cli, "clone", str(source), "-d", date.today().isoformat(),
                "--idempotency-key", "c1")  # fmt: skip

    assert again["id"] == first["id"]
    assert len(_ids(cli)) == 2


# racing processes -----------------------------------------------------------------------
def _expense_command() -> str:
    beside = Path(sys.executable).parent / "expense"
    if beside.exists():
        return str(beside)
    found = shutil.which("expense")
    if found is None:
        pytest.skip("the installed `expense` command is not available")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("command", ["add", "clone"])
def test_racing_processes_with_one_key_create_exactly_one_expense(
    cli: Cli, book: Path, command: str
) -> None:
    exe = _expense_command()
    source = ok(cli, *ADD)["id"]  # the book exists before the race
    if command == "add":
        args = ["add", "Race", "7.00", "-c", "Meals", "-d", "2025-05-01"]
    else:
        args = ["clone", str(source), "-d", "2025-05-01"]
    env = {**os.environ, "EXPENSE_DB": str(book), "NO_COLOR": "1"}

    procs = [
        subprocess.Popen(
            [exe, *args, "--idempotency-key", "race-1", "-q"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        outcomes.append((proc.returncode, out.strip(), err))

    assert [code for code, _, _ in outcomes] == [0] * 6, outcomes
    printed = {out for _, out, _ in outcomes}
    assert len(printed) == 1, outcomes
    new_id = int(printed.pop())
    assert _ids(cli) == sorted([source, new_id])
