"""`import`: expenses into the book from csv, json or ndjson, all or nothing."""

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from expense_cli.cli.context import open_store
from expense_cli.cli.lazy import lazy
from expense_cli.cli.options import JsonOpt

if TYPE_CHECKING:  # the real modules for mypy; lazy stand-ins at run time (cli/lazy.py)
    from expense_cli.cli import render
    from expense_cli.domain import importer
else:
    render = lazy("expense_cli.cli.render")
    importer = lazy("expense_cli.domain.importer")


class ImportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    NDJSON = "ndjson"


def register(app: typer.Typer, only: str | None = None) -> None:
    if only in (None, "import"):
        app.command("import")(import_file)


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
        importer.check_date_format(date_format)
    store = open_store(ctx)
    stream = _open(file)
    with stream, render.progress("Importing") as advance:
        result = importer.import_rows(
            store, importer.READERS[kind.value](stream), create_missing=create_missing,
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
