"""The first minutes of a new user: add, list, show, through the in-process CLI."""

from __future__ import annotations

from tests.conftest import Cli


def test_add_then_list_shows_the_expense_with_exact_amount(cli: Cli) -> None:
    added = cli("add", "Train to Berlin", "45.10", "-c", "Travel", "--json")
    assert added.exit_code == 0, added.stderr
    assert added.data["amount"] == "45.10"
    assert added.data["currency"] == "USD"
    assert added.data["category"]["name"] == "Travel"

    listed = cli("list", "--json")
    assert listed.exit_code == 0
    assert [e["id"] for e in listed.data] == [added.data["id"]]
    assert listed.json["pagination"] == {"limit": 50, "next_cursor": None}


def test_version_does_not_create_the_book(cli: Cli, book) -> None:  # type: ignore[no-untyped-def]
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("expense ")
    assert not book.exists()
