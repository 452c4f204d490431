"""Rules (reference §10.4, §10.10 items 1 and 8): add, list, move, delete, test, and how
they fill what an import row or `add` leaves empty."""

from __future__ import annotations

from pathlib import Path

import pytest

from expense_cli.domain import autorules
from expense_cli.domain.inputs import ExpenseInput
from expense_cli.domain.models import Ref
from tests.conftest import Cli, ok

RULE_KEYS = {"id", "position", "pattern", "category", "label", "client", "project", "billable",
             "tags"}  # fmt: skip


def test_add_prints_the_rule_with_names_and_nulls(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    rule = ok(cli, "rules", "add", "github", "-c", "software", "--client", "acme", "-t", "dev",
              "-t", "DEV", "--billable")  # fmt: skip
    assert set(rule) == RULE_KEYS
    assert rule == {"id": 1, "position": 1, "pattern": "github", "category": "Software",
                    "label": None, "client": "Acme", "project": None, "billable": True,
                    "tags": ["dev"]}  # fmt: skip
    assert ok(cli, "rules", "list") == [rule]
    assert ok(cli, "rules") == [rule]


def test_quiet_add_prints_the_id(cli: Cli) -> None:
    result = cli("rules", "add", "uber", "-c", "Travel", "-q")
    assert (result.exit_code, result.stdout) == (0, "1\n")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("/(unclosed/",), "pattern"),
        (("//",), "pattern"),
        (("  ",), "pattern"),
        (("x\x07",), "pattern"),
        (("x", "-c", "Nope"), "category"),
        (("x", "--client", "Nobody"), "client"),
        (("x", "-p", "Nothing"), "project"),
        (("x", "-t", "a;b"), "tags"),
        (("x", "--label", "x" * 101), "label"),
    ],
)
def test_bad_rules_are_exit_4_naming_the_field_and_write_nothing(
    cli: Cli, args: tuple[str, ...], field: str
) -> None:
    result = cli("rules", "add", *args, "--json")
    assert result.exit_code == 4
    assert field in result.error["fields"]
    assert ok(cli, "rules", "list") == []


