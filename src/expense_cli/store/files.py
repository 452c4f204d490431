"""The files the program creates: the book's own (private from birth) and its outputs.

Every output file (`export -o`, `db backup`) is written through `replacing`: the
destination is checked first (never the book, its `-wal`/`-shm`, a directory or a special
file, whatever path reaches them), then written into a private temporary file beside it
and renamed over it, so a failure at any moment leaves the old file as it was (reference
§10.1 items 17, 19, 26).
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from expense_cli.errors import OutputFailedError, UsageError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
BOOK_SUFFIXES = ("", "-wal", "-shm")
TEMP_SUFFIX = ".tmp"
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


# the book's own files -----------------------------------------------------------------
def make_private_dirs(folder: Path) -> None:
    """Create FOLDER and its missing parents as 0700 whatever the umask (`Path.mkdir`
    gives the parents the umask's mode); folders that already exist are left alone."""
    missing: list[Path] = []
    while not os.path.lexists(folder) and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        try:
            path.mkdir(PRIVATE_DIR)
        except FileExistsError:
            continue  # another process made it first: not ours to change
        path.chmod(PRIVATE_DIR)  # mkdir's mode was masked by the umask


def create_private(path: Path) -> None:
    """Create PATH empty and 0600 whatever the umask; `FileExistsError` if anything is
    there already (a symlink included: it is never followed)."""
    fd = os.open(path, _NEW, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)  # the umask may have taken bits from the owner
    finally:
        os.close(fd)


# destinations --------------------------------------------------------------------------
def _identity(path: str) -> tuple[int, int] | None:
    try:
        info = Path(path).stat()
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def _is_book(dest: Path, book: Path) -> bool:
    """DEST names the book or its `-wal`/`-shm`: by resolved path (parent folders,
    symlinks and `..` resolved; also a file that does not exist yet, such as a `-wal`
    between transactions) or by inode (a hard link, a bind mount)."""
    real_book = os.path.realpath(book)
    book_paths = {os.path.realpath(f"{book}{suffix}") for suffix in BOOK_SUFFIXES}
    book_paths |= {f"{real_book}{suffix}" for suffix in BOOK_SUFFIXES}
    dest_paths = {
        os.path.realpath(dest),  # through a symlink at DEST
        str(Path(os.path.realpath(dest.parent)) / dest.name),  # the name itself
    }
    if book_paths & dest_paths:
        return True
    found = _identity(str(dest))
    return found is not None and found in {_identity(path) for path in book_paths}


def _is_standard_stream(info: os.stat_result) -> bool:
    """`/dev/stdout` with stdout redirected to a file: `-o -` is the only way to stdout."""
    for fd in (0, 1, 2):
        with suppress(OSError):
            if os.path.samestat(info, os.fstat(fd)):
                return True
    return False


def _refuse_special(dest: Path, info: os.stat_result, what: str) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise UsageError(f"cannot write {dest}: {what} a directory", {"path": "is a directory"})
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(
            f"cannot write {dest}: {what} a special file (FIFO, device or socket); "
            "use -o - for stdout",
            {"path": "is a special file"},
        )


def _lstat(dest: Path) -> os.stat_result | None:
    try:
        return os.lstat(dest)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise UsageError(f"cannot write {dest}: the name is too long") from None
        raise OutputFailedError(f"cannot write {dest}: {exc.strerror}") from None


def check_destination(dest: Path, book: Path) -> bool:
    """Refuse DEST as a usage error (exit 2, the path named) unless a regular file may be
    put there; True when something is there to replace (a file, or a symlink, which is
    replaced and never followed)."""
    folder = dest.parent
    if not folder.is_dir():
        raise UsageError(
            f"cannot write {dest}: the folder {folder} does not exist",
            {"path": "no such folder"},
        )
    if _is_book(dest, book):
        raise UsageError(
            f"cannot write {dest}: it is the book itself ({book}) or one of its files",
            {"path": "is the book"},
        )
    info = _lstat(dest)
    if info is None:
        return False
    if stat.S_ISLNK(info.st_mode):
        with suppress(OSError):  # a dangling link: nothing behind it to protect
            target = dest.stat()
            _refuse_special(dest, target, "it is a symlink to")
            if _is_standard_stream(target):
                raise UsageError(f"cannot write {dest}: use -o - for stdout")
        return True
    _refuse_special(dest, info, "it is")
    return True


# writing -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Temp:
    """A private temporary file beside the destination, open (and locked) as `fd`."""

    path: Path
    fd: int


def _temp_prefix(dest: Path) -> str:
    return f".{dest.name}."


def remove_stale(dest: Path) -> None:
    """Remove `.NAME.*.tmp` left beside DEST by a run that died before renaming it.
    Best effort: a temp file another run is writing right now is locked and kept."""
    prefix = _temp_prefix(dest)
    try:
        names = [entry.name for entry in os.scandir(dest.parent)]
    except OSError:
        return
    for name in names:
        stale = name.startswith(prefix) and name.endswith(TEMP_SUFFIX)
        if stale and len(name) >= len(prefix) + len(TEMP_SUFFIX):
            _remove_if_abandoned(dest.parent / name)


def _remove_if_abandoned(path: Path) -> None:
    """Unlink PATH while holding its lock, so a writer that creates a file and locks it
    either keeps it or sees it unlinked (and makes another)."""
    with suppress(OSError):
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            path.unlink()  # planted, never ours: removing a link follows nothing
            return
        if not stat.S_ISREG(info.st_mode):
            return
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: a live writer
            if os.path.samestat(os.fstat(fd), os.lstat(path)):
                path.unlink()
        finally:
            os.close(fd)


def _create_temp(dest: Path) -> Temp:
    """`.NAME.<random>.tmp` beside DEST: created exclusively, never through a symlink,
    0600, and locked for as long as this run writes it."""
    import secrets  # ~4 ms (hashlib, hmac, random): only when a file is replaced

    while True:
        path = dest.parent / f"{_temp_prefix(dest)}{secrets.token_hex(8)}{TEMP_SUFFIX}"
        try:
            fd = os.open(path, _NEW, PRIVATE_FILE)
        except FileExistsError:
            continue  # a planted file or link at that name: pick another
        try:
            os.fchmod(fd, PRIVATE_FILE)
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fstat(fd).st_nlink > 0:
                return Temp(path, fd)
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # another run's cleanup unlinked it before we locked it


def _discard(path: Path) -> None:
    with suppress(OSError):
        path.unlink()


def _sync_folder(folder: Path) -> None:
    """Make the rename durable; the new file is already in place, so failing here is not
    a failed output."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def failed(dest: Path, reason: str) -> OutputFailedError:
    return OutputFailedError(f"cannot write {dest}: {reason}; the old file is kept")


@contextmanager
def replacing(dest: Path, book: Path) -> Iterator[Temp]:
    """Check DEST, then yield a new private temp file beside it, renamed over DEST when
    the block ends and removed if anything fails. Writing errors are `OutputFailedError`
    (exit 6) and leave DEST as it was."""
    check_destination(dest, book)
    remove_stale(dest)
    try:
        temp = _create_temp(dest)
    except OSError as exc:
        raise failed(dest, exc.strerror or str(exc)) from None
    try:
        yield temp
        os.fsync(temp.fd)
        temp.path.replace(dest)
    except OSError as exc:
        _discard(temp.path)
        raise failed(dest, exc.strerror or str(exc)) from None
    except BaseException:
        _discard(temp.path)
        raise
    finally:
        os.close(temp.fd)
    _sync_folder(dest.parent)


@contextmanager
def replacing_text(dest: Path, book: Path) -> Iterator[TextIO]:
    """`replacing` as UTF-8 text; the text is flushed inside, so a full disk on the last
    buffer is a failed output too."""
    with (
        replacing(dest, book) as temp,
        open(temp.fd, "w", encoding="utf-8", newline="", closefd=False) as out,
    ):
        yield out
