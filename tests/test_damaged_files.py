"""Books that cannot be used (reference §3 book location, §5 exit 6, §7 storage, §8 reliability):
random bytes, a truncated book, a book from a newer version, another program's SQLite file,
a directory, a read-only file; and the cases where a book is rightly created instead.

Through the installed command, as a user meets them: exit 6, one `Error:` line naming the
problem, no traceback, and the refused file left exactly as it was (bytes and mtime).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from expense_cli.store import schema
from tests.conftest import EXPENSE, Cli, real_book

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(EXPENSE is None, reason="the `expense` command is not installed"),
]
NOBODY = 65534
Preexec = Callable[[], None] | None

# A read and a maintenance command in human mode, and a write with the JSON envelope.
COMMANDS = (
    ("list",),
    ("db", "check"),
)
WRITE_JSON = ("add", "Train", "45.10", "-c", "Travel", "--json")


def _run(db: Path, *args: str, preexec: Preexec = None) -> subprocess.CompletedProcess[str]:
    assert EXPENSE is not None
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("EXPENSE_DB", None)
    env.pop("FORCE_COLOR", None)
    return subprocess.run(
        [EXPENSE, "--db", str(db), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        preexec_fn=preexec,
    )


def _state(path: Path) -> Any:
    """Bytes, mtime and mode of a file; for a folder, the same for everything inside it."""
    if path.is_dir():
        return {p.name: _state(p) for p in sorted(path.iterdir())}
    stat = path.stat()
    return (hashlib.sha256(path.read_bytes()).hexdigest(), stat.st_mtime_ns, stat.st_mode)


def _assert_refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 6, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert any(word in lines[0] for word in words), (words, lines[0])


def _assert_every_command_refuses(db: Path, *words: str, watch: Path | None = None) -> None:
    """Each command exits 6 and leaves `watch` (the file, or its folder) as it was."""
    watched = watch or db
    before = _state(watched)
    for command in COMMANDS:
        _assert_refused(_run(db, *command), *words)
        assert _state(watched) == before, command
    envelope = _run(db, *WRITE_JSON)
    assert (envelope.returncode, envelope.stdout) == (6, ""), envelope.stderr
    error = json.loads(envelope.stderr)["error"]
    assert error["code"] == "database_unavailable"
    assert any(word in error["message"] for word in words), error
    assert _state(watched) == before


def test_random_bytes_are_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "noise.db"
    db.write_bytes(os.urandom(64 * 1024))
    _assert_every_command_refuses(db, "not an expense book", "damaged", watch=tmp_path)


def test_a_truncated_book_is_refused_untouched(cli: Cli, book: Path, tmp_path: Path) -> None:
    source = real_book(cli, book)
    folder = tmp_path / "cut"
    folder.mkdir()
    half = folder / "half.db"
    data = source.read_bytes()
    half.write_bytes(data[: len(data) // 2])
    _assert_every_command_refuses(half, "damaged", watch=folder)


def test_a_book_from_a_newer_version_is_refused_untouched(
    cli: Cli, book: Path, tmp_path: Path
) -> None:
    real_book(cli, book)
    with closing(sqlite3.connect(book)) as conn:
        conn.execute(f"PRAGMA user_version = {schema.LATEST + 1}")
    _assert_every_command_refuses(book, "newer", watch=book.parent)


@pytest.mark.parametrize("version", [0, 99])
def test_an_sqlite_file_of_another_program_is_refused_untouched(
    tmp_path: Path, version: int
) -> None:
    """Rollback journal, its own tables and version: it must not even be switched to WAL."""
    db = tmp_path / "other.sqlite"
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.executemany("INSERT INTO notes (body) VALUES (?)", [(f"n{i}",) for i in range(50)])
        conn.execute(f"PRAGMA user_version = {version}")
    words = ("newer",) if version > schema.LATEST else ("another program",)
    _assert_every_command_refuses(db, *words, watch=tmp_path)


def test_a_directory_as_the_book_is_refused_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "a folder"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    _assert_every_command_refuses(folder, "directory", watch=tmp_path)


def test_a_book_in_a_missing_folder_is_created_with_mode_0600(tmp_path: Path) -> None:
    db = tmp_path / "not" / "there" / "yet" / "book.db"
    shown = _run(db, "db", "path")  # `db path` creates nothing
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == str(db)
    assert not (tmp_path / "not").exists()

    added = _run(db, "add", "Train", "45.10", "-c", "Travel", "-q")
    assert added.returncode == 0, added.stderr
    assert db.is_file()
    assert db.stat().st_mode & 0o777 == 0o600
    assert _run(db, "db", "check").returncode == 0


def test_an_empty_file_becomes_a_new_book(tmp_path: Path) -> None:
    """Zero bytes is an empty SQLite database: `touch book.db && expense add …` just works."""
    db = tmp_path / "empty.db"
    db.touch()
    added = _run(db, "add", "Train", "45.10", "-c", "Travel", "-q")
    assert added.returncode == 0, added.stderr
    assert _run(db, "db", "check").returncode == 0


# --- read-only: a user without write permission ---------------------------------------


def _as_nobody() -> None:
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def _without_dac_override() -> None:
    """Root that obeys file permissions: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from
    the bounding set, so the exec'd command has neither (PR_CAPBSET_DROP = 24)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _works(preexec: Preexec, folder: Path) -> bool:
    try:
        version = _run(folder / "unused.db", "--version", preexec=preexec)
    except (OSError, subprocess.SubprocessError):
        return False
    return version.returncode == 0


