"""The one place where errors become exit codes and messages (reference §5)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import Any, TypeVar

import typer

from expense_cli.errors import (
    ConflictError,
    DatabaseUnavailableError,
    ExpenseError,
    NotFoundError,
    OutputFailedError,
    UsageError,
    ValidationError,
)
from expense_cli.running import COMMAND

F = TypeVar("F", bound=Callable[..., Any])


class ExitCode(IntEnum):
    OK = 0
    INTERNAL = 1
    USAGE = 2
    NOT_FOUND = 3
    VALIDATION = 4
    CONFLICT = 5
    UNAVAILABLE = 6


# Subclasses first: the first match wins.
_EXIT_CODES: tuple[tuple[type[ExpenseError], ExitCode], ...] = (
    (UsageError, ExitCode.USAGE),
    (NotFoundError, ExitCode.NOT_FOUND),
    (ValidationError, ExitCode.VALIDATION),
    (ConflictError, ExitCode.CONFLICT),
    (DatabaseUnavailableError, ExitCode.UNAVAILABLE),
)


def exit_code(error: ExpenseError) -> ExitCode:
    return next((code for kind, code in _EXIT_CODES if isinstance(error, kind)), ExitCode.INTERNAL)


SHOWN = 20  # field lines in a human error message


def _printable(value: str) -> str:
    """Messages echo user input: never let it reach the terminal as control characters."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in value)


def _field(name: str) -> str:
    """`line 3.amount` (the JSON key of an import error) reads `line 3: amount` for people."""
    return name.replace(".", ": ", 1) if name.startswith(("line ", "expense ")) else name


def report(error: ExpenseError, *, as_json: bool) -> None:
    """Human mode: `Error: …` and one line per field; JSON mode: the error envelope."""
    if as_json:
        envelope = {"error": {"code": error.code, "message": error.message, "fields": error.fields}}
        from expense_cli.cli.render import dumps  # only on this path: keeps start-up lean

        _say(dumps(envelope) + "\n")
        return
    lines = [f"Error: {_printable(error.message)}"]
    fields = list(error.fields.items())
    # A 100,000-row import can fail on every row: people read the first few, JSON has all.
    lines += [f"  {_field(name)}: {_printable(message)}" for name, message in fields[:SHOWN]]
    if len(fields) > SHOWN:
        lines.append(f"  … and {len(fields) - SHOWN} more (--json lists them all)")
    _say("\n".join(lines) + "\n")


def _say(text: str) -> None:
    """Write to stderr; a closed or broken stderr loses the message but never changes the
    exit code (reference §10.1 item 18)."""
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):  # EPIPE/EBADF, closed file, None
        pass


def _wants_json(kwargs: dict[str, Any]) -> bool:
    return bool(kwargs.get("as_json")) or str(kwargs.get("fmt", "")) == "json"


def _debug(kwargs: dict[str, Any]) -> bool:
    ctx = kwargs.get("ctx")
    obj = getattr(ctx, "obj", None)
    return bool(getattr(obj, "debug", False))


def _name_change(kwargs: dict[str, Any]) -> None:
    """The change log's name for the command being run (`receipt add`): set here, where
    every command passes, and read by the store when it records a change (§10.8)."""
    ctx: Any = kwargs.get("ctx")
    names = []
    while getattr(ctx, "parent", None) is not None:
        names.append(getattr(ctx, "info_name", None) or "")
        ctx = ctx.parent
    if names:
        COMMAND.set(" ".join(reversed(names)))


def translate_errors(command: F) -> F:
    """Wrap a command: expected errors exit with their code, bugs with 1 and one line."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _name_change(kwargs)
        try:
            result = command(*args, **kwargs)
            if sys.stdout is not None:
                sys.stdout.flush()  # a full disk behind stdout shows here, not at exit
            return result
        except ExpenseError as exc:
            report(exc, as_json=_wants_json(kwargs))
            raise typer.Exit(exit_code(exc)) from None
        except (typer.Exit, typer.Abort, typer.BadParameter, KeyboardInterrupt):
            raise
        except UnicodeEncodeError:
            # An argument with undecodable bytes (a lone surrogate) reached a filter.
            usage = UsageError("an argument is not valid UTF-8 text")
            report(usage, as_json=_wants_json(kwargs))
            raise typer.Exit(ExitCode.USAGE) from None
        except BrokenPipeError:
            _discard_stdout()  # `expense list | head`: the reader left; not an error
            raise typer.Exit(ExitCode.OK) from None
        except OSError as exc:
            # Anything else that escapes is the output failing: a full disk behind stdout
            # (`>/dev/full`), a closed stdout, an I/O error (§10.1 item 18).
            failed = OutputFailedError(f"cannot write the output ({exc.strerror or exc})")
            _discard_stdout()
            report(failed, as_json=_wants_json(kwargs))
            raise typer.Exit(ExitCode.UNAVAILABLE) from None
        except Exception as exc:
            unusable = _book_problem(exc, kwargs)
            if unusable is not None:
                report(unusable, as_json=_wants_json(kwargs))
                raise typer.Exit(ExitCode.UNAVAILABLE) from None
            if _debug(kwargs):
                import traceback  # linecache and tokenize: only with --debug

                traceback.print_exc()
            internal = ExpenseError(f"internal error: {type(exc).__name__}: {exc}")
            report(internal, as_json=_wants_json(kwargs))
            raise typer.Exit(ExitCode.INTERNAL) from None

    return wrapper  # type: ignore[return-value]


def _discard_stdout() -> None:
    """Whatever is still buffered for a stdout that cannot take it goes nowhere, so the
    interpreter's last flush cannot fail again at exit."""
    import os

    sys.stdout = open(os.devnull, "w")  # noqa: SIM115, PTH123 - stdout from here on


def _book_problem(exc: Exception, kwargs: dict[str, Any]) -> ExpenseError | None:
    """A busy or damaged file met in the middle of reading (a damaged page deep in a list,
    a report, an export) rather than on opening: exit 6 as it would be on opening."""
    if type(exc).__module__ != "sqlite3":
        return None  # not even importing the store for other errors
    from expense_cli.store.base import is_file_problem, unavailable

    if not is_file_problem(exc):
        return None
    return unavailable(exc, _book_path(kwargs))  # type: ignore[arg-type]


def _book_path(kwargs: dict[str, Any]) -> Path:
    from expense_cli.cli.context import db_path

    ctx = kwargs.get("ctx")
    try:
        return db_path(ctx.find_root())  # type: ignore[union-attr]
    except (ExpenseError, AttributeError):  # every command that opens the book has a ctx
        return Path("(the book)")


def _translated(register: Callable[[F], F]) -> Callable[[F], F]:
    def decorator(func: F) -> F:
        register(translate_errors(func))
        return func

    return decorator


class AppTyper(typer.Typer):
    """A Typer whose every command, and every group callback (the listing forms such as
    `expense clients`), goes through `translate_errors`."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        return _translated(super().command(*args, **kwargs))

    def callback(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        return _translated(super().callback(*args, **kwargs))
