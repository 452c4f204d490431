"""Queries for bank-statement imports (reference §10.4): rules, saved profiles and the
duplicate check. Functions over the store's connection, so the `Store` class stays as is."""

from __future__ import annotations

from typing import Any

from expense_cli.store.base import StoreBase, fits
from expense_cli.store.rows import ImportProfileRow, ImportRuleRow

_RULE_COLUMNS = frozenset(
    {"position", "pattern", "category_id", "custom_category", "client_id", "project_id",
     "billable", "tags"}
)  # fmt: skip
_RULE_SELECT = """
    SELECT r.id, r.position, r.pattern, r.category_id, c.name AS category_name,
           r.custom_category, r.client_id, cl.name AS client_name, r.project_id,
           p.name AS project_name, r.billable, r.tags
    FROM import_rules r
    LEFT JOIN categories c ON c.id = r.category_id
    LEFT JOIN clients cl ON cl.id = r.client_id
    LEFT JOIN projects p ON p.id = r.project_id
"""


# rules --------------------------------------------------------------------------------
def rules(store: StoreBase) -> list[ImportRuleRow]:
    return store._all(ImportRuleRow, _RULE_SELECT + " ORDER BY r.position, r.id")


def rule(store: StoreBase, rule_id: int) -> ImportRuleRow | None:
    if not fits(rule_id):
        return None
    return store._one(ImportRuleRow, _RULE_SELECT + " WHERE r.id = ?", [rule_id])


def insert_rule(store: StoreBase, values: dict[str, Any]) -> int:
    """A new rule at the end of the list."""
    row = store.conn.execute("SELECT coalesce(max(position), 0) + 1 FROM import_rules").fetchone()
    return store._insert("import_rules", _RULE_COLUMNS, {**values, "position": row[0]})


def delete_rule(store: StoreBase, rule_id: int) -> None:
    store.conn.execute("DELETE FROM import_rules WHERE id = ?", [rule_id])


def set_rule_positions(store: StoreBase, ordered_ids: list[int]) -> None:
    """Positions 1..n in the order given."""
    store.conn.executemany(
        "UPDATE import_rules SET position = ? WHERE id = ?",
        [(position, rule_id) for position, rule_id in enumerate(ordered_ids, start=1)],
    )


# profiles -----------------------------------------------------------------------------
def profiles(store: StoreBase) -> list[ImportProfileRow]:
    return store._all(
        ImportProfileRow, "SELECT id, name, options FROM import_profiles ORDER BY name_key"
    )


def profile_named(store: StoreBase, name: str) -> ImportProfileRow | None:
    return store._one(
        ImportProfileRow,
        "SELECT id, name, options FROM import_profiles WHERE name_key = ?",
        [name.casefold()],
    )


def insert_profile(store: StoreBase, name: str, options: str) -> int:
    cursor = store.conn.execute(
        "INSERT INTO import_profiles (name, name_key, options) VALUES (?, ?, ?)",
        [name, name.casefold(), options],
    )
    return int(cursor.lastrowid or 0)


def delete_profile(store: StoreBase, profile_id: int) -> None:
    store.conn.execute("DELETE FROM import_profiles WHERE id = ?", [profile_id])


# duplicates ---------------------------------------------------------------------------
DUPLICATE_SQL = (
    "SELECT description FROM expenses INDEXED BY live_duplicates "
    "WHERE date = ? AND amount_minor = ? AND currency = ? AND deleted_at IS NULL"
)


def live_descriptions(store: StoreBase, date: str, amount_minor: int, currency: str) -> list[str]:
    """Descriptions of the live expenses with this date, amount and currency (an index
    probe: a day's few expenses of one amount, never a scan)."""
    rows = store.conn.execute(DUPLICATE_SQL, [date, amount_minor, currency]).fetchall()
    return [row[0] for row in rows]
