"""Commands on single expenses: add, show, edit, delete, restore, tag, attach, detach,
clone, invoice, uninvoice."""

import re
from itertools import islice
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

from expense_cli.cli import ids as id_args
from expense_cli.cli.commands import target_command
from expense_cli.cli.context import open_store
from expense_cli.cli.formats import RecordFormat, chosen
from expense_cli.cli.ids import IdsOrStdinArg
from expense_cli.cli.lazy import lazy
from expense_cli.cli.options import (
    AccountOpt,
    AmountOpt,
    ApprovalOpt,
    BillableOpt,
    CategoryOpt,
    ClientOpt,
    DateOpt,
    DescriptionOpt,
    FormatOpt,
    IdArg,
    IdempotencyOpt,
    JsonOpt,
    LabelOpt,
    NotesOpt,
    OriginalCurrencyOpt,
    OriginalOpt,
    ProjectOpt,
    QuietOpt,
    ReimbursementOpt,
    TaxAmountOpt,
    TaxOpt,
    TimeOpt,
    UnitsOpt,
    money_options,
)
from expense_cli.errors import UsageError

if TYPE_CHECKING:  # the real modules for mypy; lazy stand-ins at run time (cli/lazy.py)
    from collections.abc import Callable, Sequence

    from expense_cli.cli import render
    from expense_cli.domain import book, bulk, inputs
    from expense_cli.domain import expenses as use
    from expense_cli.domain import records as reading
    from expense_cli.domain.models import Expense
    from expense_cli.store import Store
else:
    render = lazy("expense_cli.cli.render")
    use = lazy("expense_cli.domain.expenses")
    reading = lazy("expense_cli.domain.records")  # show: no use-case machinery to import
    inputs = lazy("expense_cli.domain.inputs")
    book = lazy("expense_cli.domain.book")
    bulk = lazy("expense_cli.domain.bulk")

_NEGATIVE = re.compile(r"-[0-9]+(?:\.[0-9]+)?")  # -5, -5.00: the amount rule's to refuse


