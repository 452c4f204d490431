"""The SQLite file (reference §7): how a book is created and opened, which files are refused
untouched (exit 6), and how money and types are stored."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from expense_cli.errors import DatabaseUnavailableError
from expense_cli.store import Store, schema
from tests.conftest import Cli

OWN_TABLES = {"expenses", "categories", "clients", "projects", "settings"}


@contextmanager
def _opened(path: Path) -> Iterator[Store]:
    store = Store.open(path)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def _raw(path: Path) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(path)) as conn:
        yield conn


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _siblings(path: Path) -> set[str]:
    return {p.name for p in path.parent.iterdir()}


def _snapshot(path: Path) -> dict[str, Any]:
    """Schema, version and every table's rows: what "nothing changed" means."""
    with _raw(path) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            "schema": conn.execute(
                "SELECT type, name, sql FROM sqlite_master ORDER BY type, name"
            ).fetchall(),
            "user_version": conn.execute("PRAGMA user_version").fetchone()[0],
            "rows": {t: conn.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables},
        }


def _book_with_expense(cli: Cli, path: Path) -> None:
    result = cli("--db", str(path), "add", "Train", "45.10", "-c", "Travel", "--json")
    assert result.exit_code == 0, result.stderr


def _assert_refused(cli: Cli, path: Path) -> None:
    """exit 6 with the `database_unavailable` envelope, and the file byte for byte as it was."""
    before = _digest(path)
    siblings = _siblings(path)
    for args in (["list", "--json"], ["add", "x", "1.00", "-c", "Travel", "--json"]):
        result = cli("--db", str(path), *args)
        assert result.exit_code == 6, result.stderr
        assert result.stdout == ""
        assert result.error["code"] == "database_unavailable"
        assert "Traceback" not in result.stderr
    assert _digest(path) == before
    assert _siblings(path) == siblings


