"""Opening the book: pragmas, the version gate, migrations, transactions, error translation."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from expense_cli.errors import DatabaseUnavailableError
from expense_cli.store import schema
from expense_cli.store.base import StoreBase, unavailable
from expense_cli.store.catalog import CatalogQueries
from expense_cli.store.expenses import ExpenseQueries

if TYPE_CHECKING:  # the other features' queries load on first use (`Book._whole`)
    from expense_cli.store.history import HistoryQueries
    from expense_cli.store.invoices import InvoiceQueries
    from expense_cli.store.rates import RateQueries
    from expense_cli.store.receipts import ReceiptQueries
    from expense_cli.store.recurring import RecurringQueries

# Writes take milliseconds, but eight writers on two busy cores can starve one past 5 s
# (SQLite's busy handler is not fair): 10 s keeps a cron job beside scripts from failing.
DEFAULT_BUSY_TIMEOUT_MS = 10_000


def _create_file(path: Path) -> None:
    """The book and its missing folders, private (0600/0700) whatever the umask."""
    from expense_cli.store import files  # only a new book or a copy needs the file helpers

    try:
        files.make_private_dirs(path.parent)
        files.create_private(path)
    except FileExistsError:
        return  # another process created it first: fine, it is the same book
    except OSError as exc:
        raise DatabaseUnavailableError(
            f"cannot create the book at {path}: {exc.strerror}"
        ) from None


def _lower(value: str | None) -> str | None:
    """Case-insensitive search for every script (SQLite's own lower() is ASCII-only)."""
    return value.lower() if isinstance(value, str) else value


class Book(CatalogQueries, ExpenseQueries):
    """One open book: the connection with its pragmas, at the latest schema version.

    It opens with the queries a read of expenses needs (catalogue, expenses): `list` and
    `show` import no other feature's module. The first write (`write`, which every
    expense mutator runs in, so the change log's hooks are store/history.py's) or the first
    use of another feature's query makes it a whole `Store` (`_whole`), before anything is
    written."""

    def _whole(self) -> None:
        """Become a `Store` with every feature's queries and the change log."""
        self.__class__ = _whole_class()

    if not TYPE_CHECKING:  # mypy sees `Store` with every method: no `Any` from here

        def __getattr__(self, name: str) -> Any:
            if name.startswith("__") or type(self) is not Book:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            self._whole()
            return getattr(self, name)

    @contextmanager
    def write(self) -> Iterator[None]:
        """`StoreBase.write`, the book made whole first: the change log's modules load
        before `BEGIN IMMEDIATE`, not while this process holds the write lock."""
        self._whole()
        with StoreBase.write(self):
            yield

    @classmethod
    def open(
        cls, path: Path, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS, *, create: bool = True
    ) -> Store:
        """Open (creating if absent) and migrate the book; refuse foreign or newer files.
        With `create=False` a missing book stays missing: the store is a new, empty book in
        memory, so a read shows what a new book would and nothing reaches the disk."""
        if path.is_dir():
            raise DatabaseUnavailableError(f"cannot use the book at {path}: it is a directory")
        target: Path | str = path
        if not path.exists():
            if create:
                _create_file(path)
            else:
                target = ":memory:"
        try:
            conn = sqlite3.connect(
                target,
                timeout=busy_timeout_ms / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise unavailable(exc, path) from None
        store = cast("Store", cls(conn, path))
        try:
            store._prepare(busy_timeout_ms)
        except sqlite3.Error as exc:
            conn.close()
            raise unavailable(exc, path) from None
        except BaseException:
            conn.close()
            raise
        return store

    @classmethod
    def open_read_only(cls, path: Path, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> Store:
        """An existing book for peeking (shell completion): opened read-only, never created
        or migrated; a book of another version may lack what the caller reads."""
        try:
            conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                timeout=busy_timeout_ms / 1000,
            )  # fmt: skip
            store = cast("Store", cls(conn, path))
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            store._gate()
        except sqlite3.Error as exc:
            raise unavailable(exc, path) from None
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

    @property
    def on_disk(self) -> bool:
        """False for the empty book in memory that stands in for a missing one."""
        return bool(self.conn.execute("PRAGMA database_list").fetchone()[2])

    def kept_totals_problems(self) -> list[str]:
        """The tables the triggers keep (`schema.KEPT_TOTALS`) that differ from a fill from
        the expenses: only a file written with those triggers dropped could cause one."""
        differ = []
        for totals in schema.KEPT_TOTALS:
            kept, select = f"SELECT {totals.columns} FROM {totals.table}", totals.select
            row = self.conn.execute(
                f"SELECT EXISTS ({kept} EXCEPT {select}) OR EXISTS ({select} EXCEPT {kept})"
            ).fetchone()
            if row[0]:
                differ.append(totals.table)
        return differ

    def integrity_problems(self) -> list[str]:
        """SQLite's page and foreign-key checks: reads only, so they fit in the caller's
        snapshot; a page too damaged to walk is itself the problem found."""
        try:
            found = [row[0] for row in self.conn.execute("PRAGMA integrity_check")]
            found = [] if found == ["ok"] else found
            found += [
                f"{row[0]} row {row[1]} points to a missing {row[2]}"
                for row in self.conn.execute("PRAGMA foreign_key_check")
            ]
        except sqlite3.DatabaseError as exc:
            if "malformed" not in str(exc) and "not a database" not in str(exc):
                raise
            return [f"the file is damaged: {exc}"]
        return found

    def search_index_problems(self) -> list[str]:
        """FTS5 checks its index only as a write statement, so it runs in its own
        `BEGIN IMMEDIATE`: it waits for the lock like any write (in the reader's deferred
        transaction it failed at once as "database is locked" beside writers) and is
        rolled back, changing nothing."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            if "readonly" in str(exc) or "locked" in str(exc) or "busy" in str(exc):
                # A read-only book cannot run it, and writers may keep the lock past the
                # timeout: the read-only count of indexed rows stands in (§10.1 item 20).
                return self._search_count_problems()
            raise unavailable(exc, self.path) from None
        try:
            self.conn.execute(
                "INSERT INTO expense_search(expense_search) VALUES ('integrity-check')"
            )
        except sqlite3.DatabaseError as exc:
            if "readonly" in str(exc):
                return []  # SQLite may grant the lock on a read-only file and refuse the write
            if "locked" in str(exc) or "busy" in str(exc):
                raise unavailable(exc, self.path) from None
            return [str(exc)]
        finally:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        return []

    def _search_count_problems(self) -> list[str]:
        """Every expense has exactly one indexed document: a read in one snapshot."""
        with self.read():
            indexed = self.conn.execute("SELECT count(*) FROM expense_search_docsize").fetchone()
            stored = self.conn.execute("SELECT count(*) FROM expenses").fetchone()
        if indexed[0] != stored[0]:
            return [f"{indexed[0]} indexed documents for {stored[0]} expenses"]
        return []

    def backup_to(self, dest: Path, progress: Callable[[int, int], None] | None = None) -> None:
        """SQLite's online backup into a private temp file beside DEST, then an atomic
        rename (`files.replacing` checks DEST and removes the temp file on failure).
        Without `progress` it copies in one step; with it, in steps that SQLite restarts
        if another connection writes meanwhile — consistent either way."""
        from expense_cli.store import files

        with files.replacing(dest, self.path) as temp:
            target = sqlite3.connect(temp.path)
            try:
                # The copy's journal stays in memory: no `.tmp-journal` beside it, even
                # after a kill -9 (the temp file itself is then removed by the next run).
                target.execute("PRAGMA journal_mode = MEMORY")
                if progress is None:
                    self.conn.backup(target)
                else:
                    self.conn.backup(
                        target,
                        pages=1024,
                        progress=lambda _s, left, total: progress(total - left, total),
                    )
            except sqlite3.Error as exc:
                raise self._backup_failed(exc, dest) from None
            finally:
                target.close()

    def _backup_failed(self, exc: sqlite3.Error, dest: Path) -> DatabaseUnavailableError:
        """A busy or damaged book is the book's problem; anything else (a full disk, an
        I/O error) is the copy's (exit 6 either way)."""
        text = str(exc).lower()
        if any(word in text for word in ("locked", "busy", "malformed", "not a database")):
            return unavailable(exc, self.path)
        from expense_cli.store import files

        return files.failed(dest, str(exc))

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


if TYPE_CHECKING:

    class Store(HistoryQueries, ReceiptQueries, RecurringQueries, InvoiceQueries, RateQueries,
                Book):  # fmt: skip
        """An open book with every feature's queries (at run time a `Book` until it needs
        more, then the class `_whole_class` makes)."""

else:
    Store = Book


_WHOLE: list[type[Book]] = []


def _whole_class() -> type[Book]:
    """`Store` as a class: the book's own queries and every feature's, the change log's
    hooks (store/history.py) first. Built once, on first need."""
    if not _WHOLE:
        from expense_cli.store.history import HistoryQueries
        from expense_cli.store.invoices import InvoiceQueries
        from expense_cli.store.rates import RateQueries
        from expense_cli.store.receipts import ReceiptQueries
        from expense_cli.store.recurring import RecurringQueries

        class WholeStore(HistoryQueries, ReceiptQueries, RecurringQueries, InvoiceQueries,
                         RateQueries, Book):  # fmt: skip
            __doc__ = Book.__doc__

        _WHOLE.append(WholeStore)
    return _WHOLE[0]


def discard_book(path: Path) -> None:
    """Remove a book and its WAL files (the demo book is recreated on every `demo`)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
