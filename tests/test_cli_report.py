"""`report` end to end (reference §3 report, §4 report envelope): exact per-currency totals,
the group shapes of every `--by`, two-level groupings, ordering, the list filters, and the
table's per-currency total rows and `--chart` bars."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import Cli, Result, ok


def _add(cli: Cli, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = ok(cli, "add", *args)
    return data


def _report(cli: Cli, *args: str) -> list[dict[str, Any]]:
    result = cli("report", *args, "--json")
    assert result.exit_code == 0, result.stderr
    assert set(result.json) == {"data", "totals"}
    for total in result.json["totals"]:
        assert set(total) == {"currency", "count", "total"}
    rows: list[dict[str, Any]] = result.data
    for row in rows:
        assert set(row) == {"group", "currency", "count", "total"}
        assert isinstance(row["total"], str)
        assert type(row["count"]) is int
    return rows


def _category_id(cli: Cli, name: str) -> int:
    for category in ok(cli, "categories"):
        if category["name"] == name:
            return int(category["id"])
    raise AssertionError(f"no category {name}")


def _flat(rows: list[dict[str, Any]], key: str) -> list[tuple[Any, str, int, str]]:
    """(group label, currency, count, total) per row; `{id, name}` groups by their name."""
    out = []
    for row in rows:
        value = row["group"][key]
        label = value["name"] if isinstance(value, dict) else value
        out.append((label, row["currency"], row["count"], row["total"]))
    return out


def _usage_error(result: Result) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


@pytest.fixture
def currencies(cli: Cli) -> None:
    """Clients Tokyo KK (JPY), Manama Trading (BHD), Berlin GmbH (EUR), Acme (USD)."""
    ok(cli, "clients", "add", "Tokyo KK", "--currency", "JPY")
    ok(cli, "clients", "add", "Manama Trading", "--currency", "BHD")
    ok(cli, "clients", "add", "Berlin GmbH", "--currency", "EUR")
    ok(cli, "clients", "add", "Acme", "--currency", "USD")


# totals -------------------------------------------------------------------------------
def test_default_report_is_by_category_with_exact_decimal_totals(cli: Cli) -> None:
    _add(cli, "Bus", "0.10", "-c", "Travel", "-d", "2025-03-01")
    _add(cli, "Tram", "0.20", "-c", "Travel", "-d", "2025-03-02")
    _add(cli, "Lunch", "12.00", "-c", "Meals", "-d", "2025-03-03")

    rows = _report(cli)

    assert rows == [
        {"group": {"category": {"id": _category_id(cli, "Meals"), "name": "Meals"}},
         "currency": "USD", "count": 1, "total": "12.00"},
        {"group": {"category": {"id": _category_id(cli, "Travel"), "name": "Travel"}},
         "currency": "USD", "count": 2, "total": "0.30"},
    ]  # fmt: skip
    assert _report(cli, "--by", "category") == rows


def test_report_of_an_empty_book_has_no_rows(cli: Cli) -> None:
    assert _report(cli) == []


@pytest.mark.usefixtures("currencies")
def test_totals_use_each_currency_minor_digits(cli: Cli) -> None:
    _add(cli, "Hotel", "1000", "-c", "Travel", "--client", "Tokyo KK")
    _add(cli, "Taxi", "500", "-c", "Travel", "--client", "Tokyo KK")
    _add(cli, "Ferry", "1.234", "-c", "Travel", "--client", "Manama Trading")
    _add(cli, "Tip", "0.001", "-c", "Travel", "--client", "Manama Trading")
    _add(cli, "Coffee", "1", "-c", "Travel", "--client", "Acme")
    _add(cli, "Cake", "2", "-c", "Travel", "--client", "Acme")

    rows = _report(cli)

    assert [(r["currency"], r["count"], r["total"]) for r in rows] == [
        ("BHD", 2, "1.235"),
        ("JPY", 2, "1500"),
        ("USD", 2, "3.00"),
    ]


def test_many_small_amounts_add_up_exactly(cli: Cli) -> None:
    for _ in range(10):
        _add(cli, "Stamp", "0.10", "-c", "Services")

    assert _flat(_report(cli), "category") == [("Services", "USD", 10, "1.00")]


def test_unit_based_expenses_count_with_their_computed_amount(cli: Cli) -> None:
    ok(cli, "categories", "add", "Mileage", "--unit", "km", "--unit-price", "0.58")
    _add(cli, "Drive", "--units", "120", "-c", "Mileage")
    _add(cli, "Drive back", "--units", "0.5", "-c", "Mileage")

    assert _flat(_report(cli), "category") == [("Mileage", "USD", 2, "69.89")]


@pytest.mark.usefixtures("currencies")
def test_currencies_are_never_added_together(cli: Cli) -> None:
    _add(cli, "Hosting", "10.00", "-c", "Software", "--client", "Acme")
    _add(cli, "Hosting", "20.00", "-c", "Software", "--client", "Berlin GmbH")
    _add(cli, "Licence", "5.00", "-c", "Software", "--client", "Berlin GmbH")

    by_category = _report(cli, "--by", "category")
    by_client = _report(cli, "--by", "client")

    assert _flat(by_category, "category") == [
        ("Software", "EUR", 2, "25.00"),
        ("Software", "USD", 1, "10.00"),
    ]
    assert _flat(by_client, "client") == [
        ("Acme", "USD", 1, "10.00"),
        ("Berlin GmbH", "EUR", 2, "25.00"),
    ]


# group shapes -------------------------------------------------------------------------
def test_by_client_groups_are_id_and_name_or_null(cli: Cli) -> None:
    acme = ok(cli, "clients", "add", "Acme")
    _add(cli, "Hosting", "10.00", "-c", "Software", "--client", "Acme")
    _add(cli, "Paper", "3.00", "-c", "Services")

    rows = _report(cli, "--by", "client")

    assert {"client": {"id": acme["id"], "name": "Acme"}} in [r["group"] for r in rows]
    assert {"client": None} in [r["group"] for r in rows]
    by_group = {r["group"]["client"]["name"] if r["group"]["client"] else None: r for r in rows}
    assert (by_group["Acme"]["count"], by_group["Acme"]["total"]) == (1, "10.00")
    assert (by_group[None]["count"], by_group[None]["total"]) == (1, "3.00")
    assert len(rows) == 2


def test_by_project_groups_are_id_and_name_or_null(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    site = ok(cli, "projects", "add", "Website", "--client", "Acme")
    shop = ok(cli, "projects", "add", "Shop", "--client", "Acme")
    _add(cli, "Hosting", "10.00", "-c", "Software", "-p", "Website")
    _add(cli, "Domain", "2.50", "-c", "Software", "-p", "Website")
    _add(cli, "Theme", "40.00", "-c", "Software", "-p", "Shop")
    _add(cli, "Paper", "3.00", "-c", "Services")

    rows = _report(cli, "--by", "project")

    expected = [
        ({"project": {"id": shop["id"], "name": "Shop"}}, 1, "40.00"),
        ({"project": {"id": site["id"], "name": "Website"}}, 2, "12.50"),
    ]
    named = [(r["group"], r["count"], r["total"]) for r in rows if r["group"]["project"]]
    assert named == expected
    assert [(r["count"], r["total"]) for r in rows if r["group"] == {"project": None}] == [
        (1, "3.00")
    ]


def test_by_tag_counts_an_expense_in_each_of_its_tags_and_untagged_as_null(cli: Cli) -> None:
    _add(cli, "Flight", "100.00", "-c", "Travel", "-t", "trip", "-t", "Client visit")
    _add(cli, "Hotel", "80.00", "-c", "Travel", "-t", "trip")
    _add(cli, "Paper", "3.00", "-c", "Services")

    rows = _report(cli, "--by", "tag")

    assert all(set(r["group"]) == {"tag"} for r in rows)
    totals = {r["group"]["tag"]: (r["currency"], r["count"], r["total"]) for r in rows}
    assert totals == {
        "Client visit": ("USD", 1, "100.00"),
        "trip": ("USD", 2, "180.00"),
        None: ("USD", 1, "3.00"),
    }
    named = [r["group"]["tag"] for r in rows if r["group"]["tag"] is not None]
    assert named == ["Client visit", "trip"]


def test_by_month_groups_are_year_month_strings_in_chronological_order(cli: Cli) -> None:
    _add(cli, "March", "1.00", "-c", "Travel", "-d", "2025-03-10")
    _add(cli, "December", "2.00", "-c", "Travel", "-d", "2024-12-31")
    _add(cli, "January", "3.00", "-c", "Travel", "-d", "2025-01-01")
    _add(cli, "March again", "4.00", "-c", "Travel", "-d", "2025-03-31")
    _add(cli, "October", "5.00", "-c", "Travel", "-d", "2025-10-01")

    rows = _report(cli, "--by", "month")

    assert [(r["group"], r["count"], r["total"]) for r in rows] == [
        ({"month": "2024-12"}, 1, "2.00"),
        ({"month": "2025-01"}, 1, "3.00"),
        ({"month": "2025-03"}, 2, "5.00"),
        ({"month": "2025-10"}, 1, "5.00"),
    ]


def test_by_year_groups_are_year_strings(cli: Cli) -> None:
    _add(cli, "Old", "1.00", "-c", "Travel", "-d", "2024-12-31")
    _add(cli, "New", "2.00", "-c", "Travel", "-d", "2025-01-01")
    _add(cli, "Newer", "3.50", "-c", "Travel", "-d", "2025-06-30")

    rows = _report(cli, "--by", "year")

    assert [(r["group"], r["count"], r["total"]) for r in rows] == [
        ({"year": "2024"}, 1, "1.00"),
        ({"year": "2025"}, 2, "5.50"),
    ]


def test_two_levels_merge_the_groups_and_order_by_both(cli: Cli) -> None:
    _add(cli, "Feb taxi", "7.00", "-c", "Travel", "-d", "2025-02-03")
    _add(cli, "Jan taxi", "5.00", "-c", "Travel", "-d", "2025-01-15")
    _add(cli, "Jan lunch", "12.00", "-c", "Meals", "-d", "2025-01-20")
    _add(cli, "Jan bus", "1.50", "-c", "Travel", "-d", "2025-01-02")
    meals, travel = _category_id(cli, "Meals"), _category_id(cli, "Travel")

    rows = _report(cli, "--by", "month", "--by", "category")

    assert [(r["group"], r["count"], r["total"]) for r in rows] == [
        ({"month": "2025-01", "category": {"id": meals, "name": "Meals"}}, 1, "12.00"),
        ({"month": "2025-01", "category": {"id": travel, "name": "Travel"}}, 2, "6.50"),
        ({"month": "2025-02", "category": {"id": travel, "name": "Travel"}}, 1, "7.00"),
    ]


def test_two_levels_with_tags_count_each_tag(cli: Cli) -> None:
    _add(cli, "Flight", "100.00", "-c", "Travel", "-d", "2025-01-05", "-t", "a", "-t", "b")
    _add(cli, "Lunch", "10.00", "-c", "Meals", "-d", "2025-02-05", "-t", "a")

    rows = _report(cli, "--by", "tag", "--by", "year")

    assert [(r["group"], r["count"], r["total"]) for r in rows] == [
        ({"tag": "a", "year": "2025"}, 2, "110.00"),
        ({"tag": "b", "year": "2025"}, 1, "100.00"),
    ]


def test_names_are_ordered_case_insensitively_then_by_currency(cli: Cli) -> None:
    for name in ("cherry", "Banana", "apple"):
        ok(cli, "categories", "add", name)
    ok(cli, "clients", "add", "Euro Client", "--currency", "EUR")
    _add(cli, "c", "1.00", "-c", "cherry")
    _add(cli, "b", "1.00", "-c", "Banana")
    _add(cli, "a-usd", "1.00", "-c", "apple")
    _add(cli, "a-eur", "1.00", "-c", "apple", "--client", "Euro Client")
    _add(cli, "t", "1.00", "-c", "Travel")

    rows = _flat(_report(cli), "category")

    assert [(name, currency) for name, currency, _, _ in rows] == [
        ("apple", "EUR"),
        ("apple", "USD"),
        ("Banana", "USD"),
        ("cherry", "USD"),
        ("Travel", "USD"),
    ]


# filters ------------------------------------------------------------------------------
@pytest.fixture
def mixed(cli: Cli) -> None:
    """Four expenses across dates, categories and a client."""
    ok(cli, "clients", "add", "Acme")
    _add(cli, "Early taxi", "10.00", "-c", "Travel", "-d", "2025-01-10")
    _add(cli, "Mid taxi", "20.00", "-c", "Travel", "-d", "2025-02-10", "--client", "Acme")
    _add(cli, "Mid lunch", "30.00", "-c", "Meals", "-d", "2025-02-20", "--client", "Acme")
    _add(cli, "Late taxi", "40.00", "-c", "Travel", "-d", "2025-03-10")


@pytest.mark.usefixtures("mixed")
def test_date_filters_are_inclusive(cli: Cli) -> None:
    rows = _report(cli, "--from", "2025-02-10", "--to", "2025-03-10")

    assert _flat(rows, "category") == [("Meals", "USD", 1, "30.00"), ("Travel", "USD", 2, "60.00")]


@pytest.mark.usefixtures("mixed")
def test_category_and_client_filters_apply(cli: Cli) -> None:
    assert _flat(_report(cli, "-c", "travel", "--by", "month"), "month") == [
        ("2025-01", "USD", 1, "10.00"),
        ("2025-02", "USD", 1, "20.00"),
        ("2025-03", "USD", 1, "40.00"),
    ]
    assert _flat(_report(cli, "--client", "Acme"), "category") == [
        ("Meals", "USD", 1, "30.00"),
        ("Travel", "USD", 1, "20.00"),
    ]


@pytest.mark.usefixtures("mixed")
def test_search_and_amount_filters_apply(cli: Cli) -> None:
    assert _flat(_report(cli, "-s", "TAXI", "--min", "15", "--max", "40.00"), "category") == [
        ("Travel", "USD", 2, "60.00")
    ]


@pytest.mark.usefixtures("mixed")
@pytest.mark.parametrize(
    "args", [["-c", "Nope"], ["--client", "Nobody"], ["-p", "Nothing"], ["--from", "someday"],
             ["--min", "-1"], ["--billable", "maybe"]],
)  # fmt: skip
def test_invalid_filters_are_usage_errors(cli: Cli, args: list[str]) -> None:
    _usage_error(cli("report", *args))


def test_invalid_filter_with_json_gives_the_usage_envelope(cli: Cli) -> None:
    result = cli("report", "-c", "Nope", "--json")

    _usage_error(result)
    assert result.error["code"] == "usage"
    assert "Nope" in result.error["message"]


def test_deleted_expenses_are_excluded_unless_asked_for(cli: Cli) -> None:
    _add(cli, "Kept", "10.00", "-c", "Travel")
    gone = _add(cli, "Gone", "99.00", "-c", "Travel")
    _add(cli, "Gone lunch", "5.00", "-c", "Meals")
    lunch = ok(cli, "list", "-s", "Gone lunch")[0]
    assert cli("delete", str(gone["id"]), str(lunch["id"])).exit_code == 0

    assert _flat(_report(cli), "category") == [("Travel", "USD", 1, "10.00")]
    assert _flat(_report(cli, "--deleted"), "category") == [
        ("Meals", "USD", 1, "5.00"),
        ("Travel", "USD", 1, "99.00"),
    ]


# bad groupings ------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["weekday", "Category ", "", "categories"])
def test_unknown_grouping_is_a_usage_error(cli: Cli, value: str) -> None:
    _usage_error(cli("report", "--by", value))


def test_three_groupings_are_a_usage_error(cli: Cli) -> None:
    _add(cli, "Taxi", "1.00", "-c", "Travel")

    _usage_error(cli("report", "--by", "month", "--by", "category", "--by", "client"))
    result = cli("report", "--by", "month", "--by", "category", "--by", "client", "--json")
    _usage_error(result)
    assert result.error["code"] == "usage"


def test_format_json_is_the_same_as_the_json_flag(cli: Cli) -> None:
    _add(cli, "Taxi", "1.00", "-c", "Travel")

    result = cli("report", "-f", "json")

    assert result.exit_code == 0, result.stderr
    assert result.json == cli("report", "--json").json


# table --------------------------------------------------------------------------------
def _table_lines(result: Result) -> list[str]:
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return result.stdout.splitlines()


def _total_line(lines: list[str], currency: str) -> str:
    found = [line for line in lines if re.match(rf"^\s*Total\b.*\b{currency}\b", line)]
    assert len(found) == 1, lines
    return found[0]


def test_table_has_a_total_row_per_currency(cli: Cli) -> None:
    ok(cli, "clients", "add", "Berlin GmbH", "--currency", "EUR")
    ok(cli, "clients", "add", "Tokyo KK", "--currency", "JPY")
    _add(cli, "Taxi", "0.10", "-c", "Travel")
    _add(cli, "Lunch", "0.20", "-c", "Meals")
    _add(cli, "Train", "19.99", "-c", "Travel", "--client", "Berlin GmbH")
    _add(cli, "Hotel", "12000", "-c", "Travel", "--client", "Tokyo KK")

    lines = _table_lines(cli("report"))

    assert re.search(r"\b2\b.*\b0\.30\b", _total_line(lines, "USD"))
    assert re.search(r"\b1\b.*\b19\.99\b", _total_line(lines, "EUR"))
    assert re.search(r"\b1\b.*\b12000\b", _total_line(lines, "JPY"))
    assert not any(re.search(r"\b12020\.29\b|\b12019\.99\b|\b20\.29\b", line) for line in lines)
    meals = [line for line in lines if "Meals" in line]
    assert len(meals) == 1 and "USD" in meals[0] and "0.20" in meals[0]


def test_table_shows_user_names_literally(cli: Cli) -> None:
    ok(cli, "categories", "add", "[bold]Loud[/]")
    _add(cli, "Thing", "1.00", "-c", "[bold]Loud[/]")

    lines = _table_lines(cli("report"))

    assert any("[bold]Loud[/]" in line for line in lines)


def test_table_shows_two_level_groups_and_null_groups(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    _add(cli, "Hosting", "10.00", "-c", "Software", "--client", "Acme", "-d", "2025-04-02")
    _add(cli, "Paper", "3.00", "-c", "Services", "-d", "2025-05-02")

    lines = _table_lines(cli("report", "--by", "month", "--by", "client"))

    assert any("2025-04" in line and "Acme" in line and "10.00" in line for line in lines)
    assert any("2025-05" in line and "3.00" in line and "Acme" not in line for line in lines)


def test_chart_draws_bars_proportional_within_a_currency(cli: Cli) -> None:
    _add(cli, "Big", "100.00", "-c", "Travel")
    _add(cli, "Small", "25.00", "-c", "Meals")

    plain = _table_lines(cli("report"))
    charted = _table_lines(cli("report", "--chart"))

    assert not any("█" in line for line in plain)
    travel = next(line for line in charted if "Travel" in line)
    meals = next(line for line in charted if "Meals" in line)
    assert travel.count("█") > meals.count("█") > 0
    assert meals.count("█") == pytest.approx(travel.count("█") / 4, abs=1.5)


def test_a_tag_is_one_report_group_whatever_its_case_or_currency(cli: Cli) -> None:
    assert cli("clients", "add", "Euro Co", "--currency", "EUR").exit_code == 0
    assert cli("add", "a", "2", "-c", "Travel", "-t", "foo").exit_code == 0
    assert cli("add", "b", "3", "-c", "Travel", "-t", "Foo", "--client", "Euro Co").exit_code == 0
    result = cli("report", "--by", "tag", "--json")
    assert result.exit_code == 0
    groups = {(row["group"]["tag"], row["currency"]) for row in result.data}
    assert groups == {("Foo", "EUR"), ("Foo", "USD")}
