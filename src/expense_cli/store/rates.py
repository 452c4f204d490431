"""Exchange rates (reference §10.7): dated `1 base = rate quote` rows, rate as exact text,
found by the (base, quote, date) index."""

from __future__ import annotations

from collections.abc import Iterable

from expense_cli.store.base import StoreBase
from expense_cli.store.rows import RateRow


class RateQueries(StoreBase):
    def put_rates(self, rows: Iterable[tuple[str, str, str, str]]) -> int:
        """Insert or replace `(date, base, quote, rate)` rows; the number written."""
        cursor = self.conn.executemany(
            "INSERT INTO rates (date, base, quote, rate) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (base, quote, date) DO UPDATE SET rate = excluded.rate",
            list(rows),
        )
        return cursor.rowcount

    def rates(self, currency: str | None = None) -> list[RateRow]:
        if currency is None:
            return self._all(
                RateRow, "SELECT date, base, quote, rate FROM rates ORDER BY date, base, quote"
            )
        return self._all(
            RateRow,
            "SELECT date, base, quote, rate FROM rates WHERE base = ? OR quote = ? "
            "ORDER BY date, base, quote",
            [currency, currency],
        )

    def rate_series(self, base: str, quote: str) -> list[tuple[str, str]]:
        """Every `(date, rate)` of base → quote, oldest first (one walk of the index): a
        report converting a year looks up each of its days in it."""
        rows = self.conn.execute(
            "SELECT date, rate FROM rates WHERE base = ? AND quote = ? ORDER BY date",
            [base, quote],
        ).fetchall()
        return [(str(day), str(rate)) for day, rate in rows]

    def rate_currencies(self) -> list[str]:
        """Every currency that appears in a rate, in code order."""
        rows = self.conn.execute(
            "SELECT base FROM rates UNION SELECT quote FROM rates ORDER BY 1"
        ).fetchall()
        return [str(r[0]) for r in rows]
