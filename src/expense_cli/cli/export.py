"""`export`: the book's expenses out as csv, json, ndjson, ledger or beancount."""

import sys
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO, TypeVar

import typer

from expense_cli.cli.context import open_store
from expense_cli.cli.lazy import lazy
from expense_cli.cli.listing import with_filters
from expense_cli.cli.options import output_file

if TYPE_CHECKING:
    from expense_cli.cli import render
    from expense_cli.domain import export as journals
    from expense_cli.domain import listing
    from expense_cli.domain import receipts as packs
    from expense_cli.domain.listing import Filters
    from expense_cli.store import Store
else:  # lazy stand-ins at run time (cli/lazy.py); mypy sees the real modules above
    render = lazy("expense_cli.cli.render")
    listing = lazy("expense_cli.domain.listing")
    journals = lazy("expense_cli.domain.export")
    packs = lazy("expense_cli.domain.receipts")


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    NDJSON = "ndjson"
    LEDGER = "ledger"
    BEANCOUNT = "beancount"


def register(app: typer.Typer, only: str | None = None) -> None:
    if only in (None, "export"):
        app.command("export")(with_filters(export))


T = TypeVar("T")
# `Expense` records, or CSV chunks (text or flat rows) when the format is CSV (_source).
Source = Iterable[Any]


def _write(
    expenses: Source, kind: ExportFormat, out: TextIO, account: str | None,
    tax_account: str = "Assets:Tax:Input",
) -> int:  # fmt: skip
    if kind is ExportFormat.CSV:  # `expenses` are CSV chunks here (see _source)
        return render.write_csv_chunks(expenses, out)
    if kind is ExportFormat.JSON:
        return render.write_json_list(expenses, {"limit": None, "next_cursor": None}, out)
    if kind is ExportFormat.NDJSON:
        return render.write_ndjson(expenses, out)
    count = 0
    opened: set[str] = set()
    entries = (
        journals.ledger_entries(expenses, account, tax_account)
        if kind is ExportFormat.LEDGER
        else journals.beancount_entries(expenses, account, opened, tax_account)
    )
    for entry in entries:
        out.write(entry)
        count += 1
    if kind is ExportFormat.BEANCOUNT:
        out.write(journals.beancount_opens(opened))
    return count


def export(
    ctx: typer.Context,
    filters: "Filters",
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="Export format.", case_sensitive=False)
    ] = ExportFormat.CSV,
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="File to write (atomically); - or none: stdout."),
    ] = None,
    account: Annotated[
        str | None,
        typer.Option(
            "--account",
            help="Account credited by every ledger/beancount transaction, e.g. "
            "Liabilities:Visa; default: each expense's own payment account.",
        ),
    ] = None,
    tax_account: Annotated[
        str | None,
        typer.Option(
            "--tax-account",
            help="Account debited with the tax of taxed expenses in ledger/beancount "
            "(default Assets:Tax:Input).",
        ),
    ] = None,
    receipts_dir: Annotated[
        Path | None,
        typer.Option(
            "--receipts",
            help="Also write each exported expense's receipts as DIR/<expense id>/<file>.",
            metavar="DIR",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Write receipts into a non-empty DIR.")
    ] = False,
) -> None:
    """Export expenses (streamed, oldest first) as csv, json, ndjson, ledger or beancount.

    Example: expense export -f beancount -o expenses.beancount --from 2026-01-01
    """

    account = journals.payment_account(account)
    taxed_to = journals.tax_account(tax_account)
    store = open_store(ctx, create=False)
    if receipts_dir is not None:  # refused before anything is written
        packs.check_pack_folder(receipts_dir.expanduser(), force=force)
    if output is None or output == "-":
        _write(_source(store, filters, fmt), fmt, sys.stdout, account, taxed_to)
        _pack(store, filters, receipts_dir)
        return
    with journals.export_file(store, output_file(output, "--output")) as out:
        expenses = _source(store, filters, fmt)
        if not sys.stderr.isatty():  # no bar: no per-row callback either
            count = _write(expenses, fmt, out, account, taxed_to)
        else:
            total = listing.count(store, filters)
            with render.progress("Exporting", total) as advance:
                count = _write(_counted(expenses, advance), fmt, out, account, taxed_to)
    render.status_line(f"exported {count} expenses to {output}")
    _pack(store, filters, receipts_dir)


def _pack(store: "Store", filters: "Filters", folder: Path | None) -> None:
    """`--receipts DIR`: the receipts of the exported expenses (reference §10.2)."""
    if folder is None:
        return
    sys.stdout.flush()
    done = packs.write_pack(store, filters, folder.expanduser())
    render.status_line(f"wrote {done['files']} receipts ({done['bytes']} bytes) to {folder}")


def _source(store: "Store", filters: "Filters", kind: ExportFormat) -> Source:
    """Oldest first; CSV streams text SQLite rendered (no record per row: the export's hot
    loop), with flat rows only where a cell needs neutralising or escaping."""
    if kind is ExportFormat.CSV:
        return listing.iter_csv_chunks(store, filters, "date")
    return listing.iter_all(store, filters, "date")


def _counted(expenses: Iterable[T], advance: Callable[[int], None]) -> Iterator[T]:
    for expense in expenses:
        advance(expense.count("\n") if isinstance(expense, str) else 1)  # CSV text: its rows
        yield expense
