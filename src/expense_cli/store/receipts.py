"""Receipt bytes and their links (reference §10.2): content-addressed blobs, streamed in and
out with SQLite's incremental BLOB I/O so a 25 MiB file is never held twice in memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from expense_cli.store.base import StoreBase
from expense_cli.store.rows import BlobRow, ReceiptRow

CHUNK = 1 << 20  # bytes per read or write of a blob

_RECEIPT = """SELECT r.id, r.expense_id, r.filename, r.sha256, b.size, r.media_type,
       e.deleted_at
FROM receipts r JOIN blobs b ON b.sha256 = r.sha256 JOIN expenses e ON e.id = r.expense_id"""


class ReceiptQueries(StoreBase):
    def has_blob(self, sha256: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM blobs WHERE sha256 = ?", [sha256]).fetchone()
        return row is not None

    def put_blob(
        self, sha256: str, size: int, chunks: Iterator[bytes], check: Callable[[], None]
    ) -> None:
        """Insert `size` zero bytes under `sha256`, then write `chunks` into them in place;
        `check` runs after the last chunk (it raises when the bytes were not what the
        caller hashed, and the caller's transaction drops the row)."""
        cursor = self.conn.execute(
            "INSERT INTO blobs (sha256, size, data) VALUES (?, ?, zeroblob(?))",
            [sha256, size, size],
        )
        rowid = int(cursor.lastrowid or 0)
        if size:
            with self.conn.blobopen("blobs", "data", rowid) as blob:
                for chunk in chunks:
                    blob.write(chunk)
        check()

    def read_blob(self, sha256: str, chunk: int = CHUNK) -> Iterator[bytes]:
        """The stored bytes of `sha256`, `chunk` bytes at a time."""
        row = self.conn.execute(
            "SELECT rowid, size FROM blobs WHERE sha256 = ?", [sha256]
        ).fetchone()
        if row is None or not row[1]:
            return
        with self.conn.blobopen("blobs", "data", row[0], readonly=True) as blob:
            while data := blob.read(chunk):
                yield data

    def blobs(self) -> list[BlobRow]:
        return self._all(BlobRow, "SELECT sha256, size FROM blobs ORDER BY rowid")

    def link_receipt(self, expense_id: int, sha256: str, filename: str, media_type: str) -> int:
        self._touch(expense_id)  # the change log (store/history.py)
        cursor = self.conn.execute(
            "INSERT INTO receipts (expense_id, sha256, filename, media_type) VALUES (?, ?, ?, ?)",
            [expense_id, sha256, filename, media_type],
        )
        return int(cursor.lastrowid or 0)

    def rename_receipt(self, receipt_id: int, filename: str) -> None:
        self._touch_receipts([receipt_id])
        self.conn.execute("UPDATE receipts SET filename = ? WHERE id = ?", [filename, receipt_id])

    def linked_hashes(self, expense_id: int) -> set[str]:
        rows = self.conn.execute(
            "SELECT sha256 FROM receipts WHERE expense_id = ?", [expense_id]
        ).fetchall()
        return {row[0] for row in rows}

    def receipts_of(self, expense_ids: Sequence[int] | None) -> list[ReceiptRow]:
        """The receipts of these expenses (every receipt when None), by id."""
        if expense_ids is None:
            return self._all(ReceiptRow, f"{_RECEIPT}\nORDER BY r.id")
        marks = ", ".join("?" for _ in expense_ids)
        return self._all(
            ReceiptRow, f"{_RECEIPT}\nWHERE r.expense_id IN ({marks})\nORDER BY r.id", expense_ids
        )

    def receipts_by_id(self, ids: Sequence[int]) -> dict[int, ReceiptRow]:
        marks = ", ".join("?" for _ in ids)
        rows = self._all(ReceiptRow, f"{_RECEIPT}\nWHERE r.id IN ({marks})", list(ids))
        return {row["id"]: row for row in rows}

    def _touch_receipts(self, ids: Sequence[int]) -> None:
        """The expenses of these receipts are about to change (the change log)."""
        marks = ", ".join("?" for _ in ids)
        rows = self.conn.execute(
            f"SELECT DISTINCT expense_id FROM receipts WHERE id IN ({marks})", list(ids)
        ).fetchall()
        for (expense_id,) in rows:
            self._touch(expense_id)

    def unlink_receipts(self, ids: Sequence[int]) -> None:
        self._touch_receipts(ids)
        marks = ", ".join("?" for _ in ids)
        self.conn.execute(f"DELETE FROM receipts WHERE id IN ({marks})", list(ids))

    def unlinked_blobs(self) -> tuple[int, int]:
        """How many stored blobs no receipt links, and their bytes."""
        row = self.conn.execute(
            "SELECT count(*), coalesce(sum(size), 0) FROM blobs b "
            "WHERE NOT EXISTS (SELECT 1 FROM receipts r WHERE r.sha256 = b.sha256)"
        ).fetchone()
        return int(row[0]), int(row[1])

    def delete_unlinked_blobs(self) -> None:
        self.conn.execute(
            "DELETE FROM blobs WHERE NOT EXISTS "
            "(SELECT 1 FROM receipts r WHERE r.sha256 = blobs.sha256)"
        )

    def compact(self) -> None:
        """VACUUM (outside any transaction), then fold the WAL back into the file."""
        self.conn.execute("VACUUM")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
