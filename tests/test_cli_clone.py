"""`clone` end to end (rule 13): -d is required, what is copied and what is not, approval and
reimbursement back to the category's defaults, overrides, deleted and archived sources."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.conftest import Cli, ok

COPIED = ("description", "amount", "currency", "units", "unit_price", "category",
          "custom_category", "client", "project", "billable", "notes")  # fmt: skip


def _count(cli: Cli) -> int:
    return len(ok(cli, "list", "--all"))


def _clone(cli: Cli, source: int, *args: str) -> dict[str, Any]:
    return ok(cli, "clone", str(source), *args)  # type: ignore[no-any-return]


@pytest.fixture
def source(cli: Cli) -> int:
    """A fully populated expense: project (so client), billable, notes, time, tags."""
    ok(cli, "clients", "add", "Acme")
    ok(cli, "projects", "add", "Website", "--client", "Acme")
    data = ok(
        cli, "add", "Hosting", "20.00", "-c", "Software", "-p", "Website", "--billable",
        "-n", "monthly plan", "-d", "2025-01-15", "--time", "09:30", "-t", "infra", "-t", "ops",
    )  # fmt: skip
    return int(data["id"])


# -d is required, --currency does not exist ----------------------------------------------
def test_clone_without_date_is_a_usage_error(cli: Cli, source: int) -> None:
    result = cli("clone", str(source), "--json")

    assert result.exit_code == 2
    assert _count(cli) == 1


def test_clone_with_currency_is_a_usage_error(cli: Cli, source: int) -> None:
    result = cli("clone", str(source), "-d", "2025-02-15", "--currency", "EUR")

    assert result.exit_code == 2
    assert _count(cli) == 1


# what is copied -------------------------------------------------------------------------
def test_clone_copies_the_rule_13_fields(cli: Cli, source: int) -> None:
    original = ok(cli, "show", str(source))

    copy = _clone(cli, source, "-d", "2025-02-15")

    for name in COPIED:
        assert copy[name] == original[name], name
    assert copy["description"] == "Hosting"
    assert copy["amount"] == "20.00"
    assert copy["client"]["name"] == "Acme"
    assert copy["project"]["name"] == "Website"
    assert copy["billable"] is True
    assert copy["notes"] == "monthly plan"


def test_clone_gets_a_new_id_uid_and_the_given_date(cli: Cli, source: int) -> None:
    original = ok(cli, "show", str(source))

    copy = _clone(cli, source, "-d", "2025-02-15")

    assert copy["id"] != source
    assert copy["uid"] != original["uid"]
    assert copy["date"] == "2025-02-15"
    assert copy["created_at"] >= original["created_at"]
    assert copy["deleted_at"] is None
    assert _count(cli) == 2
    assert ok(cli, "show", str(copy["id"])) == copy


def test_clone_does_not_copy_time_or_tags(cli: Cli, source: int) -> None:
    copy = _clone(cli, source, "-d", "2025-02-15")

    assert copy["time"] is None
    assert copy["tags"] == []


def test_clone_leaves_the_source_unchanged(cli: Cli, source: int) -> None:
    original = ok(cli, "show", str(source))

    _clone(cli, source, "-d", "2025-02-15", "--description", "Other", "--amount", "1.00")

    assert ok(cli, "show", str(source)) == original


def test_clone_resolves_relative_dates(cli: Cli, source: int) -> None:
    copy = _clone(cli, source, "-d", "today")

    assert copy["date"] == date.today().isoformat()


def test_clone_rejects_a_bad_date(cli: Cli, source: int) -> None:
    result = cli("clone", str(source), "-d", "2025-13-01", "--json")

    assert result.exit_code == 4
    assert "date" in result.error["fields"]
    assert _count(cli) == 1


def test_clone_does_not_copy_the_invoice_state(cli: Cli, source: int) -> None:
    assert cli("invoice", str(source), "--ref", "INV-7").exit_code == 0

    copy = _clone(cli, source, "-d", "2025-02-15")

    assert copy["billing_status"] == "not_invoiced"
    assert copy["invoice_ref"] is None
    assert copy["billable"] is True
    assert ok(cli, "show", str(source))["invoice_ref"] == "INV-7"
    # The copy is not locked: its amount can change.
    assert ok(cli, "edit", str(copy["id"]), "--amount", "21.00")["amount"] == "21.00"


def test_clone_copies_units_and_the_unit_price_snapshot(cli: Cli) -> None:
    ok(cli, "categories", "add", "Mileage", "--unit", "km", "--unit-price", "0.58")
    original = ok(cli, "add", "Drive", "-c", "Mileage", "--units", "120")
    assert original["amount"] == "69.60"
    ok(cli, "categories", "edit", "Mileage", "--unit-price", "0.62")

    copy = _clone(cli, original["id"], "-d", "2025-02-15")

    assert copy["units"] == "120"
    assert copy["unit_price"] == "0.58"
    assert copy["amount"] == "69.60"
    assert copy["category"]["name"] == "Mileage"


def test_clone_copies_the_custom_category(cli: Cli) -> None:
    original = ok(cli, "add", "Fee", "3.00", "-c", "Other", "--label", "Bank fees")

    copy = _clone(cli, original["id"], "-d", "2025-02-15")

    assert copy["category"]["name"] == "Other"
    assert copy["custom_category"] == "Bank fees"


def test_clone_copies_the_currency_of_a_foreign_client(cli: Cli) -> None:
    ok(cli, "clients", "add", "Yen Co", "--currency", "JPY")
    original = ok(cli, "add", "Taxi", "1500", "-c", "Travel", "--client", "Yen Co")

    copy = _clone(cli, original["id"], "-d", "2025-02-15")

    assert copy["currency"] == "JPY"
    assert copy["amount"] == "1500"
    assert copy["client"]["name"] == "Yen Co"


# approval and reimbursement -------------------------------------------------------------
def test_clone_resets_approval_and_reimbursement_to_the_category_defaults(cli: Cli) -> None:
    ok(cli, "categories", "add", "Fees", "--approval", "pending", "--reimbursement", "pending")
    original = ok(cli, "add", "Visa fee", "60.00", "-c", "Fees")
    assert (original["approval_status"], original["reimbursement_status"]) == ("pending", "pending")
    edited = ok(cli, "edit", str(original["id"]), "--approval", "approved", "--reimbursement",
                 "reimbursed")  # fmt: skip
    assert (edited["approval_status"], edited["reimbursement_status"]) == ("approved", "reimbursed")

    copy = _clone(cli, original["id"], "-d", "2025-02-15")

    assert copy["approval_status"] == "pending"
    assert copy["reimbursement_status"] == "pending"


def test_clone_of_a_rejected_expense_is_approved_again_in_a_default_category(cli: Cli) -> None:
    original = ok(cli, "add", "Lunch", "12.50", "-c", "Meals", "--approval", "rejected",
                   "--reimbursement", "rejected")  # fmt: skip

    copy = _clone(cli, original["id"], "-d", "2025-02-15")

    assert copy["approval_status"] == "approved"
    assert copy["reimbursement_status"] == "not_reimbursable"


def test_clone_takes_the_category_defaults_as_they_are_now(cli: Cli) -> None:
    ok(cli, "categories", "add", "Fees", "--approval", "pending", "--reimbursement", "pending")
    original = ok(cli, "add", "Visa fee", "60.00", "-c", "Fees")
    ok(cli, "categories", "edit", "Fees", "--approval", "rejected", "--reimbursement",
        "reimbursed")  # fmt: skip

    copy = _clone(cli, original["id"], "-d", "2025-02-15")

    assert copy["approval_status"] == "rejected"
    assert copy["reimbursement_status"] == "reimbursed"


# overrides ------------------------------------------------------------------------------
def test_clone_overrides_description_and_amount(cli: Cli, source: int) -> None:
    copy = _clone(cli, source, "-d", "2025-02-15", "--description", "Hosting (Feb)",
                  "--amount", "22.50")  # fmt: skip

    assert copy["description"] == "Hosting (Feb)"
    assert copy["amount"] == "22.50"
    assert copy["category"]["name"] == "Software"
    assert copy["notes"] == "monthly plan"


def test_clone_overrides_the_category(cli: Cli, source: int) -> None:
    copy = _clone(cli, source, "-d", "2025-02-15", "-c", "Services", "--amount", "20.00")

    assert copy["category"]["name"] == "Services"
    assert copy["amount"] == "20.00"


def test_clone_into_other_with_a_label(cli: Cli, source: int) -> None:
    copy = _clone(cli, source, "-d", "2025-02-15", "-c", "Other", "--label", "Domains",
                  "--amount", "9.00")  # fmt: skip

    assert copy["category"]["name"] == "Other"
    assert copy["custom_category"] == "Domains"
    assert copy["amount"] == "9.00"


def test_clone_into_other_without_a_label_is_rejected(cli: Cli, source: int) -> None:
    result = cli("clone", str(source), "-d", "2025-02-15", "-c", "Other", "--amount", "9.00",
                 "--json")  # fmt: skip

    assert result.exit_code == 4
    assert "custom_category" in result.error["fields"]
    assert _count(cli) == 1


def test_clone_overrides_the_label_of_an_other_expense(cli: Cli) -> None:
    original = ok(cli, "add", "Fee", "3.00", "-c", "Other", "--label", "Bank fees")

    copy = _clone(cli, original["id"], "-d", "2025-02-15", "--label", "Card fees")

    assert copy["custom_category"] == "Card fees"
    assert copy["amount"] == "3.00"


def test_clone_overrides_units(cli: Cli) -> None:
    ok(cli, "categories", "add", "Mileage", "--unit", "km", "--unit-price", "0.58")
    original = ok(cli, "add", "Drive", "-c", "Mileage", "--units", "120")

    copy = _clone(cli, original["id"], "-d", "2025-02-15", "--units", "10.5")

    assert copy["units"] == "10.5"
    assert copy["unit_price"] == "0.58"
    assert copy["amount"] == "6.09"


def test_clone_into_a_unit_category_computes_the_amount(cli: Cli, source: int) -> None:
    ok(cli, "categories", "add", "Mileage", "--unit", "km", "--unit-price", "0.58")

    copy = _clone(cli, source, "-d", "2025-02-15", "-c", "Mileage", "--units", "100")

    assert copy["units"] == "100"
    assert copy["unit_price"] == "0.58"
    assert copy["amount"] == "58.00"


def test_clone_overrides_the_project_and_its_client(cli: Cli, source: int) -> None:
    ok(cli, "clients", "add", "Globex")
    ok(cli, "projects", "add", "Portal", "--client", "Globex")

    copy = _clone(cli, source, "-d", "2025-02-15", "-p", "Portal")

    assert copy["project"]["name"] == "Portal"
    assert copy["client"]["name"] == "Globex"


def test_clone_detaches_links_with_empty_values(cli: Cli, source: int) -> None:
    copy = _clone(cli, source, "-d", "2025-02-15", "-p", "", "--client", "")

    assert copy["project"] is None
    assert copy["client"] is None


def test_clone_overrides_the_client_of_an_unprojected_expense(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    ok(cli, "clients", "add", "Globex")
    original = ok(cli, "add", "Call", "5.00", "-c", "Services", "--client", "Acme")

    copy = _clone(cli, original["id"], "-d", "2025-02-15", "--client", "Globex")

    assert copy["client"]["name"] == "Globex"
    assert copy["project"] is None


def test_clone_with_a_client_that_is_not_the_projects_is_rejected(cli: Cli, source: int) -> None:
    ok(cli, "clients", "add", "Globex")

    result = cli("clone", str(source), "-d", "2025-02-15", "--client", "Globex", "--json")

    assert result.exit_code == 4
    assert "client" in result.error["fields"]
    assert _count(cli) == 1


@pytest.mark.parametrize(("flag", "expected"), [("--no-billable", False), ("--billable", True)])
def test_clone_overrides_billable(cli: Cli, source: int, flag: str, expected: bool) -> None:
    copy = _clone(cli, source, "-d", "2025-02-15", flag)

    assert copy["billable"] is expected


def test_clone_of_a_non_billable_expense_can_be_made_billable(cli: Cli) -> None:
    original = ok(cli, "add", "Lunch", "12.50", "-c", "Meals")

    assert _clone(cli, original["id"], "-d", "2025-02-15")["billable"] is False
    assert _clone(cli, original["id"], "-d", "2025-02-15", "--billable")["billable"] is True


def test_clone_rejects_a_bad_override_and_creates_nothing(cli: Cli, source: int) -> None:
    result = cli("clone", str(source), "-d", "2025-02-15", "--amount", "4.500",
                 "--description", "   ", "--json")  # fmt: skip

    assert result.exit_code == 4
    assert {"amount", "description"} <= set(result.error["fields"])
    assert _count(cli) == 1


def test_clone_quiet_prints_only_the_new_id(cli: Cli, source: int) -> None:
    result = cli("clone", str(source), "-d", "2025-02-15", "-q")

    assert result.exit_code == 0, result.stderr
    new_id = int(result.stdout.strip())
    assert new_id != source
    assert ok(cli, "show", str(new_id))["date"] == "2025-02-15"


# deleted and archived sources -----------------------------------------------------------
def test_clone_of_a_deleted_expense_is_not_found(cli: Cli, source: int) -> None:
    assert cli("delete", str(source)).exit_code == 0

    result = cli("clone", str(source), "-d", "2025-02-15", "--json")

    assert result.exit_code == 3
    assert result.error["code"] == "not_found"
    assert _count(cli) == 0


def test_clone_of_an_unknown_expense_is_not_found(cli: Cli) -> None:
    result = cli("clone", "999", "-d", "2025-02-15", "--json")

    assert result.exit_code == 3
    assert result.error["code"] == "not_found"


def test_clone_of_a_restored_expense_works(cli: Cli, source: int) -> None:
    assert cli("delete", str(source)).exit_code == 0
    assert cli("restore", str(source)).exit_code == 0

    copy = _clone(cli, source, "-d", "2025-02-15")

    assert copy["description"] == "Hosting"


def _rejected(cli: Cli, source: int, field: str, *args: str) -> None:
    result = cli("clone", str(source), "-d", "2025-02-15", *args, "--json")
    assert result.exit_code == 4, result.stdout
    assert result.error["code"] == "validation_failed"
    assert field in result.error["fields"], result.error
    assert _count(cli) == 1


def test_clone_with_an_archived_category_is_rejected(cli: Cli, source: int) -> None:
    ok(cli, "categories", "archive", "Software")

    _rejected(cli, source, "category")


def test_clone_with_an_archived_category_works_when_it_is_overridden(cli: Cli, source: int) -> None:
    ok(cli, "categories", "archive", "Software")

    copy = _clone(cli, source, "-d", "2025-02-15", "-c", "Services", "--amount", "20.00")

    assert copy["category"]["name"] == "Services"


def test_clone_overriding_into_an_archived_category_is_rejected(cli: Cli, source: int) -> None:
    ok(cli, "categories", "archive", "Services")

    _rejected(cli, source, "category", "-c", "Services", "--amount", "20.00")


def test_clone_with_an_archived_project_is_rejected(cli: Cli, source: int) -> None:
    ok(cli, "projects", "archive", "Website")

    _rejected(cli, source, "project")


def test_clone_with_an_archived_project_works_when_it_is_overridden(cli: Cli, source: int) -> None:
    ok(cli, "projects", "add", "Shop", "--client", "Acme")
    ok(cli, "projects", "archive", "Website")

    moved = _clone(cli, source, "-d", "2025-02-15", "-p", "Shop")
    dropped = _clone(cli, source, "-d", "2025-02-15", "-p", "")

    assert moved["project"]["name"] == "Shop"
    assert dropped["project"] is None
    assert dropped["client"]["name"] == "Acme"


def test_clone_with_an_archived_client_is_rejected(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    original = ok(cli, "add", "Call", "5.00", "-c", "Services", "--client", "Acme")
    ok(cli, "clients", "archive", "Acme")

    _rejected(cli, original["id"], "client")


def test_clone_with_an_archived_client_works_when_it_is_overridden(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    ok(cli, "clients", "add", "Globex")
    original = ok(cli, "add", "Call", "5.00", "-c", "Services", "--client", "Acme")
    ok(cli, "clients", "archive", "Acme")

    moved = _clone(cli, original["id"], "-d", "2025-02-15", "--client", "Globex")
    dropped = _clone(cli, original["id"], "-d", "2025-02-15", "--client", "")

    assert moved["client"]["name"] == "Globex"
    assert dropped["client"] is None


def test_clone_whose_project_has_an_archived_client_is_rejected(cli: Cli, source: int) -> None:
    ok(cli, "clients", "archive", "Acme")

    result = cli("clone", str(source), "-d", "2025-02-15", "--json")

    assert result.exit_code == 4
    assert result.error["code"] == "validation_failed"
    assert _count(cli) == 1
