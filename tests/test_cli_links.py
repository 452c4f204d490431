"""`attach`, `detach` and `edit --client/-p` end to end: rules 6 and 7 (a project forces its
client, conflicting or other-currency clients are rejected, the client cannot leave while a
project stays, archived records cannot be newly linked), and rule 19's ambiguous names."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cli, ok


def _show(cli: Cli, expense_id: int) -> dict[str, Any]:
    return ok(cli, "show", str(expense_id))  # type: ignore[no-any-return]


@pytest.fixture
def book_links(cli: Cli) -> dict[str, int]:
    """Clients Acme and Globex (USD), Euro (EUR); projects Website and Shop (Acme),
    Portal (Globex), Berlin (Euro); an unlinked USD expense."""
    ids = {
        "acme": ok(cli, "clients", "add", "Acme")["id"],
        "globex": ok(cli, "clients", "add", "Globex")["id"],
        "euro": ok(cli, "clients", "add", "Euro", "--currency", "EUR")["id"],
    }
    ids["website"] = ok(cli, "projects", "add", "Website", "--client", "Acme")["id"]
    ids["shop"] = ok(cli, "projects", "add", "Shop", "--client", "Acme")["id"]
    ids["portal"] = ok(cli, "projects", "add", "Portal", "--client", "Globex")["id"]
    ids["berlin"] = ok(cli, "projects", "add", "Berlin", "--client", "Euro")["id"]
    ids["expense"] = ok(cli, "add", "Hosting", "20.00", "-c", "Software")["id"]
    return ids


def _links(data: dict[str, Any]) -> tuple[str | None, str | None]:
    client = data["client"]["name"] if data["client"] else None
    project = data["project"]["name"] if data["project"] else None
    return client, project


def _assert_rejected(cli: Cli, expense_id: int, field: str, *args: str) -> None:
    """Exit 4 naming `field`, and the expense exactly as it was."""
    before = _show(cli, expense_id)
    result = cli(*args, "--json")
    assert result.exit_code == 4, result.stdout
    assert result.error["code"] == "validation_failed"
    assert field in result.error["fields"], result.error
    assert _show(cli, expense_id) == before


# project forces client (rule 6) ---------------------------------------------------------
def test_attach_project_forces_its_client(cli: Cli, book_links: dict[str, int]) -> None:
    data = ok(cli, "attach", str(book_links["expense"]), "-p", "Website")

    assert data["project"] == {"id": book_links["website"], "name": "Website"}
    assert data["client"] == {"id": book_links["acme"], "name": "Acme"}
    assert _links(_show(cli, book_links["expense"])) == ("Acme", "Website")


def test_attach_project_by_id(cli: Cli, book_links: dict[str, int]) -> None:
    data = ok(cli, "attach", str(book_links["expense"]), "-p", str(book_links["portal"]))

    assert _links(data) == ("Globex", "Portal")


def test_attach_project_replaces_a_different_client(cli: Cli, book_links: dict[str, int]) -> None:
    expense = str(book_links["expense"])
    ok(cli, "attach", expense, "--client", "Globex")

    data = ok(cli, "attach", expense, "-p", "Website")

    assert _links(data) == ("Acme", "Website")


def test_attach_project_with_its_own_client_is_accepted(
    cli: Cli, book_links: dict[str, int]
) -> None:
    data = ok(cli, "attach", str(book_links["expense"]), "-p", "Website", "--client", "acme")

    assert _links(data) == ("Acme", "Website")


def test_attach_project_with_another_client_is_rejected(
    cli: Cli, book_links: dict[str, int]
) -> None:
    expense = book_links["expense"]

    _assert_rejected(cli, expense, "client", "attach", str(expense), "-p", "Website", "--client",
                     "Globex")  # fmt: skip


def test_attach_client_only(cli: Cli, book_links: dict[str, int]) -> None:
    data = ok(cli, "attach", str(book_links["expense"]), "--client", "globex")

    assert data["client"] == {"id": book_links["globex"], "name": "Globex"}
    assert data["project"] is None


def test_attach_another_client_while_a_project_stays_is_rejected(
    cli: Cli, book_links: dict[str, int]
) -> None:
    expense = book_links["expense"]
    ok(cli, "attach", str(expense), "-p", "Website")

    _assert_rejected(cli, expense, "client", "attach", str(expense), "--client", "Globex")


def test_attach_another_project_of_the_same_client(cli: Cli, book_links: dict[str, int]) -> None:
    expense = str(book_links["expense"])
    ok(cli, "attach", expense, "-p", "Website")

    data = ok(cli, "attach", expense, "-p", "Shop")

    assert _links(data) == ("Acme", "Shop")


def test_add_with_a_project_takes_its_client_and_currency(
    cli: Cli, book_links: dict[str, int]
) -> None:
    data = ok(cli, "add", "Flight", "300.00", "-c", "Travel", "-p", "Berlin")

    assert _links(data) == ("Euro", "Berlin")
    assert data["currency"] == "EUR"


def test_add_with_a_project_and_another_client_is_rejected(
    cli: Cli, book_links: dict[str, int]
) -> None:
    result = cli("add", "Flight", "300.00", "-c", "Travel", "-p", "Website", "--client", "Globex",
                 "--json")  # fmt: skip

    assert result.exit_code == 4
    assert "client" in result.error["fields"]
    assert [e["id"] for e in ok(cli, "list", "--all")] == [book_links["expense"]]


# currency (rule 7) ----------------------------------------------------------------------
def test_attach_client_of_another_currency_is_rejected(
    cli: Cli, book_links: dict[str, int]
) -> None:
    expense = book_links["expense"]

    _assert_rejected(cli, expense, "client", "attach", str(expense), "--client", "Euro")


def test_attach_project_whose_client_has_another_currency_is_rejected(
    cli: Cli, book_links: dict[str, int]
) -> None:
    expense = book_links["expense"]

    _assert_rejected(cli, expense, "client", "attach", str(expense), "-p", "Berlin")


def test_edit_client_of_another_currency_is_rejected(cli: Cli, book_links: dict[str, int]) -> None:
    expense = book_links["expense"]

    _assert_rejected(cli, expense, "client", "edit", str(expense), "--client", "Euro")


def test_edit_project_whose_client_has_another_currency_is_rejected(
    cli: Cli, book_links: dict[str, int]
) -> None:
    expense = book_links["expense"]

    _assert_rejected(cli, expense, "client", "edit", str(expense), "-p", "Berlin")


def test_a_eur_expense_takes_a_eur_client_but_not_a_usd_one(
    cli: Cli, book_links: dict[str, int]
) -> None:
    expense = ok(cli, "add", "Train", "40.00", "-c", "Travel", "--client", "Euro")["id"]
    assert ok(cli, "detach", str(expense))["currency"] == "EUR"

    _assert_rejected(cli, expense, "client", "attach", str(expense), "--client", "Acme")
    data = ok(cli, "attach", str(expense), "-p", "Berlin")
    assert _links(data) == ("Euro", "Berlin")
    assert data["currency"] == "EUR"
    assert data["amount"] == "40.00"


# detaching ------------------------------------------------------------------------------
def test_empty_client_detaches_the_client(cli: Cli, book_links: dict[str, int]) -> None:
    expense = str(book_links["expense"])
    ok(cli, "attach", expense, "--client", "Acme")

    data = ok(cli, "attach", expense, "--client", "")

    assert _links(data) == (None, None)


def test_empty_project_detaches_the_project_and_keeps_the_client(
    cli: Cli, book_links: dict[str, int]
) -> None:
    expense = str(book_links["expense"])
    ok(cli, "attach", expense, "-p", "Website")

    data = ok(cli, "attach", expense, "-p", "")

    assert _links(data) == ("Acme", None)


def test_empty_project_and_client_detach_both(cli: Cli, book_links: dict[str, int]) -> None:
    expense = str(book_links["expense"])
    ok(cli, "attach", expense, "-p", "Website")

    data = ok(cli, "attach", expense, "-p", "", "--client", "")

    assert _links(data) == (None, None)


def test_detach_removes_project_and_client(cli: Cli, book_links: dict[str, int]) -> None:
    expense = book_links["expense"]
    ok(cli, "attach", str(expense), "-p", "Website")

    data = ok(cli, "detach", str(expense))

    assert _links(data) == (None, None)
    assert _links(_show(cli, expense)) == (None, None)
    assert data["currency"] == "USD"
    assert data["amount"] == "20.00"


def test_detach_of_an_unlinked_expense_succeeds(cli: Cli, book_links: dict[str, int]) -> None:
    data = ok(cli, "detach", str(book_links["expense"]))

    assert _links(data) == (None, None)


def test_detaching_the_client_while_the_project_stays_is_rejected(
    cli: Cli, book_links: dict[str, int]
) -> None:
    expense = book_links["expense"]
    ok(cli, "attach", str(expense), "-p", "Website")

    _assert_rejected(cli, expense, "client", "attach", str(expense), "--client", "")


def test_edit_detaching_the_client_while_the_project_stays_is_rejected(
    cli: Cli, book_links: dict[str, int]
) -> None:
    expense = book_links["expense"]
    ok(cli, "attach", str(expense), "-p", "Website")

    _assert_rejected(cli, expense, "client", "edit", str(expense), "--client", "")


def test_attach_without_options_is_a_usage_error(cli: Cli, book_links: dict[str, int]) -> None:
    expense = book_links["expense"]
    before = _show(cli, expense)

    result = cli("attach", str(expense))

    assert result.exit_code == 2
    assert _show(cli, expense) == before


# archived records (rule 7) --------------------------------------------------------------
def test_archived_client_cannot_be_attached(cli: Cli, book_links: dict[str, int]) -> None:
    expense = book_links["expense"]
    ok(cli, "clients", "archive", "Globex")

    _assert_rejected(cli, expense, "client", "attach", str(expense), "--client", "Globex")


def test_archived_project_cannot_be_attached(cli: Cli, book_links: dict[str, int]) -> None:
    expense = book_links["expense"]
    ok(cli, "projects", "archive", "Website")

    _assert_rejected(cli, expense, "project", "attach", str(expense), "-p", "Website")


def test_project_of_an_archived_client_cannot_be_attached(
    cli: Cli, book_links: dict[str, int]
) -> None:
    expense = book_links["expense"]
    before = _show(cli, expense)
    ok(cli, "clients", "archive", "Globex")

    result = cli("attach", str(expense), "-p", "Portal", "--json")

    assert result.exit_code == 4
    assert result.error["code"] == "validation_failed"
    assert _show(cli, expense) == before


def test_edit_to_an_archived_client_or_project_is_rejected(
    cli: Cli, book_links: dict[str, int]
) -> None:
    expense = book_links["expense"]
    ok(cli, "clients", "archive", "Globex")
    ok(cli, "projects", "archive", "Shop")

    _assert_rejected(cli, expense, "client", "edit", str(expense), "--client", "Globex")
    _assert_rejected(cli, expense, "project", "edit", str(expense), "-p", "Shop")


def test_add_with_an_archived_client_or_project_is_rejected(
    cli: Cli, book_links: dict[str, int]
) -> None:
    ok(cli, "clients", "archive", "Globex")
    ok(cli, "projects", "archive", "Shop")

    by_client = cli("add", "x", "1.00", "-c", "Meals", "--client", "Globex", "--json")
    by_project = cli("add", "x", "1.00", "-c", "Meals", "-p", "Shop", "--json")

    assert by_client.exit_code == 4
    assert "client" in by_client.error["fields"]
    assert by_project.exit_code == 4
    assert "project" in by_project.error["fields"]
    assert len(ok(cli, "list", "--all")) == 1


def test_archived_links_stay_on_an_expense_that_has_them(
    cli: Cli, book_links: dict[str, int]
) -> None:
    expense = str(book_links["expense"])
    ok(cli, "attach", expense, "-p", "Website")
    ok(cli, "projects", "archive", "Website")
    ok(cli, "clients", "archive", "Acme")

    data = ok(cli, "edit", expense, "--description", "Hosting renewed", "--amount", "25.00")

    assert _links(data) == ("Acme", "Website")
    assert data["description"] == "Hosting renewed"
    listed = ok(cli, "list", "--client", "Acme", "-p", "Website")
    assert [e["id"] for e in listed] == [book_links["expense"]]


def test_an_archived_link_can_be_detached(cli: Cli, book_links: dict[str, int]) -> None:
    expense = str(book_links["expense"])
    ok(cli, "attach", expense, "-p", "Website")
    ok(cli, "projects", "archive", "Website")

    data = ok(cli, "detach", expense)

    assert _links(data) == (None, None)


# edit enforces the same rules -----------------------------------------------------------
def test_edit_project_forces_its_client(cli: Cli, book_links: dict[str, int]) -> None:
    data = ok(cli, "edit", str(book_links["expense"]), "-p", "Portal")

    assert _links(data) == ("Globex", "Portal")


def test_edit_project_with_another_client_is_rejected(cli: Cli, book_links: dict[str, int]) -> None:
    expense = book_links["expense"]

    _assert_rejected(cli, expense, "client", "edit", str(expense), "-p", "Portal", "--client",
                     "Acme")  # fmt: skip


def test_edit_another_client_while_a_project_stays_is_rejected(
    cli: Cli, book_links: dict[str, int]
) -> None:
    expense = book_links["expense"]
    ok(cli, "edit", str(expense), "-p", "Website")

    _assert_rejected(cli, expense, "client", "edit", str(expense), "--client", "Globex")


def test_edit_empty_project_keeps_the_client(cli: Cli, book_links: dict[str, int]) -> None:
    expense = str(book_links["expense"])
    ok(cli, "edit", expense, "-p", "Website")

    data = ok(cli, "edit", expense, "-p", "")

    assert _links(data) == ("Acme", None)


def test_a_rejected_link_edit_changes_no_other_field_either(
    cli: Cli, book_links: dict[str, int]
) -> None:
    expense = book_links["expense"]

    _assert_rejected(cli, expense, "client", "edit", str(expense), "--description", "Changed",
                     "--client", "Euro")  # fmt: skip


# references (rule 19) -------------------------------------------------------------------
def test_unknown_client_or_project_names_the_field(cli: Cli, book_links: dict[str, int]) -> None:
    expense = book_links["expense"]

    _assert_rejected(cli, expense, "client", "attach", str(expense), "--client", "Nobody")
    _assert_rejected(cli, expense, "project", "attach", str(expense), "-p", "Nothing")
    _assert_rejected(cli, expense, "project", "attach", str(expense), "-p", "999")


def test_ambiguous_project_name_is_rejected_and_its_id_works(
    cli: Cli, book_links: dict[str, int]
) -> None:
    expense = book_links["expense"]
    other = ok(cli, "projects", "add", "Website", "--client", "Globex")["id"]

    _assert_rejected(cli, expense, "project", "attach", str(expense), "-p", "website")
    data = ok(cli, "attach", str(expense), "-p", str(other))
    assert data["project"] == {"id": other, "name": "Website"}
    assert data["client"]["name"] == "Globex"


def test_attach_and_detach_of_a_deleted_expense_are_not_found(
    cli: Cli, book_links: dict[str, int]
) -> None:
    expense = str(book_links["expense"])
    ok(cli, "attach", expense, "--client", "Acme")
    assert cli("delete", expense).exit_code == 0

    attached = cli("attach", expense, "-p", "Website", "--json")
    detached = cli("detach", expense, "--json")

    assert attached.exit_code == 3
    assert attached.error["code"] == "not_found"
    assert detached.exit_code == 3
    assert detached.error["code"] == "not_found"
    shown = ok(cli, "show", expense, "--deleted")
    assert _links(shown) == ("Acme", None)


def test_attach_of_an_unknown_expense_is_not_found(cli: Cli, book_links: dict[str, int]) -> None:
    result = cli("attach", "999", "--client", "Acme", "--json")

    assert result.exit_code == 3
    assert result.error["code"] == "not_found"
