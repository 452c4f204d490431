"""Commands on single expenses: add, show, edit, delete, restore, tag, attach, detach,
clone, invoice, uninvoice."""

from typing import Annotated

import typer

from expense_cli.cli.context import open_store
from expense_cli.cli.formats import RecordFormat, chosen
from expense_cli.cli.lazy import lazy
from expense_cli.cli.options import (
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
    IdsArg,
    JsonOpt,
    LabelOpt,
    NotesOpt,
    ProjectOpt,
    QuietOpt,
    ReimbursementOpt,
    TimeOpt,
    UnitsOpt,
)
from expense_cli.errors import UsageError

output = lazy("expense_cli.cli.output")
render = lazy("expense_cli.cli.render")
use = lazy("expense_cli.domain.expenses")
reading = lazy("expense_cli.domain.rows")  # show: no use-case machinery to import
compose = lazy("expense_cli.domain.compose")

# `add x -5` must reach the amount rule (exit 4), not stop as an unknown option "-5".
_NEGATIVE_OK = {"ignore_unknown_options": True}


def register(app: typer.Typer, only: str | None = None) -> None:
    for command in (add, show, edit, delete, restore, tag, attach, detach, clone, invoice,
                    uninvoice):  # fmt: skip
        if only in (None, command.__name__):
            settings = _NEGATIVE_OK if command is add else None
            app.command(context_settings=settings)(command)


def add(
    ctx: typer.Context,
    description: Annotated[
        str, typer.Argument(help="What the expense was for.", show_default=False)
    ],
    amount: Annotated[
        str | None, typer.Argument(help="Amount, e.g. 45.10 (omit for unit-based categories).")
    ] = None,
    category: CategoryOpt = None,
    units: UnitsOpt = None,
    date: DateOpt = None,
    time: TimeOpt = None,
    label: LabelOpt = None,
    client: ClientOpt = None,
    project: ProjectOpt = None,
    billable: BillableOpt = None,
    tags: Annotated[list[str] | None, typer.Option("--tag", "-t", help="Tag (repeatable).")] = None,
    notes: NotesOpt = None,
    approval: ApprovalOpt = None,
    reimbursement: ReimbursementOpt = None,
    idempotency_key: IdempotencyOpt = None,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Add an expense.

    Example: expense add "Train to Berlin" 45.10 -c Travel -p Website -t trip
    """
    if amount is not None and amount.startswith("--"):
        raise UsageError(f"no such option: {amount}")
    inp = compose.ExpenseInput(
        description=description, amount=amount, units=units, date=date, time=time,
        category=category, label=label, client=client, project=project, billable=billable,
        notes=notes, approval=approval, reimbursement=reimbursement, tags=tuple(tags or ()),
    )  # fmt: skip
    created = use.add_expense(open_store(ctx), inp, idempotency_key=idempotency_key)
    output.expense(created, fmt, as_json, quiet)


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
    output.expense(reading.get_expense(open_store(ctx), expense_id, deleted=deleted), fmt, as_json)


def edit(
    ctx: typer.Context,
    expense_id: IdArg,
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
    notes: NotesOpt = None,
    approval: ApprovalOpt = None,
    reimbursement: ReimbursementOpt = None,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Change some fields of an expense; "" clears an optional one.

    Example: expense edit 59 --amount 210.00 --notes ""
    """
    inp = compose.ExpenseInput(
        description=description, amount=amount, units=units, date=date, time=time,
        category=category, label=label, client=client, project=project, billable=billable,
        notes=notes, approval=approval, reimbursement=reimbursement,
    )  # fmt: skip
    output.expense(use.edit_expense(open_store(ctx), expense_id, inp), fmt, as_json, quiet)


def delete(
    ctx: typer.Context,
    expense_ids: IdsArg,
    force: Annotated[bool, typer.Option("--force", help="Also delete invoiced expenses.")] = False,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Delete expenses (soft: `restore` brings them back).

    Example: expense delete 59 60
    """
    output.expenses(
        use.delete_expenses(open_store(ctx), expense_ids, force=force), fmt, as_json, quiet
    )


def restore(
    ctx: typer.Context,
    expense_ids: IdsArg,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Restore deleted expenses.

    Example: expense restore 59
    """
    output.expenses(use.restore_expenses(open_store(ctx), expense_ids), fmt, as_json, quiet)


def tag(
    ctx: typer.Context,
    expense_id: IdArg,
    tags: Annotated[
        list[str] | None,
        typer.Argument(help="Tags that replace the whole set.", show_default=False),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove every tag.")] = False,
    add: Annotated[list[str] | None, typer.Option("--add", help="Tag to add (repeatable).")] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="Tag to remove (repeatable).")
    ] = None,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Set, add or remove tags; with no tags given, print them.

    Example: expense tag 59 client-a travel   |   expense tag 59 --add urgent
    """
    if clear and tags:
        raise UsageError("give tags or --clear, not both")
    store = open_store(ctx)
    if not (tags or clear or add or remove):
        record = reading.get_expense(store, expense_id)
        if chosen(fmt, as_json) == "json":
            render.write_json(render.envelope({"id": record.id, "tags": list(record.tags)}))
        else:
            print("\n".join(render.escape_controls(t) for t in record.tags))
        return
    replace = [] if clear else (tags or None)
    changed = use.tag_expense(
        store, expense_id, replace=replace, add=add or (), remove=remove or ()
    )
    output.expense(changed, fmt, as_json)


def attach(
    ctx: typer.Context,
    expense_id: IdArg,
    project: ProjectOpt = None,
    client: ClientOpt = None,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Link an expense to a project and/or client ("" detaches either).

    Example: expense attach 59 -p Website
    """
    store = open_store(ctx)
    output.expense(use.attach(store, expense_id, client=client, project=project), fmt, as_json)


def detach(
    ctx: typer.Context,
    expense_id: IdArg,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Unlink an expense from its project and client.

    Example: expense detach 59
    """
    output.expense(use.detach(open_store(ctx), expense_id), fmt, as_json)


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
    idempotency_key: IdempotencyOpt = None,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Copy an expense to a new date (tags, time and invoice state are not copied).

    Example: expense clone 59 -d today --idempotency-key hosting-2026-11
    """
    inp = compose.ExpenseInput(
        description=description, amount=amount, units=units, date=date, category=category,
        label=label, client=client, project=project, billable=billable,
    )  # fmt: skip
    store = open_store(ctx)
    created = use.clone_expense(store, expense_id, inp, idempotency_key=idempotency_key)
    output.expense(created, fmt, as_json, quiet)


def invoice(
    ctx: typer.Context,
    expense_ids: IdsArg,
    ref: Annotated[str | None, typer.Option("--ref", help="Invoice reference.")] = None,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Mark billable expenses as invoiced (locks amount, billable, client, project).

    Example: expense invoice 59 60 --ref INV-2026-011
    """
    output.expenses(use.invoice(open_store(ctx), expense_ids, ref=ref), fmt, as_json, quiet)


def uninvoice(
    ctx: typer.Context,
    expense_ids: IdsArg,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Mark expenses as not invoiced again.

    Example: expense uninvoice 59
    """
    output.expenses(use.uninvoice(open_store(ctx), expense_ids), fmt, as_json, quiet)
