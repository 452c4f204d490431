"""Output files (reference §10.1 items 4, 17, 19, 26): `export -o` and `db backup` never write
onto the book (whatever path reaches it), refuse folders that do not exist, directories
and special files (exit 2, the path named, nothing written), write through a private
temporary file that follows no symlink and leaves nothing behind, keep the old file when
writing fails (exit 6), and create every file and folder private whatever the umask."""

from __future__ import annotations

import errno
import fcntl
import os
import resource
import signal
import sqlite3
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXPENSE, Cli, installed_env, ok, run_installed

SQLITE_HEADER = b"SQLite format 3\x00"


@pytest.fixture
def filled(cli: Cli, book: Path) -> list[dict[str, Any]]:
    """A book with two expenses, every connection to it closed."""
    ok(cli, "add", "Taxi", "7.00", "-c", "Travel", "-d", "2026-01-02")
    ok(cli, "add", "Lunch", "12.50", "-c", "Meals", "-d", "2026-01-03")
    return list(ok(cli, "list", "--all"))


def _intact(cli: Cli, book: Path, expenses: list[dict[str, Any]]) -> None:
    """The book is still an SQLite book holding the same expenses."""
    assert book.read_bytes()[:16] == SQLITE_HEADER
    assert ok(cli, "list", "--all") == expenses
    assert cli("db", "check").exit_code == 0


def _names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _refused(result: Any, path: Path | str) -> None:
    assert result.exit_code == 2, result.stderr
    assert str(path) in result.stderr
    assert "Traceback" not in result.stderr


# never onto the book -----------------------------------------------------------------
def _book_paths(book: Path, tmp_path: Path) -> dict[str, Callable[[], Path]]:
    def symlink() -> Path:
        link = tmp_path / "out" / "looks-like.csv"
        link.parent.mkdir(exist_ok=True)
        link.symlink_to(book)
        return link

    def linked_folder() -> Path:
        folder = tmp_path / "via"
        folder.symlink_to(tmp_path)
        return folder / book.name

    def hard_link() -> Path:
        link = tmp_path / "hard.csv"
        os.link(book, link)
        return link

    def wal_symlink() -> Path:
        link = tmp_path / "wal.csv"
        link.symlink_to(f"{book}-wal")  # dangling between commands: still the book's
        return link

    return {
        "plain": lambda: book,
        "relative": lambda: Path(os.path.relpath(book)),
        "dotdot": lambda: tmp_path / "sub" / ".." / book.name,
        "symlink": symlink,
        "linked folder": linked_folder,
        "hard link": hard_link,
        "wal": lambda: Path(f"{book}-wal"),
        "shm": lambda: Path(f"{book}-shm"),
        "wal through symlink": wal_symlink,
    }


CASES = list(_book_paths(Path("book.db"), Path("t")))


@pytest.mark.parametrize("case", CASES)
def test_export_never_writes_onto_the_book(
    cli: Cli, book: Path, tmp_path: Path, filled: list[dict[str, Any]], case: str
) -> None:
    (tmp_path / "sub").mkdir()
    dest = _book_paths(book, tmp_path)[case]()
    before = _names(tmp_path)

    result = cli("export", "-o", str(dest))

    _refused(result, dest)
    assert "book" in result.stderr
    _intact(cli, book, filled)
    assert _names(tmp_path) == before


@pytest.mark.parametrize("case", CASES)
def test_backup_never_writes_onto_the_book_even_with_force(
    cli: Cli, book: Path, tmp_path: Path, filled: list[dict[str, Any]], case: str
) -> None:
    (tmp_path / "sub").mkdir()
    dest = _book_paths(book, tmp_path)[case]()

    human = cli("db", "backup", str(dest), "--force")
    as_json = cli("db", "backup", str(dest), "--force", "--json")

    _refused(human, dest)
    assert as_json.exit_code == 2
    assert as_json.error["code"] == "usage"
    _intact(cli, book, filled)


def test_export_onto_the_book_in_a_real_process(
    cli: Cli, book: Path, filled: list[dict[str, Any]]
) -> None:
    """The issue's reproduction: `expense export -o "$EXPENSE_DB"` replaced the book."""
    if EXPENSE is None:
        pytest.skip("needs the installed `expense` command")
    result = run_installed(book, "export", "-o", os.environ["EXPENSE_DB"])
    assert result.returncode == 2, result.stderr
    assert str(book) in result.stderr
    _intact(cli, book, filled)


