"""`import`: expenses into the book from csv, json or ndjson, all or nothing."""

import sys
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from expense_cli.cli.context import open_store
from expense_cli.cli.lazy import lazy
from expense_cli.cli.options import (
    DateFormatOpt,
    DecimalCommaOpt,
    DefaultCategoryOpt,
    DelimiterOpt,
    EncodingOpt,
    JsonOpt,
    MapOpt,
    RowAccountOpt,
    Sign,
    SignOpt,
    SkipRowsOpt,
    complete_names,
)

if TYPE_CHECKING:  # the real modules for mypy; lazy stand-ins at run time (cli/lazy.py)
    from expense_cli.cli import render
    from expense_cli.domain import book, importer, profiles, statements
else:
    render = lazy("expense_cli.cli.render")
    book = lazy("expense_cli.domain.book")
    importer = lazy("expense_cli.domain.importer")
    statements = lazy("expense_cli.domain.statements")
    profiles = lazy("expense_cli.domain.profiles")


def reading_options(
    maps: list[str] | None, delimiter: str | None, decimal_comma: bool | None,
    date_format: str | None, skip_rows: int | None, sign: Sign | None, encoding: str | None,
    default_category: str | None, account: str | None,
) -> dict[str, object]:  # fmt: skip
    """The options given on the command line (None: not given), checked (exit 2)."""
    if date_format is not None:
        importer.check_date_format(date_format)
    return {
        "mapping": statements.parse_map(maps) if maps else None,
        "delimiter": None if delimiter is None else statements.check_delimiter(delimiter),
        "decimal_comma": decimal_comma,
        "date_format": date_format,
        "skip_rows": None if skip_rows is None else statements.check_skip_rows(skip_rows),
        "sign": None if sign is None else sign.value,
        "encoding": None if encoding is None else statements.check_encoding(encoding),
        "default_category": default_category,
        # checked here, so a bad one is exit 4 before any row is read (§10.9)
        "account": None if account is None else statements.check_account(account),
    }


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
    date_format: DateFormatOpt = None,
    maps: MapOpt = None,
    delimiter: DelimiterOpt = None,
    decimal_comma: DecimalCommaOpt = None,
    skip_rows: SkipRowsOpt = None,
    sign: SignOpt = None,
    encoding: EncodingOpt = None,
    default_category: DefaultCategoryOpt = None,
    account: RowAccountOpt = None,
    allow_duplicates: Annotated[
        bool,
        typer.Option("--allow-duplicates", help="Import rows like a live expense as well."),
    ] = False,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help="Reading options saved with `import-profile add`.",
            autocompletion=complete_names("profile"),
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="Print only the ids of the created expenses, one per line "
            "(nothing with --dry-run).",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import expenses all or nothing: every row is validated first; known uids are skipped.

    Columns (any case and order; a CSV header needs at least one of them):
    {columns}.
    Categories, clients and projects are read by name, never as ids.
    Other columns (id, updated_at, receipts, recurring_id, ...) are ignored.

    Bank statements: --map FIELD=COLUMN reads any CSV (only mapped columns), e.g.
    --map date=Buchungstag --map description=Verwendungszweck --map amount=Betrag;
    rules (`expense rules`) fill what a row leaves empty. A row without uid like a live
    expense (date, amount, currency, description) is a duplicate: skipped and counted.

    Example: expense import expenses.csv --dry-run
    """
    kind = fmt or _guess(file)
    given = reading_options(maps, delimiter, decimal_comma, date_format, skip_rows, sign,
                            encoding, default_category, account)  # fmt: skip
    store = open_store(ctx)
    base = profiles.get_profile(store, profile).options if profile else statements.ReadOptions()
    options = profiles.merged(base, given)
    if options.account is not None and given["account"] is None:  # a profile saved earlier
        options = profiles.merged(options, {"account": statements.check_account(options.account)})
    stream = _open(file, options.encoding or "utf-8-sig")
    # A real import prints its summary before the commit (reference §10.1 item 18); a dry
    # run rolls itself back, so it must not sit inside a transaction that would commit.
    writing = nullcontext() if dry_run else book.transaction(store)
    with writing, render.delivered():
        with stream, render.progress("Importing") as advance:
            rows = (
                statements.read_statement(stream, options)
                if kind is ImportFormat.CSV
                else importer.READERS[kind.value](stream)
            )
            result = importer.import_rows(
                store, statements.with_account(rows, options.account),
                create_missing=create_missing, dry_run=dry_run, progress=advance,
                typed=kind is not ImportFormat.CSV, date_format=options.date_format,
                default_category=options.default_category, allow_duplicates=allow_duplicates,
            )  # fmt: skip
        if quiet:  # the ids created, one per line (§10.10 item 1); a dry run creates none
            if not result.dry_run:
                _print_ids(result)
            return
        if as_json:
            render.write_json(render.envelope(result.to_json()))
        else:
            print(_summary(result, allow_duplicates))


def _print_ids(result: "importer.ImportResult", chunk: int = 4096) -> None:
    """Every created id on its own line, written a chunk at a time (a million-row import
    holds a few id ranges, never a million strings)."""
    import itertools

    ids = result.created_ids()
    while batch := list(itertools.islice(ids, chunk)):
        sys.stdout.write("".join(f"{expense_id}\n" for expense_id in batch))


def _columns_help() -> str:
    """The importer's own column list, wrapped as the docstring's lines (cannot drift)."""
    import textwrap

    from expense_cli.domain.columns import IMPORT_COLUMNS  # a constant, nothing else

    lines = textwrap.wrap(", ".join(IMPORT_COLUMNS), width=78, break_on_hyphens=False)
    return "\n    ".join(lines)


import_file.__doc__ = (import_file.__doc__ or "").replace("{columns}", _columns_help())


def _summary(result: "importer.ImportResult", allow_duplicates: bool) -> str:
    """The counts in words, e.g. `imported 12 expenses, skipped 0 already in the book, ...`."""
    verb = "would import" if result.dry_run else "imported"
    parts = [f"{verb} {_n(result.imported, 'expense')}",
             f"skipped {result.skipped} already in the book"]  # fmt: skip
    if result.duplicates:
        done = "imported as well" if allow_duplicates else "skipped"
        parts.append(f"{_n(result.duplicates, 'duplicate')} of expenses in the book {done}")
    if result.income_skipped:
        parts.append(f"skipped {_n(result.income_skipped, 'income row')}")
    return ", ".join(parts)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _guess(file: Path) -> ImportFormat:
    suffix = file.suffix.lower().lstrip(".")
    return ImportFormat(suffix) if suffix in ImportFormat._value2member_map_ else ImportFormat.CSV


def _open(file: Path, encoding: str = "utf-8-sig") -> TextIO:
    """The file (or stdin for `-`) as text whose undecodable bytes arrive as lone
    surrogates, so the reader names the line that is not UTF-8 instead of crashing."""
    import io

    from expense_cli.errors import NotFoundError

    if str(file) == "-":
        return io.TextIOWrapper(
            sys.stdin.buffer, encoding=encoding, errors="surrogateescape", newline=""
        )
    try:
        return file.open(encoding=encoding, errors="surrogateescape", newline="")
    except FileNotFoundError:
        raise NotFoundError(f"no file {file}") from None
    except OSError as exc:
        raise NotFoundError(f"cannot read {file}: {exc.strerror}") from None
