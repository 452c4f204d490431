"""Printing what a command produced, in the format the user chose."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

from expense_cli.cli import render
from expense_cli.cli.formats import chosen
from expense_cli.domain.models import Expense
from expense_cli.errors import OutputFailedError


@contextmanager
def delivered() -> Iterator[None]:
    """Around the output a command prints inside its transaction: stdout written and
    flushed, or an `OutputFailedError` (exit 6) that rolls the change back. A reader that
    left early (`| head`) is no failure: the rest of the output goes nowhere."""
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        raise OutputFailedError("standard output is closed; nothing was changed")
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stdout = Path(os.devnull).open("w")  # noqa: SIM115 - stdout from here on
    except OSError as exc:
        raise OutputFailedError(
            f"cannot write the output ({exc.strerror or exc}); nothing was changed"
        ) from None


def expense(record: Expense, fmt: StrEnum, as_json: bool, quiet: bool = False) -> None:
    """A mutation or `show` prints the whole expense; `-q` only its id."""
    if quiet:
        print(record.id)
    elif chosen(fmt, as_json) == "json":
        render.write_json(render.envelope(record.to_json()))
    else:
        render.record_table(render.expense_fields(record))


def expenses(records: Sequence[Expense], fmt: StrEnum, as_json: bool, quiet: bool = False) -> None:
    """Commands taking `ID...` answer `{"data": [...]}` even for one id."""
    if quiet:
        print("\n".join(str(r.id) for r in records))
    elif chosen(fmt, as_json) == "json":
        render.write_json(render.envelope([r.to_json() for r in records]))
    else:
        render.expense_table(records, totals=False)


def records(
    items: Sequence[Any], fmt: StrEnum, as_json: bool, headers: Sequence[str], row: Any,
    right: Sequence[int] = (),
) -> None:  # fmt: skip
    """Catalogue lists (categories, clients, projects)."""
    if chosen(fmt, as_json) == "json":
        render.write_json(render.envelope([item.to_json() for item in items]))
    else:
        render.simple_table(headers, [row(item) for item in items], right)


def record(item: Any, fmt: StrEnum, as_json: bool) -> None:
    if chosen(fmt, as_json) == "json":
        render.write_json(render.envelope(item.to_json()))
    else:
        data = item.to_json()
        render.record_table([(k, render.plain(v)) for k, v in data.items()])
