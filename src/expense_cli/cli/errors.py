"""The one place where errors become exit codes and messages (SPEC §5)."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from enum import IntEnum
from typing import Any, TypeVar

import typer

from expense_cli.errors import (
    ConflictError,
    DatabaseUnavailableError,
    ExpenseError,
    NotFoundError,
    UsageError,
    ValidationError,
)

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
        sys.stderr.write(json.dumps(envelope, ensure_ascii=False) + "\n")
        return
    lines = [f"Error: {_printable(error.message)}"]
    lines += [f"  {_field(name)}: {_printable(message)}" for name, message in error.fields.items()]
    sys.stderr.write("\n".join(lines) + "\n")


def _wants_json(kwargs: dict[str, Any]) -> bool:
    return bool(kwargs.get("as_json")) or str(kwargs.get("fmt", "")) == "json"


def _debug(kwargs: dict[str, Any]) -> bool:
    ctx = kwargs.get("ctx")
    obj = getattr(ctx, "obj", None)
    return bool(getattr(obj, "debug", False))


def translate_errors(command: F) -> F:
    """Wrap a command: expected errors exit with their code, bugs with 1 and one line."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
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
            sys.stderr.close()  # `expense list | head`: the reader left; not an error
            raise typer.Exit(ExitCode.OK) from None
        except Exception as exc:
            if _debug(kwargs):
                import traceback  # linecache and tokenize: only with --debug

                traceback.print_exc()
            internal = ExpenseError(f"internal error: {type(exc).__name__}: {exc}")
            report(internal, as_json=_wants_json(kwargs))
            raise typer.Exit(ExitCode.INTERNAL) from None

    return wrapper  # type: ignore[return-value]


class AppTyper(typer.Typer):
    """A Typer whose every command goes through `translate_errors`."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        register = super().command(*args, **kwargs)

        def decorator(func: F) -> F:
            register(translate_errors(func))
            return func

        return decorator
