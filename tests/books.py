"""Books as an older release left them, for the migration tests: the schema steps before a
given one only, stamped with that step's `user_version`, then the rows the test needs."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from expense_cli.store import schema


def step_index(step: Callable[..., Any] | int) -> int:
    """The index of a step of `schema.STEPS` (an index stays as it is)."""
    return step if isinstance(step, int) else schema.STEPS.index(step)


@contextmanager
def frozen_book(path: Path, before: Callable[..., Any] | int) -> Iterator[sqlite3.Connection]:
    """Create `path` as the release before the step `before` (a step of `schema.STEPS` or
    its index) left it, its `user_version` that step's index; the block writes its rows on
    the connection it is given (autocommit)."""
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    index = step_index(before)
    steps = Migrations("expense")
    for step in schema.STEPS[:index]:
        steps(name=step.__name__.lstrip("_"))(step)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        steps.apply(Database(conn, recursive_triggers=False, execute_plugins=False))
        conn.execute(f"PRAGMA user_version = {index}")
        yield conn


def old_expense(conn: sqlite3.Connection, **columns: Any) -> None:
    """Insert one expense row with the columns every old release had; `columns` override
    the defaults or add columns. The timestamps default to 10:00 on the expense's date."""
    row: dict[str, Any] = {
        "uid": "u-1", "description": "Old", "date": "2025-03-04", "amount_minor": 1000,
        "currency": "USD", "scale": 2, "category_id": 1, "approval_status": "approved",
        "reimbursement_status": "not_reimbursable",
    }  # fmt: skip
    row.update(columns)
    row.setdefault("created_at", f"{row['date']}T10:00:00.000000Z")
    row.setdefault("updated_at", row["created_at"])
    names = ", ".join(row)
    marks = ", ".join("?" * len(row))
    conn.execute(f"INSERT INTO expenses ({names}) VALUES ({marks})", list(row.values()))


def query(path: Path, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
    """Every row `sql` reads from the book at `path`, on a connection of its own."""
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql, params).fetchall()
