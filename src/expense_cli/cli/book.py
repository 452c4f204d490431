"""Book-level commands: `config` and `db` maintenance."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from expense_cli.cli.context import db_path, open_store
from expense_cli.cli.errors import AppTyper
from expense_cli.cli.formats import RecordFormat, chosen
from expense_cli.cli.lazy import lazy
from expense_cli.cli.options import FormatOpt, JsonOpt, output_file

if TYPE_CHECKING:  # the real modules for mypy; lazy stand-ins at run time (cli/lazy.py)
    from expense_cli.cli import render
    from expense_cli.domain import book as use
    from expense_cli.domain import demo as demo_book
    from expense_cli.domain import listing, maintenance
    from expense_cli.domain import receipts as receipt_use
    from expense_cli.domain import report as reports
else:
    render = lazy("expense_cli.cli.render")
    use = lazy("expense_cli.domain.book")
    maintenance = lazy("expense_cli.domain.maintenance")
    receipt_use = lazy("expense_cli.domain.receipts")
    demo_book = lazy("expense_cli.domain.demo")
    listing = lazy("expense_cli.domain.listing")
    reports = lazy("expense_cli.domain.report")

db = AppTyper(
    help="Maintenance of the book file: path, check, backup, vacuum.\n\nExample: expense db check",
    no_args_is_help=True,
)


def register(app: typer.Typer, only: str | None = None) -> None:
    if only in (None, "config"):
        app.command("config")(config)
    if only in (None, "demo"):
        app.command("demo")(demo)
    if only in (None, "db"):
        app.add_typer(db, name="db")


def config(
    ctx: typer.Context,
    key: Annotated[
        str | None, typer.Argument(help="default_currency, date_order or default_account.")
    ] = None,
    value: Annotated[str | None, typer.Argument(help="New value.")] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing on a change.")
    ] = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Show or change the book's settings.

    Keys: default_currency (ISO 4217 code for expenses without a client, and the default
    of new clients; default USD); date_order (ymd, dmy or mdy: how a numeric date such as
    03/04/2025 is read; default ymd); default_account (the payment account new expenses
    get when add has no --account, e.g. Liabilities:Visa; default Assets:Cash).

    Example: expense config date_order dmy
    """
    if key is not None:
        use.check_key(key)
    store = open_store(ctx, create=value is not None)  # showing settings creates nothing
    with use.transaction(store), render.delivered():  # printed before a change commits
        settings = (
            use.set_setting(store, key, value)
            if key is not None and value is not None
            else use.load_settings(store)
        )
        data = settings.as_dict()
        if key is not None and value is None:
            data = {key: data[key]}
        if quiet and value is not None:
            return
        if chosen(fmt, as_json) == "json":
            render.write_json(render.envelope(data))
        elif key is not None and value is None:
            print(data[key])
        else:
            render.record_table(list(data.items()))


@db.command("path")
def path(ctx: typer.Context, fmt: FormatOpt = RecordFormat.TABLE, as_json: JsonOpt = False) -> None:
    """Print the book's path (creates nothing).

    Example: expense db path
    """
    location = str(db_path(ctx.find_root()))
    if chosen(fmt, as_json) == "json":
        render.write_json(render.envelope({"path": location}))
    else:
        print(location)


@db.command("check")
def check(
    ctx: typer.Context, fmt: FormatOpt = RecordFormat.TABLE, as_json: JsonOpt = False
) -> None:
    """Check the file's integrity and the book's invariants; exit 4 listing each problem.

    Example: expense db check
    """
    counts = maintenance.check(open_store(ctx.find_root(), create=False))
    if chosen(fmt, as_json) == "json":
        render.write_json(render.envelope({"ok": True, **counts}))
    else:
        print("ok: " + ", ".join(f"{value} {name}" for name, value in counts.items()))


@db.command("backup")
def backup(
    ctx: typer.Context,
    dest: Annotated[str, typer.Argument(help="Backup file to write.", show_default=False)],
    force: Annotated[bool, typer.Option("--force", help="Replace DEST if it exists.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Write a consistent copy of the book, safe while other commands write.

    Example: expense db backup ~/backups/expenses-$(date +%F).db
    """
    store = open_store(ctx.find_root())
    with render.progress_pages("Backing up") as progress:
        written = maintenance.backup(
            store, output_file(dest, "DEST"), force=force, progress=progress
        )
    if quiet:
        return
    if chosen(fmt, as_json) == "json":
        render.write_json(render.envelope({"path": str(written)}))
    else:
        print(f"backed up to {written}")


@db.command("vacuum")
def vacuum(
    ctx: typer.Context,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Delete receipt bytes no expense links any more, then compact the file.

    Example: expense db vacuum
    """
    freed = receipt_use.vacuum(open_store(ctx.find_root(), create=False))
    if quiet:
        return
    if chosen(fmt, as_json) == "json":
        render.write_json(render.envelope(freed))
    else:
        print(f"freed {freed['blobs']} unlinked receipt file(s), {freed['bytes']} bytes")


def demo(
    ctx: typer.Context,
    db_file: Annotated[
        Path | None, typer.Option("--db", help="Book to fill (default: the usual book).")
    ] = None,
) -> None:
    """Show a year of sample expenses in a demo book, then list and report it.

    Without --db the demo book is `demo.db` in the data directory, recreated each time
    (its path is printed on stderr); your own book is never touched. With --db, a new,
    empty book at that path is filled.

    Example: expense demo --db /tmp/demo.db
    """
    from datetime import date

    from expense_cli.cli.context import AppState, default_db_path

    root = ctx.find_root()
    debug = getattr(root.obj, "debug", False)
    db_file = db_file or getattr(root.obj, "db", None)
    if db_file is None:
        db_file = default_db_path().with_name("demo.db")
        demo_book.discard(db_file)
        render.stderr_line(f"demo book: {db_file} (recreated each time; your book is untouched)")
    root.obj = AppState(db=db_file, debug=debug)
    store = open_store(ctx.find_root())
    with use.transaction(store), render.delivered():  # shown before the book is filled
        with render.progress("Filling the demo book", 12) as advance:
            added = demo_book.fill(store, date.today(), advance)
        render.status_line(f"demo: added {added} expenses to {db_path(ctx.find_root())}")
        page = listing.list_page(store, listing.Filters(), listing.Paging(limit=15))
        render.expense_table(page.expenses)
        rows = reports.report(store, listing.Filters(), ["category"])
        totals = reports.grand_totals(store, listing.Filters())
        render.report_table(rows, ["category"], totals, chart=True)
