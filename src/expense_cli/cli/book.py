"""Book-level commands: `config` and `db` maintenance."""

from __future__ import annotations

from typing import Annotated

import typer

from expense_cli.cli.context import db_path, open_store
from expense_cli.cli.errors import AppTyper
from expense_cli.cli.formats import RecordFormat, chosen
from expense_cli.cli.lazy import lazy
from expense_cli.cli.options import FormatOpt, JsonOpt

render = lazy("expense_cli.cli.render")
use = lazy("expense_cli.domain.book")

db = AppTyper(help="Maintenance of the book file: path, check, backup.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("config")(config)
    app.add_typer(db, name="db")


def config(
    ctx: typer.Context,
    key: Annotated[str | None, typer.Argument(help="default_currency or date_order.")] = None,
    value: Annotated[str | None, typer.Argument(help="New value.")] = None,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Show or change the book's settings.

    Example: expense config default_currency EUR
    """
    if key is not None:
        use.check_key(key)
    store = open_store(ctx)
    settings = (
        use.set_setting(store, key, value)
        if key is not None and value is not None
        else use.load_settings(store)
    )
    data = settings.as_dict()
    if key is not None and value is None:
        data = {key: data[key]}
    if chosen(fmt, as_json) == "json":
        render.write_json(render.envelope(data))
    elif key is not None and value is None:
        print(data[key])
    else:
        render.record_table(list(data.items()))


@db.command("path")
def path(ctx: typer.Context, fmt: FormatOpt = RecordFormat.TABLE, as_json: JsonOpt = False) -> None:
    """Print the book's path (creates nothing).

    Example: expense db path
    """
    location = str(db_path(ctx.find_root()))
    if chosen(fmt, as_json) == "json":
        render.write_json(render.envelope({"path": location}))
    else:
        print(location)
