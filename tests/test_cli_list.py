"""`expense list` end to end (reference §3 list filters, sorting and pagination, §4 output, §5 exit
codes): every filter, every sort in both directions, keyset pages that add up to `--all`
exactly once each, and every list format with its markup and formula defences.

Two books are built once per module through the domain's `add` use case — the one
`expense add` runs — with a fixed clock, so created/updated values tie on purpose, and each
test gets its own copy:
- `shop`: one expense per filter case (two currencies, archived category, client, project);
- `paged`: 54 expenses (2 deleted) whose dates, amounts (USD 15.00 = JPY 15) and created and
  updated timestamps tie in many places, so a sort that forgets its `id` tie-break, or a
  cursor that skips or repeats a tied row, shows up.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from expense_cli.domain.catalog import (
    add_client,
    add_project,
    archive_category,
    archive_client,
    archive_project,
)
from expense_cli.domain.compose import Clock
from expense_cli.domain.expenses import add_expense, delete_expenses, invoice, tag_expense
from expense_cli.domain.inputs import ExpenseInput
from expense_cli.domain.models import Approval, Reimbursement
from expense_cli.store import Store
from tests.conftest import EXPENSE_FIELDS, Cli, Result

SORTS = ["amount", "-amount", "date", "-date", "created", "-created", "updated", "-updated",
         "id", "-id"]  # fmt: skip
# The store's walk/set threshold (see tests/test_plans.py); 0 makes every filter walk.
SMALL_SET = "expense_cli.store.expenses.SMALL_SET"
CURSOR_LINE = re.compile(r"^next_cursor: (\S+)$", re.MULTILINE)
CONTROL_CHARS = ("\x1b", "\x07", "\x7f", "\x9b")


# books -------------------------------------------------------------------------------
def _clock(stamp: str) -> Clock:
    return Clock(datetime.fromisoformat(stamp.replace("Z", "+00:00")))


# description, amount, category, created_at, date, other input
SHOP: list[tuple[str, str, str, str, str, dict[str, Any]]] = [
    ("Train to Berlin", "45.10", "Travel", "2025-04-01T09:00:00.000000Z", "2025-03-01",
     {"project": "Web", "billable": True, "tags": ("trip", "work")}),
    ("Sushi dinner", "1500", "Meals", "2025-04-01T23:59:59.999999Z", "2025-03-02",
     {"client": "Tokyo KK", "tags": ("trip",)}),
    ("Lunch", "15.00", "Meals", "2025-04-02T00:00:00.000000Z", "2025-03-03",
     {"notes": "with the Café owner"}),
    ("Café crème", "3.00", "Other", "2025-04-02T12:00:00.000000Z", "2025-03-04",
     {"label": "Coffee run", "tags": ("coffee",)}),
    ("Hosting", "15.01", "Software", "2025-04-02T12:00:00.000000Z", "2025-03-05",
     {"approval": Approval.PENDING, "reimbursement": Reimbursement.PENDING, "tags": ("Work",)}),
    ("Ad campaign", "200.00", "Marketing", "2025-04-03T08:00:00.000000Z", "2025-03-06",
     {"project": "Legacy", "billable": True}),
    ("Taxi", "14.99", "Travel", "2025-04-03T09:00:00.000000Z", "2025-03-07",
     {"approval": Approval.REJECTED, "reimbursement": Reimbursement.REIMBURSED}),
    ("Ramen", "1499", "Meals", "2025-04-03T10:00:00.000000Z", "2025-03-08",
     {"project": "Mobile", "billable": True, "tags": ("trip",)}),
    ("Onigiri", "15", "Meals", "2025-04-03T11:00:00.000000Z", "2025-03-09",
     {"client": "Tokyo KK"}),
    ("Lab supplies", "80.00", "Equipment", "2025-04-03T12:00:00.000000Z", "2025-03-10",
     {"client": "ACME Labs"}),
    ("Free sample", "0.00", "Services", "2025-04-03T13:00:00.000000Z", "2025-03-11", {}),
    ("50% off deal", "9.99", "Services", "2025-04-03T14:00:00.000000Z", "2025-03-12",
     {"notes": 'He said "hi"'}),
    ("Deleted taxi", "5.00", "Travel", "2025-04-01T10:00:00.000000Z", "2025-03-02",
     {"tags": ("trip",)}),
]  # fmt: skip
LIVE = {row[0] for row in SHOP} - {"Deleted taxi"}
BILLABLE = {"Train to Berlin", "Ad campaign", "Ramen"}
JPY = {"Sushi dinner", "Ramen", "Onigiri"}


def _fill_shop(store: Store) -> None:
    for name, currency in (("Acme", None), ("ACME Labs", None), ("Tokyo KK", "JPY"),
                           ("Old Co", None)):  # fmt: skip
        add_client(store, name, currency)
    for project, client in (("Web", "Acme"), ("Mobile", "Tokyo KK"), ("Legacy", "Old Co")):
        add_project(store, project, client)
    ids = {}
    for description, amount, category, created, day, extra in SHOP:
        inp = ExpenseInput(description=description, amount=amount, category=category, date=day,
                           **extra)  # fmt: skip
        ids[description] = add_expense(store, inp, clock=_clock(created)).id
    invoice(store, [ids["Ad campaign"]], ref="INV-1", clock=_clock("2025-04-05T00:00:00Z"))
    delete_expenses(store, [ids["Deleted taxi"]], clock=_clock("2025-04-05T00:00:00Z"))
    archive_category(store, "Marketing")
    archive_client(store, "Old Co")
    archive_project(store, "Legacy")


PAGED_AMOUNTS = [("15.00", None), ("15", "Tokyo KK"), ("3.50", None), ("1500", "Tokyo KK"),
                 ("1499.99", None), ("0.00", None)]  # fmt: skip
PAGED_START = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


def _fill_paged(store: Store) -> None:
    """54 rows, 2 deleted: 4 dates, 5 amount values, 13 created and few updated stamps."""
    add_client(store, "Tokyo KK", "JPY")
    ids = []
    for i in range(54):
        amount, client = PAGED_AMOUNTS[i % len(PAGED_AMOUNTS)]
        tags = tuple(t for t, on in (("red", i % 3 == 0), ("blue", i % 4 == 0)) if on)
        inp = ExpenseInput(
            description=f"row {i:02d}", amount=amount, client=client, tags=tags,
            category="Meals" if i % 2 else "Travel", date=f"2025-05-0{1 + (i * 3) % 4}",
        )  # fmt: skip
        moment = PAGED_START + timedelta(minutes=(i * 5) % 13)
        ids.append(add_expense(store, inp, clock=Clock(moment)).id)
    later = Clock(PAGED_START + timedelta(days=1))
    for i in range(1, 54, 4):
        tag_expense(store, ids[i], add=["green"], clock=later)
    delete_expenses(store, [ids[10], ids[33]], clock=later)


def _template(tmp_path_factory: pytest.TempPathFactory, name: str, fill: Any) -> Path:
    path = tmp_path_factory.mktemp("list_books") / f"{name}.db"
    store = Store.open(path)
    try:
        fill(store)
    finally:
        store.close()
    return path


def _copy(source: Path, target: Path) -> None:
    """A closed WAL book is one file (the last close checkpoints and removes the -wal)."""
    assert not source.with_name(source.name + "-wal").exists()
    shutil.copyfile(source, target)


@pytest.fixture(scope="module")
def shop_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _template(tmp_path_factory, "shop", _fill_shop)


@pytest.fixture(scope="module")
def paged_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _template(tmp_path_factory, "paged", _fill_paged)


@pytest.fixture
def shop(shop_template: Path, book: Path) -> Path:
    _copy(shop_template, book)
    return book


@pytest.fixture
def paged(paged_template: Path, book: Path) -> Path:
    _copy(paged_template, book)
    return book


@pytest.fixture(params=["default", "walk"])
def plans(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test under the store's own plan choice and with every filter walked in order
    (`SMALL_SET = 0`): both plans must give the same rows."""
    if request.param == "walk":
        monkeypatch.setattr(SMALL_SET, 0)
    return str(request.param)


