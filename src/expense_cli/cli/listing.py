"""`list`: filters, sorting and pagination, in every format."""

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from expense_cli.cli.context import open_store
from expense_cli.cli.formats import ListFormat, chosen
from expense_cli.cli.lazy import lazy
from expense_cli.cli.options import JsonOpt, ListFormatOpt, QuietOpt, complete_names
from expense_cli.domain.enums import Approval, Reimbursement

if TYPE_CHECKING:
    from expense_cli.cli import render
    from expense_cli.domain import listing as use
    from expense_cli.domain.listing import Filters, Page
    from expense_cli.domain.models import Expense
else:  # lazy stand-ins at run time (cli/lazy.py); mypy sees the real modules above
    render = lazy("expense_cli.cli.render")
    use = lazy("expense_cli.domain.listing")

F = TypeVar("F", bound=Callable[..., Any])

FILTERS = "Filters"  # their own panel in --help
CategoryFilter = Annotated[
    list[str] | None,
    typer.Option(
        "--category", "-c", rich_help_panel=FILTERS, help="Category (repeatable: any of them).",
        autocompletion=complete_names("category"),
    ),
]  # fmt: skip
ClientFilter = Annotated[
    str | None,
    typer.Option(
        "--client",
        rich_help_panel=FILTERS,
        help="Client id or name.",
        autocompletion=complete_names("client"),
    ),
]
ClientNameFilter = Annotated[
    str | None,
    typer.Option(
        "--client-name", rich_help_panel=FILTERS, help="Part of a client's name (any case)."
    ),
]
ProjectFilter = Annotated[
    str | None,
    typer.Option(
        "--project",
        "-p",
        rich_help_panel=FILTERS,
        help="Project id or name.",
        autocompletion=complete_names("project"),
    ),
]
BillableFilter = Annotated[
    str | None,
    typer.Option(
        "--billable", rich_help_panel=FILTERS, help="true, false, 1, 0, yes or no.", metavar="BOOL"
    ),
]
StatusFilter = Annotated[
    str | None,
    typer.Option(
        "--status", rich_help_panel=FILTERS, help="invoiced or not_invoiced.", metavar="STATUS"
    ),
]
ApprovalFilter = Annotated[
    Approval | None, typer.Option("--approval", rich_help_panel=FILTERS, help="Approval status.")
]
ReimbursementFilter = Annotated[
    Reimbursement | None,
    typer.Option("--reimbursement", rich_help_panel=FILTERS, help="Reimbursement status."),
]
MinFilter = Annotated[
    str | None, typer.Option("--min", rich_help_panel=FILTERS, help="Smallest amount (inclusive).")
]
MaxFilter = Annotated[
    str | None, typer.Option("--max", rich_help_panel=FILTERS, help="Largest amount (inclusive).")
]
FromFilter = Annotated[
    str | None, typer.Option("--from", rich_help_panel=FILTERS, help="Earliest date (inclusive).")
]
ToFilter = Annotated[
    str | None, typer.Option("--to", rich_help_panel=FILTERS, help="Latest date (inclusive).")
]
CreatedFromFilter = Annotated[
    str | None,
    typer.Option(
        "--created-from",
        rich_help_panel=FILTERS,
        help="Created at or after (date or timestamp, UTC).",
    ),
]
CreatedToFilter = Annotated[
    str | None,
    typer.Option(
        "--created-to", rich_help_panel=FILTERS, help="Created at or before (a date means its end)."
    ),
]
SearchFilter = Annotated[
    str | None,
    typer.Option(
        "--search",
        "-s",
        rich_help_panel=FILTERS,
        help="Text in description, custom category or notes.",
    ),
]
TagFilter = Annotated[
    list[str] | None,
    typer.Option("--tag", "-t", rich_help_panel=FILTERS, help="Tag (repeatable: any)."),
]
AllTagsFilter = Annotated[
    bool, typer.Option("--all-tags", rich_help_panel=FILTERS, help="Require every --tag.")
]
CurrencyFilter = Annotated[
    str | None, typer.Option("--currency", rich_help_panel=FILTERS, help="ISO 4217 code.")
]
RefFilter = Annotated[
    str | None, typer.Option("--ref", rich_help_panel=FILTERS, help="Invoice reference.")
]
ReceiptFilter = Annotated[
    bool | None,
    typer.Option(
        "--receipt/--no-receipt",
        rich_help_panel=FILTERS,
        help="Only expenses with at least one receipt / with none.",
        show_default=False,
    ),
]
DeletedFilter = Annotated[
    bool, typer.Option("--deleted", rich_help_panel=FILTERS, help="Only deleted expenses.")
]


