"""Queries for invoices (reference §10.5): the refs the book holds, and the receipt counts
of an invoice's lines. An invoice's expenses themselves are read with the one expense
SELECT (`ExpenseQuery(invoice_ref=…)`), so a statement shows what `list --ref` shows.

The refs come from `invoice_totals`, one row per (ref, client, currency, scale) group of
live expenses that the schema's triggers keep, so listing thousands of invoices reads
thousands of rows, not every invoiced expense. `invoice_json` has SQLite render each as
the JSON object `render.dumps(Invoice.to_json())` writes (tests/test_invoice_totals.py
compares the two), so a long list costs Python one join."""

from __future__ import annotations

import re
from collections.abc import Sequence

from expense_cli.store.base import StoreBase
from expense_cli.store.rows import InvoiceRow
from expense_cli.store.schema import SUM_SPLIT

_FROM = """
FROM invoice_totals t
LEFT JOIN clients cl ON cl.id = t.client_key{where}
ORDER BY t.first_at, t.ref, t.client_key, t.currency, t.scale"""
_INVOICES = (
    "SELECT t.ref, nullif(t.client_key, 0) AS client_id, cl.name AS client_name, t.currency, "
    "t.scale, t.n, t.total_hi, t.total_lo, t.rebill_hi, t.rebill_lo, t.first_at"
)

# SQLite renders an invoice as `render.dumps(Invoice.to_json())` does. An amount is
# `format_minor(hi * 10^9 + lo, scale)`: 10^scale divides 10^9, so its whole part is
# `hi * 10^(9 - scale) + lo / 10^scale` and its fraction `lo % 10^scale`, printed by the
# row's one printf (a format per scale). json_quote escapes what json.dumps does with
# ensure_ascii=False. A sum too large for 64 bits there renders as NULL, and a text with a
# character render.dumps escapes on top (`_RAW`) is found in the result: either sends the
# list back to Python.
_RAW = re.compile("[\x7f-\x9f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_CLIENT = (
    "CASE t.client_key WHEN 0 THEN 'null' ELSE printf('{\"id\": %d, \"name\": %s}', "
    "t.client_key, json_quote(coalesce(cl.name, ''))) END"
)
_FITS = " AND ".join(
    f"t.{part}_hi < 8000000000 AND t.{part}_lo < 1000000000000000000"
    for part in ("total", "rebill")
)


def _rendered(scale: int) -> str:
    """The printf of an invoice whose amounts have `scale` minor digits."""
    amount = '"%d"' if scale == 0 else f'"%d.%0{scale}d"'
    shape = (
        '{"ref": %s, "client": %s, "currency": %s, "count": %d, '
        f'"total": {amount}, "rebill_total": {amount}, "invoiced_at": %s}}'
    )
    power = 10**scale
    amounts = []
    for part in ("total", "rebill"):
        hi, lo = f"t.{part}_hi", f"t.{part}_lo"
        amounts.append(f"{hi} * {10**9 // power} + {lo} / {power}")
        amounts += [f"{lo} % {power}"] if scale else []
    return (
        f"WHEN {scale} THEN printf('{shape}', json_quote(t.ref), {_CLIENT}, "
        f"json_quote(t.currency), t.n, {', '.join(amounts)}, json_quote(t.first_at))"
    )


_INVOICE_JSON = (
    f"SELECT CASE WHEN {_FITS} THEN CASE t.scale "
    + " ".join(_rendered(scale) for scale in (2, 0, 3, 1, 4))
    + " END END"
    + _FROM.format(where="")
)


class InvoiceQueries(StoreBase):
    def invoices(self, ref: str | None = None) -> list[InvoiceRow]:
        """One row per invoice ref held by live expenses (only `ref`'s when given), in the
        order they were first invoiced, sums exact however large."""
        if ref is None:
            rows = self.conn.execute(_INVOICES + _FROM.format(where=""))
        else:
            rows = self.conn.execute(_INVOICES + _FROM.format(where="\nWHERE t.ref = ?"), [ref])
        return [
            {"ref": ref_, "client_id": client_id, "client_name": client_name,
             "currency": currency, "scale": scale, "n": n,
             "total": total_hi * SUM_SPLIT + total_lo,
             "rebill_total": rebill_hi * SUM_SPLIT + rebill_lo, "invoiced_at": first_at}
            for (ref_, client_id, client_name, currency, scale, n, total_hi, total_lo,
                 rebill_hi, rebill_lo, first_at) in rows
        ]  # fmt: skip

    def invoice_json(self) -> str | None:
        """What `invoices()` lists as the items of a JSON array (`{...}, {...}`); None when
        SQLite cannot render one as Python would (then `invoices()` is the way)."""
        texts = [text for (text,) in self.conn.execute(_INVOICE_JSON)]
        if None in texts:
            return None
        joined = ", ".join(texts)
        return None if not joined.isascii() and _RAW.search(joined) else joined

    def receipt_counts(self, expense_ids: Sequence[int]) -> dict[int, int]:
        """How many receipts each expense has (reference §10.2); an expense without any is
        absent. A book from before receipts has no `receipts` table: no counts."""
        if not expense_ids or not self._has_table("receipts"):
            return {}
        marks = ", ".join("?" for _ in expense_ids)
        rows = self.conn.execute(
            f"SELECT expense_id, count(*) FROM receipts WHERE expense_id IN ({marks}) "
            "GROUP BY expense_id",
            list(expense_ids),
        )
        return {int(expense_id): int(n) for expense_id, n in rows}

    def _has_table(self, name: str) -> bool:
        found = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]
        ).fetchone()
        return found is not None