# a new book --------------------------------------------------------------------------
def test_a_new_book_has_mode_0600_and_its_folder_is_created(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "book.db"
    with _opened(path):
        pass
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_cli_creates_the_book_with_mode_0600(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "new-folder" / "book.db"
    _book_with_expense(cli, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_book_is_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "book.db"
    with _opened(path) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    with _raw(path) as conn:  # WAL is persistent: recorded in the file itself
        assert conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    with _opened(tmp_path / "book.db") as store:
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        with pytest.raises(sqlite3.IntegrityError):
            store.conn.execute(
                "INSERT INTO projects (name, name_key, client_id) VALUES ('x', 'x', 999)"
            )


def test_user_version_is_the_latest_schema(tmp_path: Path) -> None:
    path = tmp_path / "book.db"
    with _opened(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST
    with _raw(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST


def test_opening_twice_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "book.db"
    _book_with_expense(cli, path)
    before = _snapshot(path)
    with _opened(path):
        pass
    listed = cli("--db", str(path), "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert len(listed.data) == 1
    assert _snapshot(path) == before


# money and types ---------------------------------------------------------------------
def test_money_is_stored_as_integer_minor_units(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "book.db"
    _book_with_expense(cli, path)
    with _raw(path) as conn:
        columns = {row[1]: row[2].upper() for row in conn.execute("PRAGMA table_info(expenses)")}
        assert columns["amount_minor"] == "INTEGER"
        assert "REAL" not in columns.values()
        assert "amount" not in columns
        stored = conn.execute("SELECT amount_minor, typeof(amount_minor) FROM expenses").fetchall()
    assert stored == [(4510, "integer")]


def test_no_column_of_the_book_is_real(tmp_path: Path) -> None:
    path = tmp_path / "book.db"
    with _opened(path):
        pass
    with _raw(path) as conn:
        for table in OWN_TABLES:
            types = [row[2].upper() for row in conn.execute(f"PRAGMA table_info({table})")]
            assert types, table
            assert not any(t in {"REAL", "FLOAT", "DOUBLE", "NUMERIC"} for t in types), table


def test_tables_are_strict(tmp_path: Path) -> None:
    path = tmp_path / "book.db"
    with _opened(path):
        pass
    with _raw(path) as conn:
        rows = conn.execute("PRAGMA table_list").fetchall()
    # (schema, name, type, ncol, wr, strict); sqlite-utils' bookkeeping and FTS shadow
    # tables are not ours to declare.
    ours = {
        name: strict
        for schema_name, name, kind, _n, _wr, strict in rows
        if schema_name == "main" and kind == "table" and not name.startswith(("sqlite_", "_sqlite"))
    }
    assert set(ours) >= OWN_TABLES
    assert {name for name, strict in ours.items() if not strict} == set()


# (minor units, currency digits, the decimal value) in four currencies' scales
_AMOUNTS = [
    (3, 0, "3"), (5, 2, "0.05"), (1, 3, "0.001"), (99, 2, "0.99"), (999, 3, "0.999"),
    (100, 2, "1.00"), (1001, 3, "1.001"), (0, 0, "0"), (12345, 4, "1.2345"), (2, 0, "2"),
    (10000, 2, "100.00"), (100, 0, "100"), (100000, 3, "100.000"),
]  # fmt: skip


def _amount_keys(path: Path) -> dict[str, int]:
    """The generated `amount_key` of one stored expense per `_AMOUNTS` entry, by value."""
    with _opened(path) as store, store.write():
        store.conn.executemany(
            "INSERT INTO expenses (uid, description, date, amount_minor, currency, scale, "
            "category_id, approval_status, reimbursement_status, created_at, updated_at) "
            "VALUES (?, 'x', '2026-01-01', ?, 'USD', ?, 1, 'approved', 'not_reimbursable', "
            "'2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')",
            [(f"u{i}", minor, scale) for i, (minor, scale, _) in enumerate(_AMOUNTS)],
        )
    with _raw(path) as conn:
        keys = conn.execute("SELECT amount_key FROM expenses ORDER BY id").fetchall()
    return {value: key for (_, _, value), (key,) in zip(_AMOUNTS, keys, strict=True)}


def test_amount_key_equal_values_in_different_scales_are_equal(tmp_path: Path) -> None:
    keys = _amount_keys(tmp_path / "book.db")
    assert keys["100"] == keys["100.00"] == keys["100.000"] == 1_000_000


def test_amount_key_orders_like_the_decimal_values(tmp_path: Path) -> None:
    keys = _amount_keys(tmp_path / "book.db")
    assert sorted(keys, key=keys.__getitem__) == sorted(keys, key=Decimal)
    assert len(set(keys.values())) == len({Decimal(v) for v in keys})


def test_a_strict_table_refuses_text_in_the_amount(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "book.db"
    _book_with_expense(cli, path)
    with _raw(path) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE expenses SET amount_minor = 'forty-five'")


# files that are refused untouched ----------------------------------------------------
def test_a_file_that_is_not_a_database_is_refused_untouched(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"These are my notes, not a database.\n" * 200)
    _assert_refused(cli, path)


def test_store_open_of_a_non_database_raises_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"These are my notes, not a database.\n" * 200)
    before = _digest(path)
    with pytest.raises(DatabaseUnavailableError):
        Store.open(path)
    assert _digest(path) == before


def test_a_book_from_a_newer_version_is_refused_untouched(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "book.db"
    _book_with_expense(cli, path)
    with _raw(path) as conn:
        conn.execute(f"PRAGMA user_version = {schema.LATEST + 1}")
        conn.commit()
    assert _siblings(path) == {"book.db"}  # WAL checkpointed and removed on close
    _assert_refused(cli, path)
    with _raw(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST + 1
    with pytest.raises(DatabaseUnavailableError):
        Store.open(path)


def test_an_sqlite_file_of_another_program_is_refused_untouched(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with _raw(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('keep me')")
        conn.commit()
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    _assert_refused(cli, path)
    with _raw(path) as conn:
        assert conn.execute("SELECT body FROM notes").fetchall() == [("keep me",)]


def test_an_sqlite_file_of_another_program_with_its_own_version_is_refused(
    cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "other.db"
    with _raw(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("PRAGMA user_version = 1")
        conn.commit()
    _assert_refused(cli, path)


def test_a_directory_as_the_book_is_refused(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    result = cli("--db", str(folder), "list", "--json")
    assert result.exit_code == 6, result.stderr
    assert result.error["code"] == "database_unavailable"
    assert "Traceback" not in result.stderr
    assert list(folder.iterdir()) == []
    human = cli("--db", str(folder), "list")
    assert human.exit_code == 6
    assert human.stderr.startswith("Error:")
