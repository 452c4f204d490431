"""`invoice` and `uninvoice` end to end (rules 8 and 9): only billable expenses, the lock on
billable/amount/units/client/project, delete --force, idempotent repeats and ref conflicts;
and approval/reimbursement statuses with their category defaults."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cli, ok


def _show(cli: Cli, expense_id: int | str) -> dict[str, Any]:
    return ok(cli, "show", str(expense_id))  # type: ignore[no-any-return]


def _billable(cli: Cli, *args: str) -> int:
    """A billable expense; of client Billed unless a client or project is given (an invoice
    always goes to a client)."""
    if not {"--client", "-p", "--project"} & set(args):
        cli("clients", "add", "Billed")  # once; later calls find it
        args = (*args, "--client", "Billed")
    data = ok(cli, "add", "Hosting", "20.00", "-c", "Software", "--billable", *args)
    return int(data["id"])


@pytest.fixture
def links(cli: Cli) -> None:
    """Clients Acme and Globex (USD); projects Website and Shop (Acme), Portal (Globex)."""
    ok(cli, "clients", "add", "Acme")
    ok(cli, "clients", "add", "Globex")
    ok(cli, "projects", "add", "Website", "--client", "Acme")
    ok(cli, "projects", "add", "Shop", "--client", "Acme")
    ok(cli, "projects", "add", "Portal", "--client", "Globex")


# invoicing ------------------------------------------------------------------------------
def test_invoice_marks_a_billable_expense_with_its_ref(cli: Cli) -> None:
    expense = _billable(cli)

    result = cli("invoice", str(expense), "--ref", "INV-2025-01", "--json")

    assert result.exit_code == 0, result.stderr
    assert isinstance(result.data, list)
    assert [e["id"] for e in result.data] == [expense]
    assert result.data[0]["billing_status"] == "invoiced"
    assert result.data[0]["invoice_ref"] == "INV-2025-01"
    shown = _show(cli, expense)
    assert (shown["billing_status"], shown["invoice_ref"]) == ("invoiced", "INV-2025-01")


def test_invoice_without_ref_leaves_the_ref_empty(cli: Cli) -> None:
    expense = _billable(cli)

    data = ok(cli, "invoice", str(expense))

    assert data[0]["billing_status"] == "invoiced"
    assert data[0]["invoice_ref"] is None


def test_invoice_of_several_ids(cli: Cli) -> None:
    first, second = _billable(cli), _billable(cli)

    data = ok(cli, "invoice", str(first), str(second), "--ref", "INV-9")

    assert sorted(e["id"] for e in data) == [first, second]
    assert {(e["billing_status"], e["invoice_ref"]) for e in data} == {("invoiced", "INV-9")}


def test_invoice_of_a_non_billable_expense_is_rejected(cli: Cli) -> None:
    expense = ok(cli, "add", "Lunch", "12.50", "-c", "Meals")["id"]

    result = cli("invoice", str(expense), "--ref", "INV-1", "--json")

    assert result.exit_code == 4
    assert result.error["code"] == "validation_failed"
    assert "billable" in result.error["fields"]
    assert _show(cli, expense)["billing_status"] == "not_invoiced"


def test_invoice_with_one_non_billable_id_invoices_nothing(cli: Cli) -> None:
    first, second = _billable(cli), _billable(cli)
    plain = ok(cli, "add", "Lunch", "12.50", "-c", "Meals")["id"]

    result = cli("invoice", str(first), str(plain), str(second), "--ref", "INV-1", "--json")

    assert result.exit_code == 4
    for expense in (first, plain, second):
        shown = _show(cli, expense)
        assert (shown["billing_status"], shown["invoice_ref"]) == ("not_invoiced", None)


def test_invoice_with_one_unknown_id_invoices_nothing(cli: Cli) -> None:
    expense = _billable(cli)

    result = cli("invoice", str(expense), "999", "--json")

    assert result.exit_code == 3
    assert result.error["code"] == "not_found"
    assert _show(cli, expense)["billing_status"] == "not_invoiced"


def test_invoice_of_a_deleted_expense_is_not_found(cli: Cli) -> None:
    expense = _billable(cli)
    assert cli("delete", str(expense)).exit_code == 0

    result = cli("invoice", str(expense), "--json")

    assert result.exit_code == 3
    assert result.error["code"] == "not_found"


def test_invoice_ref_with_a_control_character_is_rejected(cli: Cli) -> None:
    expense = _billable(cli)

    result = cli("invoice", str(expense), "--ref", "INV\x1b[2J", "--json")

    assert result.exit_code == 4
    assert _show(cli, expense)["billing_status"] == "not_invoiced"


def test_invoice_table_output_is_not_json(cli: Cli) -> None:
    expense = _billable(cli)

    result = cli("invoice", str(expense), "--ref", "INV-1")

    assert result.exit_code == 0, result.stderr
    assert "Hosting" in result.stdout
    assert "20.00" in result.stdout
    assert not result.stdout.lstrip().startswith("{")


# repeats are no-ops; another ref is a conflict (rule 9) ---------------------------------
@pytest.mark.parametrize("again", [(), ("--ref", "INV-1")], ids=["no-ref", "same-ref"])
def test_invoice_again_without_or_with_the_same_ref_changes_nothing(
    cli: Cli, again: tuple[str, ...]
) -> None:
    expense = _billable(cli)
    ok(cli, "invoice", str(expense), "--ref", "INV-1")
    before = _show(cli, expense)

    data = ok(cli, "invoice", str(expense), *again)

    assert data == [before]
    assert _show(cli, expense) == before


def test_invoice_again_of_an_expense_invoiced_without_ref_changes_nothing(cli: Cli) -> None:
    expense = _billable(cli)
    ok(cli, "invoice", str(expense))
    before = _show(cli, expense)

    data = ok(cli, "invoice", str(expense))

    assert data == [before]
    assert _show(cli, expense) == before


def test_invoice_with_a_different_ref_is_a_conflict(cli: Cli) -> None:
    expense = _billable(cli)
    ok(cli, "invoice", str(expense), "--ref", "INV-1")
    before = _show(cli, expense)

    result = cli("invoice", str(expense), "--ref", "INV-2", "--json")

    assert result.exit_code == 5
    assert result.error["code"] == "conflict"
    assert _show(cli, expense) == before


def test_invoice_conflict_on_one_id_invoices_none_of_the_others(cli: Cli) -> None:
    done, fresh = _billable(cli), _billable(cli)
    ok(cli, "invoice", str(done), "--ref", "INV-1")

    result = cli("invoice", str(fresh), str(done), "--ref", "INV-2", "--json")

    assert result.exit_code == 5
    assert result.error["code"] == "conflict"
    assert _show(cli, fresh)["billing_status"] == "not_invoiced"
    assert _show(cli, done)["invoice_ref"] == "INV-1"


def test_invoice_of_an_invoiced_and_a_new_id_with_the_same_ref(cli: Cli) -> None:
    done, fresh = _billable(cli), _billable(cli)
    ok(cli, "invoice", str(done), "--ref", "INV-1")

    data = ok(cli, "invoice", str(done), str(fresh), "--ref", "INV-1")

    assert {(e["id"], e["invoice_ref"]) for e in data} == {(done, "INV-1"), (fresh, "INV-1")}


# uninvoice ------------------------------------------------------------------------------
def test_uninvoice_clears_the_status_and_ref(cli: Cli) -> None:
    expense = _billable(cli)
    ok(cli, "invoice", str(expense), "--ref", "INV-1")

    result = cli("uninvoice", str(expense), "--json")

    assert result.exit_code == 0, result.stderr
    assert [e["id"] for e in result.data] == [expense]
    assert result.data[0]["billing_status"] == "not_invoiced"
    assert result.data[0]["invoice_ref"] is None
    assert _show(cli, expense)["billing_status"] == "not_invoiced"


def test_uninvoice_of_a_not_invoiced_expense_changes_nothing(cli: Cli) -> None:
    expense = _billable(cli)
    before = _show(cli, expense)

    data = ok(cli, "uninvoice", str(expense))

    assert data == [before]
    assert _show(cli, expense) == before


def test_uninvoice_of_a_deleted_expense_is_not_found(cli: Cli) -> None:
    expense = _billable(cli)
    ok(cli, "invoice", str(expense))
    assert cli("delete", str(expense), "--force").exit_code == 0

    result = cli("uninvoice", str(expense), "--json")

    assert result.exit_code == 3
    assert result.error["code"] == "not_found"


def test_after_uninvoice_the_locked_fields_are_editable(cli: Cli, links: None) -> None:
    expense = str(_billable(cli, "-p", "Website"))
    ok(cli, "invoice", expense, "--ref", "INV-1")
    ok(cli, "uninvoice", expense)

    assert ok(cli, "edit", expense, "--amount", "25.00")["amount"] == "25.00"
    assert ok(cli, "attach", expense, "-p", "Shop")["project"]["name"] == "Shop"
    assert ok(cli, "detach", expense)["client"] is None
    assert ok(cli, "edit", expense, "--no-billable")["billable"] is False
    assert cli("delete", expense).exit_code == 0


def test_an_uninvoiced_expense_can_be_invoiced_under_a_new_ref(cli: Cli) -> None:
    expense = _billable(cli)
    ok(cli, "invoice", str(expense), "--ref", "INV-1")
    ok(cli, "uninvoice", str(expense))

    data = ok(cli, "invoice", str(expense), "--ref", "INV-2")

    assert data[0]["invoice_ref"] == "INV-2"


# the lock (rule 8): every field separately ----------------------------------------------
def _assert_locked(cli: Cli, expense: int, field: str, *args: str) -> None:
    before = _show(cli, expense)
    result = cli(*args, "--json")
    assert result.exit_code == 5, (result.stdout, result.stderr)
    assert result.error["code"] == "invoiced_locked"
    assert field in result.error["fields"], result.error
    assert _show(cli, expense) == before


@pytest.fixture
def invoiced(cli: Cli, links: None) -> int:
    """A billable Software expense of 20.00 on project Website (client Acme), invoiced."""
    expense = _billable(cli, "-p", "Website")
    ok(cli, "invoice", str(expense), "--ref", "INV-1")
    return expense


@pytest.fixture
def invoiced_client_only(cli: Cli, links: None) -> int:
    """A billable, invoiced expense linked to client Acme without a project."""
    expense = _billable(cli, "--client", "Acme")
    ok(cli, "invoice", str(expense), "--ref", "INV-1")
    return expense


def test_locked_billable(cli: Cli, invoiced: int) -> None:
    _assert_locked(cli, invoiced, "billable", "edit", str(invoiced), "--no-billable")


def test_locked_amount(cli: Cli, invoiced: int) -> None:
    _assert_locked(cli, invoiced, "amount", "edit", str(invoiced), "--amount", "25.00")


def test_locked_amount_through_a_category_change(cli: Cli, invoiced: int) -> None:
    _assert_locked(cli, invoiced, "amount", "edit", str(invoiced), "-c", "Services", "--amount",
                   "99.00")  # fmt: skip


def test_locked_units(cli: Cli) -> None:
    ok(cli, "categories", "add", "Mileage", "--unit", "km", "--unit-price", "0.58")
    ok(cli, "clients", "add", "Acme")
    expense = ok(cli, "add", "Drive", "-c", "Mileage", "--units", "100", "--billable",
                 "--client", "Acme")["id"]  # fmt: skip
    ok(cli, "invoice", str(expense))

    _assert_locked(cli, expense, "units", "edit", str(expense), "--units", "120")


def test_locked_client_on_edit(cli: Cli, invoiced_client_only: int) -> None:
    expense = invoiced_client_only

    _assert_locked(cli, expense, "client", "edit", str(expense), "--client", "Globex")


def test_locked_client_on_edit_detach(cli: Cli, invoiced_client_only: int) -> None:
    expense = invoiced_client_only

    _assert_locked(cli, expense, "client", "edit", str(expense), "--client", "")


def test_locked_client_on_attach(cli: Cli, invoiced_client_only: int) -> None:
    expense = invoiced_client_only

    _assert_locked(cli, expense, "client", "attach", str(expense), "--client", "Globex")


def test_locked_client_on_attach_detach(cli: Cli, invoiced_client_only: int) -> None:
    expense = invoiced_client_only

    _assert_locked(cli, expense, "client", "attach", str(expense), "--client", "")


def test_locked_client_when_a_project_would_bring_one(cli: Cli, invoiced_client_only: int) -> None:
    # Adding a project of another client would change the client.
    expense = invoiced_client_only

    _assert_locked(cli, expense, "client", "attach", str(expense), "-p", "Portal")


def test_locked_project_on_edit(cli: Cli, invoiced: int) -> None:
    _assert_locked(cli, invoiced, "project", "edit", str(invoiced), "-p", "Shop")


def test_locked_project_on_edit_detach(cli: Cli, invoiced: int) -> None:
    _assert_locked(cli, invoiced, "project", "edit", str(invoiced), "-p", "")


def test_locked_project_on_attach(cli: Cli, invoiced: int) -> None:
    _assert_locked(cli, invoiced, "project", "attach", str(invoiced), "-p", "Shop")


def test_locked_project_on_attach_detach(cli: Cli, invoiced: int) -> None:
    _assert_locked(cli, invoiced, "project", "attach", str(invoiced), "-p", "")


def test_locked_project_gained_by_an_unprojected_expense(
    cli: Cli, invoiced_client_only: int
) -> None:
    # Same client, so only the project changes: still locked.
    expense = invoiced_client_only

    _assert_locked(cli, expense, "project", "attach", str(expense), "-p", "Website")


def test_locked_client_and_project_on_detach(cli: Cli, invoiced: int) -> None:
    _assert_locked(cli, invoiced, "project", "detach", str(invoiced))
    _assert_locked(cli, invoiced, "client", "detach", str(invoiced))


def test_a_locked_field_blocks_the_unlocked_ones_given_with_it(cli: Cli, invoiced: int) -> None:
    _assert_locked(cli, invoiced, "amount", "edit", str(invoiced), "--description", "New",
                   "--notes", "n", "--amount", "30.00")  # fmt: skip


def test_lock_error_in_human_mode(cli: Cli, invoiced: int) -> None:
    result = cli("edit", str(invoiced), "--amount", "25.00")

    assert result.exit_code == 5
    assert result.stdout == ""
    assert result.stderr.startswith("Error:")
    assert "amount" in result.stderr


def test_unlocked_fields_stay_editable_while_invoiced(cli: Cli, invoiced: int) -> None:
    expense = str(invoiced)

    data = ok(cli, "edit", expense, "--description", "Hosting Q1", "-n", "paid by card",
               "-d", "2025-03-01", "--time", "10:15", "--approval", "rejected",
               "--reimbursement", "pending")  # fmt: skip
    tagged = ok(cli, "tag", expense, "billed", "--add", "q1")

    assert data["description"] == "Hosting Q1"
    assert data["notes"] == "paid by card"
    assert data["date"] == "2025-03-01"
    assert data["time"] == "10:15"
    assert data["approval_status"] == "rejected"
    assert data["reimbursement_status"] == "pending"
    assert tagged["tags"] == ["billed", "q1"]
    shown = _show(cli, expense)
    assert (shown["billing_status"], shown["invoice_ref"]) == ("invoiced", "INV-1")
    assert (shown["amount"], shown["billable"]) == ("20.00", True)
    assert (shown["client"]["name"], shown["project"]["name"]) == ("Acme", "Website")


def test_restating_the_locked_values_is_not_a_change(cli: Cli, invoiced: int) -> None:
    data = ok(cli, "edit", str(invoiced), "--billable", "-p", "Website", "--description", "Same")

    assert data["description"] == "Same"
    assert data["billing_status"] == "invoiced"


# delete ---------------------------------------------------------------------------------
def test_delete_of_an_invoiced_expense_needs_force(cli: Cli) -> None:
    expense = _billable(cli)
    ok(cli, "invoice", str(expense), "--ref", "INV-1")

    result = cli("delete", str(expense), "--json")

    assert result.exit_code == 5
    assert result.error["code"] == "invoiced_locked"
    assert _show(cli, expense)["deleted_at"] is None


def test_delete_force_deletes_an_invoiced_expense(cli: Cli) -> None:
    expense = _billable(cli)
    ok(cli, "invoice", str(expense), "--ref", "INV-1")

    data = ok(cli, "delete", str(expense), "--force")

    assert [e["id"] for e in data] == [expense]
    assert cli("show", str(expense)).exit_code == 3
    shown = ok(cli, "show", str(expense), "--deleted")
    assert shown["deleted_at"] is not None


def test_delete_of_several_with_one_invoiced_deletes_none(cli: Cli) -> None:
    plain, billed = _billable(cli), _billable(cli)
    ok(cli, "invoice", str(billed))

    result = cli("delete", str(plain), str(billed), "--json")

    assert result.exit_code == 5
    assert _show(cli, plain)["deleted_at"] is None
    assert _show(cli, billed)["deleted_at"] is None


def test_delete_of_a_not_invoiced_expense_needs_no_force(cli: Cli) -> None:
    expense = _billable(cli)

    assert cli("delete", str(expense)).exit_code == 0
    assert cli("show", str(expense)).exit_code == 3


# approval and reimbursement -------------------------------------------------------------
def test_built_in_categories_default_to_approved_and_not_reimbursable(cli: Cli) -> None:
    data = ok(cli, "add", "Lunch", "12.50", "-c", "Meals")

    assert data["approval_status"] == "approved"
    assert data["reimbursement_status"] == "not_reimbursable"


def test_a_new_expense_takes_its_categorys_defaults(cli: Cli) -> None:
    category = ok(cli, "categories", "add", "Fees", "--approval", "pending", "--reimbursement",
                   "pending")  # fmt: skip
    assert category["default_approval"] == "pending"
    assert category["default_reimbursement"] == "pending"

    data = ok(cli, "add", "Visa", "60.00", "-c", "Fees")

    assert data["approval_status"] == "pending"
    assert data["reimbursement_status"] == "pending"


def test_add_options_override_the_category_defaults(cli: Cli) -> None:
    ok(cli, "categories", "add", "Fees", "--approval", "pending", "--reimbursement", "pending")

    data = ok(cli, "add", "Visa", "60.00", "-c", "Fees", "--approval", "rejected",
               "--reimbursement", "reimbursed")  # fmt: skip

    assert data["approval_status"] == "rejected"
    assert data["reimbursement_status"] == "reimbursed"


def test_edit_changes_approval_and_reimbursement_independently(cli: Cli) -> None:
    ok(cli, "categories", "add", "Fees", "--approval", "pending", "--reimbursement", "pending")
    expense = str(ok(cli, "add", "Visa", "60.00", "-c", "Fees")["id"])

    approved = ok(cli, "edit", expense, "--approval", "approved")
    reimbursed = ok(cli, "edit", expense, "--reimbursement", "reimbursed")

    assert (approved["approval_status"], approved["reimbursement_status"]) == (
        "approved", "pending",
    )  # fmt: skip
    assert (reimbursed["approval_status"], reimbursed["reimbursement_status"]) == (
        "approved", "reimbursed",
    )  # fmt: skip


def test_edit_of_another_field_keeps_the_statuses(cli: Cli) -> None:
    expense = str(ok(cli, "add", "Lunch", "12.50", "-c", "Meals", "--approval", "pending")["id"])

    data = ok(cli, "edit", expense, "--description", "Dinner")

    assert data["approval_status"] == "pending"


def test_category_edit_changes_the_defaults_of_new_expenses_only(cli: Cli) -> None:
    ok(cli, "categories", "add", "Fees", "--approval", "pending", "--reimbursement", "pending")
    old = ok(cli, "add", "Visa", "60.00", "-c", "Fees")["id"]

    edited = ok(cli, "categories", "edit", "Fees", "--approval", "approved", "--reimbursement",
                 "not_reimbursable")  # fmt: skip
    new = ok(cli, "add", "Visa 2", "60.00", "-c", "Fees")

    assert edited["default_approval"] == "approved"
    assert edited["default_reimbursement"] == "not_reimbursable"
    assert (new["approval_status"], new["reimbursement_status"]) == ("approved", "not_reimbursable")
    shown = _show(cli, old)
    assert (shown["approval_status"], shown["reimbursement_status"]) == ("pending", "pending")


def test_every_documented_status_value_is_accepted(cli: Cli) -> None:
    expense = str(ok(cli, "add", "Lunch", "12.50", "-c", "Meals")["id"])

    for value in ("pending", "approved", "rejected"):
        assert ok(cli, "edit", expense, "--approval", value)["approval_status"] == value
    for value in ("not_reimbursable", "pending", "reimbursed", "rejected"):
        assert ok(cli, "edit", expense, "--reimbursement", value)["reimbursement_status"] == value


@pytest.mark.parametrize(
    "args",
    [
        ("add", "Lunch", "12.50", "-c", "Meals", "--approval", "maybe"),
        ("add", "Lunch", "12.50", "-c", "Meals", "--reimbursement", "refunded"),
        ("categories", "add", "Fees", "--approval", "maybe"),
        ("categories", "add", "Fees", "--reimbursement", "sometimes"),
    ],
    ids=["add-approval", "add-reimbursement", "category-approval", "category-reimbursement"],
)
def test_an_invalid_status_on_create_is_a_usage_error(cli: Cli, args: tuple[str, ...]) -> None:
    result = cli(*args)

    assert result.exit_code == 2
    assert "maybe" in result.stderr or "refunded" in result.stderr or "sometimes" in result.stderr
    assert ok(cli, "list", "--all") == []
    assert "Fees" not in [c["name"] for c in ok(cli, "categories")]


@pytest.mark.parametrize(
    "args",
    [
        ("edit", "1", "--approval", "maybe"),
        ("edit", "1", "--reimbursement", "maybe"),
        ("categories", "edit", "Meals", "--approval", "maybe"),
        ("categories", "edit", "Meals", "--reimbursement", "maybe"),
    ],
    ids=["edit-approval", "edit-reimbursement", "category-approval", "category-reimbursement"],
)
def test_an_invalid_status_on_edit_is_a_usage_error(cli: Cli, args: tuple[str, ...]) -> None:
    expense = ok(cli, "add", "Lunch", "12.50", "-c", "Meals")
    assert expense["id"] == 1
    meals_before = [c for c in ok(cli, "categories") if c["name"] == "Meals"]

    result = cli(*args)

    assert result.exit_code == 2
    assert "maybe" in result.stderr
    assert _show(cli, 1) == expense
    assert [c for c in ok(cli, "categories") if c["name"] == "Meals"] == meals_before
