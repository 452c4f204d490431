"""`invoice` (by ids, or everything billable of one client that the list filters select)
and `invoices` (the invoice refs, and the statement of one): reference §10.5."""

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from expense_cli.cli.context import open_store
from expense_cli.cli.errors import AppTyper
from expense_cli.cli.formats import RecordFormat, chosen
from expense_cli.cli.lazy import lazy
from expense_cli.cli.options import FormatOpt, JsonOpt, QuietOpt
from expense_cli.errors import UsageError

if TYPE_CHECKING:  # the real modules for mypy; lazy stand-ins at run time (cli/lazy.py)
    from expense_cli.cli import ids as id_args
    from expense_cli.cli import render
    from expense_cli.domain import book, listing
    from expense_cli.domain import expenses as expense_use
    from expense_cli.domain import invoices as use
    from expense_cli.domain.invoices import Invoice, Statement
    from expense_cli.domain.listing import Filters
else:
    id_args = lazy("expense_cli.cli.ids")
    render = lazy("expense_cli.cli.render")
    use = lazy("expense_cli.domain.invoices")
    expense_use = lazy("expense_cli.domain.expenses")
    listing = lazy("expense_cli.domain.listing")
    book = lazy("expense_cli.domain.book")

invoices = AppTyper()


class StatementFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"


OptionalIdsArg = Annotated[
    list[str] | None,
    typer.Argument(
        help="Expense ids, or - to read ids from stdin (not with --client).",
        show_default=False,
        metavar="[ID]...",
    ),
]
RefOpt = Annotated[
    str | None,
    typer.Option("--ref", help="Invoice reference (required with --client).", metavar="REF"),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Show what would be invoiced; change nothing.")
]


def register(app: typer.Typer, only: str | None = None) -> None:
    if only in (None, "invoice"):
        from expense_cli.cli.listing import with_filters  # `invoices` has no list filters

        # The list filters select a client's expenses; `--ref` here is the ref to give them,
        # and deleted expenses are never invoiced.
        app.command("invoice")(with_filters(invoice, without=("ref", "deleted")))
    if only in (None, "invoices"):
        app.add_typer(invoices, name="invoices")