class SignedAmountCommand(TyperCommand):
    """`add x -5` must reach the amount rule (exit 4), not stop as the unknown option "-5",
    while every other unknown option is refused as usual (`add --nots 12` is exit 2, never a
    description). Arguments that read as negative numbers are moved behind `--`, in order
    with the other positional arguments; everything else is left to Click's own parser."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # a Click context
        return super().parse_args(ctx, _negatives_as_arguments(args, _valued(self, ctx)))


def _valued(command: TyperCommand, ctx: Any) -> set[str]:
    """The option spellings that take a value (the next argument is that value)."""
    return {
        name
        for param in command.get_params(ctx)
        if getattr(param, "param_type_name", "") == "option"
        and not getattr(param, "is_flag", False)
        and not getattr(param, "count", False)
        for name in (*param.opts, *param.secondary_opts)
    }


def _negatives_as_arguments(args: list[str], valued: set[str]) -> list[str]:
    options: list[str] = []
    arguments: list[str] = []
    tokens = iter(args)
    for token in tokens:
        if token == "--":
            arguments.extend(tokens)
        elif token in valued:
            options += [token, *islice(tokens, 1)]  # its value, whatever it looks like
        elif token.startswith("-") and not _NEGATIVE.fullmatch(token):
            options.append(token)
        else:
            arguments.append(token)
    if not any(_NEGATIVE.fullmatch(a) for a in arguments):
        return args
    return [*options, "--", *arguments]


def register(app: typer.Typer, only: str | None = None) -> None:
    """The commands that the index in cli/app.py files under "expenses" (or only `only`);
    each is the function of that name here, so a new one is listed once, in the index."""
    from expense_cli.cli.app import COMMANDS  # already loaded: app.py calls this

    for name, module in COMMANDS.items():
        if module == "expenses" and only in (None, name):
            cls: Any = SignedAmountCommand if name == "add" else None
            app.command(name, cls=cls)(globals()[name])


def add(
    ctx: typer.Context,
    description: Annotated[
        str, typer.Argument(help="What the expense was for.", show_default=False)
    ],
    amount: Annotated[
        str | None,
        typer.Argument(
            help="Amount in the expense's currency as a plain decimal with at most the "
            "currency's minor digits, e.g. 45.10 (JPY 1500); no sign, symbol or thousands "
            "separator. Omit it for unit-based categories (give --units). A description "
            "starting with - goes after -- (expense add -c Travel -- '-5% promo' 3).",
        ),
    ] = None,
    category: CategoryOpt = None,
    units: UnitsOpt = None,
    date: DateOpt = None,
    time: TimeOpt = None,
    label: LabelOpt = None,
    client: ClientOpt = None,
    project: ProjectOpt = None,
    billable: BillableOpt = None,
    tax: TaxOpt = None,
    tax_amount: TaxAmountOpt = None,
    original: OriginalOpt = None,
    original_currency: OriginalCurrencyOpt = None,
    tags: Annotated[list[str] | None, typer.Option("--tag", "-t", help="Tag (repeatable).")] = None,
    notes: NotesOpt = None,
    approval: ApprovalOpt = None,
    reimbursement: ReimbursementOpt = None,
    account: AccountOpt = None,
    idempotency_key: IdempotencyOpt = None,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Add an expense.

    AMOUNT is a plain decimal in the expense's currency (its client's, else the book's)
    with at most the currency's minor digits: 45.10, or 1500 for JPY; no sign, symbol or
    thousands separator. Leave it out for a unit-based category and give --units. Text
    that starts with - goes after --: expense add -c Travel -- "-5% promo" 3

    Example: expense add "Train to Berlin" 45.10 -c Travel -p Website -t trip
    """
    inp = inputs.ExpenseInput(
        description=description, amount=amount, units=units, date=date, time=time,
        category=category, label=label, client=client, project=project, billable=billable,
        notes=notes, approval=approval, reimbursement=reimbursement, tags=tuple(tags or ()),
        account=account,
        **money_options(tax, tax_amount, original, original_currency),
    )  # fmt: skip
    store = open_store(ctx)
    with book.transaction(store), render.delivered():
        created = use.add_expense(store, inp, idempotency_key=idempotency_key)
        render.show_expense(created, fmt, as_json, quiet)


