"""`categories`, `clients` and `projects`: the book's catalogue."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from expense_cli.cli.commands import target_command
from expense_cli.cli.context import open_store
from expense_cli.cli.errors import AppTyper
from expense_cli.cli.formats import RecordFormat, chosen
from expense_cli.cli.lazy import lazy
from expense_cli.cli.options import FormatOpt, JsonOpt, QuietOpt, complete_names
from expense_cli.domain.enums import Approval, Reimbursement

if TYPE_CHECKING:
    from collections.abc import Callable

    from expense_cli.cli import render
    from expense_cli.domain import book
    from expense_cli.domain import catalog as use
    from expense_cli.domain.catalog_models import Category, Client, Project
    from expense_cli.store import Store
else:  # lazy stand-ins at run time (cli/lazy.py); mypy sees the real modules above
    render = lazy("expense_cli.cli.render")
    use = lazy("expense_cli.domain.catalog")
    book = lazy("expense_cli.domain.book")

categories = AppTyper()
clients = AppTyper()
projects = AppTyper()

NameArg = Annotated[str, typer.Argument(help="Name.", show_default=False)]
CategoryRef = Annotated[
    str,
    typer.Argument(
        help="Category id or name.", autocompletion=complete_names("category"), show_default=False
    ),
]
ClientRef = Annotated[
    str,
    typer.Argument(
        help="Client id or name.", autocompletion=complete_names("client"), show_default=False
    ),
]
ProjectRef = Annotated[
    str,
    typer.Argument(
        help="Project id or name.", autocompletion=complete_names("project"), show_default=False
    ),
]
NewName = Annotated[str | None, typer.Option("--name", help="New name.")]
ApprovalDefault = Annotated[
    Approval | None, typer.Option("--approval", help="Default approval of new expenses.")
]
ReimbursementDefault = Annotated[
    Reimbursement | None,
    typer.Option("--reimbursement", help="Default reimbursement of new expenses."),
]
CategoryTaxOpt = Annotated[
    str | None,
    typer.Option("--tax", help='Default tax rate of new expenses, e.g. 19% ("" removes it).'),
]
CurrencyOpt = Annotated[str | None, typer.Option("--currency", help="ISO 4217 code, e.g. EUR.")]
MarkupOpt = Annotated[
    str | None,
    typer.Option("--markup", help="Rebill markup in percent, 0–1000 (e.g. 12.5; default 0)."),
]


def _category_row(c: "Category") -> list[object]:
    unit = f"{c.unit_price} {c.unit_currency} per {c.unit_name}" if c.unit_name else ""
    last = c.unit_prices[-1] if c.unit_prices else None
    if last is not None and last.price != c.unit_price:  # a price dated later than today
        unit += f" ({last.to_json()['price']} from {last.starts.isoformat()})"
    return [c.id, c.name, c.basis.value, unit, c.default_approval.value,
            c.default_reimbursement.value, "yes" if c.archived else ""]  # fmt: skip


def _cell(value: Any) -> Any:
    """A record field for the table: a category's dated prices on one line."""
    if isinstance(value, list):
        return "; ".join(f"{p['price']} from {p['from']}" for p in value)
    return render.plain(value)


def _change(
    ctx: typer.Context, change: "Callable[..., Any]", *args: Any, fmt: RecordFormat,
    as_json: bool, quiet: bool,
) -> None:  # fmt: skip
    """Run a catalogue change and print its record before the commit (§10.1 item 18)."""
    store = open_store(ctx)
    with book.transaction(store), render.delivered():
        _show(change(store, *args), fmt, as_json, quiet)


def _show(item: Any, fmt: RecordFormat, as_json: bool, quiet: bool) -> None:
    """A created or changed record; `-q` prints only its id."""
    if quiet:
        print(item.id)
    elif chosen(fmt, as_json) == "json":
        render.show_record(item, fmt, as_json)
    else:
        render.record_table([(k, _cell(v)) for k, v in item.to_json().items()])


def _client_row(c: "Client") -> list[object]:
    return [c.id, c.name, c.currency, c.to_json()["markup"], "yes" if c.archived else ""]


