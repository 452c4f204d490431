"""`export`: the book's expenses out as csv, json, ndjson, ledger or beancount."""

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from expense_cli.cli.context import open_store
from expense_cli.cli.lazy import lazy
from expense_cli.cli.listing import with_filters

if TYPE_CHECKING:
    from expense_cli.domain.listing import Filters

render = lazy("expense_cli.cli.render")
listing = lazy("expense_cli.domain.listing")
journals = lazy("expense_cli.domain.export")


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    NDJSON = "ndjson"
    LEDGER = "ledger"
    BEANCOUNT = "beancount"


def register(app: typer.Typer, only: str | None = None) -> None:
    if only in (None, "export"):
        app.command("export")(with_filters(export))


def _write(expenses: object, kind: ExportFormat, out: object, account: str) -> int:
    if kind is ExportFormat.JSON:
        return render.write_json_list(expenses, {"limit": None, "next_cursor": None}, out)  # type: ignore[no-any-return]
    if kind is ExportFormat.NDJSON:
        return render.write_ndjson(expenses, out)  # type: ignore[no-any-return]
    if kind is ExportFormat.CSV:  # `expenses` are flat rows here (see _source)
        return render.write_csv_rows(expenses, False, out)  # type: ignore[no-any-return]
    count = 0
    opened: set[str] = set()
    entries = (
        journals.ledger_entries(expenses, account)
        if kind is ExportFormat.LEDGER
        else journals.beancount_entries(expenses, account, opened)
    )
    for entry in entries:
        out.write(entry)  # type: ignore[attr-defined]
        count += 1
    if kind is ExportFormat.BEANCOUNT:
        out.write(journals.beancount_opens(opened))  # type: ignore[attr-defined]
    return count


def export(
    ctx: typer.Context,
    filters: "Filters",
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="Export format.", case_sensitive=False)
    ] = ExportFormat.CSV,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (atomically); - or none: stdout."),
    ] = None,
    account: Annotated[
        str, typer.Option("--account", help="Account credited in ledger/beancount output.")
    ] = "Assets:Cash",
) -> None:
    """Export expenses (streamed, oldest first) as csv, json, ndjson, ledger or beancount.

    Example: expense export -f beancount -o expenses.beancount --from 2026-01-01
    """

    store = open_store(ctx, create=False)
    if output is None or str(output) == "-":
        _write(_source(store, filters, fmt), fmt, sys.stdout, account)
        return
    with journals.export_file(store, output.expanduser()) as out:
        expenses = _source(store, filters, fmt)
        if not sys.stderr.isatty():  # no bar: no per-row callback either
            count = _write(expenses, fmt, out, account)
        else:
            total = listing.count(store, filters)
            with render.progress("Exporting", total) as advance:
                count = _write(_counted(expenses, advance), fmt, out, account)
    render.status_line(f"exported {count} expenses to {output}")


def _source(store: object, filters: "Filters", kind: ExportFormat) -> object:
    """Oldest first; CSV streams flat rows (no record per row: the export's hot loop)."""
    if kind is ExportFormat.CSV:
        return listing.iter_csv_rows(store, filters, "date")
    return listing.iter_all(store, filters, "date")


def _counted(expenses: object, advance: object) -> object:
    for expense in expenses:  # type: ignore[attr-defined]
        advance(1)  # type: ignore[operator]
        yield expense
