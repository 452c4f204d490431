"""`report`: totals and counts per group and currency."""

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from expense_cli.cli.context import open_store
from expense_cli.cli.formats import RecordFormat, chosen
from expense_cli.cli.lazy import lazy
from expense_cli.cli.listing import with_filters
from expense_cli.cli.options import FormatOpt, JsonOpt

if TYPE_CHECKING:
    from expense_cli.cli import render
    from expense_cli.domain import money_report as money_reports
    from expense_cli.domain import report as reports
    from expense_cli.domain.listing import Filters
    from expense_cli.store import Store
else:  # lazy stand-ins at run time (cli/lazy.py); mypy sees the real modules above
    render = lazy("expense_cli.cli.render")
    reports = lazy("expense_cli.domain.report")
    money_reports = lazy("expense_cli.domain.money_report")


class GroupBy(StrEnum):
    CATEGORY = "category"
    CLIENT = "client"
    PROJECT = "project"
    TAG = "tag"
    REF = "ref"
    MONTH = "month"
    YEAR = "year"
    QUARTER = "quarter"


def register(app: typer.Typer, only: str | None = None) -> None:
    if only in (None, "report"):
        app.command("report")(with_filters(report))


def report(
    ctx: typer.Context,
    filters: "Filters",
    by: Annotated[
        list[GroupBy] | None, typer.Option("--by", help="Grouping; give two for two levels.")
    ] = None,
    chart: Annotated[bool, typer.Option("--chart", help="Draw bars beside the totals.")] = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
    tax: Annotated[bool, typer.Option("--tax", help="Add net and tax beside each total.")] = False,
    convert: Annotated[
        str | None,
        typer.Option(
            "--convert",
            help="Convert every amount into this currency with the book's rates at each "
            "expense's date (see `expense rates`).",
        ),
    ] = None,
) -> None:
    """Totals and counts per group and currency (currencies are never added together,
    unless --convert turns them into one).

    Example: expense report --by month --by category --from 2026-01-01 --to 2026-12-31
    """

    groups = [g.value for g in by or [GroupBy.CATEGORY]]
    store = open_store(ctx, create=False)
    json_out = chosen(fmt, as_json) == "json"
    if tax or convert is not None:
        _money_report(store, filters, groups, tax, convert, json_out)
        return
    rows, totals = reports.report_and_totals(store, filters, groups)  # each expense once
    if json_out:
        payload = render.envelope([row.to_json() for row in rows])
        payload["totals"] = [
            {"currency": currency, "count": count, "total": total}
            for currency, (count, total) in sorted(totals.items())
        ]
        render.write_json(payload)
    else:
        render.report_table(rows, groups, totals, chart)


def _money_report(
    store: "Store", filters: "Filters", groups: list[str], tax: bool, convert: str | None,
    as_json: bool,
) -> None:  # fmt: skip
    """`report --tax` / `--convert CUR` (reference §10.6, §10.7)."""
    rows, totals = money_reports.money_report(store, filters, groups, tax=tax, convert=convert)
    if as_json:
        payload = render.envelope([row.to_json() for row in rows])
        payload["totals"] = [row.to_json() for row in totals]
        render.write_json(payload)
        return
    money = ["Total", *(["Net", "Tax"] if tax else [])]
    headers = [g.capitalize() for g in groups] + ["Currency", "Count", *money]
    lines: list[list[object]] = []
    for row in [*rows, *totals]:
        data = row.to_json()
        cells = (
            [_label(data["group"][g]) for g in groups]
            if row.group is not None
            else (["Total"] + [""] * (len(groups) - 1))
        )
        lines.append([*cells, data["currency"], data["count"], data["total"],
                      *([data["net"], data["tax"]] if tax else [])])  # fmt: skip
    first = len(groups) + 1
    render.simple_table(headers, lines, right=list(range(first, len(headers))))


def _label(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("name", ""))
    return "(none)" if value is None else str(value)
