"""The connection every query runs on: transactions, row helpers, error translation."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from expense_cli.errors import DamagedBookError, DatabaseUnavailableError

T = TypeVar("T")
R = TypeVar("R")  # a row shape (store/rows.py)

_FILE_PROBLEMS = (
    "locked", "busy", "readonly", "read-only", "unable to open", "disk", "not a database",
    "malformed", "full",
)  # fmt: skip
_BUGS = (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)


def unavailable(exc: sqlite3.Error, path: Path) -> DatabaseUnavailableError:
    """Word a locked, read-only or damaged file for the user (exit 6)."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        reason = "it is busy: another expense command held it past the timeout; try again"
    elif "readonly" in text or "read-only" in text:
        reason = "it is read-only"
    elif "not a database" in text or "malformed" in text:
        return DamagedBookError(
            f"cannot use the book at {path}: it is not an expense book or "
            "it is damaged (`expense db check` lists what it can read)"
        )
    elif "unable to open" in text:
        reason = "it cannot be opened"
    else:
        reason = str(exc)
    return DatabaseUnavailableError(f"cannot use the book at {path}: {reason}")


def is_file_problem(exc: BaseException) -> bool:
    """An error about the file or its lock, as opposed to a bug in a statement."""
    if not isinstance(exc, sqlite3.Error) or isinstance(exc, _BUGS):
        return False
    text = str(exc).lower()
    return any(word in text for word in _FILE_PROBLEMS)


def fits(row_id: int) -> bool:
    """Ids are SQLite integers: anything outside 64 bits cannot exist (and must not reach
    the driver, which raises OverflowError)."""
    return -(2**63) <= row_id < 2**63


class StoreBase:
    """Holds the connection; reads run as they come, every write in `BEGIN IMMEDIATE`."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    @contextmanager
    def write(self) -> Iterator[None]:
        """One `BEGIN IMMEDIATE` transaction: it takes the write lock before reading, so
        concurrent writers wait for the busy timeout instead of failing at once."""
        if self.conn.in_transaction:
            yield  # nested use case: the outer transaction decides
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise unavailable(exc, self.path) from None
        self._begin_change()
        try:
            yield
            self._end_change()  # the change log, in this same transaction (store/history.py)
        except BaseException as exc:
            self._discard_change()
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if is_file_problem(exc):
                raise unavailable(exc, self.path) from None  # type: ignore[arg-type]
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise unavailable(exc, self.path) from None

    # The change log's hooks (reference §10.8), overridden by store/history.py. Every store
    # mutator of an expense, or of a row that dies with it, calls `_touch` before writing
    # (`_insert`/`_update` do it for `expenses` and for rows with an `expense_id`), and
    # `_created` after inserting an expense.
    def _begin_change(self) -> None:
        """A write transaction starts: a new, empty change."""

    def _end_change(self) -> None:
        """Before COMMIT: write the change, if any expense changed."""

    def _discard_change(self) -> None:
        """Rolled back: forget the change."""

    def _touch(self, expense_id: int) -> None:
        """About to change this expense (or a row that dies with it)."""

    def _created(self, expense_id: int) -> None:
        """This expense was just inserted."""

    def _next_expense_id(self) -> int | None:
        """An explicit id for the next new expense when the default would reuse one."""
        return None

    def for_bulk_work(self) -> None:
        """A bigger page cache (64 MiB) for this connection: an import touches every index
        of `expenses` per row, and SQLite's default 2 MiB cache thrashes at a million."""
        self.conn.execute("PRAGMA cache_size = -65536")

    @contextmanager
    def read(self) -> Iterator[None]:
        """A consistent snapshot for reads that take several statements."""
        if self.conn.in_transaction:
            yield
            return
        try:
            self.conn.execute("BEGIN")
            yield
        except sqlite3.Error as exc:
            if is_file_problem(exc):
                raise unavailable(exc, self.path) from None
            raise
        finally:
            # A streamed read left unfinished (its reader failed) ends when the generator is
            # collected, possibly after the command closed the store: nothing left to end.
            if _is_open(self.conn) and self.conn.in_transaction:
                self._end_read()

    def _end_read(self) -> None:
        """A read has nothing to commit, so failing to end it loses nothing: on a damaged
        page COMMIT repeats the error a statement already met (and `db check` listed)."""
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")

    def guarded(self, query: Callable[[], T]) -> T:
        """Run `query` with a busy, read-only or damaged file translated here rather than at
        the end of the transaction, so the caller may note the problem and read on."""
        try:
            return query()
        except sqlite3.Error as exc:
            if is_file_problem(exc):
                raise unavailable(exc, self.path) from None
            raise

    def _all(self, shape: type[R], sql: str, params: Any = ()) -> list[R]:
        """The rows of `sql` as dicts keyed by column, declared of `shape` (a `TypedDict`
        of store/rows.py: an annotation for mypy, nothing is converted)."""
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return cast("list[R]", [dict(zip(names, row, strict=True)) for row in cursor.fetchall()])

    def _one(self, shape: type[R], sql: str, params: Any = ()) -> R | None:
        rows = self._all(shape, sql, params)
        return rows[0] if rows else None

    def _insert(self, table: str, allowed: frozenset[str], values: dict[str, Any]) -> int:
        _check_columns(allowed, values)
        if table != "expenses" and isinstance(values.get("expense_id"), int):
            self._touch(values["expense_id"])
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = self.conn.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(values.values())
        )
        return int(cursor.lastrowid or 0)

    def _update(
        self, table: str, allowed: frozenset[str], row_id: int, values: dict[str, Any]
    ) -> None:
        _check_columns(allowed, values)
        if table == "expenses" and values:
            self._touch(row_id)
        if values:
            assignments = ", ".join(f"{column} = ?" for column in values)
            self.conn.execute(
                f"UPDATE {table} SET {assignments} WHERE id = ?", [*values.values(), row_id]
            )


def _is_open(conn: sqlite3.Connection) -> bool:
    try:
        conn.total_changes  # noqa: B018 - any attribute access raises once it is closed
    except sqlite3.ProgrammingError:
        return False
    return True


def _check_columns(allowed: frozenset[str], values: dict[str, Any]) -> None:
    unknown = set(values) - allowed
    if unknown:  # column names are allow-listed, never taken from input
        raise ValueError(f"unknown columns {sorted(unknown)}")