def show(
    ctx: typer.Context,
    expense_id: IdArg,
    deleted: Annotated[
        bool, typer.Option("--deleted", help="Also show a deleted expense.")
    ] = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Show one expense with all its fields.

    Example: expense show 59 --json
    """
    store = open_store(ctx, create=False)
    render.show_expense(reading.get_expense(store, expense_id, deleted=deleted), fmt, as_json)


def edit(
    ctx: typer.Context,
    expense_ids: IdsOrStdinArg,
    description: DescriptionOpt = None,
    amount: AmountOpt = None,
    units: UnitsOpt = None,
    date: DateOpt = None,
    time: TimeOpt = None,
    category: CategoryOpt = None,
    label: LabelOpt = None,
    client: ClientOpt = None,
    project: ProjectOpt = None,
    billable: BillableOpt = None,
    tax: TaxOpt = None,
    tax_amount: TaxAmountOpt = None,
    original: OriginalOpt = None,
    original_currency: OriginalCurrencyOpt = None,
    notes: NotesOpt = None,
    approval: ApprovalOpt = None,
    reimbursement: ReimbursementOpt = None,
    account: AccountOpt = None,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Change some fields of expenses; "" clears an optional one.

    Several ids, or - to read ids from stdin, change all of them or none (every id is
    checked first) and print a list.

    Example: expense edit 59 --amount 210.00 --notes ""

    Example: expense list -s AWS --all -q | expense edit - -c Software
    """
    inp = inputs.ExpenseInput(
        description=description, amount=amount, units=units, date=date, time=time,
        category=category, label=label, client=client, project=project, billable=billable,
        notes=notes, approval=approval, reimbursement=reimbursement, account=account,
        **money_options(tax, tax_amount, original, original_currency),
    )  # fmt: skip
    targets = id_args.parse(expense_ids)
    store = open_store(ctx)
    with book.transaction(store), render.delivered():
        if targets.single:
            changed = use.edit_expense(store, targets.ids[0], inp)
            render.show_expense(changed, fmt, as_json, quiet)
        else:
            render.show_expenses(bulk.edit_many(store, targets.ids, inp), fmt, as_json, quiet)


def delete(
    ctx: typer.Context,
    expense_ids: IdsOrStdinArg,
    force: Annotated[bool, typer.Option("--force", help="Also delete invoiced expenses.")] = False,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Delete expenses (soft: `restore` brings them back).

    Example: expense delete 59 60   |   expense list --tag old --all -q | expense delete -
    """
    ids = id_args.parse(expense_ids).ids
    store = open_store(ctx)
    with book.transaction(store), render.delivered():
        deleted = use.delete_expenses(store, ids, force=force)
        render.show_expenses(deleted, fmt, as_json, quiet)


def _ids_command(
    name: str, change: "Callable[[Store, Sequence[int]], list[Expense]]", doc: str
) -> Any:
    """`name ID…|-` with the record options: runs `change`, prints the expenses."""

    def run(ctx: typer.Context, expense_ids: list[str], fmt: RecordFormat, as_json: bool,
            quiet: bool) -> None:  # fmt: skip
        ids = id_args.parse(expense_ids).ids
        store = open_store(ctx)
        with book.transaction(store), render.delivered():
            render.show_expenses(change(store, ids), fmt, as_json, quiet)

    return target_command(name, ("expense_ids", IdsOrStdinArg), run, doc, quiet_first=True)


restore = _ids_command("restore", lambda s, ids: use.restore_expenses(s, ids),
                       "Restore deleted expenses.\n\nExample: expense restore 59")  # fmt: skip


def tag(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(
            help="Expense id, or - to read ids from stdin (what list -q prints).",
            show_default=False,
            metavar="ID",
        ),
    ],
    tags: Annotated[
        list[str] | None,
        typer.Argument(help="Tags that replace the whole set.", show_default=False),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove every tag.")] = False,
    add: Annotated[list[str] | None, typer.Option("--add", help="Tag to add (repeatable).")] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="Tag to remove (repeatable).")
    ] = None,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Set, add or remove tags; with no tags given, print them.

    ID - reads ids from stdin and changes all of them or none (the other arguments are
    tags: in `tag 5 2025`, 2025 is a tag).

    Example: expense tag 59 client-a travel   |   expense tag 59 --add urgent

    Example: expense list -s AWS --all -q | expense tag - --add cloud
    """
    if clear and tags:
        raise UsageError("give tags or --clear, not both")
    if target == id_args.STDIN:
        _tag_many(ctx, id_args.from_stdin(), tags, clear, add, remove, quiet, fmt, as_json)
        return
    expense_id = id_args.parse([target]).ids[0]
    changing = bool(tags or clear or add or remove)
    store = open_store(ctx, create=changing)  # printing the tags creates no book
    if not changing:
        record = reading.get_expense(store, expense_id)
        if chosen(fmt, as_json) == "json":
            render.write_json(render.envelope({"id": record.id, "tags": list(record.tags)}))
        else:
            print("\n".join(render.escape_controls(t) for t in record.tags))
        return
    replace = [] if clear else (tags or None)
    with book.transaction(store), render.delivered():
        changed = use.tag_expense(
            store, expense_id, replace=replace, add=add or (), remove=remove or ()
        )
        render.show_expense(changed, fmt, as_json, quiet)


def _tag_many(
    ctx: typer.Context, ids: list[int], tags: list[str] | None, clear: bool,
    add: list[str] | None, remove: list[str] | None, quiet: bool, fmt: RecordFormat,
    as_json: bool,
) -> None:  # fmt: skip
    """`tag -`: the same change on every id read from stdin, or their tags printed."""
    store = open_store(ctx)
    if not (tags or clear or add or remove):
        records = bulk.tags_of(store, ids)
        if chosen(fmt, as_json) == "json":
            data = [{"id": r.id, "tags": list(r.tags)} for r in records]
            render.write_json(render.envelope(data))
        else:
            for r in records:
                shown = ", ".join(render.escape_controls(t) for t in r.tags)
                print(f"{r.id}: {shown}" if shown else f"{r.id}:")
        return
    replace = [] if clear else (tags or None)
    with book.transaction(store), render.delivered():
        changed = bulk.tag_many(store, ids, replace=replace, add=add or (), remove=remove or ())
        render.show_expenses(changed, fmt, as_json, quiet)


def attach(
    ctx: typer.Context,
    expense_ids: IdsOrStdinArg,
    project: ProjectOpt = None,
    client: ClientOpt = None,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Link expenses to a project and/or client ("" detaches either).

    Several ids, or - for ids on stdin, change all of them or none and print a list.

    Example: expense attach 59 -p Website   |   expense attach 59 60 --client Acme
    """
    targets = id_args.parse(expense_ids)
    if client is None and project is None:
        raise UsageError('attach needs -p/--project or --client ("" detaches)')
    store = open_store(ctx)
    with book.transaction(store), render.delivered():
        if targets.single:
            changed = use.attach(store, targets.ids[0], client=client, project=project)
            render.show_expense(changed, fmt, as_json, quiet)
        else:
            many = bulk.attach_many(store, targets.ids, client=client, project=project)
            render.show_expenses(many, fmt, as_json, quiet)


def detach(
    ctx: typer.Context,
    expense_ids: IdsOrStdinArg,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Unlink expenses from their project and client.

    Several ids, or - for ids on stdin, change all of them or none and print a list.

    Example: expense detach 59   |   expense list -p Website --all -q | expense detach -
    """
    targets = id_args.parse(expense_ids)
    store = open_store(ctx)
    with book.transaction(store), render.delivered():
        if targets.single:
            render.show_expense(use.detach(store, targets.ids[0]), fmt, as_json, quiet)
        else:
            render.show_expenses(bulk.detach_many(store, targets.ids), fmt, as_json, quiet)


def clone(
    ctx: typer.Context,
    expense_id: IdArg,
    date: Annotated[
        str, typer.Option("--date", "-d", help="Date of the copy (required).", show_default=False)
    ],
    description: DescriptionOpt = None,
    amount: AmountOpt = None,
    category: CategoryOpt = None,
    label: LabelOpt = None,
    units: UnitsOpt = None,
    project: ProjectOpt = None,
    client: ClientOpt = None,
    billable: BillableOpt = None,
    tax: TaxOpt = None,
    tax_amount: TaxAmountOpt = None,
    original: OriginalOpt = None,
    original_currency: OriginalCurrencyOpt = None,
    account: AccountOpt = None,
    idempotency_key: IdempotencyOpt = None,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Copy an expense to a new date (tags, time and invoice state are not copied).

    Example: expense clone 59 -d today --idempotency-key hosting-2026-11
    """
    inp = inputs.ExpenseInput(
        description=description, amount=amount, units=units, date=date, category=category,
        label=label, client=client, project=project, billable=billable, account=account,
        **money_options(tax, tax_amount, original, original_currency),
    )  # fmt: skip
    store = open_store(ctx)
    with book.transaction(store), render.delivered():
        created = use.clone_expense(store, expense_id, inp, idempotency_key=idempotency_key)
        render.show_expense(created, fmt, as_json, quiet)


uninvoice = _ids_command("uninvoice", lambda s, ids: use.uninvoice(s, ids),
                         "Mark expenses as not invoiced again.\n\n"
                         "Example: expense uninvoice 59")  # fmt: skip
