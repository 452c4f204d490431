"""Expense ids as commands take them: `ID...`, or `-` to read them from stdin one per line
(what `expense list -q` prints), reference §10.9 and §10.10 item 1."""

import sys
from dataclasses import dataclass
from typing import Annotated, TextIO

import typer

from expense_cli.errors import UsageError

STDIN = "-"
IdsOrStdinArg = Annotated[
    list[str],
    typer.Argument(
        help="Expense ids, or - to read ids from stdin, one per line (what list -q prints).",
        show_default=False,
        metavar="ID...",
    ),
]


@dataclass(frozen=True)
class Ids:
    """The ids of a command in input order, duplicates dropped; `single` when exactly one
    id was given as an argument (the command then prints an object, not a list)."""

    ids: list[int]
    single: bool


def _id(token: str) -> int | None:
    token = token.strip()
    if token.isascii() and token.isdigit():
        return int(token) if len(token) <= 19 else -1  # past 64 bits: an id nothing has
    return None


def _stdin_text(stdin: TextIO) -> str:
    raw = getattr(stdin, "buffer", None)
    if raw is None:
        return stdin.read()
    data = raw.read()
    try:
        return str(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise UsageError(f"stdin is not UTF-8 text (byte {exc.start + 1})") from None


def from_stdin(stdin: TextIO | None = None) -> list[int]:
    """Ids from stdin, one per line; blank lines are skipped. A line that is not an id, or
    no id at all, is a usage error naming the line."""
    ids: list[int] = []
    for number, line in enumerate(_stdin_text(stdin or sys.stdin).splitlines(), start=1):
        if not line.strip():
            continue
        expense_id = _id(line)
        if expense_id is None:
            shown = line.strip()
            shown = shown if len(shown) <= 40 else shown[:40] + "…"
            raise UsageError(f"stdin line {number}: {shown!r} is not an expense id")
        ids.append(expense_id)
    if not ids:
        raise UsageError("no expense ids on stdin (give ids, or pipe `expense list -q` into -)")
    return list(dict.fromkeys(ids))


def parse(tokens: list[str], stdin: TextIO | None = None) -> Ids:
    """`ID...` or `-` alone (ids from stdin)."""
    if STDIN in tokens:
        if len(tokens) > 1:
            raise UsageError("give expense ids as arguments or - for stdin, not both")
        return Ids(from_stdin(stdin), single=False)
    ids: list[int] = []
    for token in tokens:
        expense_id = _id(token)
        if expense_id is None:
            raise UsageError(f"{token!r} is not an expense id")
        ids.append(expense_id)
    if not ids:
        raise UsageError("give at least one expense id, or - to read them from stdin")
    return Ids(list(dict.fromkeys(ids)), single=len(tokens) == 1)
