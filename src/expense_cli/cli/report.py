"""`report`: totals and counts per group and currency."""

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from expense_cli.cli.context import open_store
from expense_cli.cli.formats import RecordFormat, chosen
from expense_cli.cli.lazy import lazy
from expense_cli.cli.listing import with_filters
from expense_cli.cli.options import JsonOpt

if TYPE_CHECKING:
    from expense_cli.cli import render
    from expense_cli.domain import report as reports
    from expense_cli.domain.listing import Filters
else:  # lazy stand-ins at run time (cli/lazy.py); mypy sees the real modules above
    render = lazy("expense_cli.cli.render")
    reports = lazy("expense_cli.domain.report")


class GroupBy(StrEnum):
    CATEGORY = "category"
    CLIENT = "client"
    PROJECT = "project"
    TAG = "tag"
    MONTH = "month"
    YEAR = "year"


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
    fmt: Annotated[
        RecordFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
    ] = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Totals and counts per group and currency (currencies are never added together).

    Example: expense report --by month --by category --from 2026-01-01 --to 2026-12-31
    """

    groups = [g.value for g in by or [GroupBy.CATEGORY]]
    store = open_store(ctx, create=False)
    rows = reports.report(store, filters, groups)
    totals = reports.grand_totals(store, filters)  # each expense once, whatever the groups
    if chosen(fmt, as_json) == "json":
        payload = render.envelope([row.to_json() for row in rows])
        payload["totals"] = [
            {"currency": currency, "count": count, "total": total}
            for currency, (count, total) in sorted(totals.items())
        ]
        render.write_json(payload)
    else:
        render.report_table(rows, groups, totals, chart)
