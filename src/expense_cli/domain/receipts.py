"""Receipts (reference §10.2): files stored in the book, content-addressed by SHA-256 and
linked to expenses; each use case is one transaction, and a bad file writes nothing."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from expense_cli.domain import expenses as single
from expense_cli.domain.compose import Clock
from expense_cli.domain.listing import Filters, build_query
from expense_cli.domain.models import Expense, Receipt
from expense_cli.domain.records import get_expense, receipts
from expense_cli.domain.text import CONTROL_CHARS
from expense_cli.errors import ConflictError, NotFoundError, UsageError, ValidationError
from expense_cli.store import Store, files
from expense_cli.store.receipts import CHUNK
from expense_cli.store.rows import ReceiptRow

MAX_BYTES = 25 * 1024 * 1024  # 25 MiB per file
UNKNOWN_MEDIA_TYPE = "application/octet-stream"


class ListedReceipt(NamedTuple):
    """A receipt as `receipt list` shows it: with the id of its expense."""

    id: int
    filename: str
    sha256: str
    size: int
    media_type: str
    expense_id: int

    def to_json(self) -> dict[str, Any]:
        receipt = Receipt(self.id, self.filename, self.sha256, self.size, self.media_type)
        return {"id": self.id, "expense_id": self.expense_id, **receipt.to_json()}


def _listed(row: ReceiptRow) -> ListedReceipt:
    return ListedReceipt(row["id"], row["filename"], row["sha256"], row["size"],
                         row["media_type"], row["expense_id"])  # fmt: skip


# names -------------------------------------------------------------------------------
def clean_filename(raw: str) -> str:
    """The base name only (path parts dropped, `\\` counting as a separator too), control
    and bidi characters removed, surrounding spaces trimmed. May be empty, `.` or `..`:
    see `safe_filename`."""
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    return CONTROL_CHARS.sub("", base).strip()


def safe_filename(raw: str, receipt_id: int) -> str:
    """A name that is one path component: the cleaned name, or `receipt-<id>` when it is
    empty, `.` or `..`."""
    name = clean_filename(raw)
    return f"receipt-{receipt_id}" if name in ("", ".", "..") else name


def media_type(filename: str) -> str:
    import mimetypes

    return mimetypes.guess_type(filename, strict=False)[0] or UNKNOWN_MEDIA_TYPE


def numbered(name: str, n: int) -> str:
    """`name` with ` (n)` before its extension (the text after the last dot)."""
    stem, dot, ext = name.rpartition(".")
    return f"{stem} ({n}).{ext}" if dot and stem else f"{name} ({n})"


# reading files in --------------------------------------------------------------------
@dataclass(frozen=True)
class ReceiptFile:
    path: Path
    filename: str
    media_type: str
    size: int
    sha256: str


def _open(path: Path) -> tuple[int, int]:
    """An open descriptor of a regular file and its size; `ValueError(why)` otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ValueError("no such file") from None
    except PermissionError:
        raise ValueError("cannot be read (permission denied)") from None
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror or exc})") from None
    info = os.fstat(fd)
    why = None
    if stat.S_ISDIR(info.st_mode):
        why = "is a directory"
    elif not stat.S_ISREG(info.st_mode):
        why = "is not a regular file"
    elif info.st_size > MAX_BYTES:
        why = "is larger than 25 MiB"
    if why is not None:
        os.close(fd)
        raise ValueError(why)
    return fd, info.st_size


def _chunks(fd: int, size: int, digest: Any) -> Iterator[bytes]:
    """Exactly `size` bytes (fewer if the file shrank), hashed into `digest` as read."""
    left = size
    while left > 0:
        data = os.read(fd, min(CHUNK, left))
        if not data:
            return
        digest.update(data)
        left -= len(data)
        yield data


def read_file(raw: str) -> ReceiptFile:
    """Hash one file in chunks (nothing is held whole); `ValueError(why)` when it cannot be
    a receipt."""
    path = Path(raw)
    fd, size = _open(path)
    try:
        digest = hashlib.sha256()
        read = sum(len(chunk) for chunk in _chunks(fd, size, digest))
        if read != size or os.read(fd, 1):
            raise ValueError("changed while being read")
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    name = clean_filename(raw)
    return ReceiptFile(path, name, media_type(name), size, digest.hexdigest())