def test_a_project_of_another_client_is_refused(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    ok(cli, "clients", "add", "Beta")
    ok(cli, "projects", "add", "Site", "--client", "Acme")
    result = cli("rules", "add", "x", "-p", "Site", "--client", "Beta", "--json")
    assert result.exit_code == 4
    assert "client" in result.error["fields"]


def _positions(cli: Cli) -> list[tuple[int, int]]:
    return [(r["id"], r["position"]) for r in ok(cli, "rules", "list")]


def test_move_takes_out_and_inserts_shifting_the_others(cli: Cli) -> None:
    for pattern in ("a", "b", "c", "d"):
        ok(cli, "rules", "add", pattern, "-c", "Travel")
    moved = ok(cli, "rules", "move", "4", "1")
    assert [(r["id"], r["position"]) for r in moved] == [(4, 1), (1, 2), (2, 3), (3, 4)]
    ok(cli, "rules", "move", "4", "3")
    assert _positions(cli) == [(1, 1), (2, 2), (4, 3), (3, 4)]
    for bad in ("0", "5"):
        result = cli("rules", "move", "1", bad, "--json")
        assert result.exit_code == 4
        assert "position" in result.error["fields"]
    missing = cli("rules", "move", "9", "1", "--json")
    assert missing.exit_code == 3
    assert _positions(cli) == [(1, 1), (2, 2), (4, 3), (3, 4)]


def test_delete_closes_the_gap(cli: Cli) -> None:
    for pattern in ("a", "b", "c"):
        ok(cli, "rules", "add", pattern)
    deleted = ok(cli, "rules", "delete", "2")
    assert deleted["pattern"] == "b"
    assert _positions(cli) == [(1, 1), (3, 2)]
    again = cli("rules", "delete", "2", "--json")
    assert again.exit_code == 3
    assert again.error["code"] == "not_found"


def test_test_shows_the_first_match_and_what_it_sets(cli: Cli) -> None:
    ok(cli, "rules", "add", "/^db\\s+fern/", "-c", "Travel", "-t", "bahn")
    ok(cli, "rules", "add", "fernverkehr", "-c", "Meals")
    ok(cli, "rules", "add", "kiosk", "-c", "Other", "--label", "Snacks")
    hit = cli("rules", "test", "DB  Fernverkehr Fahrkarte", "--json")
    assert hit.exit_code == 0
    assert hit.data["rule"]["id"] == 1
    assert hit.data["sets"] == {"category": "Travel", "tags": ["bahn"]}
    labelled = ok(cli, "rules", "test", "Der KIOSK am Eck")
    assert labelled["sets"] == {"category": "Other", "label": "Snacks"}
    miss = cli("rules", "test", "nothing here", "--json")
    assert miss.exit_code == 0
    assert miss.data == {"rule": None, "sets": {}}
    human = cli("rules", "test", "nothing here")
    assert (human.exit_code, human.stdout) == (0, "no rule matches\n")


# add ----------------------------------------------------------------------------------
def test_add_may_omit_the_category_when_a_rule_gives_it(cli: Cli) -> None:
    ok(cli, "rules", "add", "adobe", "-c", "Software", "-t", "subscription", "--no-billable")
    created = ok(cli, "add", "Adobe Creative Cloud", "59.99")
    assert created["category"]["name"] == "Software"
    assert created["tags"] == ["subscription"]
    given = ok(cli, "add", "Adobe Stock", "10.00", "-c", "Marketing", "-t", "stock")
    assert (given["category"]["name"], given["tags"]) == ("Marketing", ["stock"])


def test_add_without_category_or_rule_is_still_exit_4(cli: Cli) -> None:
    result = cli("add", "Lunch", "12.00", "--json")
    assert result.exit_code == 4
    assert "category" in result.error["fields"]


def test_a_rule_label_applies_only_when_the_category_ends_up_other(cli: Cli) -> None:
    ok(cli, "rules", "add", "kiosk", "--label", "Snacks")
    other = ok(cli, "add", "Kiosk", "2.00", "-c", "Other")
    assert other["custom_category"] == "Snacks"
    meals = ok(cli, "add", "Kiosk", "2.00", "-c", "Meals")
    assert meals["custom_category"] is None


def test_a_rule_client_applies_only_without_a_project(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    ok(cli, "clients", "add", "Beta")
    ok(cli, "projects", "add", "Site", "--client", "Beta")
    ok(cli, "rules", "add", "hosting", "-c", "Software", "--client", "Acme")
    plain = ok(cli, "add", "Hosting", "5.00")
    assert plain["client"]["name"] == "Acme"
    with_project = ok(cli, "add", "Hosting", "5.00", "-p", "Site")
    assert (with_project["client"]["name"], with_project["project"]["name"]) == ("Beta", "Site")


def test_a_rule_to_an_archived_category_is_validated_as_typed(cli: Cli) -> None:
    ok(cli, "categories", "add", "Old")
    ok(cli, "rules", "add", "legacy", "-c", "Old")
    ok(cli, "categories", "archive", "Old")
    result = cli("add", "Legacy thing", "1.00", "--json")
    assert result.exit_code == 4
    assert "category" in result.error["fields"]


# import -------------------------------------------------------------------------------
def test_rules_fill_only_what_an_import_row_leaves_empty(cli: Cli, tmp_path: Path) -> None:
    ok(cli, "rules", "add", "taxi", "-c", "Travel", "-t", "ride", "--billable")
    path = tmp_path / "rows.csv"
    path.write_text(
        "date,description,amount,category,tags,billable\n"
        "2025-01-02,Taxi to airport,30.00,,,\n"
        "2025-01-03,Taxi with client,40.00,Meals,dinner,false\n"
        "2025-01-04,Groceries,5.00,Meals,,\n"
    )
    result = cli("import", str(path), "--json")
    assert result.exit_code == 0, result.stderr
    rows = {e["description"]: e for e in ok(cli, "list")}
    first = rows["Taxi to airport"]
    assert (first["category"]["name"], first["tags"], first["billable"]) == (
        "Travel",
        ["ride"],
        True,
    )
    second = rows["Taxi with client"]
    assert (second["category"]["name"], second["tags"], second["billable"]) == (
        "Meals", ["dinner"], False,
    )  # fmt: skip
    assert rows["Groceries"]["tags"] == []


def test_an_unknown_category_in_a_row_is_not_hidden_by_a_rule(cli: Cli, tmp_path: Path) -> None:
    ok(cli, "rules", "add", "taxi", "-c", "Travel")
    path = tmp_path / "rows.csv"
    path.write_text("date,description,amount,category\n2025-01-02,Taxi,30.00,Nope\n")
    result = cli("import", str(path), "--json")
    assert result.exit_code == 4
    assert "line 2.category" in result.error["fields"]


def test_deleting_a_category_keeps_its_rules(cli: Cli) -> None:
    ok(cli, "categories", "add", "Temp")
    ok(cli, "rules", "add", "x", "-c", "Temp")
    result = cli("categories", "delete", "Temp", "--json")
    assert result.exit_code == 0, result.stderr
    assert ok(cli, "rules", "list")[0]["category"] is None


# pure ---------------------------------------------------------------------------------
def _rule(pattern: str, **kw: object) -> autorules.Rule:
    values: dict[str, object] = {"category": None, "label": None, "client": None,
                                 "project": None, "billable": None, "tags": ()}  # fmt: skip
    values.update(kw)
    return autorules.Rule(id=1, position=1, pattern=pattern, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "description", "hit"),
    [("uber", "UBER *TRIP", True), ("Über", "über eats", True), ("/^uber/", "x uber", False),
     ("/UBER\\s+trip/", "uber   Trip", True), ("/a|b/", "xyz", False), ("taxi", "Tax", False)],
)  # fmt: skip
def test_patterns_match_case_insensitively_anywhere(
    pattern: str, description: str, hit: bool
) -> None:
    assert _rule(pattern).matches(description) is hit


def test_regex_matching_is_capped_in_length() -> None:
    rule = _rule("/z$/")
    assert rule.matches("a" * (autorules.MATCH_CAP - 1) + "z")
    assert not rule.matches("a" * autorules.MATCH_CAP + "z")


def test_the_first_matching_rule_wins() -> None:
    rules = [_rule("coffee"), _rule("/coff/")]
    assert autorules.first_match(rules, "Coffee") is rules[0]
    assert autorules.first_match(rules, "tea") is None
    assert autorules.first_match(rules, None) is None


def test_fill_keeps_what_is_given() -> None:
    rule = _rule("x", category=Ref(3, "Software"), billable=True, tags=("a",))
    given = ExpenseInput(description="x", category="Travel", billable=False, tags=("b",))
    assert autorules.fill(None, rule, given) == given  # type: ignore[arg-type]