def invoice(
    ctx: typer.Context,
    filters: "Filters",
    expense_ids: OptionalIdsArg = None,
    ref: RefOpt = None,
    dry_run: DryRunOpt = False,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Mark billable expenses as invoiced (locks amount, billable, client, project) and
    record their rebill amount (amount plus the client's markup). Give ids, or --client
    with list filters to invoice every billable, not-invoiced expense they select.

    Example: expense invoice --client Acme --to 2026-03-31 --ref INV-2026-03
    """
    if filters.client is not None:
        if expense_ids:
            raise UsageError("give expense ids or --client with filters, not both")
        store = open_store(ctx)
        with book.transaction(store), render.delivered():
            chosen_ = use.invoice_matching(store, filters, ref, dry_run=dry_run)
            render.show_expenses(chosen_, fmt, as_json, quiet)
            if not chosen_ and not quiet and chosen(fmt, as_json) != "json":
                render.stderr_line("nothing to invoice: no billable, not-invoiced expense matches")
        return
    if filters != listing.Filters():
        raise UsageError("list filters select a client's expenses: give --client with them")
    ids = id_args.parse(expense_ids or []).ids
    store = open_store(ctx)
    with book.transaction(store), render.delivered():
        invoiced = expense_use.invoice(store, ids, ref=ref, dry_run=dry_run)
        render.show_expenses(invoiced, fmt, as_json, quiet)


@invoices.callback(invoke_without_command=True)
def invoices_list(
    ctx: typer.Context, fmt: FormatOpt = RecordFormat.TABLE, as_json: JsonOpt = False
) -> None:
    """List invoice refs with their client, count, total and rebill total
    (`invoices show REF` prints one statement).

    Example: expense invoices --json
    """
    if ctx.invoked_subcommand is not None:
        return
    store = open_store(ctx, create=False)
    if chosen(fmt, as_json) == "json":  # thousands of refs: rendered by the store
        text = use.invoices_json(store)
        if text is not None:
            sys.stdout.write(text + "\n")
            return
    found = use.list_invoices(store)
    render.show_records(found, fmt, as_json, _INVOICE_HEADERS, _invoice_row, right=[3, 4, 5])


_INVOICE_HEADERS = ["Ref", "Client", "Currency", "Count", "Total", "Rebill total", "Invoiced at"]


def _invoice_row(i: "Invoice") -> list[object]:
    client = i.client.name if i.client else ""
    return [i.ref, client, i.currency, i.count, i.total, i.rebill_total, i.invoiced_at or ""]


@invoices.command("show")
def invoices_show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Invoice reference.", show_default=False)],
    fmt: Annotated[
        StatementFormat,
        typer.Option("--format", "-f", help="Output format.", case_sensitive=False),
    ] = StatementFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Print the statement of one invoice: each expense with its rebill amount and receipt
    count, and the totals (markdown pastes into an invoice email).

    Example: expense invoices show INV-2026-03 -f markdown
    """
    found = use.statement(open_store(ctx, create=False), ref)
    kind = chosen(fmt, as_json)
    if kind == "json":
        render.write_json(render.envelope(found.to_json()))
    elif kind == "csv":
        _statement_csv(found)
    elif kind == "markdown":
        _statement_markdown(found)
    else:
        _statement_table(found)


_LINE_COLUMNS = ("id", "date", "description", "category", "amount", "rebill_amount", "receipts")


def _statement_csv(s: "Statement") -> None:
    """One row per line (what an invoicing tool imports), then a `Total` row with the total
    and rebill total as the statement has them; text cells neutralised (§4)."""
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(_LINE_COLUMNS)
    for line in s.lines:
        row = line.to_json()
        for text_column in ("description", "category"):
            row[text_column] = render.neutralise(render.escape_controls(row[text_column]))
        writer.writerow(["" if row[c] is None else row[c] for c in _LINE_COLUMNS])
    totals = s.to_json()
    writer.writerow(["", "", "Total", "", totals["total"], totals["rebill_total"], ""])


_MARKDOWN_SPECIAL = "\\`*_[]<>|#~"


def _md(text: str) -> str:
    """User text as literal markdown: specials backslash-escaped, controls shown escaped."""
    text = render.escape_controls(text)
    return "".join("\\" + c if c in _MARKDOWN_SPECIAL else c for c in text)


def _statement_markdown(s: "Statement") -> None:
    client = _md(s.client.name) if s.client else "no client"
    out = [
        f"**Invoice {_md(s.ref)}**: {client}, {s.currency}",
        "",
        "| Date | Description | Category | Amount | Rebill amount | Receipts |",
        "|---|---|---|---:|---:|---:|",
    ]
    for line in s.lines:
        j = line.to_json()
        out.append(
            f"| {j['date']} | {_md(j['description'])} | {_md(j['category'])} | {j['amount']} "
            f"| {j['rebill_amount'] or ''} | {j['receipts']} |"
        )
    out.append(f"| | **Total** | | **{s.total}** | **{s.rebill_total}** | |")
    print("\n".join(out))


def _statement_table(s: "Statement") -> None:
    from rich.table import Table
    from rich.text import Text

    client = s.client.name if s.client else "no client"
    title = Text(render.escape_controls(f"Invoice {s.ref} · {client} · {s.currency}"))
    table = Table(title=title, title_justify="left")
    for name in ("ID", "Date", "Description", "Category", "Amount", "Rebill", "Receipts"):
        right = name in ("ID", "Amount", "Rebill", "Receipts")
        table.add_column(name, justify="right" if right else "left")
    for line in s.lines:
        j = line.to_json()
        table.add_row(
            str(j["id"]), j["date"], Text(render.escape_controls(j["description"])),
            Text(render.escape_controls(j["category"])), j["amount"],
            j["rebill_amount"] or "", str(j["receipts"]),
        )  # fmt: skip
    table.add_section()
    table.add_row("", "", "Total", "", s.total, s.rebill_total, "")
    render.console().print(table)
