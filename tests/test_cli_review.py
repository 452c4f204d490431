"""Cases an acceptance review found: every bad field named even when the category is
unknown, non-padded ISO-like dates, and one report group per tag whatever its case."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli


def test_an_unknown_category_does_not_hide_a_bad_amount(cli: Cli) -> None:
    result = cli("add", "ok", "x", "-c", "Nope", "--json")
    assert result.exit_code == 4
    assert set(result.error["fields"]) == {"category", "amount"}


def test_import_names_the_amount_of_a_row_with_an_unknown_category(
    cli: Cli, tmp_path: Path
) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("date,description,amount,category\n2025-01-01,ok,x,Nope\n")
    result = cli("import", str(source), "--json")
    assert result.exit_code == 4
    assert {"line 2.category", "line 2.amount"} <= set(result.error["fields"])


@pytest.mark.parametrize("order", ["ymd", "dmy", "mdy"])
def test_a_non_padded_year_first_date_reads_year_month_day(cli: Cli, order: str) -> None:
    assert cli("config", "date_order", order).exit_code == 0
    added = cli("add", "Taxi", "1", "-c", "Travel", "-d", "2025-3-4", "--json")
    assert added.exit_code == 0, added.stderr
    assert added.data["date"] == "2025-03-04"
    wrong = cli("add", "Taxi", "1", "-c", "Travel", "-d", "2025-13-4", "--json")
    assert wrong.exit_code == 4
    assert "date" in wrong.error["fields"]


def test_a_tag_is_one_report_group_whatever_its_case_or_currency(cli: Cli) -> None:
    assert cli("clients", "add", "Euro Co", "--currency", "EUR").exit_code == 0
    assert cli("add", "a", "2", "-c", "Travel", "-t", "foo").exit_code == 0
    assert cli("add", "b", "3", "-c", "Travel", "-t", "Foo", "--client", "Euro Co").exit_code == 0
    result = cli("report", "--by", "tag", "--json")
    assert result.exit_code == 0
    groups = {(row["group"]["tag"], row["currency"]) for row in result.data}
    assert groups == {("Foo", "EUR"), ("Foo", "USD")}
