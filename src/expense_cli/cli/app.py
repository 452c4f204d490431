"""The root of the command tree: global options and the `expense` entry point.

The callback stores settings in `ctx.obj` and opens nothing, so `--help` and `--version`
never touch the disk. Typer builds the Click command of every registered command on each
run (signatures, type hints, parameters: most of the start-up time), so `main()` registers
only the command being run; `--help`, completion and unknown names get the whole tree.
"""

import codecs
import errno
import importlib
import io
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from expense_cli import __version__
from expense_cli.cli.context import AppState
from expense_cli.cli.errors import AppTyper

# command → the cli module that registers it, in the order `--help` lists them
COMMANDS = {
    "add": "expenses", "show": "expenses", "edit": "expenses", "delete": "expenses",
    "restore": "expenses", "tag": "expenses", "attach": "expenses", "detach": "expenses",
    "clone": "expenses", "invoice": "invoices", "invoices": "invoices",
    "uninvoice": "expenses", "list": "listing",
    "categories": "catalog", "clients": "catalog", "projects": "catalog", "report": "report",
    "receipt": "receipts",
    "recurring": "recurring",
    "rates": "rates", "export": "export", "import": "importer",
    "import-profile": "profiles", "rules": "rules", "config": "book", "demo": "book", "db": "book",
    "history": "history", "log": "history", "undo": "history",
}  # fmt: skip
_GLOBAL_FLAGS = ("--debug",)
_GLOBAL_VALUES = ("--db",)


def _version(value: bool) -> None:
    if value:
        print(f"expense {__version__}")
        raise typer.Exit()


def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,  # text, not Path: Path("") is ".", and `--db ''` must be refused
        typer.Option("--db", help="Book file (default: $EXPENSE_DB, else the user data dir).",
                     show_default=False),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:  # fmt: skip
    if db == "":
        raise typer.BadParameter("the book path is empty", param_hint="'--db'")
    ctx.obj = AppState(db=None if db is None else Path(db), debug=debug)


def build_app(only: str | None = None) -> AppTyper:
    """The command tree: every command, or only `only` ("" for none: `--version`)."""
    app = AppTyper(
        name="expense",
        help="Track freelance expenses in one local SQLite file.\n\n"
        'Example: expense add "Train to Berlin" 45.10 -c Travel',
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(root)
    modules = dict.fromkeys(COMMANDS.values()) if only is None else dict.fromkeys(
        [COMMANDS[only]] if only else []
    )  # fmt: skip
    for module in modules:
        importlib.import_module(f"expense_cli.cli.{module}").register(app, only)
    return app


def invoked_command(args: list[str]) -> str | None:
    """The command `args` run ("" for `--version`), or None when the whole tree is needed."""
    if any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ):
        return None  # shell completion walks the whole tree
    values = iter(args)
    for arg in values:
        if arg in _GLOBAL_VALUES:
            next(values, None)
        elif arg in _GLOBAL_FLAGS or arg.startswith(tuple(f"{v}=" for v in _GLOBAL_VALUES)):
            continue
        elif arg == "--version":
            return ""
        else:
            return arg if arg in COMMANDS else None
    return None


def __getattr__(name: str) -> Any:
    """`app`: the whole tree, built on first use (tests, documentation)."""
    if name == "app":
        globals()["app"] = built = build_app()
        return built
    raise AttributeError(name)


def _usable_streams() -> None:
    """A closed stderr (`2>&-`) gets /dev/null, so no message can change an exit code and
    no file the command opens lands on descriptor 2; stdout and stderr write UTF-8 whatever
    the locale says (`PYTHONIOENCODING=latin-1` could not print `€`)."""
    try:
        os.fstat(2)
    except OSError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        if devnull != 2:
            os.dup2(devnull, 2)
            os.close(devnull)
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        sys.stdout = _ClosedStdout()
    stream = sys.stdout
    if isinstance(stream, io.TextIOWrapper) and codecs.lookup(stream.encoding).name != "utf-8":
        stream.reconfigure(encoding="utf-8")
    sys.stderr = _Stderr()
    if os.environ.get("NO_COLOR"):
        # Typer draws help and usage errors with its own Rich console, read at import:
        # no terminal means no escape at all, bold included (§10.1 item 13).
        os.environ.setdefault("_TYPER_FORCE_DISABLE_TERMINAL", "1")


class _Stderr(io.TextIOWrapper):
    """Diagnostics in UTF-8 straight to descriptor 2; a full or broken stderr loses the
    message, never the exit code (§10.1 item 18: a closed stderr changes no exit code)."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", errors="backslashreplace")

    def write(self, text: str) -> int:
        data = text.encode("utf-8", "backslashreplace")
        try:
            while data:
                data = data[os.write(2, data) :]
        except OSError:
            pass
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return os.isatty(2)

    def fileno(self) -> int:
        return 2


class _ClosedStdout(io.TextIOWrapper):
    """Stands in for a stdout closed at start: writing is an error (exit 6, nothing
    written), while a command that prints nothing (`export -o FILE`) still works."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8")

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def isatty(self) -> bool:
        return False


def main() -> None:
    _usable_streams()
    try:
        build_app(invoked_command(sys.argv[1:]))(prog_name="expense")
    except SystemExit as exc:
        # Click and Rich exit 1 when the reader of their output leaves early (EPIPE while
        # printing help or a table): `expense --help | head -1` is no failure (§10.1 item 9).
        if exc.code == 1 and isinstance(exc.__context__, BrokenPipeError):
            raise SystemExit(0) from None
        raise
