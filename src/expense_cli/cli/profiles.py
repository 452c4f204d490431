"""`import-profile`: a bank's reading options saved in the book for `import --profile`
(reference §10.4)."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from expense_cli.cli.context import open_store
from expense_cli.cli.errors import AppTyper
from expense_cli.cli.formats import RecordFormat
from expense_cli.cli.importer import reading_options
from expense_cli.cli.lazy import lazy
from expense_cli.cli.options import (
    DateFormatOpt,
    DecimalCommaOpt,
    DefaultCategoryOpt,
    DelimiterOpt,
    EncodingOpt,
    FormatOpt,
    JsonOpt,
    MapOpt,
    QuietOpt,
    RowAccountOpt,
    SignOpt,
    SkipRowsOpt,
    complete_names,
)

if TYPE_CHECKING:
    from expense_cli.cli import render
    from expense_cli.domain import book, statements
    from expense_cli.domain import profiles as use
    from expense_cli.domain.profiles import Profile
else:  # lazy stand-ins at run time (cli/lazy.py); mypy sees the real modules above
    render = lazy("expense_cli.cli.render")
    use = lazy("expense_cli.domain.profiles")
    book = lazy("expense_cli.domain.book")
    statements = lazy("expense_cli.domain.statements")

profiles = AppTyper()
NameArg = Annotated[str, typer.Argument(help="Profile name, e.g. the bank's.", show_default=False)]
ProfileArg = Annotated[
    str,
    typer.Argument(
        help="Profile name.", autocompletion=complete_names("profile"), show_default=False
    ),
]


def register(app: typer.Typer, only: str | None = None) -> None:
    if only in (None, "import-profile"):
        app.add_typer(profiles, name="import-profile")


def _options_text(p: "Profile") -> str:
    data = p.to_json()
    shown = []
    for key, value in data.items():
        if key in ("id", "name") or value in (None, False, 0):
            continue
        if key == "map":
            value = " ".join(f"{f}={c}" for f, c in value.items())
        shown.append(f"{key}: {value!r}" if key == "delimiter" else f"{key}: {value}")
    return "; ".join(shown)


@profiles.callback(invoke_without_command=True)
def profiles_main(
    ctx: typer.Context, fmt: FormatOpt = RecordFormat.TABLE, as_json: JsonOpt = False
) -> None:
    """Saved reading options for `import --profile NAME` (`import-profile add|list|show|delete`).

    Example: expense import-profile list --json
    """
    if ctx.invoked_subcommand is None:
        _list(ctx, fmt, as_json, False)


def _list(ctx: typer.Context, fmt: RecordFormat, as_json: bool, quiet: bool) -> None:
    render.show_records(
        use.list_profiles(open_store(ctx, create=False)),
        fmt,
        as_json,
        ["ID", "Name", "Options"],
        lambda p: [p.id, p.name, _options_text(p)],
        quiet=quiet,
    )


@profiles.command("list")
def profiles_list(
    ctx: typer.Context,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """List the saved import profiles.

    Example: expense import-profile list --json
    """
    _list(ctx, fmt, as_json, quiet)


@profiles.command("add")
def profiles_add(
    ctx: typer.Context,
    name: NameArg,
    maps: MapOpt = None,
    delimiter: DelimiterOpt = None,
    decimal_comma: DecimalCommaOpt = None,
    date_format: DateFormatOpt = None,
    skip_rows: SkipRowsOpt = None,
    sign: SignOpt = None,
    encoding: EncodingOpt = None,
    default_category: DefaultCategoryOpt = None,
    account: RowAccountOpt = None,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Save a bank's reading options under NAME (the import options of the same names).

    Example: expense import-profile add mybank --map date=Buchungstag --map amount=Betrag
    --map description=Verwendungszweck --skip-rows 4 --decimal-comma --sign negative
    """
    given: dict[str, Any] = reading_options(
        maps, delimiter, decimal_comma, date_format, skip_rows, sign, encoding,
        default_category, None,
    )  # fmt: skip
    given["account"] = account  # checked by add_profile beside the name (exit 4, all at once)
    options = use.merged(statements.ReadOptions(), given)
    store = open_store(ctx)
    with book.transaction(store), render.delivered():
        render.show_record(use.add_profile(store, name, options), fmt, as_json, quiet)


@profiles.command("show")
def profiles_show(
    ctx: typer.Context,
    name: ProfileArg,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """Show a saved import profile.

    Example: expense import-profile show mybank --json
    """
    render.show_record(use.get_profile(open_store(ctx, create=False), name), fmt, as_json, False)


@profiles.command("delete")
def profiles_delete(
    ctx: typer.Context,
    name: ProfileArg,
    fmt: FormatOpt = RecordFormat.TABLE,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Delete a saved import profile.

    Example: expense import-profile delete mybank
    """
    store = open_store(ctx)
    with book.transaction(store), render.delivered():
        render.show_record(use.delete_profile(store, name), fmt, as_json, quiet)
