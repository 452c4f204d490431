"""Bulk edits (reference §10.9, §10.10 items 1 and 10): `edit`, `tag`, `attach`, `detach`
on several ids or ids read from stdin (`-`), all or nothing; `-` on every `ID...` command."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from expense_cli.cli import ids as id_args
from expense_cli.errors import UsageError
from tests.conftest import Cli, ok


def _add(cli: Cli, description: str, amount: str = "10.00", *args: str) -> int:
    data: dict[str, Any] = ok(cli, "add", description, amount, "-c", "Travel", *args)
    return int(data["id"])


@pytest.fixture
def three(cli: Cli) -> list[int]:
    assert ok(cli, "clients", "add", "Acme")["name"] == "Acme"
    assert ok(cli, "projects", "add", "Website", "--client", "Acme")["name"] == "Website"
    return [_add(cli, "AWS one"), _add(cli, "AWS two"), _add(cli, "Lunch", "5.00")]


def _invoiced(cli: Cli) -> int:
    expense_id = _add(cli, "Billable", "20.00", "--client", "Acme", "--billable")
    assert cli("invoice", str(expense_id), "--ref", "INV-1").exit_code == 0
    return expense_id


def _snapshot(book: Path) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(book)) as conn:
        rows = conn.execute("SELECT * FROM expenses ORDER BY id").fetchall()
        tags = conn.execute("SELECT expense_id, tag FROM expense_tags ORDER BY id").fetchall()
    return [*rows, *tags]


# edit ---------------------------------------------------------------------------------
def test_edit_of_several_ids_changes_each_and_prints_a_list(cli: Cli, three: list[int]) -> None:
    result = cli("edit", str(three[0]), str(three[1]), "-c", "Software", "--json")

    assert result.exit_code == 0, result.stderr
    assert [e["id"] for e in result.data] == three[:2]
    assert {e["category"]["name"] for e in result.data} == {"Software"}
    assert ok(cli, "show", str(three[2]))["category"]["name"] == "Travel"


def test_edit_of_one_id_still_prints_the_object(cli: Cli, three: list[int]) -> None:
    result = cli("edit", str(three[0]), "--notes", "x", "--json")

    assert result.exit_code == 0, result.stderr
    assert result.data["id"] == three[0]
    assert result.data["notes"] == "x"


def test_the_pipeline_recategorises_every_match(cli: Cli, three: list[int]) -> None:
    listed = cli("list", "-s", "AWS", "--all", "-q")
    assert listed.exit_code == 0
    assert sorted(map(int, listed.stdout.split())) == three[:2]

    result = cli("edit", "-", "-c", "Software", "--json", input=listed.stdout)

    assert result.exit_code == 0, result.stderr
    assert sorted(e["id"] for e in result.data) == three[:2]
    shown = ok(cli, "list", "-c", "Software", "--all")
    assert sorted(e["id"] for e in shown) == three[:2]


def test_stdin_skips_blank_lines_and_prints_a_list_even_for_one_id(
    cli: Cli, three: list[int]
) -> None:
    result = cli("edit", "-", "--notes", "n", "--json", input=f"\n  {three[1]}  \n\n")

    assert result.exit_code == 0, result.stderr
    assert isinstance(result.data, list)
    assert [e["id"] for e in result.data] == [three[1]]


def test_quiet_prints_the_ids(cli: Cli, three: list[int]) -> None:
    result = cli("edit", str(three[2]), str(three[0]), "--notes", "q", "-q")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.split() == [str(three[2]), str(three[0])]


def test_a_table_lists_the_changed_expenses(cli: Cli, three: list[int]) -> None:
    result = cli("edit", str(three[0]), str(three[1]), "--notes", "t")

    assert result.exit_code == 0, result.stderr
    assert "AWS one" in result.stdout and "AWS two" in result.stdout


@pytest.mark.parametrize(
    ("stdin", "named"),
    [
        ("1\nabc\n", "line 2"),
        ("1\n-5\n", "line 2"),
        ("1\n2.0\n", "line 2"),
        ("x1\n", "line 1"),
        ("１\n", "line 1"),  # a full-width digit is not an ASCII id
    ],
)
def test_a_line_that_is_not_an_id_is_a_usage_error_naming_it(
    cli: Cli, three: list[int], book: Path, stdin: str, named: str
) -> None:
    before = _snapshot(book)

    result = cli("edit", "-", "--notes", "z", "--json", input=stdin)

    assert result.exit_code == 2
    assert result.error["code"] == "usage"
    assert named in result.error["message"]
    assert _snapshot(book) == before


@pytest.mark.parametrize("stdin", ["", "\n\n  \n"])
def test_no_ids_on_stdin_is_a_usage_error(
    cli: Cli, three: list[int], book: Path, stdin: str
) -> None:
    before = _snapshot(book)

    result = cli("edit", "-", "--notes", "z", input=stdin)

    assert result.exit_code == 2
    assert "no expense ids" in result.stderr
    assert _snapshot(book) == before


def test_ids_and_dash_together_are_a_usage_error(cli: Cli, three: list[int]) -> None:
    result = cli("edit", "1", "-", "--notes", "z", input="2\n")

    assert result.exit_code == 2
    assert "not both" in result.stderr


def test_a_word_among_the_ids_is_a_usage_error(cli: Cli, three: list[int]) -> None:
    result = cli("edit", "1", "two", "--notes", "z", "--json")

    assert result.exit_code == 2
    assert "'two'" in result.error["message"]


def test_missing_ids_fail_the_whole_command_naming_each(
    cli: Cli, three: list[int], book: Path
) -> None:
    before = _snapshot(book)

    result = cli("edit", str(three[0]), "998", str(three[1]), "999", "--notes", "x", "--json")

    assert result.exit_code == 3
    assert result.error["code"] == "not_found"
    assert set(result.error["fields"]) == {"998.id", "999.id"}
    assert "998" in result.error["message"]
    assert _snapshot(book) == before


def test_a_deleted_id_is_missing_to_a_bulk_edit(cli: Cli, three: list[int], book: Path) -> None:
    assert cli("delete", str(three[1])).exit_code == 0
    before = _snapshot(book)

    result = cli("edit", "-", "--notes", "x", "--json", input=f"{three[0]}\n{three[1]}\n")

    assert result.exit_code == 3
    assert set(result.error["fields"]) == {f"{three[1]}.id"}
    assert _snapshot(book) == before


def test_an_invoiced_id_fails_a_locked_change_for_all(
    cli: Cli, three: list[int], book: Path
) -> None:
    locked = _invoiced(cli)
    before = _snapshot(book)

    result = cli("edit", "-", "--amount", "1.00", "--json", input=f"{three[0]}\n{locked}\n")

    assert result.exit_code == 5
    assert result.error["code"] == "invoiced_locked"
    assert result.error["fields"] == {f"{locked}.amount": "locked while invoiced"}
    assert _snapshot(book) == before


def test_an_invoiced_id_takes_a_change_outside_the_lock(cli: Cli, three: list[int]) -> None:
    locked = _invoiced(cli)

    result = cli("edit", str(three[0]), str(locked), "--notes", "fine", "-c", "Meals", "--json")

    assert result.exit_code == 0, result.stderr
    assert [e["notes"] for e in result.data] == ["fine", "fine"]


@pytest.mark.parametrize(("order", "code"), [("locked-first", 5), ("missing-first", 3)])
def test_the_exit_code_is_the_first_failing_ids(
    cli: Cli, three: list[int], book: Path, order: str, code: int
) -> None:
    locked = _invoiced(cli)
    ids = [str(locked), "999"] if order == "locked-first" else ["999", str(locked)]
    before = _snapshot(book)

    result = cli("edit", str(three[0]), *ids, "--billable", "--no-billable", "--json")
    # --billable then --no-billable: the last wins, so the invoiced (billable) one changes
    assert result.exit_code == code
    assert set(result.error["fields"]) == {"999.id", f"{locked}.billable"}
    assert _snapshot(book) == before


def test_a_rule_broken_for_some_ids_names_each_id_and_field(
    cli: Cli, three: list[int], book: Path
) -> None:
    other = int(ok(cli, "add", "Misc", "3.00", "-c", "Other", "--label", "Odd")["id"])
    before = _snapshot(book)

    # moving to Other needs --label: fine for the expense already there, not the others
    result = cli("edit", str(other), str(three[0]), str(three[1]), "-c", "Other", "--json")

    assert result.exit_code == 4
    assert result.error["code"] == "validation_failed"
    assert set(result.error["fields"]) == {
        f"{three[0]}.custom_category",
        f"{three[1]}.custom_category",
    }
    assert _snapshot(book) == before


def test_a_bad_value_fails_with_every_id_named(cli: Cli, three: list[int], book: Path) -> None:
    before = _snapshot(book)

    result = cli("edit", str(three[0]), str(three[1]), "--amount", "-5", "--json")

    assert result.exit_code == 4
    assert set(result.error["fields"]) == {f"{three[0]}.amount", f"{three[1]}.amount"}
    assert _snapshot(book) == before


def test_human_errors_name_the_first_failing_id(cli: Cli, three: list[int]) -> None:
    result = cli("edit", str(three[0]), "999", "--notes", "x")

    assert result.exit_code == 3
    assert "expense 999" in result.stderr
    assert "Traceback" not in result.stderr


def test_duplicate_ids_are_edited_once(cli: Cli, three: list[int]) -> None:
    result = cli("edit", "-", "--notes", "d", "--json", input=f"{three[0]}\n{three[0]}\n")

    assert result.exit_code == 0, result.stderr
    assert [e["id"] for e in result.data] == [three[0]]


# tag ----------------------------------------------------------------------------------
def test_tag_with_several_positionals_treats_the_rest_as_tags(cli: Cli, three: list[int]) -> None:
    result = cli("tag", str(three[0]), "2025", "--json")

    assert result.exit_code == 0, result.stderr
    assert result.data["id"] == three[0]
    assert result.data["tags"] == ["2025"]


def test_tag_dash_changes_every_id_including_invoiced_ones(cli: Cli, three: list[int]) -> None:
    locked = _invoiced(cli)

    result = cli("tag", "-", "--add", "cloud", "--json", input=f"{three[0]}\n{locked}\n")

    assert result.exit_code == 0, result.stderr
    assert [(e["id"], e["tags"]) for e in result.data] == [
        (three[0], ["cloud"]),
        (locked, ["cloud"]),
    ]


def test_tag_dash_replaces_with_positionals(cli: Cli, three: list[int]) -> None:
    result = cli("tag", "-", "a", "b", "-q", input=f"{three[0]}\n{three[1]}\n")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.split() == [str(three[0]), str(three[1])]
    assert ok(cli, "show", str(three[1]))["tags"] == ["a", "b"]


def test_tag_dash_with_a_bad_tag_or_missing_id_writes_nothing(
    cli: Cli, three: list[int], book: Path
) -> None:
    before = _snapshot(book)

    bad = cli("tag", "-", "a;b", "--json", input=f"{three[0]}\n{three[1]}\n")
    missing = cli("tag", "-", "ok", "--json", input=f"{three[0]}\n999\n")

    assert bad.exit_code == 4
    assert set(bad.error["fields"]) == {f"{three[0]}.tags", f"{three[1]}.tags"}
    assert missing.exit_code == 3
    assert set(missing.error["fields"]) == {"999.id"}
    assert _snapshot(book) == before


def test_tag_dash_alone_prints_the_tags_of_each(cli: Cli, three: list[int]) -> None:
    assert cli("tag", str(three[0]), "x", "y").exit_code == 0

    shown = cli("tag", "-", "--json", input=f"{three[0]}\n{three[1]}\n")
    text = cli("tag", "-", input=f"{three[0]}\n")

    assert shown.exit_code == 0
    assert shown.data == [{"id": three[0], "tags": ["x", "y"]}, {"id": three[1], "tags": []}]
    assert text.exit_code == 0
    assert text.stdout == f"{three[0]}: x, y\n"


def test_tag_dash_and_a_bad_line_is_a_usage_error(cli: Cli, three: list[int]) -> None:
    result = cli("tag", "-", "x", input="nope\n")

    assert result.exit_code == 2
    assert "line 1" in result.stderr


# attach / detach ----------------------------------------------------------------------
def test_attach_and_detach_several_ids(cli: Cli, three: list[int]) -> None:
    attached = cli("attach", str(three[0]), str(three[1]), "-p", "Website", "--json")
    detached = cli("detach", "-", "--json", input=f"{three[0]}\n")

    assert attached.exit_code == 0, attached.stderr
    assert [(e["project"]["name"], e["client"]["name"]) for e in attached.data] == [
        ("Website", "Acme"),
        ("Website", "Acme"),
    ]
    assert detached.exit_code == 0, detached.stderr
    assert detached.data[0]["project"] is None and detached.data[0]["client"] is None
    assert ok(cli, "show", str(three[1]))["project"]["name"] == "Website"


def test_attach_to_an_invoiced_id_fails_for_all(cli: Cli, three: list[int], book: Path) -> None:
    locked = _invoiced(cli)
    before = _snapshot(book)

    result = cli("attach", "-", "-p", "Website", "--json", input=f"{three[0]}\n{locked}\n")
    detach = cli("detach", str(three[0]), str(locked), "--json")

    assert result.exit_code == 5
    assert f"{locked}.project" in result.error["fields"]
    assert detach.exit_code == 5
    assert _snapshot(book) == before


def test_attach_without_a_link_is_a_usage_error_before_reading_ids(cli: Cli) -> None:
    result = cli("attach", "1", "2")

    assert result.exit_code == 2


# ID... commands take - too ------------------------------------------------------------
def test_delete_restore_invoice_uninvoice_read_ids_from_stdin(cli: Cli, three: list[int]) -> None:
    billable = _add(cli, "Billable", "20.00", "--client", "Acme", "--billable")
    ids = f"{three[0]}\n\n{three[1]}\n"

    deleted = cli("delete", "-", "--json", input=ids)
    restored = cli("restore", "-", "-q", input=ids)
    invoiced = cli("invoice", "-", "--ref", "INV-9", "--json", input=f"{billable}\n")
    uninvoiced = cli("uninvoice", "-", "--json", input=f"{billable}\n")

    assert deleted.exit_code == 0, deleted.stderr
    assert all(e["deleted_at"] for e in deleted.data)
    assert restored.exit_code == 0, restored.stderr
    assert restored.stdout.split() == [str(three[0]), str(three[1])]
    assert invoiced.exit_code == 0, invoiced.stderr
    assert invoiced.data[0]["invoice_ref"] == "INV-9"
    assert uninvoiced.exit_code == 0, uninvoiced.stderr
    assert uninvoiced.data[0]["billing_status"] == "not_invoiced"


def test_delete_dash_with_a_bad_line_deletes_nothing(
    cli: Cli, three: list[int], book: Path
) -> None:
    before = _snapshot(book)

    result = cli("delete", "-", input=f"{three[0]}\nall\n")

    assert result.exit_code == 2
    assert _snapshot(book) == before


def test_many_ids_from_stdin_beyond_sqlites_parameter_limit(cli: Cli, three: list[int]) -> None:
    stdin = "\n".join(str(i) for i in [*three, *range(10_000, 45_000)])

    result = cli("edit", "-", "--notes", "x", "--json", input=stdin)

    assert result.exit_code == 3
    assert len(result.error["fields"]) == 35_000


# the id parser ------------------------------------------------------------------------
def test_parse_ids() -> None:
    assert id_args.parse(["5"]) == id_args.Ids([5], single=True)
    assert id_args.parse(["5", "6", "5"]) == id_args.Ids([5, 6], single=False)
    with pytest.raises(UsageError):
        id_args.parse([])
    with pytest.raises(UsageError):
        id_args.parse(["5x"])
