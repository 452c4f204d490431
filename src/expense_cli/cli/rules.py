"""`rules`: patterns on the description that fill what an import row or `add` leaves empty
(reference §10.4)."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from expense_cli.cli.context import open_store
from expense_cli.cli.errors import AppTyper
from expense_cli.cli.formats import RecordFormat, chosen
from expense_cli.cli.lazy import lazy
from expense_cli.cli.options import (
    BillableOpt,
    CategoryOpt,
    FormatOpt,
    JsonOpt,
    LabelOpt,
    QuietOpt,
    complete_names,
)

if TYPE_CHECKING:
    from expense_cli.cli import render
    from expense_cli.domain import autorules as use
    from expense_cli.domain import book
    from expense_cli.domain.autorules import Rule
else:  # lazy stand-ins at run time (cli/lazy.py); mypy sees the real modules above
    render = lazy("expense_cli.cli.render")
    use = lazy("expense_cli.domain.autorules")
    book = lazy("expense_cli.domain.book")

rules = AppTyper()

RuleId = Annotated[
    int, typer.Argument(help="Rule id (see `expense rules list`).", show_default=False)
]
HEADERS = ["ID", "Pos", "Pattern", "Category", "Label", "Client", "Project", "Billable", "Tags"]


def register(app: typer.Typer, only: str | None = None) -> None:
    if only in (None, "rules"):
        app.add_typer(rules, name="rules")


def _row(r: "Rule") -> list[object]:
    data = r.to_json()
    billable = {True: "yes", False: "no", None: ""}[r.billable]
    return [r.id, r.position, r.pattern, data["category"] or "", r.label or "",
            data["client"] or "", data["project"] or "", billable, ", ".join(r.tags)]  # fmt: skip


def _list(items: "list[Rule]", fmt: RecordFormat, as_json: bool, quiet: bool) -> None:
    render.show_records(items, fmt, as_json, HEADERS, _row, right=[0, 1], quiet=quiet)


@rules.callback(invoke_without_command=True)
def rules_main(
    ctx: typer.Context, fmt: FormatOpt = RecordFormat.TABLE, as_json: JsonOpt = False
) -> None:
    """Rules that fill what an imported row or `add` leaves empty, first match wins
    (`rules add|list|move|delete|test`).

    Example: expense rules list --json
    """
    if ctx.invoked_subcommand is None:
        _list(use.list_rules(open_store(ctx, create=False)), fmt, as_json, False)


@rules.command("list")
def rules_list(
    ctx: typer.Context,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """List the rules in the order they are tried (their position).

    Example: expense rules list --json
    """
    _list(use.list_rules(open_store(ctx, create=False)), fmt, as_json, quiet)


@rules.command("add")
def rules_add(
    ctx: typer.Context,
    pattern: Annotated[
        str,
        typer.Argument(
            help="Case-insensitive text found anywhere in the description, or /regex/.",
            show_default=False,
        ),
    ],
    category: CategoryOpt = None,
    label: LabelOpt = None,
    client: Annotated[
        str | None,
        typer.Option(
            "--client", help="Client id or name.", autocompletion=complete_names("client")
        ),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option(
            "--project", "-p", help="Project id or name.", autocompletion=complete_names("project")
        ),
    ] = None,
    billable: BillableOpt = None,
    tags: Annotated[list[str] | None, typer.Option("--tag", "-t", help="Tag (repeatable).")] = None,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Add a rule at the end of the list. It fills only what a row or `add` leaves empty;
    its label applies only when the category ends up Other, its client only when no
    project is given.

    Example: expense rules add "deutsche bahn" -c Travel -t trip
    """
    store = open_store(ctx)
    with book.transaction(store), render.delivered():
        created = use.add_rule(
            store, pattern, category=category, label=label, client=client, project=project,
            billable=billable, tags=tuple(tags or ()),
        )  # fmt: skip
        render.show_record(created, fmt, as_json, quiet)


@rules.command("move")
def rules_move(
    ctx: typer.Context,
    rule_id: RuleId,
    position: Annotated[int, typer.Argument(help="New position (1 = tried first).")],
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Move a rule to POSITION, shifting the others; prints the whole list.

    Example: expense rules move 4 1
    """
    store = open_store(ctx)
    with book.transaction(store), render.delivered():
        _list(use.move_rule(store, rule_id, position), fmt, as_json, quiet)


@rules.command("delete")
def rules_delete(
    ctx: typer.Context,
    rule_id: RuleId,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Delete a rule; the ones after it move up.

    Example: expense rules delete 4
    """
    store = open_store(ctx)
    with book.transaction(store), render.delivered():
        render.show_record(use.delete_rule(store, rule_id), fmt, as_json, quiet)


@rules.command("test")
def rules_test(
    ctx: typer.Context,
    description: Annotated[str, typer.Argument(help="A description to try.", show_default=False)],
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Show which rule a description meets and what it would set (exit 0 either way).

    Example: expense rules test "DB Fernverkehr Fahrkarte"
    """
    rule, sets = use.try_rule(open_store(ctx, create=False), description)
    if quiet:
        if rule is not None:
            print(rule.id)
    elif chosen(fmt, as_json) == "json":
        data: dict[str, Any] = {"rule": None if rule is None else rule.to_json(), "sets": sets}
        render.write_json(render.envelope(data))
    elif rule is None:
        print("no rule matches")
    else:
        print(f"rule {rule.id} (position {rule.position}, pattern {rule.pattern!r}) sets:")
        render.record_table([(k, render.plain(v)) for k, v in sets.items()])
