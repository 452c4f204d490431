"""`tag` and `add -t` end to end: full-set replace, --clear/--add/--remove in rule 12's
order, normalisation, rejection of bad tags (nothing changes), deleted and invoiced
expenses."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cli


def _add(cli: Cli, *args: str) -> dict[str, Any]:
    result = cli("add", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return result.data  # type: ignore[no-any-return]


def _expense(cli: Cli, *tags: str) -> int:
    """A Meals expense carrying `tags` (via `add -t`); returns its id."""
    args = [arg for tag in tags for arg in ("-t", tag)]
    return int(_add(cli, "Lunch", "12.50", "-c", "Meals", *args)["id"])


def _tags(cli: Cli, expense_id: int) -> list[str]:
    shown = cli("show", str(expense_id), "--json")
    assert shown.exit_code == 0, shown.stderr
    return shown.data["tags"]  # type: ignore[no-any-return]


def _tag(cli: Cli, expense_id: int, *args: str) -> Any:
    result = cli("tag", str(expense_id), *args, "--json")
    assert result.exit_code == 0, result.stderr
    return result.data


# replace, clear, print ------------------------------------------------------------------
def test_positional_tags_replace_the_whole_set(cli: Cli) -> None:
    expense_id = _expense(cli, "old", "stale")

    data = _tag(cli, expense_id, "trip", "berlin")

    assert data["tags"] == ["berlin", "trip"]
    assert _tags(cli, expense_id) == ["berlin", "trip"]


def test_tag_prints_the_whole_expense(cli: Cli) -> None:
    expense_id = _expense(cli)

    data = _tag(cli, expense_id, "trip")

    assert data["id"] == expense_id
    assert data["description"] == "Lunch"
    assert data["amount"] == "12.50"
    assert data["category"]["name"] == "Meals"
    assert data["tags"] == ["trip"]


def test_clear_empties_the_set(cli: Cli) -> None:
    expense_id = _expense(cli, "a", "b")

    data = _tag(cli, expense_id, "--clear")

    assert data["tags"] == []
    assert _tags(cli, expense_id) == []


def test_no_arguments_prints_the_tags_and_changes_nothing(cli: Cli) -> None:
    expense_id = _expense(cli, "trip", "Berlin")
    before = cli("show", str(expense_id), "--json").data

    result = cli("tag", str(expense_id), "--json")

    assert result.exit_code == 0, result.stderr
    assert result.json == {"data": {"id": expense_id, "tags": ["Berlin", "trip"]}}
    after = cli("show", str(expense_id), "--json").data
    assert after["updated_at"] == before["updated_at"]


def test_no_arguments_in_table_mode_lists_each_tag(cli: Cli) -> None:
    expense_id = _expense(cli, "trip", "Berlin")

    result = cli("tag", str(expense_id))

    assert result.exit_code == 0, result.stderr
    assert result.stdout.split() == ["Berlin", "trip"]


def test_no_arguments_on_an_untagged_expense_prints_an_empty_list(cli: Cli) -> None:
    expense_id = _expense(cli)

    result = cli("tag", str(expense_id), "--json")

    assert result.exit_code == 0, result.stderr
    assert result.json == {"data": {"id": expense_id, "tags": []}}


# --add / --remove and their order -------------------------------------------------------
def test_add_keeps_the_existing_tags(cli: Cli) -> None:
    expense_id = _expense(cli, "trip")

    data = _tag(cli, expense_id, "--add", "urgent", "--add", "berlin")

    assert data["tags"] == ["berlin", "trip", "urgent"]


def test_remove_takes_out_only_the_named_tags(cli: Cli) -> None:
    expense_id = _expense(cli, "trip", "urgent", "berlin")

    data = _tag(cli, expense_id, "--remove", "urgent")

    assert data["tags"] == ["berlin", "trip"]


def test_remove_matches_case_insensitively(cli: Cli) -> None:
    expense_id = _expense(cli, "Trip", "berlin")

    data = _tag(cli, expense_id, "--remove", "TRIP")

    assert data["tags"] == ["berlin"]


def test_remove_of_an_absent_tag_changes_nothing(cli: Cli) -> None:
    expense_id = _expense(cli, "trip")

    data = _tag(cli, expense_id, "--remove", "nope")

    assert data["tags"] == ["trip"]


def test_positional_replacement_comes_before_add(cli: Cli) -> None:
    expense_id = _expense(cli, "old")

    data = _tag(cli, expense_id, "new", "--add", "extra")

    assert data["tags"] == ["extra", "new"]


def test_remove_comes_after_the_replacement_and_add(cli: Cli) -> None:
    expense_id = _expense(cli, "old")

    # --remove is applied last: it removes what the replacement and --add just put in.
    data = _tag(cli, expense_id, "a", "b", "--add", "c", "--remove", "a", "--remove", "c")

    assert data["tags"] == ["b"]


def test_add_then_remove_of_the_same_tag_leaves_it_out(cli: Cli) -> None:
    expense_id = _expense(cli, "keep")

    data = _tag(cli, expense_id, "--remove", "x", "--add", "x")

    assert data["tags"] == ["keep"]


def test_clear_then_add_gives_only_the_added_tags(cli: Cli) -> None:
    expense_id = _expense(cli, "old", "older")

    data = _tag(cli, expense_id, "--clear", "--add", "fresh")

    assert data["tags"] == ["fresh"]


# normalisation --------------------------------------------------------------------------
def test_tags_are_trimmed_and_inner_whitespace_collapsed(cli: Cli) -> None:
    expense_id = _expense(cli)

    data = _tag(cli, expense_id, "  road   trip  ", " x ")

    assert data["tags"] == ["road trip", "x"]


def test_case_insensitive_duplicates_keep_the_first_spelling(cli: Cli) -> None:
    expense_id = _expense(cli)

    data = _tag(cli, expense_id, "Berlin", "BERLIN", "berlin")

    assert data["tags"] == ["Berlin"]


def test_duplicates_across_replacement_and_add_keep_the_first_spelling(cli: Cli) -> None:
    expense_id = _expense(cli)

    data = _tag(cli, expense_id, "Trip", "--add", "TRIP")

    assert data["tags"] == ["Trip"]


def test_add_of_an_existing_tag_in_other_case_keeps_the_stored_spelling(cli: Cli) -> None:
    expense_id = _expense(cli, "Trip")

    data = _tag(cli, expense_id, "--add", "trip")

    assert data["tags"] == ["Trip"]


def test_duplicates_after_whitespace_normalisation_collapse(cli: Cli) -> None:
    expense_id = _expense(cli)

    data = _tag(cli, expense_id, "road trip", " Road   Trip ")

    assert data["tags"] == ["road trip"]


def test_tags_are_sorted_case_insensitively(cli: Cli) -> None:
    expense_id = _expense(cli)

    data = _tag(cli, expense_id, "delta", "Charlie", "alpha", "Bravo")

    assert data["tags"] == ["alpha", "Bravo", "Charlie", "delta"]


def test_a_tag_of_exactly_fifty_characters_is_accepted(cli: Cli) -> None:
    expense_id = _expense(cli)
    tag = "t" * 50

    data = _tag(cli, expense_id, tag)

    assert data["tags"] == [tag]


# rejection ------------------------------------------------------------------------------
BAD_TAGS = {
    "comma": "a,b",
    "semicolon": "a;b",
    "newline": "a\nb",
    "tab": "a\tb",
    "escape": "a\x1b[31mb",
    "nul": "a\x00b",
    "delete": "a\x7fb",
    "c1": "a\x85b",
    "bidi override": "a\u202eb",
    "fifty-one chars": "t" * 51,
    "blank": "   ",
}


@pytest.mark.parametrize("bad", BAD_TAGS.values(), ids=BAD_TAGS.keys())
def test_a_bad_positional_tag_is_rejected_and_nothing_changes(cli: Cli, bad: str) -> None:
    expense_id = _expense(cli, "keep")
    before = cli("show", str(expense_id), "--json").data

    result = cli("tag", str(expense_id), "fine", bad, "--json")

    assert result.exit_code == 4, result.stdout
    assert result.error["code"] == "validation_failed"
    assert "tags" in result.error["fields"]
    after = cli("show", str(expense_id), "--json").data
    assert after["tags"] == ["keep"]
    assert after["updated_at"] == before["updated_at"]


@pytest.mark.parametrize("option", ["--add", "--remove"])
@pytest.mark.parametrize(
    "bad", ["a,b", "a;b", "a\x07b", "t" * 51], ids=["comma", "semi", "bel", "long"]
)
def test_a_bad_tag_in_add_or_remove_is_rejected(cli: Cli, option: str, bad: str) -> None:
    expense_id = _expense(cli, "keep")

    result = cli("tag", str(expense_id), "--add", "other", option, bad, "--json")

    assert result.exit_code == 4, result.stdout
    assert "tags" in result.error["fields"]
    assert _tags(cli, expense_id) == ["keep"]


def test_rejection_in_human_mode_names_the_field(cli: Cli) -> None:
    expense_id = _expense(cli)

    result = cli("tag", str(expense_id), "a;b")

    assert result.exit_code == 4
    assert result.stdout == ""
    assert result.stderr.startswith("Error:")
    assert "tags" in result.stderr


@pytest.mark.parametrize(
    "bad", ["a,b", "a;b", "t" * 51, "a\x1bb"], ids=["comma", "semi", "long", "esc"]
)
def test_add_rejects_a_bad_tag_and_creates_nothing(cli: Cli, bad: str) -> None:
    result = cli("add", "Lunch", "12.50", "-c", "Meals", "-t", "ok", "-t", bad, "--json")

    assert result.exit_code == 4, result.stdout
    assert "tags" in result.error["fields"]
    listed = cli("list", "--all", "--json")
    assert listed.exit_code == 0
    assert listed.data == []


# add -t ---------------------------------------------------------------------------------
def test_add_takes_repeatable_tags_normalised(cli: Cli) -> None:
    data = _add(
        cli, "Lunch", "12.50", "-c", "Meals",
        "-t", " Zeta ", "-t", "alpha", "-t", "ZETA", "-t", "mid  dle",
    )  # fmt: skip

    assert data["tags"] == ["alpha", "mid dle", "Zeta"]


def test_add_without_tags_has_an_empty_list(cli: Cli) -> None:
    data = _add(cli, "Lunch", "12.50", "-c", "Meals")

    assert data["tags"] == []


def test_tags_of_one_expense_do_not_touch_another(cli: Cli) -> None:
    first = _expense(cli, "a")
    second = _expense(cli, "b")

    _tag(cli, first, "--clear")

    assert _tags(cli, first) == []
    assert _tags(cli, second) == ["b"]


# not found, deleted, invoiced -----------------------------------------------------------
def test_tagging_a_deleted_expense_is_not_found(cli: Cli) -> None:
    expense_id = _expense(cli, "keep")
    assert cli("delete", str(expense_id)).exit_code == 0

    result = cli("tag", str(expense_id), "new", "--json")

    assert result.exit_code == 3
    assert result.error["code"] == "not_found"
    shown = cli("show", str(expense_id), "--deleted", "--json")
    assert shown.data["tags"] == ["keep"]


@pytest.mark.parametrize("args", [(), ("--add", "x"), ("--remove", "keep"), ("--clear",)])
def test_every_tag_form_on_a_deleted_expense_is_not_found(cli: Cli, args: tuple[str, ...]) -> None:
    expense_id = _expense(cli, "keep")
    assert cli("delete", str(expense_id)).exit_code == 0

    result = cli("tag", str(expense_id), *args, "--json")

    assert result.exit_code == 3
    assert result.error["code"] == "not_found"


def test_tagging_an_unknown_expense_is_not_found(cli: Cli) -> None:
    result = cli("tag", "999", "x", "--json")

    assert result.exit_code == 3
    assert result.error["code"] == "not_found"


def test_tags_are_not_locked_by_invoicing(cli: Cli) -> None:
    assert cli("clients", "add", "Acme").exit_code == 0
    added = _add(
        cli, "Hosting", "20.00", "-c", "Software", "--billable", "--client", "Acme", "-t", "a"
    )
    expense_id = int(added["id"])
    invoiced = cli("invoice", str(expense_id), "--ref", "INV-1", "--json")
    assert invoiced.exit_code == 0, invoiced.stderr

    data = _tag(cli, expense_id, "b", "--add", "c")
    assert data["tags"] == ["b", "c"]
    assert data["billing_status"] == "invoiced"
    assert data["invoice_ref"] == "INV-1"

    assert _tag(cli, expense_id, "--remove", "b")["tags"] == ["c"]
    assert _tag(cli, expense_id, "--clear")["tags"] == []
