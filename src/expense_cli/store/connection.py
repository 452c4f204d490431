"""Opening the book: pragmas, the version gate, migrations, transactions, error translation."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from expense_cli.errors import DatabaseUnavailableError
from expense_cli.store import schema
from expense_cli.store.base import unavailable
from expense_cli.store.catalog import CatalogQueries
from expense_cli.store.expenses import ExpenseQueries

DEFAULT_BUSY_TIMEOUT_MS = 5000


def _create_file(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return  # another process created it first: fine, it is the same book
    except OSError as exc:
        raise DatabaseUnavailableError(
            f"cannot create the book at {path}: {exc.strerror}"
        ) from None
    os.close(fd)


def _lower(value: str | None) -> str | None:
    """Case-insensitive search for every script (SQLite's own lower() is ASCII-only)."""
    return value.lower() if isinstance(value, str) else value


class Store(CatalogQueries, ExpenseQueries):
    """One open book: the connection with its pragmas, at the latest schema version."""

    @classmethod
    def open(cls, path: Path, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> Store:
        """Open (creating if absent) and migrate the book; refuse foreign or newer files."""
        if path.is_dir():
            raise DatabaseUnavailableError(f"cannot use the book at {path}: it is a directory")
        if not path.exists():
            _create_file(path)
        try:
            conn = sqlite3.connect(
                path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise unavailable(exc, path) from None
        store = cls(conn, path)
        try:
            store._prepare(busy_timeout_ms)
        except sqlite3.Error as exc:
            conn.close()
            raise unavailable(exc, path) from None
        except BaseException:
            conn.close()
            raise
        return store

    def close(self) -> None:
        self.conn.close()

    def _prepare(self, busy_timeout_ms: int) -> None:
        self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        self._gate()  # read-only checks first: a refused file is never written
        if self.conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.create_function("expense_lower", 1, _lower, deterministic=True)
        if self._version() < schema.LATEST:
            self._migrate()

    def integrity_problems(self) -> list[str]:
        found = [row[0] for row in self.conn.execute("PRAGMA integrity_check")]
        found = [] if found == ["ok"] else found
        found += [
            f"{row[0]} row {row[1]} points to a missing {row[2]}"
            for row in self.conn.execute("PRAGMA foreign_key_check")
        ]
        try:
            self.conn.execute(
                "INSERT INTO expense_search(expense_search) VALUES ('integrity-check')"
            )
        except sqlite3.DatabaseError as exc:
            # FTS5 runs its check as a write: on a read-only book that is no problem found.
            if "readonly" not in str(exc):
                found.append(f"search index: {exc}")
        return found

    def backup_to(self, dest: Path, progress: Callable[[int, int], None] | None = None) -> None:
        """SQLite's online backup into a temp file beside DEST, then an atomic rename.
        Without `progress` it copies in one step; with it, in steps that SQLite restarts
        if another connection writes meanwhile — consistent either way."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        temp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        os.close(fd)
        try:
            target = sqlite3.connect(temp)
            try:
                if progress is None:
                    self.conn.backup(target)
                else:
                    self.conn.backup(
                        target,
                        pages=1024,
                        progress=lambda _s, left, total: progress(total - left, total),
                    )
            finally:
                target.close()
            temp.replace(dest)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def _version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _gate(self) -> None:
        with self.read():  # one snapshot: a book being created beside us is not "foreign"
            self._check_version()

    def _check_version(self) -> None:
        version = self._version()
        if version > schema.LATEST:
            raise DatabaseUnavailableError(
                f"the book at {self.path} has schema version {version}, newer than this "
                f"program knows ({schema.LATEST}); upgrade expense to use it"
            )
        app_id = int(self.conn.execute("PRAGMA application_id").fetchone()[0])
        if version == 0:
            foreign = self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        else:
            foreign = app_id != schema.APPLICATION_ID
        if foreign:
            raise DatabaseUnavailableError(
                f"cannot use the book at {self.path}: it is an SQLite database of another program"
            )

    def _migrate(self) -> None:
        from sqlite_utils import Database  # ~150 ms: only when a step is due

        with self.write():
            if self._version() >= schema.LATEST:
                return  # another process migrated while we waited for the lock
            db = Database(self.conn, recursive_triggers=False, execute_plugins=False)
            schema.migrations().apply(db)
            self.conn.execute(f"PRAGMA user_version = {schema.LATEST}")