def _project_row(p: "Project") -> list[object]:
    return [p.id, p.name, p.client.name, "yes" if p.archived else ""]


def _ref_command(
    group: AppTyper, name: str, ref: Any, change: "Callable[[Store, str], object]", doc: str
) -> None:
    """`group name REF` with the record options: runs `change` and prints its record."""

    def run(ctx: typer.Context, ref: str, fmt: RecordFormat, as_json: bool, quiet: bool) -> None:
        _change(ctx, change, ref, fmt=fmt, as_json=as_json, quiet=quiet)

    group.command(name)(target_command(name, ("ref", ref), run, doc))


def _archiving(
    group: AppTyper, noun: str, ref: Any, example: str, live: str,
    archive: "Callable[[Store, str], object]", unarchive: "Callable[[Store, str], object]",
) -> None:  # fmt: skip
    """`archive` and `unarchive` of one kind of catalogue record."""
    plural = "categories" if noun == "category" else f"{noun}s"
    _ref_command(group, "archive", ref, archive,
                 f"Archive a {noun}: it stays on its expenses but takes no new ones.\n\n"
                 f"Example: expense {plural} archive {example}")  # fmt: skip
    _ref_command(group, "unarchive", ref, unarchive,
                 f"Unarchive a {noun}: it takes new expenses again ({live}).\n\n"
                 f"Example: expense {plural} unarchive {example}")  # fmt: skip


def register(app: typer.Typer, only: str | None = None) -> None:
    for name, group in (("categories", categories), ("clients", clients), ("projects", projects)):
        if only in (None, name):
            app.add_typer(group, name=name)


# categories ---------------------------------------------------------------------------
@categories.callback(invoke_without_command=True)
def categories_list(
    ctx: typer.Context, fmt: FormatOpt = RecordFormat.TABLE, as_json: JsonOpt = False
) -> None:
    """List categories (`categories add|edit|archive|unarchive|delete` change them).

    Example: expense categories --json
    """
    if ctx.invoked_subcommand is None:
        headers = ["ID", "Name", "Basis", "Unit price", "Approval", "Reimbursement", "Archived"]
        categories = use.list_categories(open_store(ctx, create=False))
        render.show_records(categories, fmt, as_json, headers, _category_row, right=[0])


