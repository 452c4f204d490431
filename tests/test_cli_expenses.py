"""Single expenses end to end through the in-process CLI: add, show, edit, delete, restore
and list, with the JSON shapes of reference §1/§4 and the exit codes and error envelope of §5."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXPENSE_FIELDS, Cli, Result

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def _add(cli: Cli, *args: str) -> dict[str, Any]:
    result = cli("add", *args, "--json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = result.data
    return data


def _ids(cli: Cli, *args: str) -> list[int]:
    result = cli("list", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return [e["id"] for e in result.data]


def _all(cli: Cli, *args: str) -> list[dict[str, Any]]:
    result = cli("list", "--all", "--json", *args)
    assert result.exit_code == 0, result.stderr
    data: list[dict[str, Any]] = result.data
    return data


def _mileage(cli: Cli) -> None:
    result = cli("categories", "add", "Mileage", "--unit", "km", "--unit-price", "0.58")
    assert result.exit_code == 0, result.stderr


def _clean_failure(result: Result) -> None:
    """A failed command prints nothing on stdout and no traceback anywhere."""
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.raw.exception is None or isinstance(result.raw.exception, SystemExit)


def _is_uid(value: str) -> bool:
    if ULID.match(value):
        return True
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# add ---------------------------------------------------------------------------------
def test_add_json_has_every_field_of_the_contract_with_exact_types(cli: Cli) -> None:
    result = cli("add", "Train to Berlin", "45.10", "-c", "Travel", "-d", "2025-03-14",
                 "--time", "08:15", "-t", "trip", "-n", "window seat", "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert set(result.json) == {"data"}
    data = result.data
    assert set(data) == EXPENSE_FIELDS
    assert type(data["id"]) is int
    assert isinstance(data["uid"], str) and _is_uid(data["uid"])
    assert data["description"] == "Train to Berlin"
    assert data["date"] == "2025-03-14"
    assert data["time"] == "08:15"
    assert data["amount"] == "45.10"
    assert isinstance(data["amount"], str)
    assert data["currency"] == "USD"
    assert data["units"] is None and data["unit_price"] is None
    assert data["category"] == {"id": data["category"]["id"], "name": "Travel"}
    assert type(data["category"]["id"]) is int
    assert data["custom_category"] is None
    assert data["client"] is None and data["project"] is None
    assert data["billable"] is False
    assert data["billing_status"] == "not_invoiced"
    assert data["invoice_ref"] is None
    assert data["approval_status"] == "approved"
    assert data["reimbursement_status"] == "not_reimbursable"
    assert data["notes"] == "window seat"
    assert data["tags"] == ["trip"]
    assert TIMESTAMP.match(data["created_at"]), data["created_at"]
    assert TIMESTAMP.match(data["updated_at"]), data["updated_at"]
    assert data["deleted_at"] is None


def test_add_gives_each_expense_a_new_id_and_uid(cli: Cli) -> None:
    first = _add(cli, "One", "1.00", "-c", "Travel")
    second = _add(cli, "Two", "2.00", "-c", "Travel")
    assert first["id"] != second["id"]
    assert first["uid"] != second["uid"]


def test_add_quiet_prints_only_the_id(cli: Cli) -> None:
    result = cli("add", "Coffee", "3.50", "-c", "Meals", "-q")
    assert result.exit_code == 0, result.stderr
    assert re.fullmatch(r"\d+\n", result.stdout), result.stdout
    shown = cli("show", result.stdout.strip(), "--json")
    assert shown.exit_code == 0, shown.stderr
    assert shown.data["description"] == "Coffee"
    assert shown.data["amount"] == "3.50"


def test_add_in_table_format_prints_the_expense(cli: Cli) -> None:
    result = cli("add", "Train to Berlin", "45.10", "-c", "Travel")
    assert result.exit_code == 0, result.stderr
    assert "Train to Berlin" in result.stdout
    assert "45.10 USD" in result.stdout
    assert "Travel" in result.stdout


def test_add_date_defaults_to_today(cli: Cli) -> None:
    before = date.today().isoformat()
    data = _add(cli, "Lunch", "12.00", "-c", "Meals")
    after = date.today().isoformat()
    assert data["date"] in {before, after}
    assert data["time"] is None


def test_add_for_unit_based_category_computes_the_amount(cli: Cli) -> None:
    _mileage(cli)
    data = _add(cli, "Drive", "--units", "120", "-c", "Mileage")
    assert data["amount"] == "69.60"
    assert data["units"] == "120"
    assert data["unit_price"] == "0.58"
    assert data["category"]["name"] == "Mileage"


@pytest.mark.parametrize(
    ("price", "units", "amount", "shown_units"),
    [("0.125", "1", "0.12", "1"), ("0.125", "3", "0.38", "3"), ("0.58", "120.50", "69.89", "120.5"),
     ("0.58", "0.0001", "0.00", "0.0001")],
)  # fmt: skip
def test_unit_amount_is_rounded_half_even_and_units_print_without_trailing_zeros(
    cli: Cli, price: str, units: str, amount: str, shown_units: str
) -> None:
    created = cli("categories", "add", "Hours", "--unit", "h", "--unit-price", price)
    assert created.exit_code == 0, created.stderr
    data = _add(cli, "Work", "--units", units, "-c", "Hours")
    assert data["amount"] == amount
    assert data["units"] == shown_units
    assert data["unit_price"] == price


def test_unit_amount_uses_the_minor_digits_of_the_expense_currency(cli: Cli) -> None:
    created = cli("categories", "add", "Mileage", "--unit", "km", "--unit-price", "0.58",
                  "--unit-currency", "JPY")  # fmt: skip
    assert created.exit_code == 0, created.stderr
    assert cli("clients", "add", "Tokyo KK", "--currency", "JPY").exit_code == 0
    data = _add(cli, "Drive", "--units", "120", "-c", "Mileage", "--client", "Tokyo KK")
    assert (data["amount"], data["currency"]) == ("70", "JPY")


@pytest.mark.parametrize("units", ["0", "1.00001", "-3", "abc", "1e2"])
def test_bad_units_are_rejected(cli: Cli, units: str) -> None:
    _mileage(cli)
    result = cli("add", "Drive", "--units", units, "-c", "Mileage", "--json")
    assert result.exit_code == 4, result.stderr
    assert "units" in result.error["fields"]
    _clean_failure(result)


def test_add_amount_for_unit_based_category_is_rejected(cli: Cli) -> None:
    _mileage(cli)
    result = cli("add", "Drive", "69.60", "-c", "Mileage", "--json")
    assert result.exit_code == 4
    assert result.error["code"] == "validation_failed"
    assert "amount" in result.error["fields"]
    _clean_failure(result)
    assert _all(cli) == []


def test_add_units_for_amount_based_category_is_rejected(cli: Cli) -> None:
    result = cli("add", "Taxi", "20.00", "--units", "3", "-c", "Travel", "--json")
    assert result.exit_code == 4
    assert "units" in result.error["fields"]
    _clean_failure(result)
    assert _all(cli) == []


def test_currency_is_snapshotted_from_the_client(cli: Cli) -> None:
    assert cli("clients", "add", "Tokyo KK", "--currency", "JPY").exit_code == 0
    data = _add(cli, "Sushi", "1500", "-c", "Meals", "--client", "Tokyo KK")
    assert data["currency"] == "JPY"
    assert data["amount"] == "1500"
    assert data["client"]["name"] == "Tokyo KK"


def test_jpy_amount_with_a_fraction_digit_is_rejected(cli: Cli) -> None:
    assert cli("clients", "add", "Tokyo KK", "--currency", "JPY").exit_code == 0
    result = cli("add", "Sushi", "1500.0", "-c", "Meals", "--client", "Tokyo KK", "--json")
    assert result.exit_code == 4
    assert set(result.error["fields"]) == {"amount"}
    _clean_failure(result)
    assert _all(cli) == []


def test_currency_without_a_client_is_the_book_default(cli: Cli) -> None:
    assert cli("config", "default_currency", "EUR").exit_code == 0
    data = _add(cli, "Hotel", "80.00", "-c", "Travel")
    assert data["currency"] == "EUR"


def test_add_does_not_accept_a_currency_option(cli: Cli) -> None:
    result = cli("add", "Hotel", "80.00", "-c", "Travel", "--currency", "EUR")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert _all(cli) == []


def test_edit_does_not_accept_a_currency_option(cli: Cli) -> None:
    added = _add(cli, "Hotel", "80.00", "-c", "Travel")
    result = cli("edit", str(added["id"]), "--currency", "EUR")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    shown = cli("show", str(added["id"]), "--json")
    assert shown.data["currency"] == "USD"
    assert shown.data["updated_at"] == added["updated_at"]


def test_negative_amount_is_a_validation_error_not_an_unknown_option(cli: Cli) -> None:
    result = cli("add", "x", "-5", "-c", "Travel", "--json")
    assert result.exit_code == 4
    assert result.error["code"] == "validation_failed"
    assert set(result.error["fields"]) == {"amount"}
    _clean_failure(result)
    assert _all(cli) == []


@pytest.mark.parametrize(
    "amount",
    ["+5", ".5", "5.", "1_000", "1,000", "4.500", "1e3", "NaN", "inf", "Infinity", "$5",
     "\u0665", "5 USD", "1234567890123"],
)  # fmt: skip
def test_amounts_that_are_not_plain_decimals_are_rejected(cli: Cli, amount: str) -> None:
    result = cli("add", "x", amount, "-c", "Travel", "--json")
    assert result.exit_code == 4, result.stderr
    assert set(result.error["fields"]) == {"amount"}
    _clean_failure(result)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["x" * 501, "1.00", "-c", "Travel"], "description"),
        (["a\u202eb", "1.00", "-c", "Travel"], "description"),
        (["a\x1b[31mb", "1.00", "-c", "Travel"], "description"),
        (["x", "1.00", "-c", "Other", "--label", "x" * 101], "custom_category"),
        (["x", "1.00", "-c", "Other", "--label", "a\nb"], "custom_category"),
        (["x", "1.00", "-c", "Travel", "-n", "x" * 2001], "notes"),
        (["x", "1.00", "-c", "Travel", "--time", "9:30"], "time"),
        (["x", "1.00", "-c", "Travel", "--time", "24:00"], "time"),
        (["x", "1.00", "-c", "Travel", "-d", "2025-13-01"], "date"),
        (["x", "1.00", "-c", "Travel", "-d", "March"], "date"),
        (["x", "1.00", "-c", "Travel", "-d", "1899-12-31"], "date"),
        (["x", "1.00", "-c", "Travel", "-t", "a,b"], "tags"),
        (["x", "1.00", "-c", "Travel", "-t", "a;b"], "tags"),
    ],
)
def test_bad_field_values_are_rejected_by_name(cli: Cli, args: list[str], field: str) -> None:
    result = cli("add", *args, "--json")
    assert result.exit_code == 4, result.stderr
    assert set(result.error["fields"]) == {field}
    _clean_failure(result)


def test_text_fields_are_trimmed_and_notes_keep_newlines_and_tabs(cli: Cli) -> None:
    data = _add(cli, "  Taxi  ", " 5.00 ", "-c", "Travel", "-n", "line 1\nline 2\tend",
                "-t", "b", "-t", "A", "-t", "a", "-t", " c   d ")  # fmt: skip
    assert data["description"] == "Taxi"
    assert data["amount"] == "5.00"
    assert data["notes"] == "line 1\nline 2\tend"
    assert data["tags"] == ["A", "b", "c d"]


def test_iso_timestamp_fills_date_and_time_as_written(cli: Cli) -> None:
    data = _add(cli, "Flight", "300.00", "-c", "Travel", "-d", "2025-03-14T23:15:00-05:00")
    assert (data["date"], data["time"]) == ("2025-03-14", "23:15")


def test_other_requires_a_label(cli: Cli) -> None:
    result = cli("add", "Gift", "30.00", "-c", "Other", "--json")
    assert result.exit_code == 4
    assert "custom_category" in result.error["fields"]
    _clean_failure(result)
    data = _add(cli, "Gift", "30.00", "-c", "Other", "--label", "Presents")
    assert data["custom_category"] == "Presents"
    assert data["category"]["name"] == "Other"


def test_label_is_rejected_for_other_categories(cli: Cli) -> None:
    result = cli("add", "Taxi", "30.00", "-c", "Travel", "--label", "Cab", "--json")
    assert result.exit_code == 4
    assert "custom_category" in result.error["fields"]
    _clean_failure(result)
    assert _all(cli) == []


def _archive_category(cli: Cli) -> list[str]:
    assert cli("categories", "archive", "Rent").exit_code == 0
    return ["-c", "Rent"]


def _archive_client(cli: Cli) -> list[str]:
    assert cli("clients", "add", "Acme").exit_code == 0
    assert cli("clients", "archive", "Acme").exit_code == 0
    return ["-c", "Travel", "--client", "Acme"]


def _archive_project(cli: Cli) -> list[str]:
    assert cli("clients", "add", "Acme").exit_code == 0
    assert cli("projects", "add", "Website", "--client", "Acme").exit_code == 0
    assert cli("projects", "archive", "Website").exit_code == 0
    return ["-c", "Travel", "-p", "Website"]


@pytest.mark.parametrize(
    ("archive", "field"),
    [(_archive_category, "category"), (_archive_client, "client"), (_archive_project, "project")],
)
def test_archived_records_cannot_be_newly_linked(
    cli: Cli, archive: Callable[[Cli], list[str]], field: str
) -> None:
    options = archive(cli)
    result = cli("add", "Thing", "10.00", *options, "--json")
    assert result.exit_code == 4
    assert field in result.error["fields"]
    _clean_failure(result)
    assert _all(cli) == []


def test_a_rejection_names_every_bad_field_and_writes_nothing(cli: Cli) -> None:
    _add(cli, "Existing", "5.00", "-c", "Travel")
    before = _all(cli)
    result = cli("add", "   ", "12.345", "-c", "Travel", "--time", "25:00", "--json")
    assert result.exit_code == 4
    assert result.error["code"] == "validation_failed"
    assert {"description", "amount", "time"} <= set(result.error["fields"])
    _clean_failure(result)
    assert _all(cli) == before


def test_human_errors_start_with_error_and_name_each_field(cli: Cli) -> None:
    result = cli("add", "   ", "abc", "-c", "Travel")
    assert result.exit_code == 4
    _clean_failure(result)
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Error:")
    assert any("description" in line for line in lines[1:])
    assert any("amount" in line for line in lines[1:])


# show, edit --------------------------------------------------------------------------
def test_show_unknown_expense_is_not_found(cli: Cli) -> None:
    result = cli("show", "999", "--json")
    assert result.exit_code == 3
    assert result.error["code"] == "not_found"
    _clean_failure(result)


def test_edit_changes_only_the_given_fields(cli: Cli) -> None:
    added = _add(cli, "Taxi", "20.00", "-c", "Travel", "-d", "2025-01-02", "-n", "airport",
                 "-t", "trip")  # fmt: skip
    result = cli("edit", str(added["id"]), "--amount", "25.50", "--json")
    assert result.exit_code == 0, result.stderr
    edited = result.data
    assert edited["amount"] == "25.50"
    moved = {"amount", "net_amount", "updated_at"}  # net_amount follows the amount (§10.6)
    unchanged = {k: v for k, v in added.items() if k not in moved}
    assert {k: edited[k] for k in unchanged} == unchanged
    assert TIMESTAMP.match(edited["updated_at"])
    assert edited["updated_at"] >= added["updated_at"]
    shown = cli("show", str(added["id"]), "--json")
    assert shown.data == edited


def test_edit_empty_string_clears_notes_and_time(cli: Cli) -> None:
    added = _add(cli, "Taxi", "20.00", "-c", "Travel", "--time", "09:30", "-n", "airport")
    result = cli("edit", str(added["id"]), "--notes", "", "--time", "", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.data["notes"] is None
    assert result.data["time"] is None
    assert result.data["description"] == "Taxi"
    assert result.data["amount"] == "20.00"


def test_edit_rejection_names_the_field_and_changes_nothing(cli: Cli) -> None:
    added = _add(cli, "Taxi", "20.00", "-c", "Travel")
    result = cli("edit", str(added["id"]), "--description", "", "--amount", "-1", "--json")
    assert result.exit_code == 4
    assert {"description", "amount"} <= set(result.error["fields"])
    _clean_failure(result)
    assert cli("show", str(added["id"]), "--json").data == added


def test_edit_moving_away_from_other_clears_the_label(cli: Cli) -> None:
    added = _add(cli, "Gift", "30.00", "-c", "Other", "--label", "Presents")
    result = cli("edit", str(added["id"]), "-c", "Marketing", "--amount", "30.00", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.data["category"]["name"] == "Marketing"
    assert result.data["custom_category"] is None


def test_edit_moving_to_other_needs_a_label(cli: Cli) -> None:
    added = _add(cli, "Gift", "30.00", "-c", "Marketing")
    result = cli("edit", str(added["id"]), "-c", "Other", "--amount", "30.00", "--json")
    assert result.exit_code == 4
    assert "custom_category" in result.error["fields"]
    _clean_failure(result)
    assert cli("show", str(added["id"]), "--json").data["category"]["name"] == "Marketing"


def test_edit_into_a_unit_based_category_needs_units(cli: Cli) -> None:
    _mileage(cli)
    added = _add(cli, "Drive", "10.00", "-c", "Travel")
    refused = cli("edit", str(added["id"]), "-c", "Mileage", "--json")
    assert refused.exit_code == 4
    assert "units" in refused.error["fields"]
    _clean_failure(refused)
    assert cli("show", str(added["id"]), "--json").data == added

    moved = cli("edit", str(added["id"]), "-c", "Mileage", "--units", "50", "--json")
    assert moved.exit_code == 0, moved.stderr
    assert moved.data["amount"] == "29.00"
    assert moved.data["units"] == "50"
    assert moved.data["unit_price"] == "0.58"


def test_edit_does_not_accept_a_label_outside_other(cli: Cli) -> None:
    added = _add(cli, "Taxi", "20.00", "-c", "Travel")
    result = cli("edit", str(added["id"]), "--label", "Cab", "--json")
    assert result.exit_code == 4
    assert "custom_category" in result.error["fields"]
    _clean_failure(result)


def test_edit_units_recomputes_with_the_price_in_force_on_its_date(cli: Cli) -> None:
    _mileage(cli)
    added = _add(cli, "Drive", "--units", "120", "-c", "Mileage", "-d", "2025-06-01")
    repriced = cli("categories", "edit", "Mileage", "--unit-price", "0.62", "--from", "2025-07-01")
    assert repriced.exit_code == 0, repriced.stderr
    assert cli("show", str(added["id"]), "--json").data == added
    result = cli("edit", str(added["id"]), "--units", "100", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.data["amount"] == "58.00"
    assert result.data["unit_price"] == "0.58"
    fresh = _add(cli, "Drive", "--units", "100", "-c", "Mileage", "-d", "2025-08-01")
    assert (fresh["amount"], fresh["unit_price"]) == ("62.00", "0.62")


def test_edit_amount_of_a_unit_based_expense_is_rejected(cli: Cli) -> None:
    _mileage(cli)
    added = _add(cli, "Drive", "--units", "120", "-c", "Mileage")
    result = cli("edit", str(added["id"]), "--amount", "70.00", "--json")
    assert result.exit_code == 4
    assert "amount" in result.error["fields"]
    _clean_failure(result)
    assert cli("show", str(added["id"]), "--json").data == added


def test_edit_linking_a_client_of_another_currency_is_rejected(cli: Cli) -> None:
    assert cli("clients", "add", "Euro GmbH", "--currency", "EUR").exit_code == 0
    added = _add(cli, "Taxi", "20.00", "-c", "Travel")
    result = cli("edit", str(added["id"]), "--client", "Euro GmbH", "--json")
    assert result.exit_code == 4
    assert "client" in result.error["fields"]
    _clean_failure(result)
    assert cli("show", str(added["id"]), "--json").data == added


# delete, restore, deleted visibility -------------------------------------------------
def test_show_of_a_deleted_expense_is_not_found_unless_deleted_flag(cli: Cli) -> None:
    added = _add(cli, "Taxi", "20.00", "-c", "Travel")
    assert cli("delete", str(added["id"])).exit_code == 0
    hidden = cli("show", str(added["id"]), "--json")
    assert hidden.exit_code == 3
    assert hidden.error["code"] == "not_found"
    _clean_failure(hidden)
    shown = cli("show", str(added["id"]), "--deleted", "--json")
    assert shown.exit_code == 0, shown.stderr
    assert shown.data["id"] == added["id"]
    assert TIMESTAMP.match(shown.data["deleted_at"])
    edited = cli("edit", str(added["id"]), "--notes", "x", "--json")
    assert edited.exit_code == 3


def test_delete_with_one_id_answers_a_list(cli: Cli) -> None:
    added = _add(cli, "Taxi", "20.00", "-c", "Travel")
    result = cli("delete", str(added["id"]), "--json")
    assert result.exit_code == 0, result.stderr
    assert isinstance(result.data, list)
    assert [e["id"] for e in result.data] == [added["id"]]
    assert TIMESTAMP.match(result.data[0]["deleted_at"])
    assert _ids(cli) == []


def test_delete_several_ids_is_all_or_nothing(cli: Cli) -> None:
    first = _add(cli, "One", "1.00", "-c", "Travel")["id"]
    second = _add(cli, "Two", "2.00", "-c", "Travel")["id"]
    refused = cli("delete", str(first), "999", str(second), "--json")
    assert refused.exit_code == 3
    assert refused.error["code"] == "not_found"
    _clean_failure(refused)
    assert sorted(_ids(cli)) == [first, second]
    assert _ids(cli, "--deleted") == []

    done = cli("delete", str(first), str(second), "--json")
    assert done.exit_code == 0, done.stderr
    assert sorted(e["id"] for e in done.data) == [first, second]
    assert all(e["deleted_at"] for e in done.data)
    assert _ids(cli) == []


def test_restore_brings_back_and_is_all_or_nothing(cli: Cli) -> None:
    first = _add(cli, "One", "1.00", "-c", "Travel")["id"]
    second = _add(cli, "Two", "2.00", "-c", "Travel")["id"]
    assert cli("delete", str(first), str(second)).exit_code == 0
    refused = cli("restore", str(first), "999", "--json")
    assert refused.exit_code == 3
    assert refused.error["code"] == "not_found"
    _clean_failure(refused)
    assert sorted(_ids(cli, "--deleted")) == [first, second]

    done = cli("restore", str(first), "--json")
    assert done.exit_code == 0, done.stderr
    assert isinstance(done.data, list)
    assert [e["id"] for e in done.data] == [first]
    assert done.data[0]["deleted_at"] is None
    assert _ids(cli) == [first]
    assert _ids(cli, "--deleted") == [second]


def test_restore_of_a_live_expense_is_a_no_op_success(cli: Cli) -> None:
    added = _add(cli, "Taxi", "20.00", "-c", "Travel")
    result = cli("restore", str(added["id"]), "--json")
    assert result.exit_code == 0, result.stderr
    assert result.data == [added]
    assert cli("show", str(added["id"]), "--json").data == added


# list --------------------------------------------------------------------------------
def _three(cli: Cli) -> list[int]:
    """Added in this order, with dates that do not follow the order of creation."""
    a = _add(cli, "March", "3.00", "-c", "Travel", "-d", "2025-03-01")["id"]
    b = _add(cli, "January", "1.00", "-c", "Travel", "-d", "2025-01-01")["id"]
    c = _add(cli, "February", "2.00", "-c", "Travel", "-d", "2025-02-01")["id"]
    return [a, b, c]


def test_list_defaults_to_newest_first(cli: Cli) -> None:
    a, b, c = _three(cli)
    result = cli("list", "--json")
    assert result.exit_code == 0, result.stderr
    assert [e["id"] for e in result.data] == [c, b, a]
    assert result.json["pagination"] == {"limit": 50, "next_cursor": None}
    assert all(set(e) == EXPENSE_FIELDS for e in result.data)


def test_list_limit_pages_and_the_cursor_continues(cli: Cli) -> None:
    a, b, c = _three(cli)
    first = cli("list", "--limit", "2", "--json")
    assert first.exit_code == 0, first.stderr
    assert [e["id"] for e in first.data] == [c, b]
    assert first.json["pagination"]["limit"] == 2
    cursor = first.json["pagination"]["next_cursor"]
    assert isinstance(cursor, str) and cursor
    rest = cli("list", "--limit", "2", "--cursor", cursor, "--json")
    assert rest.exit_code == 0, rest.stderr
    assert [e["id"] for e in rest.data] == [a]
    assert rest.json["pagination"]["next_cursor"] is None


def test_list_table_announces_a_further_page_on_stderr(cli: Cli) -> None:
    _three(cli)
    result = cli("list", "--limit", "2")
    assert result.exit_code == 0, result.stderr
    assert "March" not in result.stdout
    assert "February" in result.stdout and "January" in result.stdout
    assert re.search(r"^next_cursor: \S+$", result.stderr, re.MULTILINE), result.stderr


@pytest.mark.parametrize("limit", ["0", "201", "-1", "x"])
def test_list_limit_out_of_range_is_a_usage_error(cli: Cli, limit: str) -> None:
    result = cli("list", "--limit", limit)
    assert result.exit_code == 2
    _clean_failure(result)


def test_list_all_returns_everything(cli: Cli) -> None:
    a, b, c = _three(cli)
    result = cli("list", "--all", "--json")
    assert result.exit_code == 0, result.stderr
    assert [e["id"] for e in result.data] == [c, b, a]
    assert result.json["pagination"] == {"limit": None, "next_cursor": None}


def test_list_deleted_shows_only_deleted(cli: Cli) -> None:
    a, b, c = _three(cli)
    assert cli("delete", str(b)).exit_code == 0
    assert _ids(cli) == [c, a]
    assert _ids(cli, "--deleted") == [b]


def test_list_table_renders_markup_literally(cli: Cli) -> None:
    added = _add(cli, "[bold]x[/]", "1.00", "-c", "Travel")
    result = cli("list")
    assert result.exit_code == 0, result.stderr
    assert "[bold]x[/]" in result.stdout
    shown = cli("show", str(added["id"]))
    assert shown.exit_code == 0, shown.stderr
    assert "[bold]x[/]" in shown.stdout


def test_list_table_totals_per_currency_never_mix(cli: Cli) -> None:
    assert cli("clients", "add", "Tokyo KK", "--currency", "JPY").exit_code == 0
    _add(cli, "Lunch", "10.00", "-c", "Meals")
    _add(cli, "Taxi", "2.50", "-c", "Travel")
    _add(cli, "Sushi", "1500", "-c", "Meals", "--client", "Tokyo KK")
    result = cli("list")
    assert result.exit_code == 0, result.stderr
    totals = [line for line in result.stdout.splitlines() if "Total" in line]
    assert len(totals) == 2, result.stdout
    assert any("12.50 USD" in line for line in totals)
    assert any("1500 JPY" in line for line in totals)
    assert all(not ("USD" in line and "JPY" in line) for line in totals)
    assert "1512" not in result.stdout


# error envelope ----------------------------------------------------------------------
def _usage(cli: Cli, tmp_path: Path) -> list[str]:
    return ["list", "--limit", "0", "--json"]


def _not_found(cli: Cli, tmp_path: Path) -> list[str]:
    return ["show", "999", "--json"]


def _validation(cli: Cli, tmp_path: Path) -> list[str]:
    return ["add", "x", "abc", "-c", "Travel", "--json"]


def _invoiced_locked(cli: Cli, tmp_path: Path) -> list[str]:
    assert cli("clients", "add", "Acme").exit_code == 0
    added = _add(cli, "Design", "100.00", "-c", "Services", "--billable", "--client", "Acme")
    assert cli("invoice", str(added["id"]), "--ref", "INV-1").exit_code == 0
    return ["delete", str(added["id"]), "--json"]


def _conflict(cli: Cli, tmp_path: Path) -> list[str]:
    assert cli("clients", "add", "Acme").exit_code == 0
    added = _add(cli, "Design", "100.00", "-c", "Services", "--billable", "--client", "Acme")
    assert cli("invoice", str(added["id"]), "--ref", "INV-1").exit_code == 0
    return ["invoice", str(added["id"]), "--ref", "INV-2", "--json"]


def _unavailable(cli: Cli, tmp_path: Path) -> list[str]:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    return ["--db", str(folder), "list", "--json"]


@pytest.mark.parametrize(
    ("setup", "exit_code", "code"),
    [
        (_usage, 2, "usage"),
        (_not_found, 3, "not_found"),
        (_validation, 4, "validation_failed"),
        (_invoiced_locked, 5, "invoiced_locked"),
        (_conflict, 5, "conflict"),
        (_unavailable, 6, "database_unavailable"),
    ],
)
def test_json_errors_go_to_stderr_as_an_envelope(
    cli: Cli,
    tmp_path: Path,
    setup: Callable[[Cli, Path], list[str]],
    exit_code: int,
    code: str,
) -> None:
    args = setup(cli, tmp_path)
    result = cli(*args)
    assert result.exit_code == exit_code, result.stderr
    _clean_failure(result)
    error = result.error
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)


def test_an_unknown_category_does_not_hide_a_bad_amount(cli: Cli) -> None:
    result = cli("add", "ok", "x", "-c", "Nope", "--json")
    assert result.exit_code == 4
    assert set(result.error["fields"]) == {"category", "amount"}


@pytest.mark.parametrize("order", ["ymd", "dmy", "mdy"])
def test_a_non_padded_year_first_date_reads_year_month_day(cli: Cli, order: str) -> None:
    assert cli("config", "date_order", order).exit_code == 0
    added = cli("add", "Taxi", "1", "-c", "Travel", "-d", "2025-3-4", "--json")
    assert added.exit_code == 0, added.stderr
    assert added.data["date"] == "2025-03-04"
    wrong = cli("add", "Taxi", "1", "-c", "Travel", "-d", "2025-13-4", "--json")
    assert wrong.exit_code == 4
    assert "date" in wrong.error["fields"]