def _non_root() -> tuple[Preexec, bool]:
    """How to run `expense` as a user that file permissions bind: (preexec, is_nobody)."""
    if os.geteuid() != 0:
        return None, False
    probe = Path(tempfile.mkdtemp(prefix="expense-ro-"))
    try:
        probe.chmod(0o755)
        if _works(_as_nobody, probe):
            return _as_nobody, True
        if sys.platform == "linux" and _works(_without_dac_override, probe):
            return _without_dac_override, False  # nobody cannot reach this interpreter
    finally:
        shutil.rmtree(probe)
    pytest.skip("cannot run `expense` as a user bound by file permissions")


@pytest.fixture
def read_only_book(cli: Cli, book: Path) -> Iterator[tuple[Path, Preexec, bool]]:
    """A real book in a folder under /tmp (pytest's own are 0700, closed to `nobody`)."""
    preexec, is_nobody = _non_root()
    folder = Path(tempfile.mkdtemp(prefix="expense-ro-"))
    try:
        db = folder / "book.db"
        shutil.copyfile(real_book(cli, book), db)
        yield db, preexec, is_nobody
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def _lock_down(db: Path, *, is_nobody: bool, folder_writable: bool) -> None:
    """Owned by us; readable by the test user; writable by it only where asked."""
    if is_nobody:
        db.chmod(0o644)
        db.parent.chmod(0o777 if folder_writable else 0o755)
    else:
        db.chmod(0o444)
        db.parent.chmod(0o755 if folder_writable else 0o555)


def test_a_read_only_book_in_a_read_only_folder_is_refused_untouched(
    read_only_book: tuple[Path, Preexec, bool],
) -> None:
    db, preexec, is_nobody = read_only_book
    _lock_down(db, is_nobody=is_nobody, folder_writable=False)
    before = _state(db.parent)
    for command in (*COMMANDS, ("add", "Train", "45.10", "-c", "Travel")):
        result = _run(db, *command, preexec=preexec)
        _assert_refused(result, "read-only", "cannot be opened")
        assert _state(db.parent) == before, command


def test_a_read_only_book_can_be_read_but_not_written(
    read_only_book: tuple[Path, Preexec, bool],
) -> None:
    """The folder is writable (SQLite may make its -shm there); the book file is not."""
    db, preexec, is_nobody = read_only_book
    _lock_down(db, is_nobody=is_nobody, folder_writable=True)
    before = _state(db)

    added = _run(db, "add", "Train", "45.10", "-c", "Travel", preexec=preexec)
    _assert_refused(added, "read-only")
    assert _state(db) == before

    for command in (("list", "--json"), ("show", "1", "--json"), ("config",), ("db", "check")):
        result = _run(db, *command, preexec=preexec)
        assert result.returncode in {0, 6}, (command, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        if result.returncode == 6:
            _assert_refused(result, "read-only")
        assert _state(db) == before, command
