"""`rates`: the book's exchange rates (reference §10.7): import, set, list."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from expense_cli.cli.context import open_store
from expense_cli.cli.errors import AppTyper
from expense_cli.cli.formats import RecordFormat, chosen
from expense_cli.cli.lazy import lazy
from expense_cli.cli.options import FormatOpt, JsonOpt, QuietOpt

if TYPE_CHECKING:
    from expense_cli.cli import render
    from expense_cli.domain import book
    from expense_cli.domain import rates as use
    from expense_cli.domain.rates import Rate
else:  # lazy stand-ins at run time (cli/lazy.py); mypy sees the real modules above
    render = lazy("expense_cli.cli.render")
    use = lazy("expense_cli.domain.rates")
    book = lazy("expense_cli.domain.book")

rates = AppTyper()


def register(app: typer.Typer, only: str | None = None) -> None:
    if only in (None, "rates"):
        app.add_typer(rates, name="rates")


def _row(rate: "Rate") -> list[object]:
    data = rate.to_json()
    return [data["date"], data["base"], data["quote"], data["rate"]]


@rates.callback(invoke_without_command=True)
def rates_root(
    ctx: typer.Context, fmt: FormatOpt = RecordFormat.TABLE, as_json: JsonOpt = False
) -> None:
    """Exchange rates: 1 BASE = RATE QUOTE on a date (`rates import|set|list`).

    Example: expense rates list --currency JPY
    """
    if ctx.invoked_subcommand is None:
        _list(ctx, None, fmt, as_json)


def _list(ctx: typer.Context, currency: str | None, fmt: RecordFormat, as_json: bool) -> None:
    found = use.list_rates(open_store(ctx, create=False), currency)
    render.show_records(found, fmt, as_json, ["Date", "Base", "Quote", "Rate"], _row, right=[3])


@rates.command("list")
def rates_list(
    ctx: typer.Context,
    currency: Annotated[
        str | None, typer.Option("--currency", help="Only rates with this base or quote.")
    ] = None,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """List exchange rates, oldest first.

    Example: expense rates list --currency JPY --json
    """
    _list(ctx, currency, fmt, as_json)


@rates.command("set")
def rates_set(
    ctx: typer.Context,
    day: Annotated[str, typer.Argument(help="Date (YYYY-MM-DD).", show_default=False)],
    base: Annotated[str, typer.Argument(help="Base currency.", show_default=False)],
    quote: Annotated[str, typer.Argument(help="Quote currency.", show_default=False)],
    rate: Annotated[str, typer.Argument(help="Units of QUOTE per 1 BASE.", show_default=False)],
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Set one rate (replaces the rate of the same date, base and quote).

    Example: expense rates set 2026-01-02 EUR JPY 160.52
    """
    store = open_store(ctx)
    with book.transaction(store), render.delivered():
        saved = use.set_rate(store, day, base, quote, rate)
        if not quiet:
            render.show_record(saved, fmt, as_json)


@rates.command("import")
def rates_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="ECB eurofxref-hist.csv, or date,base,quote,rate.")],
    quiet: QuietOpt = False,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Load exchange rates from a file: all of them, or none when a line is bad.

    Example: expense rates import eurofxref-hist.csv
    """
    store = open_store(ctx)
    with book.transaction(store), render.delivered():
        count = use.import_rates(store, file)
        if quiet:
            return
        if chosen(fmt, as_json) == "json":
            render.write_json(render.envelope({"imported": count}))
        else:
            print(f"imported {count} rates")