def _store_bytes(store: Store, f: ReceiptFile) -> None:
    """Stream the file into the book (read again, hashed again): bytes that changed since
    they were first hashed fail the command, which then writes nothing."""
    problem = ValidationError({"file": f"{f.path}: changed while being read"}, "no receipt added")
    try:
        fd, size = _open(f.path)
    except ValueError as exc:
        raise ValidationError({"file": f"{f.path}: {exc}"}, "no receipt added") from None
    try:
        if size != f.size:
            raise problem
        digest = hashlib.sha256()

        def check() -> None:
            if digest.hexdigest() != f.sha256 or os.read(fd, 1):
                raise problem

        store.put_blob(f.sha256, size, _chunks(fd, size, digest), check)
    finally:
        os.close(fd)


def _fingerprint(expense_id: int, found: Sequence[ReceiptFile]) -> str:
    """Reference §10.2: the request is the expense id plus each file's SHA-256 and name."""
    payload = {"op": "receipt add", "source": expense_id,
               "files": [[f.sha256, f.filename] for f in found]}  # fmt: skip
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# use cases ---------------------------------------------------------------------------
def add_receipts(
    store: Store,
    expense_id: int,
    paths: Sequence[str],
    *,
    idempotency_key: str | None = None,
    clock: Clock | None = None,
) -> Expense:
    """Store each file's bytes once per book and link them to the expense; bytes it
    already has link nothing new. Every file is read and hashed before anything is
    written: one bad file and nothing is added."""
    if not paths:
        raise UsageError("give at least one FILE")
    clock = clock or Clock()
    key = single._key(idempotency_key)
    found: list[ReceiptFile] = []
    problems: list[str] = []
    for raw in paths:
        try:
            found.append(read_file(raw))
        except ValueError as exc:
            problems.append(f"{raw}: {exc}")
    with store.write():
        get_expense(store, expense_id)  # rule 14: a deleted expense is not found
        if problems:
            raise ValidationError({"file": "; ".join(problems)}, "no receipt added")
        fingerprint = None
        if key is not None:
            fingerprint = _fingerprint(expense_id, found)
            if original := single._replay(store, key, fingerprint, clock):
                return original
        linked = store.linked_hashes(expense_id)
        added = False
        for f in found:
            if f.sha256 in linked:
                continue  # the expense has these bytes already
            linked.add(f.sha256)
            if not store.has_blob(f.sha256):
                _store_bytes(store, f)
            receipt_id = store.link_receipt(expense_id, f.sha256, f.filename, f.media_type)
            if f.filename in ("", ".", ".."):
                store.rename_receipt(receipt_id, safe_filename(f.filename, receipt_id))
            added = True
        if added:
            store.update_expense(expense_id, {"updated_at": clock.stamp})
        if key is not None and fingerprint is not None:
            store.put_idempotency_key(key, fingerprint, expense_id, clock.stamp)
        return get_expense(store, expense_id)


def list_receipts(
    store: Store, expense_id: int | None = None, *, deleted: bool = False
) -> list[ListedReceipt]:
    """One expense's receipts, or every receipt; those of deleted expenses only with
    `deleted` (rule 14)."""
    with store.read():
        if expense_id is not None:
            get_expense(store, expense_id, deleted=deleted)
            rows = store.receipts_of([expense_id])
        else:
            rows = store.receipts_of(None)
    return [_listed(r) for r in rows if deleted or r["deleted_at"] is None]


def _found(store: Store, ids: Sequence[int], *, deleted: bool = False) -> list[ReceiptRow]:
    unique = list(dict.fromkeys(ids))
    rows = store.receipts_by_id(unique)
    missing = [
        i for i in unique if i not in rows or (rows[i]["deleted_at"] is not None and not deleted)
    ]
    if missing:
        raise NotFoundError(f"no receipt {', '.join(map(str, missing))}")
    return [rows[i] for i in unique]


def get_receipt(store: Store, receipt_id: int, *, deleted: bool = False) -> ListedReceipt:
    return _listed(_found(store, [receipt_id], deleted=deleted)[0])


