"""Rules that tie fields together (rules 3, 4, 6, 7, 8, 18), per-currency totals, and the
JSON and CSV shapes of an expense (§1, §4). Model objects are built directly: no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from expense_cli.domain.catalog_models import Category, Client, Project
from expense_cli.domain.models import (
    CSV_COLUMNS,
    Approval,
    Basis,
    BillingStatus,
    Expense,
    Money,
    Reimbursement,
    csv_row,
)
from expense_cli.domain.report import sum_minor, totals_by_currency
from expense_cli.domain.rules import (
    Link,
    check_currency,
    check_label,
    check_lock,
    link,
    price,
)
from expense_cli.domain.validation import Issues
from expense_cli.errors import ConflictError, InvoicedLockedError, ValidationError
from tests.conftest import EXPENSE_FIELDS

ACME = Client(1, "Acme", "USD")
GLOBEX = Client(2, "Globex", "USD")
WEBSITE = Project(10, "Website", ACME.ref, "USD")
TRAVEL = Category(1, "Travel")
OTHER = Category(11, "Other", is_other=True)
MILEAGE = Category(20, "Mileage", basis=Basis.UNIT, unit_name="km", unit_price=Decimal("0.58"))
HOSTING = Category(21, "Hosting hours", basis=Basis.UNIT, unit_name="h", unit_price=Decimal("0.01"))


def make_expense(**changes: Any) -> Expense:
    base = Expense(
        id=59,
        uid="01J0000000000000000000000",
        description="Train to Berlin",
        date=date(2025, 3, 5),
        time=None,
        amount=Money(4510, "USD", 2),
        units=None,
        unit_price=None,
        category=TRAVEL.ref,
        custom_category=None,
        client=None,
        project=None,
        billable=False,
        billing_status=BillingStatus.NOT_INVOICED,
        invoice_ref=None,
        approval_status=Approval.APPROVED,
        reimbursement_status=Reimbursement.NOT_REIMBURSABLE,
        notes=None,
        tags=(),
        created_at="2025-03-05T10:00:00.000000Z",
        updated_at="2025-03-05T10:00:00.000000Z",
        deleted_at=None,
    )
    return base._replace(**changes)


# --- link (rules 6, 7) ------------------------------------------------------------------


def test_link_project_forces_its_client() -> None:
    issues = Issues()
    result = link(WEBSITE, None, client_given=False, issues=issues)
    assert result == Link(client=ACME.ref, project=WEBSITE.ref)
    assert not issues


def test_link_project_with_its_own_client_given_is_accepted() -> None:
    issues = Issues()
    result = link(WEBSITE, ACME, client_given=True, issues=issues)
    assert result == Link(client=ACME.ref, project=WEBSITE.ref)
    assert not issues


def test_link_project_with_another_client_is_rejected_under_client() -> None:
    issues = Issues()
    link(WEBSITE, GLOBEX, client_given=True, issues=issues)
    assert set(issues.fields) == {"client"}


def test_link_detaching_the_client_while_a_project_stays_is_rejected() -> None:
    issues = Issues()
    link(WEBSITE, None, client_given=True, issues=issues)
    assert set(issues.fields) == {"client"}


@pytest.mark.parametrize("client", [ACME, GLOBEX, None])
def test_link_without_a_project_keeps_the_client_given(client: Client | None) -> None:
    issues = Issues()
    result = link(None, client, client_given=True, issues=issues)
    assert result == Link(client=None if client is None else client.ref, project=None)
    assert not issues


def test_link_rejection_raises_one_validation_error_naming_client() -> None:
    issues = Issues()
    link(WEBSITE, GLOBEX, client_given=True, issues=issues)
    with pytest.raises(ValidationError) as caught:
        issues.raise_if_any()
    assert caught.value.code == "validation_failed"
    assert set(caught.value.fields) == {"client"}


# --- check_currency (rule 7) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_currency", "expense_currency", "fields"),
    [
        ("USD", "USD", set()),
        (None, "USD", set()),
        ("EUR", "USD", {"client"}),
        ("JPY", "EUR", {"client"}),
    ],
)
def test_check_currency_rejects_a_client_of_another_currency(
    client_currency: str | None, expense_currency: str, fields: set[str]
) -> None:
    issues = Issues()
    check_currency(client_currency, expense_currency, issues)
    assert set(issues.fields) == fields


# --- check_label (rule 4) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "label", "fields"),
    [
        (OTHER, "Coworking day pass", set()),
        (OTHER, None, {"custom_category"}),
        (TRAVEL, None, set()),
        (TRAVEL, "Coworking day pass", {"custom_category"}),
        (MILEAGE, "Coworking day pass", {"custom_category"}),
    ],
)
def test_check_label_other_needs_a_label_and_only_other_takes_one(
    category: Category, label: str | None, fields: set[str]
) -> None:
    issues = Issues()
    check_label(category, label, issues)
    assert set(issues.fields) == fields


# --- price (rules 3, 18) ----------------------------------------------------------------


def test_price_amount_based_parses_the_amount_into_minor_units() -> None:
    issues = Issues()
    priced = price(TRAVEL, 2, amount="45.10", units=None, issues=issues)
    assert (priced.amount_minor, priced.units, priced.unit_price) == (4510, None, None)
    assert not issues


@pytest.mark.parametrize(
    ("amount", "units", "fields"),
    [
        (None, None, {"amount"}),  # amount required
        ("45.10", "3", {"units"}),  # units rejected
        (None, "3", {"amount", "units"}),  # both named at once (rule 16)
        ("-5", None, {"amount"}),
        ("4.500", None, {"amount"}),
        ("abc", "3", {"amount", "units"}),
    ],
)
def test_price_amount_based_requires_amount_and_rejects_units(
    amount: str | None, units: str | None, fields: set[str]
) -> None:
    issues = Issues()
    price(TRAVEL, 2, amount=amount, units=units, issues=issues)
    assert set(issues.fields) == fields


def test_price_amount_based_uses_the_currency_digits() -> None:
    issues = Issues()
    assert price(TRAVEL, 0, amount="1500", units=None, issues=issues).amount_minor == 1500
    price(TRAVEL, 0, amount="1500.0", units=None, issues=issues)
    assert set(issues.fields) == {"amount"}


@pytest.mark.parametrize(
    ("units", "digits", "minor"),
    [
        ("120", 2, 6960),  # 120 km × 0.58 = 69.60
        ("1", 2, 58),
        ("0.5", 2, 29),
        ("1.2345", 2, 72),  # 0.71601 → 0.72
        ("120", 0, 70),  # 69.6 → 70 in a 0-digit currency
    ],
)
def test_price_unit_based_computes_the_amount(units: str, digits: int, minor: int) -> None:
    issues = Issues()
    priced = price(MILEAGE, digits, amount=None, units=units, issues=issues)
    assert not issues
    assert priced.amount_minor == minor
    assert priced.units == Decimal(units)
    assert priced.unit_price == Decimal("0.58")


@pytest.mark.parametrize(
    ("units", "minor"),
    [("0.5", 0), ("1.5", 2), ("2.5", 2), ("3.5", 4)],  # 0.005 0.015 0.025 0.035
)
def test_price_unit_based_rounds_ties_half_even(units: str, minor: int) -> None:
    issues = Issues()
    assert price(HOSTING, 2, amount=None, units=units, issues=issues).amount_minor == minor
    assert not issues


@pytest.mark.parametrize(
    ("amount", "units", "fields"),
    [
        (None, None, {"units"}),  # units required
        ("69.60", "120", {"amount"}),  # amount rejected
        ("69.60", None, {"amount", "units"}),
        (None, "0", {"units"}),
        (None, "-1", {"units"}),
        (None, "1.23456", {"units"}),
        (None, "abc", {"units"}),
    ],
)
def test_price_unit_based_requires_units_and_rejects_amount(
    amount: str | None, units: str | None, fields: set[str]
) -> None:
    issues = Issues()
    price(MILEAGE, 2, amount=amount, units=units, issues=issues)
    assert set(issues.fields) == fields


def test_price_unit_based_product_beyond_12_digits_is_rejected() -> None:
    issues = Issues()
    price(MILEAGE, 2, amount=None, units="999999999999999", issues=issues)
    assert issues


# --- check_lock (rule 8) ----------------------------------------------------------------

INVOICED = make_expense(billable=True, billing_status=BillingStatus.INVOICED, invoice_ref="INV-7")


@pytest.mark.parametrize("field", ["billable", "amount", "units", "client", "project"])
def test_check_lock_rejects_each_locked_field_once_invoiced(field: str) -> None:
    with pytest.raises(InvoicedLockedError) as caught:
        check_lock(INVOICED, {field, "description"})
    assert caught.value.code == "invoiced_locked"
    assert isinstance(caught.value, ConflictError)
    assert set(caught.value.fields) == {field}


def test_check_lock_names_every_locked_field_at_once() -> None:
    with pytest.raises(InvoicedLockedError) as caught:
        check_lock(INVOICED, {"billable", "amount", "units", "client", "project", "notes"})
    assert set(caught.value.fields) == {"billable", "amount", "units", "client", "project"}


@pytest.mark.parametrize(
    "changed",
    [
        set(),
        {"description"},
        {"date", "time", "notes", "tags"},
        {"category", "custom_category", "approval_status", "reimbursement_status"},
    ],
)
def test_check_lock_lets_other_fields_of_an_invoiced_expense_change(changed: set[str]) -> None:
    check_lock(INVOICED, changed)


def test_check_lock_does_not_apply_before_invoicing() -> None:
    check_lock(make_expense(billable=True), {"billable", "amount", "units", "client", "project"})


# --- reports: exact per-currency sums ---------------------------------------------------


@pytest.mark.parametrize(
    ("amounts", "total"),
    [
        ([], (0, 0)),
        ([(4510, 2)], (4510, 2)),
        ([(4510, 2), (90, 2), (1, 2)], (4601, 2)),
        ([(10, 2)] * 10, (100, 2)),  # 0.10 × 10 == 1.00 exactly
        ([(1, 2), (1, 3)], (11, 3)),  # 0.01 + 0.001
    ],
)
def test_sum_minor_adds_exactly(amounts: list[tuple[int, int]], total: tuple[int, int]) -> None:
    assert sum_minor(amounts) == total


def test_sum_minor_of_many_cents_has_no_float_drift() -> None:
    minor, digits = sum_minor([(1, 2)] * 1_000_000 + [(10, 2)] * 100_000)
    assert Decimal(minor).scaleb(-digits) == Decimal("20000.00")


def test_totals_by_currency_never_adds_different_currencies() -> None:
    expenses = [
        make_expense(id=1, amount=Money(4510, "USD", 2)),
        make_expense(id=2, amount=Money(1500, "JPY", 0)),
        make_expense(id=3, amount=Money(90, "USD", 2)),
        make_expense(id=4, amount=Money(1234, "BHD", 3)),
        make_expense(id=5, amount=Money(10000, "EUR", 2)),
        make_expense(id=6, amount=Money(1, "JPY", 0)),
    ]
    totals = totals_by_currency(expenses)
    assert totals == {
        "BHD": (1, "1.234"),
        "EUR": (1, "100.00"),
        "JPY": (2, "1501"),
        "USD": (2, "46.00"),
    }
    assert list(totals) == ["BHD", "EUR", "JPY", "USD"]


def test_totals_by_currency_of_nothing_is_empty() -> None:
    assert totals_by_currency([]) == {}


# --- Expense.to_json and csv_row (§1, §4) ----------------------------------------------


def test_to_json_has_exactly_the_contract_fields() -> None:
    data = make_expense().to_json()
    assert set(data) == EXPENSE_FIELDS
    assert data["id"] == 59
    assert data["date"] == "2025-03-05"
    assert data["amount"] == "45.10"
    assert data["currency"] == "USD"
    assert data["category"] == {"id": 1, "name": "Travel"}
    assert data["billable"] is False
    assert data["billing_status"] == "not_invoiced"
    assert data["approval_status"] == "approved"
    assert data["reimbursement_status"] == "not_reimbursable"
    assert data["tags"] == []
    for unset in ("time", "units", "unit_price", "custom_category", "client", "project"):
        assert data[unset] is None
    for unset in ("invoice_ref", "notes", "deleted_at"):
        assert data[unset] is None


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(20000, "USD", 2), "200.00"),
        (Money(0, "USD", 2), "0.00"),
        (Money(1500, "JPY", 0), "1500"),
        (Money(1234, "BHD", 3), "1.234"),
    ],
)
def test_to_json_amount_is_a_string_with_the_currency_minor_digits(money: Money, text: str) -> None:
    data = make_expense(amount=money).to_json()
    assert data["amount"] == text
    assert isinstance(data["amount"], str)
    assert data["currency"] == money.currency


def test_to_json_units_and_unit_price_are_strings_without_trailing_zeros() -> None:
    data = make_expense(
        category=MILEAGE.ref,
        amount=Money(6960, "USD", 2),
        units=Decimal("120.0000"),
        unit_price=Decimal("0.580000"),
    ).to_json()
    assert (data["units"], data["unit_price"], data["amount"]) == ("120", "0.58", "69.60")


def test_to_json_linked_records_are_id_and_name() -> None:
    data = make_expense(
        client=ACME.ref,
        project=WEBSITE.ref,
        category=OTHER.ref,
        custom_category="Coworking",
        billable=True,
        billing_status=BillingStatus.INVOICED,
        invoice_ref="INV-7",
        tags=("travel", "Work"),
        time="09:30",
        notes="line one\nline two",
    ).to_json()
    assert data["client"] == {"id": 1, "name": "Acme"}
    assert data["project"] == {"id": 10, "name": "Website"}
    assert data["category"] == {"id": 11, "name": "Other"}
    assert data["custom_category"] == "Coworking"
    assert data["billable"] is True
    assert data["billing_status"] == "invoiced"
    assert data["invoice_ref"] == "INV-7"
    assert data["tags"] == ["travel", "Work"]
    assert data["time"] == "09:30"
    assert data["notes"] == "line one\nline two"


def _flat(expense: Expense) -> dict[str, Any]:
    values = csv_row(expense)
    assert len(values) == len(CSV_COLUMNS)
    return dict(zip(CSV_COLUMNS, values, strict=True))


def test_flat_row_uses_names_and_joins_tags_with_semicolons() -> None:
    expense = make_expense(
        client=ACME.ref,
        project=WEBSITE.ref,
        billable=True,
        tags=("a b", "travel", "Work"),
    )
    row = _flat(expense)
    assert set(row) == EXPENSE_FIELDS
    scalars = {k: v for k, v in expense.to_json().items() if not isinstance(v, dict | list | bool)}
    assert {k: row[k] for k in scalars} == scalars  # the same values as the JSON shape
    assert row["category"] == "Travel"
    assert row["client"] == "Acme"
    assert row["project"] == "Website"
    assert row["tags"] == "a b;travel;Work"
    assert row["amount"] == "45.10"
    assert row["billable"] == "true"
    assert all(not isinstance(value, dict | list) for value in row.values())


def test_flat_row_unlinked_and_untagged() -> None:
    row = _flat(make_expense())
    assert row["client"] is None
    assert row["project"] is None
    assert row["tags"] == ""
    assert row["billable"] == "false"
