"""The root of the command tree: global options and the `expense` entry point.

The callback stores settings in `ctx.obj` and opens nothing, so `--help` and `--version`
never touch the disk; commands import their modules' heavy parts only when they run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from expense_cli import __version__
from expense_cli.cli import book, catalog, expenses, listing, transfer
from expense_cli.cli.context import AppState
from expense_cli.cli.errors import AppTyper

app = AppTyper(
    name="expense",
    help="Track freelance expenses in one local SQLite file.\n\n"
    'Example: expense add "Train to Berlin" 45.10 -c Travel',
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"expense {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="Book file (default: $EXPENSE_DB, else the user data dir).",
            dir_okay=True,
            show_default=False,
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    ctx.obj = AppState(db=db, debug=debug)


expenses.register(app)
listing.register(app)
app.add_typer(catalog.categories, name="categories")
app.add_typer(catalog.clients, name="clients")
app.add_typer(catalog.projects, name="projects")
transfer.register(app)
book.register(app)


def main() -> None:
    app()