def receipt_bytes(store: Store, receipt: ListedReceipt) -> Iterator[bytes]:
    """The stored bytes, streamed in one read snapshot."""
    with store.read():
        yield from store.read_blob(receipt.sha256)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def save_receipt(store: Store, receipt: ListedReceipt, dest: Path, *, force: bool = False) -> Path:
    """Write the exact bytes to DEST (0600, atomically; never the book); an existing DEST
    needs `force` (exit 5)."""
    if files.check_destination(dest, store.path) and not force:
        raise ConflictError(f"{dest} exists; use --force to replace it", {"output": "exists"})
    with files.replacing(dest, store.path) as temp:
        for chunk in receipt_bytes(store, receipt):
            _write_all(temp.fd, chunk)
    return dest


def remove_receipts(
    store: Store, ids: Sequence[int], *, clock: Clock | None = None
) -> list[ListedReceipt]:
    """Unlink receipts (all or none); their bytes stay until `db vacuum` (§10.2)."""
    clock = clock or Clock()
    with store.write():
        rows = _found(store, ids)
        store.unlink_receipts([r["id"] for r in rows])
        for expense_id in dict.fromkeys(r["expense_id"] for r in rows):
            store.update_expense(expense_id, {"updated_at": clock.stamp})
        return [_listed(r) for r in rows]


def vacuum(store: Store) -> dict[str, int]:
    """Delete the bytes no receipt links any more, then compact the file."""
    with store.write():
        count, size = store.unlinked_blobs()
        store.delete_unlinked_blobs()
    store.guarded(store.compact)
    return {"blobs": count, "bytes": size}


def blob_problems(store: Store) -> Iterator[tuple[str, str | None]]:
    """(sha256, problem) for every stored blob; the problem is None when its bytes still
    match their hash and size."""
    for blob in store.blobs():
        digest = hashlib.sha256()
        size = 0
        for chunk in store.read_blob(blob["sha256"]):
            digest.update(chunk)
            size += len(chunk)
        if size != blob["size"]:
            yield blob["sha256"], f"holds {size} bytes, not {blob['size']}"
        elif digest.hexdigest() != blob["sha256"]:
            yield blob["sha256"], "bytes do not match their SHA-256"
        else:
            yield blob["sha256"], None


# export --receipts DIR ----------------------------------------------------------------
def check_pack_folder(folder: Path, *, force: bool = False) -> None:
    """Before anything is exported: DIR is a folder (or missing) and empty unless `force`."""
    if not os.path.lexists(folder):
        return  # created (0700) with any missing parents when the receipts are written
    if folder.is_symlink() or not folder.is_dir():
        raise UsageError(
            f"cannot write receipts to {folder}: not a folder", {"receipts": "not a folder"}
        )
    if any(folder.iterdir()) and not force:
        raise ConflictError(
            f"{folder} is not empty; use --force to write into it", {"receipts": "not empty"}
        )


def _expense_folder(folder: Path, expense_id: int) -> Path:
    target = folder / str(expense_id)
    if os.path.lexists(target) and (target.is_symlink() or not target.is_dir()):
        raise UsageError(
            f"cannot write receipts to {target}: not a folder", {"receipts": "not a folder"}
        )
    files.make_private_dirs(target)
    return target


def write_pack(
    store: Store,
    filters: Filters,
    folder: Path,
    advance: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Every matching expense's receipts as DIR/<expense id>/<name>; a repeated name gets
    ` (2)`, ` (3)` before its extension. Names are cleaned again here (a tampered book may
    hold anything), so no file is ever written outside DIR."""
    files.make_private_dirs(folder)
    root = os.path.realpath(folder)
    written = size = 0
    with store.read():
        query = build_query(store, filters)._replace(sort="date", descending=False)
        for row in store.iter_expenses(query):
            held = receipts(row["receipts"])
            if not held:
                continue
            target = _expense_folder(folder, row["id"])
            if os.path.realpath(target) != str(Path(root) / str(row["id"])):
                raise UsageError(f"cannot write receipts to {target}: it leads outside {folder}")
            taken: set[str] = set()
            for receipt in held:
                base = safe_filename(receipt.filename, receipt.id)
                name, n = base, 1
                while name.casefold() in taken:
                    n += 1
                    name = numbered(base, n)
                taken.add(name.casefold())
                dest = target / name
                if dest.parent != target or "/" in name or name in (".", ".."):
                    raise UsageError(f"refusing the receipt name {name!r}")  # cannot happen
                with files.replacing(dest, store.path) as temp:
                    for chunk in store.read_blob(receipt.sha256):
                        _write_all(temp.fd, chunk)
                written += 1
                size += receipt.size
                if advance:
                    advance(1)
    return {"files": written, "bytes": size}