# helpers -----------------------------------------------------------------------------
def _ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def _all(cli: Cli, *args: str) -> list[dict[str, Any]]:
    result = _ok(cli("list", "--all", "--json", *args))
    data: list[dict[str, Any]] = result.data
    return data


def _names(cli: Cli, *args: str) -> set[str]:
    rows = _all(cli, *args)
    names = [row["description"] for row in rows]
    assert len(names) == len(set(names)), names
    return set(names)


def _ids(rows: list[dict[str, Any]]) -> list[int]:
    return [row["id"] for row in rows]


def _usage(result: Result, *, envelope: bool = True) -> None:
    """Exit 2, nothing on stdout; with `--json`, our own usage errors use the envelope."""
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    if envelope:
        assert result.error["code"] == "usage"


def _sort_key(field: str, row: dict[str, Any]) -> Any:
    return {
        "amount": lambda: Decimal(row["amount"]),
        "date": lambda: row["date"],
        "created": lambda: row["created_at"],
        "updated": lambda: row["updated_at"],
        "id": lambda: 0,
    }[field]()


def _sorted(rows: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """Reference §3 order: the sort value, then id, both in the sort's direction."""
    field = sort.lstrip("-")
    return sorted(rows, key=lambda r: (_sort_key(field, r), r["id"]), reverse=sort[0] == "-")


def _pages(cli: Cli, limit: int, *args: str) -> Iterator[Result]:
    cursor: list[str] = []
    for _ in range(100):  # a cursor that never runs out is a failure, not a hang
        result = _ok(cli("list", "--json", "--limit", str(limit), *args, *cursor))
        yield result
        next_cursor = result.json["pagination"]["next_cursor"]
        if next_cursor is None:
            return
        cursor = ["--cursor", next_cursor]
    pytest.fail("the cursor never reached the last page")


def _walk(cli: Cli, limit: int, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for result in _pages(cli, limit, *args):
        assert result.json["pagination"]["limit"] == limit
        page = result.data
        if result.json["pagination"]["next_cursor"] is not None:
            assert len(page) == limit
        else:
            assert len(page) <= limit
        assert result.stderr == ""
        rows.extend(page)
    return rows


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _raw_update(path: Path, sql: str, *params: Any) -> None:
    """Write what `add` refuses (an older file or an import could hold it)."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(sql, params)
        conn.commit()


# categories, clients, projects -------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-c", "Travel"], {"Train to Berlin", "Taxi"}),
        (["--category", "travel"], {"Train to Berlin", "Taxi"}),
        (["-c", "1"], {"Train to Berlin", "Taxi"}),
        (["-c", "Travel", "-c", "Meals"],
         {"Train to Berlin", "Taxi", "Sushi dinner", "Lunch", "Ramen", "Onigiri"}),
        (["-c", "Travel", "-c", "travel"], {"Train to Berlin", "Taxi"}),
        (["-c", "Other"], {"Café crème"}),
        (["-c", "Marketing"], {"Ad campaign"}),  # archived: still a valid filter
        (["-c", "Rent"], set()),
    ],
)  # fmt: skip
def test_category_filter_is_any_of_the_named_ones(
    cli: Cli, shop: Path, plans: str, args: list[str], expected: set[str]
) -> None:
    assert _names(cli, *args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--client", "Acme"], {"Train to Berlin"}),  # linked through its project
        (["--client", "tokyo kk"], JPY),
        (["--client", "Old Co"], {"Ad campaign"}),  # archived
        (["-p", "Web"], {"Train to Berlin"}),
        (["--project", "Mobile"], {"Ramen"}),
        (["-p", "Legacy"], {"Ad campaign"}),  # archived
        (["--client", "Tokyo KK", "-p", "Mobile"], {"Ramen"}),
    ],
)
def test_client_and_project_filters(
    cli: Cli, shop: Path, args: list[str], expected: set[str]
) -> None:
    assert _names(cli, *args) == expected


def test_client_and_project_filters_take_ids(cli: Cli, shop: Path) -> None:
    clients = {c["name"]: c["id"] for c in _ok(cli("clients", "--json")).data}
    projects = {p["name"]: p["id"] for p in _ok(cli("projects", "--json")).data}
    assert _names(cli, "--client", str(clients["Tokyo KK"])) == JPY
    assert _names(cli, "-p", str(projects["Legacy"])) == {"Ad campaign"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("acme", {"Train to Berlin", "Lab supplies"}),
        ("ACME", {"Train to Berlin", "Lab supplies"}),
        ("labs", {"Lab supplies"}),
        ("kk", JPY),
        ("o K", JPY),
        ("old", {"Ad campaign"}),  # archived client
        ("nobody", set()),
        ("%", set()),  # LIKE wildcards are plain text
        ("_", set()),
    ],
)
def test_client_name_is_a_case_insensitive_partial_match(
    cli: Cli, shop: Path, plans: str, text: str, expected: set[str]
) -> None:
    assert _names(cli, "--client-name", text) == expected


@pytest.mark.parametrize(
    "args",
    [["-c", "Nope"], ["-c", "999"], ["-c", "Travel", "-c", "Nope"], ["--client", "Nope"],
     ["--client", "999"], ["-p", "Nope"], ["--project", "999"]],
)  # fmt: skip
def test_a_filter_naming_an_unknown_reference_is_a_usage_error(
    cli: Cli, shop: Path, args: list[str]
) -> None:
    _usage(cli("list", "--json", *args))


# flags and statuses ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", BILLABLE), ("1", BILLABLE), ("yes", BILLABLE),
     ("false", LIVE - BILLABLE), ("0", LIVE - BILLABLE), ("no", LIVE - BILLABLE)],
)  # fmt: skip
def test_billable_takes_the_six_boolean_spellings(
    cli: Cli, shop: Path, plans: str, value: str, expected: set[str]
) -> None:
    assert _names(cli, "--billable", value) == expected


@pytest.mark.parametrize("value", ["maybe", "2", "", "truthy", "y es"])
def test_billable_with_another_value_is_a_usage_error(cli: Cli, shop: Path, value: str) -> None:
    _usage(cli("list", "--json", "--billable", value))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--status", "invoiced"], {"Ad campaign"}),
        (["--status", "not_invoiced"], LIVE - {"Ad campaign"}),
        (["--approval", "pending"], {"Hosting"}),
        (["--approval", "rejected"], {"Taxi"}),
        (["--approval", "approved"], LIVE - {"Hosting", "Taxi"}),
        (["--reimbursement", "pending"], {"Hosting"}),
        (["--reimbursement", "reimbursed"], {"Taxi"}),
        (["--reimbursement", "rejected"], set()),
        (["--reimbursement", "not_reimbursable"], LIVE - {"Hosting", "Taxi"}),
        (["--currency", "JPY"], JPY),
        (["--currency", "USD"], LIVE - JPY),
        (["--currency", "EUR"], set()),
        (["-c", "Meals", "--currency", "JPY", "--billable", "yes"], {"Ramen"}),
    ],
)
def test_status_and_currency_filters(
    cli: Cli, shop: Path, plans: str, args: list[str], expected: set[str]
) -> None:
    assert _names(cli, *args) == expected


@pytest.mark.parametrize(
    "args",
    [["--status", "paid"], ["--status", "INVOICED"], ["--approval", "maybe"],
     ["--reimbursement", "soon"], ["--currency", "ZZZ"], ["--currency", "dollars"]],
)  # fmt: skip
def test_bad_status_or_currency_is_a_usage_error(cli: Cli, shop: Path, args: list[str]) -> None:
    result = cli("list", "--json", *args)
    # --approval/--reimbursement are fixed choices Typer itself rejects (reference §3).
    _usage(result, envelope=args[0] not in ("--approval", "--reimbursement"))


# amounts and dates -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--min", "15", "--max", "15"], {"Lunch", "Onigiri"}),  # USD 15.00 = JPY 15
        (["--min", "15.00", "--max", "15.01"], {"Lunch", "Onigiri", "Hosting"}),
        (["--min", "1000"], {"Sushi dinner", "Ramen"}),  # JPY 1500 > USD 200.00
        (["--min", "1499.5"], {"Sushi dinner"}),
        (["--min", "200", "--max", "1499"], {"Ad campaign", "Ramen"}),
        (["--max", "14.999"], {"Taxi", "Café crème", "Free sample", "50% off deal"}),
        (["--max", "0"], {"Free sample"}),
        (["--max", "0.00001"], {"Free sample"}),
        (["--min", "0.00001", "--max", "3"], {"Café crème"}),
        (["--min", " 45.10 ", "--max", "45.1"], {"Train to Berlin"}),
        (["--min", "2000"], set()),
    ],
)
def test_amount_bounds_are_inclusive_decimal_values_across_currencies(
    cli: Cli, shop: Path, plans: str, args: list[str], expected: set[str]
) -> None:
    assert _names(cli, *args) == expected


@pytest.mark.parametrize("value", ["abc", "-1", "1e3", "1,000", "NaN", "inf", "$5", "1 000"])
@pytest.mark.parametrize("option", ["--min", "--max"])
def test_bad_amount_bound_is_a_usage_error(cli: Cli, shop: Path, option: str, value: str) -> None:
    _usage(cli("list", "--json", f"{option}={value}"))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--from", "2025-03-03", "--to", "2025-03-05"], {"Lunch", "Café crème", "Hosting"}),
        (["--from", "2025-03-12"], {"50% off deal"}),
        (["--to", "2025-03-01"], {"Train to Berlin"}),
        (["--from", "2025-03-02", "--to", "2025-03-02"], {"Sushi dinner"}),
        (["--from", "2025-03-13"], set()),
    ],
)
def test_date_bounds_are_inclusive(
    cli: Cli, shop: Path, plans: str, args: list[str], expected: set[str]
) -> None:
    assert _names(cli, *args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # a bare date as an upper bound is the end of that UTC day
        (["--created-to", "2025-04-01"], {"Train to Berlin", "Sushi dinner"}),
        (["--created-from", "2025-04-02", "--created-to", "2025-04-02"],
         {"Lunch", "Café crème", "Hosting"}),
        (["--created-from", "2025-04-02T00:00:00.000000Z", "--created-to", "2025-04-02T12:00:00Z"],
         {"Lunch", "Café crème", "Hosting"}),
        (["--created-from", "2025-04-02T12:00:00Z", "--created-to", "2025-04-03T08:00:00Z"],
         {"Café crème", "Hosting", "Ad campaign"}),
        (["--created-from", "2025-04-03T14:00:00.000001Z"], set()),
    ],
)  # fmt: skip
def test_created_bounds_are_inclusive(
    cli: Cli, shop: Path, plans: str, args: list[str], expected: set[str]
) -> None:
    assert _names(cli, *args) == expected


def test_created_to_today_includes_what_was_just_created(cli: Cli) -> None:
    added = _ok(cli("add", "Now", "1.00", "-c", "Travel", "--json")).data
    today = date.fromisoformat(added["created_at"][:10])  # the UTC day it was created
    assert today in {datetime.now(UTC).date(), datetime.now(UTC).date() - timedelta(days=1)}
    day, before, after = (
        d.isoformat() for d in (today, today - timedelta(1), today + timedelta(1))
    )
    assert _names(cli, "--created-to", day) == {"Now"}
    assert _names(cli, "--created-from", day, "--created-to", day) == {"Now"}
    assert _names(cli, "--created-to", before) == set()
    assert _names(cli, "--created-from", after) == set()


@pytest.mark.parametrize("option", ["--from", "--to", "--created-from", "--created-to"])
@pytest.mark.parametrize("value", ["2025-13-01", "March", "2025-02-30", "soon"])
def test_bad_date_bound_is_a_usage_error(cli: Cli, shop: Path, option: str, value: str) -> None:
    _usage(cli("list", "--json", option, value))


# search ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("café", {"Lunch", "Café crème"}),  # description and notes
        ("CAFÉ", {"Lunch", "Café crème"}),
        ("afé", {"Lunch", "Café crème"}),
        ("é", {"Lunch", "Café crème"}),
        ("É", {"Lunch", "Café crème"}),
        ("ème", {"Café crème"}),
        ("coffee", {"Café crème"}),  # the custom category of Other
        ("COFFEE RUN", {"Café crème"}),
        ("co", {"Café crème"}),
        ("in", {"Train to Berlin", "Sushi dinner", "Hosting"}),
        ("IN", {"Train to Berlin", "Sushi dinner", "Hosting"}),
        ("ta", {"Taxi"}),  # not the deleted taxi
        ("taxi", {"Taxi"}),
        ("owner", {"Lunch"}),
        ("hi", {"Sushi dinner", "50% off deal"}),
        ('"hi"', {"50% off deal"}),  # quotes are text, not FTS syntax
        ("said OR x", set()),
        ("%", {"50% off deal"}),  # LIKE wildcards are text
        ("50%", {"50% off deal"}),
        ("_", set()),
        ("o_d", set()),
        ("x" * 200, set()),
    ],
)
def test_search_is_a_case_insensitive_partial_match(
    cli: Cli, shop: Path, plans: str, text: str, expected: set[str]
) -> None:
    assert _names(cli, "-s", text) == expected
    assert _names(cli, "--search", text) == expected


@pytest.mark.parametrize("text", ["travel", "Meals", "trip", "tokyo", "acme", "web", "INV-1"])
def test_search_does_not_look_at_categories_tags_clients_or_refs(
    cli: Cli, shop: Path, plans: str, text: str
) -> None:
    assert _names(cli, "-s", text) == set()


@pytest.mark.parametrize("text", ["x" * 201, "é" * 201])
def test_search_longer_than_200_characters_is_a_usage_error(
    cli: Cli, shop: Path, text: str
) -> None:
    _usage(cli("list", "--json", "-s", text))
    assert _ok(cli("list", "--json", "-s", text[:200])).data == []


# tags, deleted -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-t", "trip"], {"Train to Berlin", "Sushi dinner", "Ramen"}),
        (["--tag", "TRIP"], {"Train to Berlin", "Sushi dinner", "Ramen"}),
        (["-t", "work"], {"Train to Berlin", "Hosting"}),
        (["-t", "trip", "-t", "coffee"],
         {"Train to Berlin", "Sushi dinner", "Ramen", "Café crème"}),
        (["-t", "trip", "-t", "work", "--all-tags"], {"Train to Berlin"}),
        (["-t", "trip", "-t", "WORK", "--all-tags"], {"Train to Berlin"}),
        (["-t", "trip", "-t", "Trip", "--all-tags"], {"Train to Berlin", "Sushi dinner", "Ramen"}),
        (["-t", "work", "--all-tags"], {"Train to Berlin", "Hosting"}),
        (["-t", "coffee", "-t", "work", "--all-tags"], set()),
        (["-t", "nothing"], set()),
    ],
)  # fmt: skip
def test_tag_filter_is_any_of_them_or_all_of_them(
    cli: Cli, shop: Path, plans: str, args: list[str], expected: set[str]
) -> None:
    assert _names(cli, *args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], {"Deleted taxi"}),
        (["-c", "Travel"], {"Deleted taxi"}),
        (["-c", "Meals"], set()),
        (["-t", "trip"], {"Deleted taxi"}),
        (["-s", "taxi"], {"Deleted taxi"}),
        (["-s", "ta"], {"Deleted taxi"}),
    ],
)
def test_deleted_lists_only_deleted_expenses(
    cli: Cli, shop: Path, args: list[str], expected: set[str]
) -> None:
    rows = _all(cli, "--deleted", *args)
    assert {r["description"] for r in rows} == expected
    assert all(r["deleted_at"] is not None for r in rows)


def test_without_deleted_no_deleted_expense_is_listed(cli: Cli, shop: Path) -> None:
    rows = _all(cli)
    assert {r["description"] for r in rows} == LIVE
    assert all(r["deleted_at"] is None for r in rows)


# sorting -----------------------------------------------------------------------------
def test_paged_book_ties_on_every_sort_value(cli: Cli, paged: Path) -> None:
    """The pagination property below is only as strong as the ties in this book."""
    rows = _all(cli)
    assert len(rows) == 52
    for field in ("amount", "date", "created", "updated"):
        values = [_sort_key(field, r) for r in rows]
        assert len(set(values)) < len(values) / 3, field
    fifteen = {r["currency"] for r in rows if Decimal(r["amount"]) == 15}
    assert fifteen == {"USD", "JPY"}


@pytest.mark.parametrize("sort", SORTS)
def test_sort_orders_by_the_value_then_id_in_the_same_direction(
    cli: Cli, paged: Path, sort: str
) -> None:
    rows = _all(cli, "--sort", sort)
    assert _ids(rows) == _ids(_sorted(rows, sort))
    first_page = _ok(cli("list", "--json", "--sort", sort)).data
    assert _ids(first_page) == _ids(rows)[:50]


def test_default_sort_is_newest_created_first(cli: Cli, paged: Path) -> None:
    rows = _all(cli)
    assert _ids(rows) == _ids(_sorted(rows, "-created"))
    assert _ids(rows) == _ids(_all(cli, "--sort", "-created"))


@pytest.mark.parametrize(
    ("alias", "sort"),
    [("expenseDate", "date"), ("-expenseDate", "-date"), ("createdAt", "created"),
     ("-createdAt", "-created"), ("updatedAt", "updated"), ("-updatedAt", "-updated")],
)  # fmt: skip
def test_sort_aliases(cli: Cli, paged: Path, alias: str, sort: str) -> None:
    rows = _all(cli, "--sort", alias)
    assert _ids(rows) == _ids(_sorted(rows, sort))


def test_amount_sorts_by_decimal_value_across_currencies(cli: Cli, shop: Path) -> None:
    rows = _all(cli, "--sort", "-amount")
    assert [r["description"] for r in rows[:4]] == [
        "Sushi dinner", "Ramen", "Ad campaign", "Lab supplies",
    ]  # fmt: skip
    ascending = [r["description"] for r in _all(cli, "--sort", "amount")]
    lunch, onigiri = ascending.index("Lunch"), ascending.index("Onigiri")
    assert abs(lunch - onigiri) == 1  # 15.00 USD and 15 JPY are equal
    assert ascending.index("Taxi") < min(lunch, onigiri) < ascending.index("Hosting")


@pytest.mark.parametrize("sort", ["price", "-", "", "amount,date", "--amount", "description",
                                  "amount desc"])  # fmt: skip
def test_bad_sort_is_a_usage_error(cli: Cli, paged: Path, sort: str) -> None:
    _usage(cli("list", "--json", f"--sort={sort}"))


# pagination --------------------------------------------------------------------------
@pytest.mark.parametrize("sort", SORTS)
def test_cursor_pages_return_every_row_once_in_order(cli: Cli, paged: Path, sort: str) -> None:
    everything = _all(cli, "--sort", sort)
    assert len(everything) == 52
    walked = _walk(cli, 7, "--sort", sort)
    assert _ids(walked) == _ids(everything)


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize(
    "filters",
    [
        ["-c", "Meals"],
        ["-t", "red", "-t", "blue", "--max", "1499.99"],
        ["--currency", "USD", "--from", "2025-05-02"],
    ],
    ids=["category", "tags+max", "currency+from"],
)
def test_cursor_pages_with_a_filter_return_every_match_once_in_order(
    cli: Cli, paged: Path, plans: str, filters: list[str], sort: str
) -> None:
    everything = _all(cli, "--sort", sort, *filters)
    assert 8 < len(everything) < 52
    assert _ids(_walk(cli, 4, "--sort", sort, *filters)) == _ids(everything)


def test_default_limit_is_50(cli: Cli, paged: Path) -> None:
    first = _ok(cli("list", "--json"))
    assert len(first.data) == 50
    assert first.json["pagination"]["limit"] == 50
    cursor = first.json["pagination"]["next_cursor"]
    assert isinstance(cursor, str) and cursor
    rest = _ok(cli("list", "--json", "--cursor", cursor))
    assert _ids(first.data) + _ids(rest.data) == _ids(_all(cli))
    assert rest.json["pagination"] == {"limit": 50, "next_cursor": None}


@pytest.mark.parametrize(
    ("limit", "rows", "more"), [(1, 1, True), (51, 51, True), (52, 52, False), (200, 52, False)]
)
def test_limit_bounds_the_page(cli: Cli, paged: Path, limit: int, rows: int, more: bool) -> None:
    result = _ok(cli("list", "--json", "--limit", str(limit)))
    assert len(result.data) == rows
    assert (result.json["pagination"]["next_cursor"] is not None) is more


@pytest.mark.parametrize("limit", ["0", "201", "-1", "abc", "1.5", ""])
def test_limit_outside_1_to_200_is_a_usage_error(cli: Cli, paged: Path, limit: str) -> None:
    result = cli("list", "--json", f"--limit={limit}")
    _usage(result, envelope=limit in ("0", "201", "-1"))


def test_limit_may_change_between_pages(cli: Cli, paged: Path) -> None:
    everything = _ids(_all(cli, "--sort", "amount"))
    first = _ok(cli("list", "--json", "--sort", "amount", "--limit", "5"))
    cursor = first.json["pagination"]["next_cursor"]
    second = _ok(cli("list", "--json", "--sort", "amount", "--limit", "11", "--cursor", cursor))
    assert _ids(first.data) + _ids(second.data) == everything[:16]
    assert second.json["pagination"]["limit"] == 11


def test_a_cursor_fits_an_alias_of_its_own_sort(cli: Cli, paged: Path) -> None:
    first = _ok(cli("list", "--json", "--limit", "5", "--sort", "-created"))
    cursor = first.json["pagination"]["next_cursor"]
    second = _ok(cli("list", "--json", "--limit", "5", "--sort", "-createdAt", "--cursor", cursor))
    assert _ids(first.data) + _ids(second.data) == _ids(_all(cli))[:10]


@pytest.mark.parametrize(
    ("made_with", "used_with"),
    [
        (["--sort", "-created"], ["--sort", "created"]),
        (["--sort", "amount"], ["--sort", "-amount"]),
        (["--sort", "amount"], ["--sort", "date"]),
        ([], ["--sort", "updated"]),
        ([], ["--sort", "id"]),
        (["-c", "Meals"], []),
        ([], ["-c", "Meals"]),
        (["-c", "Meals"], ["-c", "Travel"]),
        (["-t", "red"], ["-t", "blue"]),
        (["-t", "red", "-t", "blue"], ["-t", "red", "-t", "blue", "--all-tags"]),
        (["--min", "10"], ["--min", "11"]),
        (["-s", "row"], ["-s", "row 1"]),
        (["--currency", "USD"], []),
        ([], ["--billable", "no"]),
    ],
)
def test_a_cursor_used_with_another_sort_or_other_filters_is_a_usage_error(
    cli: Cli, paged: Path, made_with: list[str], used_with: list[str]
) -> None:
    first = _ok(cli("list", "--json", "--limit", "3", *made_with))
    cursor = first.json["pagination"]["next_cursor"]
    assert cursor is not None
    _usage(cli("list", "--json", "--limit", "3", *used_with, "--cursor", cursor))


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "", "!!!!", "eyJ2IjoxfQ", _b64("[]"), _b64("null"), _b64('{"v": 1}'),
     _b64('{"v": 1, "q": "0000000000000000", "k": ["2025", 1]}'), _b64("\xff\xfe")],
)  # fmt: skip
def test_a_garbage_cursor_is_a_usage_error(cli: Cli, paged: Path, cursor: str) -> None:
    _usage(cli("list", "--json", "--cursor", cursor))


@pytest.mark.parametrize(
    "tamper",
    [lambda c: c[:-6], lambda c: c[6:], lambda c: c + "!", lambda c: c + "AAAA", lambda c: "#" + c],
    ids=["truncated", "headless", "bang", "padded", "hash"],
)
def test_a_damaged_cursor_is_a_usage_error(
    cli: Cli, paged: Path, tamper: Callable[[str], str]
) -> None:
    cursor = _ok(cli("list", "--json", "--limit", "3")).json["pagination"]["next_cursor"]
    _usage(cli("list", "--json", "--cursor", tamper(cursor)))


@pytest.mark.parametrize(
    "args",
    [["--page", "2", "--all"], ["--cursor", "x", "--page", "2"], ["--cursor", "x", "--all"],
     ["--cursor", "x", "--page", "1", "--all"]],
)  # fmt: skip
def test_cursor_page_and_all_exclude_each_other(cli: Cli, paged: Path, args: list[str]) -> None:
    first = _ok(cli("list", "--json", "--limit", "3")).json["pagination"]["next_cursor"]
    args = [first if a == "x" else a for a in args]
    _usage(cli("list", "--json", *args))


@pytest.mark.parametrize("sort", ["-created", "amount"])
def test_page_is_the_offset_alternative(cli: Cli, paged: Path, sort: str) -> None:
    everything = _ids(_all(cli, "--sort", sort))
    for page, expected in ((1, everything[:7]), (2, everything[7:14]), (8, everything[49:]),
                           (9, [])):  # fmt: skip
        result = _ok(cli("list", "--json", "--sort", sort, "--limit", "7", "--page", str(page)))
        assert _ids(result.data) == expected
        assert result.json["pagination"] == {"limit": 7, "next_cursor": None, "page": page}
        assert result.stderr == ""


def test_page_uses_the_default_limit(cli: Cli, paged: Path) -> None:
    result = _ok(cli("list", "--json", "--page", "2"))
    assert _ids(result.data) == _ids(_all(cli))[50:]
    assert result.json["pagination"] == {"limit": 50, "next_cursor": None, "page": 2}


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5"])
def test_bad_page_is_a_usage_error(cli: Cli, paged: Path, page: str) -> None:
    _usage(cli("list", "--json", f"--page={page}"), envelope=page in ("0", "-1"))


def test_all_returns_everything_without_a_cursor(cli: Cli, paged: Path) -> None:
    result = _ok(cli("list", "--all", "--json"))
    assert len(result.data) == 52
    assert result.json["pagination"] == {"limit": None, "next_cursor": None}
    assert result.stderr == ""


@pytest.mark.parametrize("fmt", ["ndjson", "csv", "tsv", "table"])
def test_other_formats_announce_the_next_page_on_stderr(cli: Cli, paged: Path, fmt: str) -> None:
    everything = _ids(_all(cli, "--sort", "amount"))
    first = _ok(cli("list", "-f", fmt, "--sort", "amount", "--limit", "5"))
    cursors = CURSOR_LINE.findall(first.stderr)
    assert len(cursors) == 1, first.stderr
    assert cursors[0] not in first.stdout
    second = _ok(cli("list", "--json", "--sort", "amount", "--limit", "5", "--cursor", cursors[0]))
    assert _ids(second.data) == everything[5:10]
    last = _ok(cli("list", "-f", fmt, "--sort", "amount", "--limit", "52"))
    assert "next_cursor" not in last.stderr
    everything_at_once = _ok(cli("list", "-f", fmt, "--all"))
    assert everything_at_once.stderr == ""


def test_json_keeps_the_cursor_in_the_envelope_not_on_stderr(cli: Cli, paged: Path) -> None:
    result = _ok(cli("list", "--json", "--limit", "5"))
    assert result.json["pagination"]["next_cursor"]
    assert result.stderr == ""


# formats -----------------------------------------------------------------------------
def test_json_is_the_list_envelope(cli: Cli, shop: Path) -> None:
    result = _ok(cli("list", "--json"))
    assert set(result.json) == {"data", "pagination"}
    assert result.json["pagination"] == {"limit": 50, "next_cursor": None}
    assert len(result.data) == len(LIVE)
    for row in result.data:
        assert set(row) == EXPENSE_FIELDS
        assert isinstance(row["amount"], str)
    assert _ok(cli("list", "-f", "json")).json == result.json


def test_ndjson_is_one_expense_object_per_line(cli: Cli, shop: Path) -> None:
    result = _ok(cli("list", "-f", "ndjson"))
    lines = result.stdout.splitlines()
    assert result.stdout.endswith("\n")
    objects = [json.loads(line) for line in lines]
    assert objects == _ok(cli("list", "--json")).data
    assert all(set(o) == EXPENSE_FIELDS for o in objects)


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _tsv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    lines = text.split("\n")
    assert lines[-1] == ""
    header = lines[0].split("\t")
    rows = []
    for line in lines[1:-1]:
        cells = line.split("\t")
        assert len(cells) == len(header), line
        rows.append(dict(zip(header, cells, strict=True)))
    return header, rows


def test_csv_has_a_header_and_flat_columns(cli: Cli, shop: Path) -> None:
    result = _ok(cli("list", "-f", "csv"))
    rows = _csv(result.stdout)
    assert set(rows[0]) == EXPENSE_FIELDS
    assert [int(r["id"]) for r in rows] == _ids(_ok(cli("list", "--json")).data)
    train = next(r for r in rows if r["description"] == "Train to Berlin")
    assert (train["category"], train["client"], train["project"]) == ("Travel", "Acme", "Web")
    assert (train["amount"], train["currency"], train["tags"]) == ("45.10", "USD", "trip;work")
    sushi = next(r for r in rows if r["description"] == "Sushi dinner")
    assert (sushi["amount"], sushi["currency"], sushi["project"]) == ("1500", "JPY", "")
    cafe = next(r for r in rows if r["description"] == "Café crème")
    assert (cafe["category"], cafe["custom_category"]) == ("Other", "Coffee run")


def test_tsv_has_a_header_and_flat_columns(cli: Cli, shop: Path) -> None:
    header, rows = _tsv(_ok(cli("list", "-f", "tsv")).stdout)
    assert set(header) == EXPENSE_FIELDS
    assert len(rows) == len(LIVE)
    assert rows == _csv(_ok(cli("list", "-f", "csv")).stdout)  # nothing here needs escaping


def test_csv_and_tsv_tags_are_joined_by_semicolons_in_order(cli: Cli) -> None:
    _ok(cli("add", "Tagged", "1.00", "-c", "Travel", "-t", "b", "-t", "A", "-t", "c d"))
    assert _csv(_ok(cli("list", "-f", "csv")).stdout)[0]["tags"] == "A;b;c d"
    assert _tsv(_ok(cli("list", "-f", "tsv")).stdout)[1][0]["tags"] == "A;b;c d"


def _formula_book(cli: Cli, book: Path) -> None:
    _ok(cli("clients", "add", "=Evil Corp"))
    _ok(cli("projects", "add", "+Proj", "--client", "=Evil Corp"))
    for args in (["=SUM(A1:A9)", "1.00", "-c", "Travel"],
                 ["+1 call", "2.00", "-c", "Travel", "-p", "+Proj"],
                 ["-5 discount", "3.00", "-c", "Travel", "--tag=-x", "--tag==y"],
                 ["@SUM(1)", "4.00", "-c", "Other", "--label", "=cmd"],
                 ["Tabbed note", "5.00", "-c", "Travel", "-n", "later"],
                 ["a=b plain", "7.00", "-c", "Travel", "-n", "x\t=1"]):  # fmt: skip
        _ok(cli("add", *args[2:], "--", *args[:2]))
    _raw_update(book, "UPDATE expenses SET notes = char(9) || '=1+1' WHERE description = ?",
                "Tabbed note")  # fmt: skip


def _neutralised(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {r["description"].lstrip("'"): r for r in rows}


def test_csv_neutralises_formulas_in_text_cells(cli: Cli, book: Path) -> None:
    _formula_book(cli, book)
    rows = _neutralised(_csv(_ok(cli("list", "-f", "csv")).stdout))
    assert rows["=SUM(A1:A9)"]["description"] == "'=SUM(A1:A9)"
    assert rows["+1 call"]["description"] == "'+1 call"
    assert rows["+1 call"]["project"] == "'+Proj"
    assert rows["+1 call"]["client"] == "'=Evil Corp"
    assert rows["-5 discount"]["description"] == "'-5 discount"
    assert rows["-5 discount"]["tags"] == "'-x;=y"
    assert rows["@SUM(1)"]["description"] == "'@SUM(1)"
    assert rows["@SUM(1)"]["custom_category"] == "'=cmd"
    assert rows["Tabbed note"]["notes"] == "'\t=1+1"
    assert rows["a=b plain"]["description"] == "a=b plain"
    assert rows["a=b plain"]["notes"] == "x\t=1"
    for row in rows.values():  # numeric columns are never prefixed
        assert re.fullmatch(r"\d+", row["id"])
        assert re.fullmatch(r"\d+\.\d\d", row["amount"])
        assert not row["created_at"].startswith("'")


def test_tsv_neutralises_formulas_and_escapes_tabs_newlines_backslashes(
    cli: Cli, book: Path
) -> None:
    _formula_book(cli, book)
    _ok(cli("add", "Escapes", "8.00", "-c", "Travel", "-n", "line1\nline2\tx\\y"))
    _, rows = _tsv(_ok(cli("list", "-f", "tsv")).stdout)
    by_name = _neutralised(rows)
    assert by_name["=SUM(A1:A9)"]["description"] == "'=SUM(A1:A9)"
    assert by_name["-5 discount"]["tags"] == "'-x;=y"
    assert by_name["+1 call"]["client"] == "'=Evil Corp"
    assert by_name["@SUM(1)"]["custom_category"] == "'=cmd"
    assert by_name["Tabbed note"]["notes"] == "'\\t=1+1"
    assert by_name["a=b plain"]["notes"] == "x\\t=1"
    assert by_name["Escapes"]["notes"] == "line1\\nline2\\tx\\\\y"
    assert by_name["Escapes"]["amount"] == "8.00"


def _carriage_return_note(cli: Cli, book: Path) -> None:
    _ok(cli("add", "Carriage note", "6.00", "-c", "Travel", "-n", "later"))
    _ok(cli("add", "Next row", "7.00", "-c", "Travel"))
    _raw_update(book, "UPDATE expenses SET notes = char(13) || '=2+2' WHERE description = ?",
                "Carriage note")  # fmt: skip


def test_csv_escapes_a_stored_leading_carriage_return(cli: Cli, book: Path) -> None:
    """§10.1 item 25: no raw control character but the newlines and tabs of notes; the
    escaped cell starts with a backslash, which no spreadsheet runs as a formula."""
    _carriage_return_note(cli, book)
    result = _ok(cli("list", "-f", "csv", "--sort", "id"))
    assert "\r" not in result.stdout
    rows = _csv(result.stdout)
    assert [r["description"] for r in rows] == ["Carriage note", "Next row"]
    assert rows[0]["notes"] == "\\u000d=2+2"
    assert rows[0]["amount"] == "6.00"


def test_tsv_escapes_a_stored_leading_carriage_return_on_one_line(cli: Cli, book: Path) -> None:
    _carriage_return_note(cli, book)
    _, rows = _tsv(_ok(cli("list", "-f", "tsv", "--sort", "id")).stdout)
    assert [r["description"] for r in rows] == ["Carriage note", "Next row"]
    assert rows[0]["notes"] == "\\\\u000d=2+2"  # the value `\u000d=2+2`, its `\` as TSV writes it
    assert "\r" not in rows[0]["notes"]


def test_csv_keeps_newlines_tabs_and_backslashes_in_quoted_cells(cli: Cli) -> None:
    _ok(cli("add", "Escapes", "8.00", "-c", "Travel", "-n", "line1\nline2\tx\\y"))
    assert _csv(_ok(cli("list", "-f", "csv")).stdout)[0]["notes"] == "line1\nline2\tx\\y"


def test_table_renders_markup_literally(cli: Cli) -> None:
    _ok(cli("add", "[bold]x[/]", "1.00", "-c", "Other", "--label", "[red]label[/red]",
            "-t", "[i]t"))  # fmt: skip
    result = _ok(cli("list"))
    assert "[bold]x[/]" in result.stdout
    assert "[red]label[/red]" in result.stdout
    assert "[i]t" in result.stdout


def test_table_never_emits_control_characters(cli: Cli, book: Path) -> None:
    added = _ok(cli("add", "evil", "1.00", "-c", "Travel", "--json")).data
    _raw_update(book, "UPDATE expenses SET description = ? WHERE id = ?",
                "evil\x1b[31mred\x07bell\x7fdel\x9b2Jcsi", added["id"])  # fmt: skip
    result = _ok(cli("list"))
    for char in CONTROL_CHARS:
        assert char not in result.stdout, repr(result.stdout)
    assert "evil" in result.stdout and "red" in result.stdout


def test_table_shows_totals_per_currency(cli: Cli, shop: Path) -> None:
    result = _ok(cli("list"))
    assert "383.09 USD" in result.stdout
    assert "3014 JPY" in result.stdout
    assert "Train to Berlin" in result.stdout


def test_quiet_prints_only_ids(cli: Cli, paged: Path) -> None:
    everything = _ids(_all(cli))
    result = _ok(cli("list", "-q"))
    assert result.stdout == "".join(f"{i}\n" for i in everything[:50])
    result = _ok(cli("list", "-q", "--all", "--sort", "id"))
    assert result.stdout == "".join(f"{i}\n" for i in sorted(everything))
