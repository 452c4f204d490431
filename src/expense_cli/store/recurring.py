"""Queries for recurring schedules and their occurrence keys (reference §10.3)."""

from __future__ import annotations

from typing import Any

from expense_cli.store.base import StoreBase, fits
from expense_cli.store.rows import ScheduleRow

SCHEDULE_COLUMNS = frozenset(
    {"source_id", "template", "every", "interval", "start", "month_day", "until", "paused",
     "skip_before", "created_at", "updated_at", "deleted_at"}
)  # fmt: skip


class RecurringQueries(StoreBase):
    def insert_schedule(self, values: dict[str, Any]) -> int:
        return self._insert("recurring", SCHEDULE_COLUMNS, values)

    def update_schedule(self, schedule_id: int, values: dict[str, Any]) -> None:
        self._update("recurring", SCHEDULE_COLUMNS, schedule_id, values)

    def schedule(self, schedule_id: int) -> ScheduleRow | None:
        """One schedule, deleted or not; the caller decides what a deleted one means."""
        if not fits(schedule_id):
            return None
        return self._one(ScheduleRow, "SELECT * FROM recurring WHERE id = ?", [schedule_id])

    def schedules(self) -> list[ScheduleRow]:
        """Every schedule not deleted, by id."""
        return self._all(
            ScheduleRow, "SELECT * FROM recurring WHERE deleted_at IS NULL ORDER BY id"
        )

    def occurrence_keys(self, schedule_id: int) -> set[str]:
        """The scheduled dates (ISO) that have a key: created, even if since deleted."""
        rows = self.conn.execute(
            "SELECT scheduled FROM recurring_occurrences WHERE recurring_id = ?", [schedule_id]
        )
        return {row[0] for row in rows}

    def claim_occurrence(self, schedule_id: int, scheduled: str, at: str) -> bool:
        """Insert the key of one occurrence; False when it exists already. The UNIQUE
        constraint decides, so two runs can never both claim one date."""
        cursor = self.conn.execute(
            "INSERT INTO recurring_occurrences (recurring_id, scheduled, created_at) "
            "VALUES (?, ?, ?) ON CONFLICT (recurring_id, scheduled) DO NOTHING",
            [schedule_id, scheduled, at],
        )
        return cursor.rowcount == 1

    def link_occurrence(self, schedule_id: int, scheduled: str, expense_id: int) -> None:
        self.conn.execute(
            "UPDATE recurring_occurrences SET expense_id = ? "
            "WHERE recurring_id = ? AND scheduled = ?",
            [expense_id, schedule_id, scheduled],
        )
