"""Queries for invoices (reference §10.5): the refs the book holds, and the receipt counts
of an invoice's lines. An invoice's expenses themselves are read with the one expense
SELECT (`ExpenseQuery(invoice_ref=…)`), so a statement shows what `list --ref` shows."""

from __future__ import annotations

from collections.abc import Sequence

from expense_cli.store.base import StoreBase
from expense_cli.store.rows import InvoiceRow

# Live expenses under a ref, grouped by what one invoice has one of (a book from release 1
# may hold a ref across clients or currencies: each pair is then its own row).
_INVOICES = """
SELECT e.invoice_ref AS ref, e.client_id, cl.name AS client_name, e.currency, e.scale,
       count(*) AS n, sum(e.amount_minor) AS total, sum(e.rebill_minor) AS rebill_total,
       min(e.invoiced_at) AS invoiced_at
FROM expenses e
LEFT JOIN clients cl ON cl.id = e.client_id
WHERE e.invoice_ref IS NOT NULL AND e.deleted_at IS NULL{where}
GROUP BY e.invoice_ref, e.client_id, e.currency, e.scale
ORDER BY min(e.invoiced_at), e.invoice_ref, e.client_id, e.currency"""


class InvoiceQueries(StoreBase):
    def invoices(self, ref: str | None = None) -> list[InvoiceRow]:
        """One row per invoice ref held by live expenses (only `ref`'s when given), in the
        order they were first invoiced; read through the partial invoice-ref index."""
        if ref is None:
            return self._all(InvoiceRow, _INVOICES.format(where=""))
        return self._all(InvoiceRow, _INVOICES.format(where=" AND e.invoice_ref = ?"), [ref])

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