# not a place for a file -------------------------------------------------------------
@pytest.mark.parametrize("command", [("export", "-o"), ("db", "backup", "--force")])
def test_a_folder_that_does_not_exist_is_a_usage_error(
    cli: Cli, tmp_path: Path, filled: list[dict[str, Any]], command: tuple[str, ...]
) -> None:
    dest = tmp_path / "missing" / "x.csv"

    result = cli(*command, str(dest))

    _refused(result, dest)
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("command", [("export", "-o"), ("db", "backup", "--force")])
def test_a_directory_is_a_usage_error(
    cli: Cli, tmp_path: Path, filled: list[dict[str, Any]], command: tuple[str, ...]
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()

    result = cli(*command, str(folder))

    _refused(result, folder)
    assert _names(folder) == set()


@pytest.mark.parametrize("command", [("export", "-o"), ("db", "backup", "--force")])
def test_a_fifo_is_a_usage_error(
    cli: Cli, tmp_path: Path, filled: list[dict[str, Any]], command: tuple[str, ...]
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "to-pipe"
    link.symlink_to(fifo)

    for dest in (fifo, link):
        _refused(cli(*command, str(dest)), dest)

    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert link.is_symlink()


def test_export_to_a_missing_folder_in_a_real_process(book: Path, tmp_path: Path) -> None:
    if EXPENSE is None:
        pytest.skip("needs the installed `expense` command")
    dest = tmp_path / "missing" / "x.csv"
    result = run_installed(book, "export", "-o", str(dest))
    assert result.returncode == 2, result.stderr
    assert str(dest) in result.stderr
    assert "Traceback" not in result.stderr


# symlinks at the destination ---------------------------------------------------------
def test_a_symlink_at_the_destination_is_replaced_never_followed(
    cli: Cli, tmp_path: Path, filled: list[dict[str, Any]]
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    exported, copy = tmp_path / "out.csv", tmp_path / "copy.db"
    exported.symlink_to(victim)
    copy.symlink_to(tmp_path / "elsewhere.db")  # dangling: still something to replace

    export = cli("export", "-o", str(exported))
    unforced = cli("db", "backup", str(copy))
    forced = cli("db", "backup", str(copy), "--force")

    assert export.exit_code == 0, export.stderr
    assert unforced.exit_code == 5
    assert forced.exit_code == 0, forced.stderr
    assert victim.read_text() == "precious\n"
    assert not (tmp_path / "elsewhere.db").exists()
    assert not exported.is_symlink() and not copy.is_symlink()
    assert exported.read_text() == cli("export").stdout
    assert copy.read_bytes()[:16] == SQLITE_HEADER


# temporary files ---------------------------------------------------------------------
def test_a_symlink_planted_at_the_temporary_name_is_never_followed(
    cli: Cli, tmp_path: Path, filled: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "out"
    out.mkdir()
    # The old predictable name, and a random name planted after the stale-file sweep.
    (out / f".x.csv.{os.getpid()}.tmp").symlink_to(victim)
    (out / ".x.csv.planted.tmp").symlink_to(victim)
    names = iter(["planted", "fresh"])
    monkeypatch.setattr("secrets.token_hex", lambda _n: next(names))
    monkeypatch.setattr("expense_cli.store.files.remove_stale", lambda _dest: None)

    result = cli("export", "-o", str(out / "x.csv"))

    assert result.exit_code == 0, result.stderr
    assert victim.read_text() == "precious\n"
    assert (out / "x.csv").read_text() == cli("export").stdout
    assert not (out / ".x.csv.fresh.tmp").exists()


@pytest.mark.parametrize("command", [("export", "-o"), ("db", "backup", "--force")])
def test_a_temporary_file_left_by_a_kill_is_removed_by_the_next_run(
    cli: Cli, tmp_path: Path, filled: list[dict[str, Any]], command: tuple[str, ...]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / ".x.csv.abc.tmp").write_text("half an export")
    (out / ".x.csv.12345.tmp").write_text("an older run's")
    (out / ".other.csv.abc.tmp").write_text("another destination's")

    result = cli(*command, str(out / "x.csv"))

    assert result.exit_code == 0, result.stderr
    assert _names(out) == {"x.csv", ".other.csv.abc.tmp"}
    assert _mode(out / "x.csv") == 0o600


def test_a_temporary_file_another_run_is_writing_is_kept(
    cli: Cli, tmp_path: Path, filled: list[dict[str, Any]]
) -> None:
    """A live writer holds its temporary file's lock; only abandoned ones are swept."""
    out = tmp_path / "out"
    out.mkdir()
    (out / ".x.csv.dead.tmp").write_text("abandoned")
    live = out / ".x.csv.live.tmp"
    live.write_text("being written")
    fd = os.open(live, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        result = cli("export", "-o", str(out / "x.csv"))
    finally:
        os.close(fd)

    assert result.exit_code == 0, result.stderr
    assert _names(out) == {"x.csv", ".x.csv.live.tmp"}


# private files -----------------------------------------------------------------------
@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("open_umask")
def test_everything_created_is_private_whatever_the_umask(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = tmp_path / "data" / "expense" / "book.db"
    monkeypatch.setenv("EXPENSE_DB", str(book))
    ok(cli, "add", "Taxi", "7.00", "-c", "Travel")
    replaced = tmp_path / "replaced.csv"
    replaced.write_text("old\n")
    replaced.chmod(0o644)

    assert cli("export", "-o", str(tmp_path / "new.csv")).exit_code == 0
    assert cli("export", "-o", str(replaced)).exit_code == 0
    assert cli("db", "backup", str(tmp_path / "copy.db")).exit_code == 0

    assert _mode(tmp_path / "data") == 0o700
    assert _mode(tmp_path / "data" / "expense") == 0o700
    assert _mode(book) == 0o600
    for name in ("new.csv", "replaced.csv", "copy.db"):
        assert _mode(tmp_path / name) == 0o600, name


# failures while writing ----------------------------------------------------------------
def _failing(code: int) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code))

    return fail


@pytest.mark.parametrize("command", [("export", "-o"), ("db", "backup", "--force")])
@pytest.mark.parametrize(
    ("call", "code"),
    [("fsync", errno.ENOSPC), ("replace", errno.EROFS), ("fsync", errno.EIO)],
)
def test_a_failed_write_is_exit_6_and_keeps_the_old_file(
    cli: Cli,
    tmp_path: Path,
    filled: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    command: tuple[str, ...],
    call: str,
    code: int,
) -> None:
    dest = tmp_path / "keep.out"
    dest.write_text("precious\n")
    before = _names(tmp_path)
    monkeypatch.setattr(os, call, _failing(code))

    result = cli(*command, str(dest))

    assert result.exit_code == 6, result.stderr
    assert str(dest) in result.stderr
    assert os.strerror(code) in result.stderr
    assert dest.read_text() == "precious\n"
    assert _names(tmp_path) == before


def test_a_failed_temporary_file_is_exit_6_with_code_output_failed(
    cli: Cli, tmp_path: Path, filled: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = os.open

    def refuse_temp(path: Any, *args: Any, **kwargs: Any) -> int:
        if Path(path).name.endswith(".tmp"):
            raise OSError(errno.EACCES, os.strerror(errno.EACCES))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse_temp)
    result = cli("db", "backup", str(tmp_path / "copy.db"), "--json")

    assert result.exit_code == 6
    assert result.error["code"] == "output_failed"
    assert not (tmp_path / "copy.db").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
@pytest.mark.parametrize("command", [("export", "-o"), ("db", "backup", "--force")])
def test_a_read_only_folder_is_exit_6(
    cli: Cli, tmp_path: Path, filled: list[dict[str, Any]], command: tuple[str, ...]
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "x.out").write_text("precious\n")
    folder.chmod(0o500)
    try:
        result = cli(*command, str(folder / "x.out"))
    finally:
        folder.chmod(0o700)
    assert result.exit_code == 6, result.stderr
    assert (folder / "x.out").read_text() == "precious\n"


def _limit_file_size() -> None:
    """In the child: files may not grow past 40 kB (EFBIG, like a full disk), and the
    signal that would otherwise kill it is ignored."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))


@pytest.mark.parametrize("command", [("export", "-o"), ("db", "backup", "--force")])
def test_a_file_too_large_to_write_is_exit_6_in_a_real_process(
    cli: Cli, book: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    if EXPENSE is None:
        pytest.skip("needs the installed `expense` command")
    for n in range(20):  # about 50 kB of export, and a book larger than the limit
        ok(cli, "add", f"Taxi {n}", "7.00", "-c", "Travel", "-n", "x" * 2000)
    out = tmp_path / "out"
    out.mkdir()
    dest = out / "keep.out"
    dest.write_text("precious\n")

    result = subprocess.run(
        [EXPENSE, *command, str(dest)], capture_output=True, text=True, timeout=120,
        env=installed_env(book), preexec_fn=_limit_file_size, check=False,
    )  # fmt: skip

    assert result.returncode == 6, result.stderr
    assert str(dest) in result.stderr
    assert "Traceback" not in result.stderr
    assert dest.read_text() == "precious\n"
    assert _names(out) == {"keep.out"}
    with sqlite3.connect(book) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