@categories.command("add")
def categories_add(
    ctx: typer.Context,
    name: NameArg,
    unit: Annotated[
        str | None, typer.Option("--unit", help="Unit name: makes it unit-based.")
    ] = None,
    unit_price: Annotated[str | None, typer.Option("--unit-price", help="Price per unit.")] = None,
    unit_currency: Annotated[
        str | None,
        typer.Option(
            "--unit-currency",
            help="Currency of the unit price (default: the book's); only expenses in it "
            "can use the category.",
        ),
    ] = None,
    approval: ApprovalDefault = None,
    reimbursement: ReimbursementDefault = None,
    tax: CategoryTaxOpt = None,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Add a category, amount-based or unit-based. A unit price has one currency and
    covers every date until `categories edit --unit-price P --from DATE` dates a new one.

    Example: expense categories add Mileage --unit km --unit-price 0.58 --unit-currency EUR
    """
    _change(
        ctx, use.add_category, name, unit, unit_price,
        approval or Approval.APPROVED, reimbursement or Reimbursement.NOT_REIMBURSABLE,
        unit_currency, tax, fmt=fmt, as_json=as_json, quiet=quiet,
    )  # fmt: skip


@categories.command("edit")
def categories_edit(
    ctx: typer.Context,
    ref: CategoryRef,
    name: NewName = None,
    unit_price: Annotated[
        str | None,
        typer.Option("--unit-price", help="New price per unit, from --from (default today)."),
    ] = None,
    starts: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="First date the new unit price applies to (read like -d); expenses dated "
            "earlier keep the earlier price.",
        ),
    ] = None,
    approval: ApprovalDefault = None,
    reimbursement: ReimbursementDefault = None,
    tax: CategoryTaxOpt = None,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Rename a category or change its defaults, or date a new unit price: expenses dated
    on or after --from are priced with it (existing ones keep their price until their
    units or date are edited).

    Example: expense categories edit Mileage --unit-price 0.62 --from 2026-01-01
    """
    _change(ctx, use.edit_category, ref, name, unit_price, approval, reimbursement, starts,
            tax, fmt=fmt, as_json=as_json, quiet=quiet)  # fmt: skip


_archiving(categories, "category", CategoryRef, "Rent", "a live one stays as it is",
           lambda s, r: use.archive_category(s, r),
           lambda s, r: use.unarchive_category(s, r))  # fmt: skip
_ref_command(categories, "delete", CategoryRef, lambda s, r: use.delete_category(s, r),
             "Delete a category that no expense (deleted ones included) uses.\n\n"
             "Example: expense categories delete Salaries")  # fmt: skip


# clients ------------------------------------------------------------------------------
@clients.callback(invoke_without_command=True)
def clients_list(
    ctx: typer.Context, fmt: FormatOpt = RecordFormat.TABLE, as_json: JsonOpt = False
) -> None:
    """List clients (`clients add|edit|archive|unarchive` change them).

    Example: expense clients --json
    """
    if ctx.invoked_subcommand is None:
        render.show_records(use.list_clients(open_store(ctx, create=False)), fmt, as_json,
                       ["ID", "Name", "Currency", "Markup %", "Archived"], _client_row,
                       right=[0, 3])  # fmt: skip


@clients.command("add")
def clients_add(
    ctx: typer.Context,
    name: NameArg,
    currency: CurrencyOpt = None,
    markup: MarkupOpt = None,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Add a client; its currency (default: the book's) is fixed once it has expenses.

    Example: expense clients add "Acme GmbH" --currency EUR --markup 10
    """
    _change(ctx, use.add_client, name, currency, markup, fmt=fmt, as_json=as_json, quiet=quiet)


@clients.command("edit")
def clients_edit(
    ctx: typer.Context,
    ref: ClientRef,
    name: NewName = None,
    currency: CurrencyOpt = None,
    markup: MarkupOpt = None,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Rename a client, change its rebill markup, or its currency while it has no expenses.

    Example: expense clients edit Acme --name "Acme Inc" --markup 12.5
    """
    _change(ctx, use.edit_client, ref, name, currency, markup, fmt=fmt, as_json=as_json,
            quiet=quiet)  # fmt: skip


_archiving(clients, "client", ClientRef, "Acme", "a live one stays as it is",
           lambda s, r: use.archive_client(s, r),
           lambda s, r: use.unarchive_client(s, r))  # fmt: skip


# projects -----------------------------------------------------------------------------
@projects.callback(invoke_without_command=True)
def projects_list(
    ctx: typer.Context, fmt: FormatOpt = RecordFormat.TABLE, as_json: JsonOpt = False
) -> None:
    """List projects (`projects add|edit|archive|unarchive` change them).

    Example: expense projects --json
    """
    if ctx.invoked_subcommand is None:
        render.show_records(use.list_projects(open_store(ctx, create=False)), fmt, as_json,
                       ["ID", "Name", "Client", "Archived"], _project_row, right=[0])  # fmt: skip


@projects.command("add")
def projects_add(
    ctx: typer.Context,
    name: NameArg,
    client: Annotated[
        str,
        typer.Option(
            "--client", help="Client id or name.", autocompletion=complete_names("client")
        ),
    ],
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Add a project for a client.

    Example: expense projects add Website --client Acme
    """
    _change(ctx, use.add_project, name, client, fmt=fmt, as_json=as_json, quiet=quiet)


@projects.command("edit")
def projects_edit(
    ctx: typer.Context,
    ref: ProjectRef,
    name: NewName = None,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Rename a project.

    Example: expense projects edit Website --name "Website relaunch"
    """
    _change(ctx, use.edit_project, ref, name, fmt=fmt, as_json=as_json, quiet=quiet)


_archiving(projects, "project", ProjectRef, "Website", "while its client is live",
           lambda s, r: use.archive_project(s, r),
           lambda s, r: use.unarchive_project(s, r))  # fmt: skip
