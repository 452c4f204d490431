"""`report`, `export` and `import`: totals, and data out of and into the book."""

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from expense_cli.cli.context import open_store
from expense_cli.cli.formats import RecordFormat, chosen
from expense_cli.cli.lazy import lazy
from expense_cli.cli.listing import with_filters
from expense_cli.cli.options import JsonOpt

if TYPE_CHECKING:
    from expense_cli.domain.listing import Filters

render = lazy("expense_cli.cli.render")
listing = lazy("expense_cli.domain.listing")
reports = lazy("expense_cli.domain.reports")
ledger = lazy("expense_cli.domain.ledger")
transfer = lazy("expense_cli.domain.transfer")
maintenance = lazy("expense_cli.domain.maintenance")


class GroupBy(StrEnum):
    CATEGORY = "category"
    CLIENT = "client"
    PROJECT = "project"
    TAG = "tag"
    MONTH = "month"
    YEAR = "year"


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    NDJSON = "ndjson"
    LEDGER = "ledger"
    BEANCOUNT = "beancount"


class ImportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    NDJSON = "ndjson"


def register(app: typer.Typer, only: str | None = None) -> None:
    commands = (("report", with_filters(report)), ("export", with_filters(export)),
                ("import", import_file))  # fmt: skip
    for name, command in commands:
        if only in (None, name):
            app.command(name)(command)


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


def _write(expenses: object, kind: ExportFormat, out: object, account: str) -> int:
    if kind is ExportFormat.JSON:
        return render.write_json_list(expenses, {"limit": None, "next_cursor": None}, out)  # type: ignore[no-any-return]
    if kind is ExportFormat.NDJSON:
        return render.write_ndjson(expenses, out)  # type: ignore[no-any-return]
    if kind is ExportFormat.CSV:  # `expenses` are flat rows here (see _source)
        return render.write_flat(expenses, False, out)  # type: ignore[no-any-return]
    count = 0
    opened: set[str] = set()
    entries = (
        ledger.ledger_entries(expenses, account)
        if kind is ExportFormat.LEDGER
        else ledger.beancount_entries(expenses, account, opened)
    )
    for entry in entries:
        out.write(entry)  # type: ignore[attr-defined]
        count += 1
    if kind is ExportFormat.BEANCOUNT:
        out.write(ledger.beancount_opens(opened))  # type: ignore[attr-defined]
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
    with maintenance.export_file(store, output.expanduser()) as out:
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
        return listing.iter_flat(store, filters, "date")
    return listing.iter_all(store, filters, "date")


def _counted(expenses: object, advance: object) -> object:
    for expense in expenses:  # type: ignore[attr-defined]
        advance(1)  # type: ignore[operator]
        yield expense


def import_file(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="File to import (- for stdin).", show_default=False)],
    fmt: Annotated[
        ImportFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="csv, json or ndjson (default: from the extension).",
            case_sensitive=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate everything, write nothing.")
    ] = False,
    create_missing: Annotated[
        bool, typer.Option("--create-missing", help="Create unknown categories, clients, projects.")
    ] = False,
    date_format: Annotated[
        str | None,
        typer.Option(
            "--date-format",
            help="Read every date with this strptime format, e.g. %d/%m/%Y.",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import expenses all or nothing: every row is validated first; known uids are skipped.

    Columns (any case and order; a CSV header needs at least one of them):
    uid, date, time, description, amount, currency, units, unit_price,
    category, custom_category, client, project, billable, billing_status,
    invoice_ref, approval_status, reimbursement_status, notes, tags,
    created_at, deleted_at.
    Categories, clients and projects are read by name, never as ids.
    Other columns (id, updated_at, receipts, recurring_id, ...) are ignored.

    Example: expense import expenses.csv --dry-run
    """
    kind = fmt or _guess(file)
    if date_format is not None:
        transfer.check_date_format(date_format)
    store = open_store(ctx)
    stream = _open(file)
    with stream, render.progress("Importing") as advance:
        result = transfer.import_rows(
            store, transfer.READERS[kind.value](stream), create_missing=create_missing,
            dry_run=dry_run, progress=advance, typed=kind is not ImportFormat.CSV,
            date_format=date_format,
        )  # fmt: skip
    if quiet:
        return
    if as_json:
        render.write_json(render.envelope(result.to_json()))
    else:
        verb = "would import" if result.dry_run else "imported"
        print(f"{verb} {result.imported} expenses, skipped {result.skipped} already in the book")


def _guess(file: Path) -> ImportFormat:
    suffix = file.suffix.lower().lstrip(".")
    return ImportFormat(suffix) if suffix in ImportFormat._value2member_map_ else ImportFormat.CSV


def _open(file: Path) -> TextIO:
    """The file (or stdin for `-`) as text whose undecodable bytes arrive as lone
    surrogates, so the reader names the line that is not UTF-8 instead of crashing."""
    import io

    from expense_cli.errors import NotFoundError

    if str(file) == "-":
        return io.TextIOWrapper(
            sys.stdin.buffer, encoding="utf-8-sig", errors="surrogateescape", newline=""
        )
    try:
        return file.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
    except FileNotFoundError:
        raise NotFoundError(f"no file {file}") from None
    except OSError as exc:
        raise NotFoundError(f"cannot read {file}: {exc.strerror}") from None
