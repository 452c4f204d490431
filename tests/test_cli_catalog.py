"""The book's catalogue and settings end to end: categories, clients, projects, references
by id or name (rule 19), `config`, `db path`, and how `--db` / `$EXPENSE_DB` pick the book."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, ok, refused

DEFAULT_CATEGORIES = {
    "Travel", "Meals", "Software", "Equipment", "Contractors", "Rent", "Utilities",
    "Marketing", "Services", "Salaries", "Other",
}  # fmt: skip


def _categories(cli: Cli) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in ok(cli, "categories")}


def _expense(cli: Cli, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = ok(cli, "add", *args)
    return data


# categories --------------------------------------------------------------------------
def test_a_new_book_has_the_eleven_default_categories(cli: Cli) -> None:
    categories = _categories(cli)
    assert set(categories) == DEFAULT_CATEGORIES
    for category in categories.values():
        assert category["basis"] == "amount"
        assert category["default_approval"] == "approved"
        assert category["default_reimbursement"] == "not_reimbursable"
        assert category["archived"] is False
        assert type(category["id"]) is int


def test_categories_table_lists_every_default(cli: Cli) -> None:
    result = cli("categories")
    assert result.exit_code == 0, result.stderr
    for name in DEFAULT_CATEGORIES:
        assert name in result.stdout
    assert "approved" in result.stdout
    assert "not_reimbursable" in result.stdout


def test_categories_add_amount_based(cli: Cli) -> None:
    created = ok(cli, "categories", "add", "Training")
    assert created["name"] == "Training"
    assert created["basis"] == "amount"
    assert created["unit_price"] is None
    assert created["archived"] is False
    assert "Training" in _categories(cli)


def test_categories_add_unit_based(cli: Cli) -> None:
    created = ok(cli, "categories", "add", "Mileage", "--unit", "km", "--unit-price", "0.58")
    assert created["basis"] == "unit"
    assert created["unit_name"] == "km"
    assert created["unit_price"] == "0.58"


def test_category_defaults_apply_to_new_expenses(cli: Cli) -> None:
    ok(cli, "categories", "add", "Per diem", "--approval", "pending", "--reimbursement", "pending")
    expense = _expense(cli, "Lunch", "20.00", "-c", "per diem")
    assert expense["approval_status"] == "pending"
    assert expense["reimbursement_status"] == "pending"


def test_unit_without_unit_price_is_rejected(cli: Cli) -> None:
    error = refused(cli, 4, "categories", "add", "Mileage", "--unit", "km")
    assert error["code"] == "validation_failed"
    assert "unit_price" in error["fields"]
    assert "Mileage" not in _categories(cli)


@pytest.mark.parametrize("name", ["travel", "TRAVEL", " Travel "])
def test_category_duplicate_name_is_rejected_case_insensitively(cli: Cli, name: str) -> None:
    error = refused(cli, 4, "categories", "add", name)
    assert "name" in error["fields"]
    assert len(_categories(cli)) == len(DEFAULT_CATEGORIES)


def test_categories_edit_renames(cli: Cli) -> None:
    renamed = ok(cli, "categories", "edit", "Software", "--name", "SaaS")
    assert renamed["name"] == "SaaS"
    names = set(_categories(cli))
    assert "SaaS" in names and "Software" not in names
    assert _expense(cli, "Hosting", "9.00", "-c", "saas")["category"]["name"] == "SaaS"


def test_categories_edit_to_an_existing_name_is_rejected(cli: Cli) -> None:
    error = refused(cli, 4, "categories", "edit", "Software", "--name", "meals")
    assert "name" in error["fields"]
    assert "Software" in _categories(cli)


def test_categories_archive_keeps_it_listed_but_refuses_new_expenses(cli: Cli) -> None:
    archived = ok(cli, "categories", "archive", "Rent")
    assert archived["archived"] is True
    assert _categories(cli)["Rent"]["archived"] is True
    error = refused(cli, 4, "add", "Office", "500.00", "-c", "Rent")
    assert "category" in error["fields"]


def test_archived_category_stays_on_its_expenses_and_filters(cli: Cli) -> None:
    expense = _expense(cli, "Office", "500.00", "-c", "Rent")
    ok(cli, "categories", "archive", "Rent")
    assert ok(cli, "show", str(expense["id"]))["category"]["name"] == "Rent"
    assert [e["id"] for e in ok(cli, "list", "-c", "Rent")] == [expense["id"]]


def test_categories_delete_an_unused_category(cli: Cli) -> None:
    ok(cli, "categories", "delete", "Salaries")
    assert set(_categories(cli)) == DEFAULT_CATEGORIES - {"Salaries"}


def test_categories_delete_of_a_used_category_is_a_conflict(cli: Cli) -> None:
    _expense(cli, "Laptop", "1200.00", "-c", "Equipment")
    error = refused(cli, 5, "categories", "delete", "Equipment")
    assert error["code"] == "conflict"
    assert "Equipment" in _categories(cli)


def test_categories_delete_of_a_category_used_by_a_deleted_expense_is_a_conflict(
    cli: Cli,
) -> None:
    expense = _expense(cli, "Laptop", "1200.00", "-c", "Equipment")
    ok(cli, "delete", str(expense["id"]))
    error = refused(cli, 5, "categories", "delete", "Equipment")
    assert error["code"] == "conflict"
    assert "Equipment" in _categories(cli)
    assert ok(cli, "restore", str(expense["id"]))[0]["category"]["name"] == "Equipment"


@pytest.mark.parametrize(
    "args",
    [["edit", "Other", "--name", "Misc"], ["archive", "Other"], ["delete", "Other"],
     ["archive", "other"]],
)  # fmt: skip
def test_the_built_in_other_cannot_be_renamed_archived_or_deleted(
    cli: Cli, args: list[str]
) -> None:
    error = refused(cli, 4, "categories", *args)
    assert error["code"] == "validation_failed"
    other = _categories(cli)["Other"]
    assert other["archived"] is False


def test_categories_bad_approval_choice_is_a_usage_error(cli: Cli) -> None:
    result = cli("categories", "add", "Training", "--approval", "maybe")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert "Training" not in _categories(cli)


# clients -----------------------------------------------------------------------------
def test_clients_add_json_shape(cli: Cli) -> None:
    created = ok(cli, "clients", "add", "Acme GmbH", "--currency", "EUR")
    assert set(created) == {"id", "name", "currency", "archived", "markup"}
    assert created["markup"] == "0"
    assert type(created["id"]) is int
    assert created["name"] == "Acme GmbH"
    assert created["currency"] == "EUR"
    assert created["archived"] is False
    assert ok(cli, "clients") == [created]


def test_client_currency_defaults_to_the_book_default_at_creation(cli: Cli) -> None:
    assert ok(cli, "clients", "add", "Early")["currency"] == "USD"
    assert ok(cli, "config", "default_currency", "GBP")["default_currency"] == "GBP"
    assert ok(cli, "clients", "add", "Late")["currency"] == "GBP"
    currencies = {c["name"]: c["currency"] for c in ok(cli, "clients")}
    assert currencies == {"Early": "USD", "Late": "GBP"}


@pytest.mark.parametrize("currency", ["ZZZ", "EURO", "12", "", "€"])
def test_client_with_a_bad_currency_is_rejected(cli: Cli, currency: str) -> None:
    error = refused(cli, 4, "clients", "add", "Acme", "--currency", currency)
    assert "currency" in error["fields"]
    assert ok(cli, "clients") == []


def test_client_duplicate_name_is_rejected_case_insensitively(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    error = refused(cli, 4, "clients", "add", "ACME")
    assert "name" in error["fields"]
    assert [c["name"] for c in ok(cli, "clients")] == ["Acme"]


def test_clients_edit_renames(cli: Cli) -> None:
    created = ok(cli, "clients", "add", "Acme")
    renamed = ok(cli, "clients", "edit", "acme", "--name", "Acme Inc")
    assert renamed == {**created, "name": "Acme Inc"}


def test_archived_client_is_refused_for_new_expenses_but_filters(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    expense = _expense(cli, "Taxi", "20.00", "-c", "Travel", "--client", "Acme")
    archived = ok(cli, "clients", "archive", "Acme")
    assert archived["archived"] is True
    error = refused(cli, 4, "add", "Taxi", "20.00", "-c", "Travel", "--client", "Acme")
    assert "client" in error["fields"]
    assert [e["id"] for e in ok(cli, "list", "--client", "Acme")] == [expense["id"]]


# projects ----------------------------------------------------------------------------
def test_projects_add_json_shape(cli: Cli) -> None:
    client = ok(cli, "clients", "add", "Acme")
    created = ok(cli, "projects", "add", "Website", "--client", "Acme")
    assert set(created) == {"id", "name", "client", "archived"}
    assert type(created["id"]) is int
    assert created["name"] == "Website"
    assert created["client"] == {"id": client["id"], "name": "Acme"}
    assert created["archived"] is False
    assert ok(cli, "projects") == [created]


def test_project_name_is_unique_per_client(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    ok(cli, "clients", "add", "Beta")
    ok(cli, "projects", "add", "Website", "--client", "Acme")
    error = refused(cli, 4, "projects", "add", "WEBSITE", "--client", "Acme")
    assert "name" in error["fields"]
    other = ok(cli, "projects", "add", "Website", "--client", "Beta")
    assert other["client"]["name"] == "Beta"
    assert len(ok(cli, "projects")) == 2


def test_project_with_an_unknown_client_is_rejected(cli: Cli) -> None:
    error = refused(cli, 4, "projects", "add", "Website", "--client", "Nobody")
    assert "client" in error["fields"]
    assert ok(cli, "projects") == []


def test_project_forces_its_client_and_currency(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme", "--currency", "EUR")
    project = ok(cli, "projects", "add", "Website", "--client", "Acme")
    expense = _expense(cli, "Fonts", "40.00", "-c", "Software", "-p", "website")
    assert expense["project"] == {"id": project["id"], "name": "Website"}
    assert expense["client"] == project["client"]
    assert expense["currency"] == "EUR"


def test_project_name_shared_by_two_clients_needs_the_id(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    ok(cli, "clients", "add", "Beta", "--currency", "EUR")
    ok(cli, "projects", "add", "Website", "--client", "Acme")
    beta_site = ok(cli, "projects", "add", "Website", "--client", "Beta")
    error = refused(cli, 4, "add", "Fonts", "40.00", "-c", "Software", "-p", "Website")
    assert error["code"] == "validation_failed"
    assert "project" in error["fields"]
    assert "id" in error["fields"]["project"]
    assert ok(cli, "list") == []
    by_id = _expense(cli, "Fonts", "40.00", "-c", "Software", "-p", str(beta_site["id"]))
    assert by_id["project"]["id"] == beta_site["id"]
    assert by_id["client"]["name"] == "Beta"


def test_projects_edit_renames_and_archive_refuses_new_links(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    ok(cli, "projects", "add", "Website", "--client", "Acme")
    renamed = ok(cli, "projects", "edit", "website", "--name", "Relaunch")
    assert renamed["name"] == "Relaunch"
    archived = ok(cli, "projects", "archive", "Relaunch")
    assert archived["archived"] is True
    error = refused(cli, 4, "add", "Fonts", "40.00", "-c", "Software", "-p", "Relaunch")
    assert "project" in error["fields"]


# references (rule 19) ----------------------------------------------------------------
def test_references_by_id_or_case_insensitive_exact_name(cli: Cli) -> None:
    travel = _categories(cli)["Travel"]
    client = ok(cli, "clients", "add", "Acme Corp")
    project = ok(cli, "projects", "add", "Website", "--client", "Acme Corp")
    by_name = _expense(cli, "A", "1.00", "-c", "tRAVEL", "--client", "ACME corp")
    by_id = _expense(cli, "B", "1.00", "-c", str(travel["id"]), "--client", str(client["id"]))
    assert by_name["category"] == by_id["category"] == {"id": travel["id"], "name": "Travel"}
    assert by_name["client"] == by_id["client"] == {"id": client["id"], "name": "Acme Corp"}
    with_project = _expense(cli, "C", "1.00", "-c", "Travel", "-p", str(project["id"]))
    assert with_project["project"] == {"id": project["id"], "name": "Website"}


@pytest.mark.parametrize(
    ("option", "ref", "field"),
    [("-c", "Trav", "category"), ("-c", "999", "category"), ("--client", "Acme", "client"),
     ("-p", "Website", "project")],
)  # fmt: skip
def test_unknown_or_partial_reference_is_a_validation_error(
    cli: Cli, option: str, ref: str, field: str
) -> None:
    args = ["-c", "Travel"] if option != "-c" else []
    error = refused(cli, 4, "add", "X", "1.00", *args, option, ref)
    assert field in error["fields"]


def test_an_all_digit_reference_is_an_id_not_a_name(cli: Cli) -> None:
    # An all-digit name cannot exist (reference §10.1 item 22), so digits always mean an id.
    assert "name" in refused(cli, 4, "categories", "add", "2024")["fields"]
    created = ok(cli, "categories", "add", "FY2024")
    expense = _expense(cli, "X", "1.00", "-c", str(created["id"]))
    assert expense["category"] == {"id": created["id"], "name": "FY2024"}


# config ------------------------------------------------------------------------------
def test_config_shows_the_defaults_of_a_new_book(cli: Cli) -> None:
    assert ok(cli, "config") == {
        "default_currency": "USD",
        "date_order": "ymd",
        "default_account": "Assets:Cash",
    }


def test_config_sets_default_currency_for_new_expenses_only(cli: Cli) -> None:
    before = _expense(cli, "A", "1.00", "-c", "Travel")
    assert ok(cli, "config", "default_currency", "EUR")["default_currency"] == "EUR"
    assert ok(cli, "config") == {
        "default_currency": "EUR",
        "date_order": "ymd",
        "default_account": "Assets:Cash",
    }
    after = _expense(cli, "B", "1.00", "-c", "Travel")
    assert after["currency"] == "EUR"
    assert ok(cli, "show", str(before["id"]))["currency"] == "USD"
    plain = cli("config", "default_currency")
    assert plain.exit_code == 0, plain.stderr
    assert plain.stdout.strip() == "EUR"


@pytest.mark.parametrize(("order", "expected"), [("dmy", "2025-04-03"), ("mdy", "2025-03-04")])
def test_config_date_order_decides_ambiguous_dates(cli: Cli, order: str, expected: str) -> None:
    assert ok(cli, "config", "date_order", order)["date_order"] == order
    expense = _expense(cli, "A", "1.00", "-c", "Travel", "-d", "03/04/2025")
    assert expense["date"] == expected
    strict = _expense(cli, "B", "1.00", "-c", "Travel", "-d", "2025-03-04")
    assert strict["date"] == "2025-03-04"


@pytest.mark.parametrize(("key", "value"), [("default_currency", "XYZ"), ("date_order", "ydm")])
def test_config_bad_value_is_rejected(cli: Cli, key: str, value: str) -> None:
    error = refused(cli, 4, "config", key, value)
    assert key in error["fields"]
    assert ok(cli, "config") == {
        "default_currency": "USD",
        "date_order": "ymd",
        "default_account": "Assets:Cash",
    }


def test_config_unknown_key_is_a_usage_error(cli: Cli) -> None:
    error = refused(cli, 2, "config", "colour", "blue")
    assert error["code"] == "usage"


# which book --------------------------------------------------------------------------
def test_db_path_prints_the_path_and_creates_nothing(cli: Cli, book: Path) -> None:
    result = cli("db", "path")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(book)
    assert not book.exists()


def test_db_path_with_db_option_creates_nothing(cli: Cli, tmp_path: Path, book: Path) -> None:
    target = tmp_path / "elsewhere" / "other.db"
    result = cli("--db", str(target), "db", "path")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(target)
    assert not target.parent.exists()
    assert not book.exists()


def test_db_option_overrides_the_environment(cli: Cli, tmp_path: Path, book: Path) -> None:
    other = tmp_path / "nested" / "other.db"
    added = cli("--db", str(other), "add", "Elsewhere", "5.00", "-c", "Travel", "--json")
    assert added.exit_code == 0, added.stderr
    assert other.exists()
    assert not book.exists()
    there = cli("--db", str(other), "list", "--json")
    assert [e["description"] for e in there.data] == ["Elsewhere"]
    assert ok(cli, "list") == []


def test_environment_variable_chooses_the_book(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = tmp_path / "first.db"
    second = tmp_path / "second.db"
    monkeypatch.setenv("EXPENSE_DB", str(first))
    _expense(cli, "In first", "1.00", "-c", "Travel")
    monkeypatch.setenv("EXPENSE_DB", str(second))
    assert ok(cli, "list") == []
    assert not second.exists()  # reading creates nothing (§10.1 item 14)
    monkeypatch.setenv("EXPENSE_DB", str(first))
    assert [e["description"] for e in ok(cli, "list")] == ["In first"]
