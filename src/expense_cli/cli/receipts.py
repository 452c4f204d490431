"""`receipt add|list|get|remove`: receipt files kept in the book (reference §10.2)."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from expense_cli.cli import ids as id_args
from expense_cli.cli.context import open_store
from expense_cli.cli.errors import AppTyper
from expense_cli.cli.formats import RecordFormat, chosen
from expense_cli.cli.lazy import lazy
from expense_cli.cli.options import FormatOpt, IdArg, IdempotencyOpt, JsonOpt, QuietOpt, output_file

if TYPE_CHECKING:  # the real modules for mypy; lazy stand-ins at run time (cli/lazy.py)
    from expense_cli.cli import render
    from expense_cli.domain import book
    from expense_cli.domain import receipts as use
    from expense_cli.domain.receipts import ListedReceipt
else:
    render = lazy("expense_cli.cli.render")
    use = lazy("expense_cli.domain.receipts")
    book = lazy("expense_cli.domain.book")

receipt = AppTyper(
    help="Receipt files kept in the book with their expense.\n\n"
    "Example: expense receipt add 59 ~/scans/train-ticket.pdf",
    no_args_is_help=True,
)

ReceiptIdArg = Annotated[int, typer.Argument(help="Receipt id.", show_default=False)]
ReceiptIdsArg = Annotated[
    list[str],
    typer.Argument(
        help="Receipt ids, or - to read them from stdin, one per line.",
        show_default=False,
        metavar="RECEIPT_ID...",
    ),
]
DeletedOpt = Annotated[bool, typer.Option("--deleted", help="Also receipts of deleted expenses.")]


def register(app: typer.Typer, only: str | None = None) -> None:
    if only in (None, "receipt"):
        app.add_typer(receipt, name="receipt")


def _show_receipts(
    items: "list[ListedReceipt]", fmt: RecordFormat, as_json: bool, quiet: bool
) -> None:
    render.show_records(
        items, fmt, as_json, ["id", "expense", "filename", "size", "media type", "sha256"],
        lambda r: [r.id, r.expense_id, r.filename, r.size, r.media_type, r.sha256[:12]],
        right=(0, 1, 3), quiet=quiet,
    )  # fmt: skip


@receipt.command("add")
def add(
    ctx: typer.Context,
    expense_id: IdArg,
    paths: Annotated[
        list[Path],
        typer.Argument(help="Files to store (each ≤ 25 MiB).", show_default=False),
    ],
    idempotency_key: IdempotencyOpt = None,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Store files in the book as receipts of an expense; prints the expense.

    The same bytes are stored once in the whole book; a file the expense already has
    links nothing new. One missing, unreadable or over-25-MiB file and nothing is added.

    Example: expense receipt add 59 ~/scans/train-ticket.pdf
    """
    store = open_store(ctx.find_root())
    with book.transaction(store), render.delivered():
        changed = use.add_receipts(
            store, expense_id, [str(p) for p in paths], idempotency_key=idempotency_key
        )
        render.show_expense(changed, fmt, as_json, quiet)


@receipt.command("list")
def list_receipts(
    ctx: typer.Context,
    expense_id: Annotated[
        int | None, typer.Argument(help="Expense id (default: every expense).")
    ] = None,
    deleted: DeletedOpt = False,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """List the receipts of one expense, or of every expense.

    Example: expense receipt list 59 --json
    """
    store = open_store(ctx.find_root(), create=False)
    _show_receipts(use.list_receipts(store, expense_id, deleted=deleted), fmt, as_json, quiet)


@receipt.command("get")
def get(
    ctx: typer.Context,
    receipt_id: ReceiptIdArg,
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="File to write (0600); - or none: stdout."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
    deleted: DeletedOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Write a receipt's exact bytes to a file or to stdout.

    Example: expense receipt get 7 -o train-ticket.pdf
    """
    store = open_store(ctx.find_root(), create=False)
    found = use.get_receipt(store, receipt_id, deleted=deleted)
    if output is None or output == "-":
        out = sys.stdout.buffer
        for chunk in use.receipt_bytes(store, found):
            out.write(chunk)
        out.flush()
        return
    written = use.save_receipt(store, found, output_file(output, "--output"), force=force)
    if quiet:
        return
    if chosen(fmt, as_json) == "json":
        render.write_json(render.envelope({**found.to_json(), "path": str(written)}))
    else:
        render.status_line(f"wrote {found.size} bytes to {written}")


@receipt.command("remove")
def remove(
    ctx: typer.Context,
    receipt_ids: ReceiptIdsArg,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Unlink receipts from their expenses (the bytes stay until `db vacuum`).

    Example: expense receipt remove 7 8
    """
    ids = id_args.parse(receipt_ids).ids  # `-`: ids on stdin (reference §10.10 item 1)
    store = open_store(ctx.find_root())
    with book.transaction(store), render.delivered():
        _show_receipts(use.remove_receipts(store, ids), fmt, as_json, quiet)
