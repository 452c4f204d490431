"""`recurring`: schedules that create expenses on their dates (reference §10.3)."""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from expense_cli.cli.commands import target_command
from expense_cli.cli.context import open_store
from expense_cli.cli.errors import AppTyper
from expense_cli.cli.formats import RecordFormat, chosen
from expense_cli.cli.lazy import lazy
from expense_cli.cli.options import FormatOpt, IdArg, JsonOpt, QuietOpt
from expense_cli.domain.recurrence import Every

if TYPE_CHECKING:
    from expense_cli.cli import render
    from expense_cli.domain import book
    from expense_cli.domain import recurring as use
    from expense_cli.domain.models import Expense
    from expense_cli.domain.recurring import Schedule
    from expense_cli.store import Store
else:  # lazy stand-ins at run time (cli/lazy.py); mypy sees the real modules above
    render = lazy("expense_cli.cli.render")
    use = lazy("expense_cli.domain.recurring")
    book = lazy("expense_cli.domain.book")

recurring = AppTyper(
    help="Expenses that repeat: schedules made from an expense, and `run` (for cron) that "
    "creates every occurrence due, catching up missed ones.\n\n"
    "Example: expense recurring add 59 --every month",
    no_args_is_help=True,
)

ScheduleArg = Annotated[int, typer.Argument(help="Schedule id.", show_default=False)]
_HEADERS = ["ID", "Every", "Start", "Until", "Next", "Paused", "Description", "Amount"]


def register(app: typer.Typer, only: str | None = None) -> None:
    if only in (None, "recurring"):
        app.add_typer(recurring, name="recurring")


def _every(s: "Schedule") -> str:
    unit = s.every.value
    return f"{unit}" if s.interval == 1 else f"{s.interval} {unit}s"


def _row(s: "Schedule") -> list[object]:
    t = s.template
    amount = f"{t.amount} {t.currency}" if t.units is None else f"{t.units} units"
    return [
        s.id, _every(s), s.start.isoformat(), s.until.isoformat() if s.until else "",
        s.next_date.isoformat() if s.next_date else "(ended)", "yes" if s.paused else "",
        t.description, amount,
    ]  # fmt: skip


def _show(item: "Schedule", fmt: RecordFormat, as_json: bool, quiet: bool) -> None:
    if quiet:
        print(item.id)
    elif chosen(fmt, as_json) == "json":
        render.write_json(render.envelope(item.to_json()))
    else:
        data = item.to_json()
        template = data.pop("template")
        rows = [(k, render.plain(v)) for k, v in data.items()]
        rows += [(f"template.{k}", _cell(v)) for k, v in template.items()]
        render.record_table(rows)


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return render.plain(value)


@recurring.command("add")
def recurring_add(
    ctx: typer.Context,
    expense_id: IdArg,
    every: Annotated[
        Every,
        typer.Option("--every", help="How often: day, week, month or year.",
                     case_sensitive=False, show_default=False),
    ],
    interval: Annotated[
        int, typer.Option("--interval", help="Every N days/weeks/months/years (1–1000).")
    ] = 1,
    start: Annotated[
        str | None,
        typer.Option("--start", help="First occurrence (default: one interval after the "
                     "expense's date); its day of the month is kept, clamped to short months."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Last date an occurrence may have (inclusive).")
    ] = None,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Schedule copies of an expense (its clonable fields and tags) on a calendar rule.

    Example: expense recurring add 59 --every month --interval 3 --until 2027-12-31
    """
    store = open_store(ctx)
    with book.transaction(store), render.delivered():
        made = use.add_schedule(
            store, expense_id, every, interval=interval, start=start, until=until
        )
        _show(made, fmt, as_json, quiet)


@recurring.command("list")
def recurring_list(
    ctx: typer.Context,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """List the schedules with their next date.

    Example: expense recurring list --json
    """
    schedules = use.list_schedules(open_store(ctx, create=False))
    render.show_records(schedules, fmt, as_json, _HEADERS, _row, right=[0], quiet=quiet)


def _schedule_command(name: str, change: "Callable[[Store, int], Schedule]", doc: str) -> None:
    """`recurring name ID` with the record options: runs `change`, prints the schedule."""

    def run(ctx: typer.Context, schedule_id: int, fmt: RecordFormat, as_json: bool,
            quiet: bool) -> None:  # fmt: skip
        store = open_store(ctx)
        with book.transaction(store), render.delivered():
            _show(change(store, schedule_id), fmt, as_json, quiet)

    command = target_command(name, ("schedule_id", ScheduleArg), run, doc, quiet_first=True)
    recurring.command(name)(command)


_schedule_command("pause", lambda s, i: use.set_paused(s, i, True),
                  "Pause a schedule: `run` creates nothing for it until it is resumed.\n\n"
                  "Example: expense recurring pause 3")  # fmt: skip
_schedule_command("resume", lambda s, i: use.set_paused(s, i, False),
                  "Resume a paused schedule; occurrences dated before today are skipped.\n\n"
                  "Example: expense recurring resume 3")  # fmt: skip
_schedule_command("delete", lambda s, i: use.delete_schedule(s, i),
                  "Stop a schedule for good; the expenses it created stay (with their "
                  "recurring_id).\n\nExample: expense recurring delete 3")  # fmt: skip


@recurring.command("run")
def recurring_run(
    ctx: typer.Context,
    through: Annotated[
        str | None,
        typer.Option("--through", help="Create occurrences due on or before this date "
                     "(default today)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be created; create nothing.")
    ] = False,
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Create every occurrence due (missed ones too), each on its own date; safe to run
    again or twice at once. A schedule that breaks a rule creates nothing, is named on
    stderr and makes the exit 4; the others still run. For cron: @daily expense recurring run -q

    Example: expense recurring run --through 2026-12-31 --dry-run
    """
    store = open_store(ctx)
    json_out = chosen(fmt, as_json) == "json"
    through_day = use.parse_through(through, store)
    shown: list[Expense] = []
    if json_out:
        _write('{"data": [')

    def delivered(created: Sequence["Expense"]) -> None:
        with render.delivered():
            for expense in created:
                if quiet:
                    if not dry_run:
                        print(expense.id)
                elif json_out:
                    _write(("," if shown else "") + "\n" + render.dumps(_json(expense, dry_run)))
                shown.append(expense)

    result = use.run(store, through=through_day, dry_run=dry_run, delivered=delivered)
    if json_out:
        _write(("\n" if shown else "") + '], "errors": ' + render.dumps(result.errors) + "}\n")
    elif not quiet and shown:
        render.expense_table(shown) if not dry_run else render.simple_table(
            ["Date", "Description", "Amount", "Schedule"],
            [[e.date.isoformat(), e.description, f"{e.amount} {e.currency}", e.recurring_id]
             for e in shown],
        )  # fmt: skip
    if result.errors:
        for failure in result.errors[1:]:
            if not json_out:
                render.stderr_line(f"Error: schedule {failure['schedule']}: {failure['message']}")
        raise _failure(result.errors[0])


def _write(text: str) -> None:
    import sys

    sys.stdout.write(text)


def _json(expense: "Expense", dry_run: bool) -> dict[str, Any]:
    data = expense.to_json()
    if dry_run:  # not created: no ids (the shape stays the same)
        data["id"] = data["uid"] = None
    return data


def _failure(failure: dict[str, Any]) -> Exception:
    """The first failing schedule as the command's error (exit 4, its own code in JSON)."""
    from expense_cli.errors import ValidationError

    error = ValidationError(failure["fields"], failure["message"])
    error.code = failure["code"]
    return error
