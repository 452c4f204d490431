"""History and undo (reference §10.8): `history`, `log`, `undo`."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from expense_cli.cli.context import open_store
from expense_cli.cli.formats import RecordFormat, chosen
from expense_cli.cli.lazy import lazy
from expense_cli.cli.options import FormatOpt, IdArg, JsonOpt, QuietOpt

if TYPE_CHECKING:  # the real modules for mypy; lazy stand-ins at run time (cli/lazy.py)
    from expense_cli.cli import render
    from expense_cli.domain import book
    from expense_cli.domain import history as use
else:
    render = lazy("expense_cli.cli.render")
    use = lazy("expense_cli.domain.history")
    book = lazy("expense_cli.domain.book")


def register(app: typer.Typer, only: str | None = None) -> None:
    for name, command in (("history", history), ("log", log), ("undo", undo)):
        if only in (None, name):
            app.command(name)(command)


def _changes(entries: list[dict[str, Any]], fmt: RecordFormat, as_json: bool, quiet: bool) -> None:
    if quiet:
        if entries:
            print("\n".join(str(e["change"]) for e in entries))
    elif chosen(fmt, as_json) == "json":
        render.write_json(render.envelope(entries))
    else:
        render.simple_table(
            ["change", "at", "command", "summary"],
            [(e["change"], e["at"], e["command"], e["summary"]) for e in entries],
            right=(0,),
        )


def history(
    ctx: typer.Context,
    expense_id: IdArg,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Show every change of one expense, oldest first, with its state before and after.

    Works on deleted expenses too; `before` is null at creation. -q prints change numbers.

    Example: expense history 59
    """
    store = open_store(ctx, create=False)
    _changes(use.history(store, expense_id), fmt, as_json, quiet)


def log(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Changes on or after DATE (a bare date is a UTC day).",
                     show_default=False),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many changes (1-200).")] = 50,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """List the changes made to expenses, newest first.

    -q prints change numbers.

    Example: expense log --since 2025-03-01 --limit 10
    """
    store = open_store(ctx, create=False)
    _changes(use.log(store, since, limit), fmt, as_json, quiet)


def undo(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be restored; change nothing.")
    ] = False,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Undo the latest change that is not an undo and not undone yet.

    Every expense it touched gets its earlier state back (fields, tags, receipt links,
    updated_at); expenses it created are removed. Run it again to undo the change before.
    -q prints the number of the undo's own change (nothing with --dry-run).

    Example: expense undo --dry-run
    """
    store = open_store(ctx, create=False)  # a missing book has nothing to undo: exit 3
    if dry_run:
        _undone(use.undo(store, dry_run=True), fmt, as_json, quiet)
        return
    with book.transaction(store), render.delivered():
        _undone(use.undo(store), fmt, as_json, quiet)


def _undone(result: dict[str, Any], fmt: RecordFormat, as_json: bool, quiet: bool) -> None:
    if quiet:
        if "change" in result:
            print(result["change"])
        return
    if chosen(fmt, as_json) == "json":  # the contract's keys only (reference §10.10 item 12)
        render.write_json(render.envelope({k: v for k, v in result.items() if k != "removed"}))
        return
    verb = "Would undo" if "change" not in result else "Undid"
    removed = ", ".join(map(str, result["removed"]))
    print(f"{verb} change {result['undoes']}" + (f"; removed expense {removed}" if removed else ""))
    if result["expenses"]:
        render.simple_table(
            ["id", "date", "description", "amount"],
            [
                (e["id"], e["date"], e["description"], f"{e['amount']} {e['currency']}")
                for e in result["expenses"]
            ],
            right=(0, 3),
        )