def _filter_options(
    category: CategoryFilter = None,
    client: ClientFilter = None,
    client_name: ClientNameFilter = None,
    project: ProjectFilter = None,
    billable: BillableFilter = None,
    status: StatusFilter = None,
    approval: ApprovalFilter = None,
    reimbursement: ReimbursementFilter = None,
    min_amount: MinFilter = None,
    max_amount: MaxFilter = None,
    date_from: FromFilter = None,
    date_to: ToFilter = None,
    created_from: CreatedFromFilter = None,
    created_to: CreatedToFilter = None,
    search: SearchFilter = None,
    tag: TagFilter = None,
    all_tags: AllTagsFilter = False,
    currency: CurrencyFilter = None,
    deleted: DeletedFilter = False,
    ref: RefFilter = None,
    receipt: ReceiptFilter = None,
) -> "Filters":
    """The list filters of reference §3, declared once for `list`, `report` and `export`."""
    filters: Filters = use.Filters(
        category=tuple(category or ()), client=client, client_name=client_name, project=project,
        billable=billable, status=status, approval=approval and approval.value,
        reimbursement=reimbursement and reimbursement.value, min_amount=min_amount,
        max_amount=max_amount, date_from=date_from, date_to=date_to, created_from=created_from,
        created_to=created_to, search=search, tags=tuple(tag or ()), all_tags=all_tags,
        currency=currency, deleted=deleted, ref=ref, receipt=receipt,
    )  # fmt: skip
    return filters


_FILTER_PARAMS = tuple(inspect.signature(_filter_options).parameters.values())


def with_filters(command: F, without: tuple[str, ...] = ()) -> F:
    """Give `command` every list filter as an option (but those named in `without`, which
    keep their defaults); it receives them as `filters`."""
    own = [p for p in inspect.signature(command).parameters.values() if p.name != "filters"]
    params = [p for p in _FILTER_PARAMS if p.name not in without]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        chosen = {p.name: kwargs.pop(p.name) for p in params}
        return command(*args, filters=_filter_options(**chosen), **kwargs)

    wrapper.__signature__ = inspect.signature(command).replace(  # type: ignore[attr-defined]
        parameters=[*own, *params]
    )
    wrapper.__annotations__ = {
        **{k: v for k, v in command.__annotations__.items() if k != "filters"},
        **{p.name: p.annotation for p in params},
    }
    return wrapper  # type: ignore[return-value]


def register(app: typer.Typer, only: str | None = None) -> None:
    app.command("list")(with_filters(list_expenses))


def list_expenses(
    ctx: typer.Context,
    filters: "Filters",
    sort: Annotated[
        str, typer.Option("--sort", help="amount, date, created, updated or id; - for descending.")
    ] = "-created",
    limit: Annotated[
        int | None, typer.Option("--limit", help="Page size, 1–200 (default 50).")
    ] = None,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="next_cursor of the previous page.")
    ] = None,
    page: Annotated[int | None, typer.Option("--page", help="Page number (offset paging).")] = None,
    all_rows: Annotated[
        bool, typer.Option("--all", help="Every matching expense, streamed.")
    ] = False,
    quiet: QuietOpt = False,
    fmt: ListFormatOpt = ListFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """List expenses, newest first, a page at a time.

    Example: expense list -c Travel --from 2026-01-01 --sort -amount --json
    """

    paging = use.Paging(sort=sort, limit=limit, cursor=cursor, page=page, all=all_rows)
    use.check_paging(paging)
    store = open_store(ctx, create=False)
    kind = chosen(fmt, as_json)
    if all_rows:
        _stream(use.iter_all(store, filters, sort), kind, quiet)
        return
    result = use.list_page(store, filters, paging)
    _page(result, kind, quiet)


def _stream(expenses: "Iterator[Expense]", kind: str, quiet: bool) -> None:
    if quiet:
        for expense in expenses:
            print(expense.id)
    elif kind == "json":
        render.write_json_list(expenses, {"limit": None, "next_cursor": None})
    elif kind == "ndjson":
        render.write_ndjson(expenses)
    elif kind in ("csv", "tsv"):
        render.write_delimited(expenses, tsv=kind == "tsv")
    else:
        render.expense_table_stream(expenses)


def _next_page_command(option: str, value: str) -> str:
    """The command line that was run, its --cursor or --page replaced by the next one."""
    import shlex
    import sys
    from pathlib import Path

    args = sys.argv[1:] if Path(sys.argv[0]).name == "expense" else ["list", "…"]
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip or arg.startswith((f"{option}=",)):
            skip = False
        elif arg == option:
            skip = True
        else:
            kept.append(arg)
    return shlex.join(["expense", *kept, option, value]).replace("'…'", "…")


def _page(result: "Page", kind: str, quiet: bool) -> None:
    if kind == "json" and not quiet:
        pagination: dict[str, object] = {"limit": result.limit, "next_cursor": result.next_cursor}
        if result.page is not None:
            pagination["page"] = result.page
        render.write_json_list(result.expenses, pagination)
        return
    if kind == "table" and not quiet:
        render.expense_table(result.expenses, page_only=result.more)
    else:
        _stream(iter(result.expenses), kind, quiet)
    if result.next_cursor:
        render.stderr_line(f"next_cursor: {result.next_cursor}")
    if result.more and kind == "table" and not quiet:
        following = ("--cursor", result.next_cursor) if result.next_cursor else (
            "--page", str((result.page or 1) + 1))  # fmt: skip
        render.stderr_line(f"next page: {_next_page_command(*following)}")
