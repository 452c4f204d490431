"""The change log (reference §10.8), written where writes happen: in `StoreBase.write()`.

Every store mutator of an expense calls `_touch(id)` before it writes (`_insert` and
`_update` of store/base.py do it for `expenses` and for any row with an `expense_id`);
the first touch in a transaction saves the expense's state as it was (its `expenses` row
and the rows that die with it: tags, receipt links, any table whose `expense_id` is a
foreign key `ON DELETE CASCADE`). A new expense is only noted as an id range. Just before
COMMIT, `_end_change` writes one `changes` row with each touched expense's state before
and after, and the created ranges: one change per command, in the same transaction, so a
crash leaves both the change and its log entry or neither. A transaction that changed no
expense writes nothing.

The command name comes from `expense_cli.running.COMMAND` (set by the cli for every
command); `describe_change` overrides it (undo), `flush_change` ends a change early so one
transaction can record several (`recurring run`: one per schedule).
"""

from __future__ import annotations

import base64
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from expense_cli import running
from expense_cli.errors import ConflictError
from expense_cli.store.base import StoreBase, fits
from expense_cli.store.listing import TAG_SEPARATOR, ExpenseQuery, build_select
from expense_cli.store.rows import ChangeRow, ExpenseRow, HistoryRow

# Rows that point at an expense but are not part of its state: an idempotency key and a
# recurring occurrence key outlive an undone creation (reference §10.10 item 11).
_NOT_STATE = frozenset({"change_expenses", "idempotency_keys", "recurring_occurrences"})
# Not named in a summary: bookkeeping that changes with the fields that are named.
_QUIET_COLUMNS = frozenset({"updated_at", "scale", "invoiced_at"})
# Columns by the names the expense's JSON gives them (reference §1).
_FIELD_NAMES = {"amount_minor": "amount", "tax_minor": "tax_amount",
                "original_minor": "original_amount", "rebill_minor": "rebill_amount",
                "category_id": "category", "client_id": "client", "project_id": "project",
                "expense_tags": "tags"}  # fmt: skip
_SUMMARY_ITEMS = 5


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    return value


def _stored(value: Any) -> Any:
    if isinstance(value, dict) and "$bytes" in value:
        return base64.b64decode(value["$bytes"])
    return value


def _dumps(image: dict[str, Any]) -> str:
    return json.dumps(image, separators=(",", ":"), sort_keys=True)


def load_image(text: str | None) -> dict[str, Any] | None:
    return None if text is None else json.loads(text)


@dataclass
class _Change:
    command: str
    before: dict[int, str | None] = field(default_factory=dict)  # id → state JSON
    created: list[list[int]] = field(default_factory=list)  # [first, last] id ranges
    undoes: int | None = None
    summary: str | None = None
    next_checked: bool = False

    def is_new(self, expense_id: int) -> bool:
        return any(first <= expense_id <= last for first, last in self.created)


class HistoryQueries(StoreBase):
    _change: _Change | None = None
    _owned: list[tuple[str, list[str]]] | None = None
    _columns: list[str] | None = None
    _row_keys: list[str] | None = None

    # the write path's hooks (store/base.py) ---------------------------------------------
    def _begin_change(self) -> None:
        self._change = _Change(running.COMMAND.get())

    def _discard_change(self) -> None:
        self._change = None

    def _touch(self, expense_id: int) -> None:
        change = self._change
        if change is None or expense_id in change.before or change.is_new(expense_id):
            return
        change.before[expense_id] = self.state(expense_id)

    def _created(self, expense_id: int) -> None:
        change = self._change
        if change is None:
            return
        if change.created and change.created[-1][1] + 1 == expense_id:
            change.created[-1][1] = expense_id
        else:
            change.created.append([expense_id, expense_id])

    def _next_expense_id(self) -> int | None:
        """Past every id ever used: SQLite would give an undone creation's id (the highest)
        to the next expense; the log remembers it, so it never comes back."""
        change = self._change
        if change is None or change.next_checked:
            return None
        change.next_checked = True
        logged = self.conn.execute(
            "SELECT max((SELECT max(last_id) FROM change_created), "
            "(SELECT max(expense_id) FROM change_expenses))"
        ).fetchone()[0]
        highest = self.conn.execute("SELECT max(id) FROM expenses").fetchone()[0]
        if logged is not None and (highest is None or logged >= highest):
            return int(logged) + 1
        return None

    def _end_change(self) -> None:
        change, self._change = self._change, None
        if change is None:
            return
        entries = [
            (expense_id, before, after)
            for expense_id, before in change.before.items()
            if (after := self.state(expense_id)) != before
        ]
        if not entries and not change.created and change.undoes is None:
            return  # a command that changed nothing records nothing
        summary = change.summary or _summary(change, entries)
        cursor = self.conn.execute(
            "INSERT INTO changes (at, command, summary, undoes) VALUES (?, ?, ?, ?)",
            [_stamp(), change.command, summary, change.undoes],
        )
        change_id = int(cursor.lastrowid or 0)
        self.conn.executemany(
            "INSERT INTO change_expenses (change_id, expense_id, before, after) "
            "VALUES (?, ?, ?, ?)",
            [(change_id, *entry) for entry in entries],
        )
        self.conn.executemany(
            "INSERT INTO change_created (change_id, first_id, last_id) VALUES (?, ?, ?)",
            [(change_id, first, last) for first, last in change.created],
        )
        if change.undoes is not None:
            self.conn.execute(
                "UPDATE changes SET undone_by = ? WHERE id = ?", [change_id, change.undoes]
            )

    # for use cases -------------------------------------------------------------------
    def describe_change(
        self, *, command: str | None = None, summary: str | None = None,
        undoes: int | None = None,
    ) -> None:  # fmt: skip
        """Name the change being recorded (inside `write()`)."""
        change = self._change
        if change is None:
            return
        if command is not None:
            change.command = command
        if summary is not None:
            change.summary = summary
        if undoes is not None:
            change.undoes = undoes

    def flush_change(self) -> None:
        """End the change so far (written now, in this transaction) and start the next:
        several changes in one transaction (`recurring run`: one per schedule)."""
        if self._change is not None:
            command = self._change.command
            self._end_change()
            self._begin_change()
            if self._change is not None:
                self._change.command = command

    # states ----------------------------------------------------------------------------
    def _expense_columns(self) -> list[str]:
        if self._columns is None:
            rows = self.conn.execute("PRAGMA table_xinfo(expenses)").fetchall()
            self._columns = [row[1] for row in rows if row[6] == 0]  # no generated columns
        return self._columns

    def _owned_tables(self) -> list[tuple[str, list[str]]]:
        """Tables whose rows die with their expense (`ON DELETE CASCADE`) and their columns."""
        if self._owned is None:
            owned = []
            names = self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
            for (table,) in names:
                if table in _NOT_STATE:
                    continue
                keys = self.conn.execute(f'PRAGMA foreign_key_list("{table}")').fetchall()
                if any(
                    k[2] == "expenses" and k[3] == "expense_id" and k[6].upper() == "CASCADE"
                    for k in keys
                ):
                    info = self.conn.execute(f'PRAGMA table_info("{table}")').fetchall()
                    owned.append((table, [r[1] for r in info]))
            self._owned = owned
        return self._owned

    def state(self, expense_id: int) -> str | None:
        """The expense as stored, with the rows that die with it, as JSON (None: absent)."""
        columns = self._expense_columns()
        row = self.conn.execute(
            f"SELECT {', '.join(columns)} FROM expenses WHERE id = ?", [expense_id]
        ).fetchone()
        if row is None:
            return None
        links = {}
        for table, names in self._owned_tables():
            rows = self.conn.execute(
                f'SELECT {", ".join(names)} FROM "{table}" WHERE expense_id = ? ORDER BY rowid',
                [expense_id],
            ).fetchall()
            links[table] = [dict(zip(names, map(_plain, r), strict=True)) for r in rows]
        return _dumps({"row": dict(zip(columns, map(_plain, row), strict=True)), "links": links})

    def missing_links(self, image: dict[str, Any]) -> list[str]:
        """What a stored state links to that the book no longer has."""
        row = image["row"]
        missing = []
        for column, table in (("category_id", "categories"), ("client_id", "clients"),
                              ("project_id", "projects")):  # fmt: skip
            ref = row.get(column)
            if (
                ref is not None
                and not self.conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", [ref]).fetchone()
            ):
                missing.append(f"{column.removesuffix('_id')} {ref}")
        for link in image["links"].get("receipts", []):
            sha = link.get("sha256")
            if (
                sha is not None
                and not self.conn.execute("SELECT 1 FROM blobs WHERE sha256 = ?", [sha]).fetchone()
            ):
                missing.append(f"receipt bytes {sha[:12]}… (removed by db vacuum)")
        return missing

    def put_state(self, expense_id: int, image: dict[str, Any]) -> None:
        """Write a stored state back exactly: the row (updated_at included) and its rows;
        a link the book no longer has is a conflict (exit 5)."""
        try:
            self._put_state(expense_id, image)
        except sqlite3.IntegrityError as exc:
            raise ConflictError(
                f"cannot restore expense {expense_id}: {exc}; nothing was changed",
                {"change": "needs what was deleted since"},
            ) from None

    def _put_state(self, expense_id: int, image: dict[str, Any]) -> None:
        self._touch(expense_id)
        present = set(self._expense_columns())
        row = {k: _stored(v) for k, v in image["row"].items() if k in present and k != "id"}
        if self.conn.execute("SELECT 1 FROM expenses WHERE id = ?", [expense_id]).fetchone():
            assignments = ", ".join(f"{column} = ?" for column in row)
            self.conn.execute(
                f"UPDATE expenses SET {assignments} WHERE id = ?", [*row.values(), expense_id]
            )
        else:
            columns = ["id", *row]
            self.conn.execute(
                f"INSERT INTO expenses ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})",
                [expense_id, *row.values()],
            )
        for table, names in self._owned_tables():
            if table not in image["links"]:
                continue  # a table newer than the state: left as it is
            self.conn.execute(f'DELETE FROM "{table}" WHERE expense_id = ?', [expense_id])
            for link in image["links"][table]:
                kept = {k: _stored(v) for k, v in link.items() if k in names}
                if (
                    "id" in kept
                    and self.conn.execute(
                        f'SELECT 1 FROM "{table}" WHERE id = ?', [kept["id"]]
                    ).fetchone()
                ):
                    del kept["id"]  # its id went to another row meanwhile: a new one
                self.conn.execute(
                    f'INSERT INTO "{table}" ({", ".join(kept)}) '
                    f"VALUES ({', '.join('?' for _ in kept)})",
                    list(kept.values()),
                )

    def remove_expense(self, expense_id: int) -> None:
        """Gone entirely (an undone creation): its tags and receipt links go with it; its
        idempotency and occurrence keys stay."""
        self._touch(expense_id)
        self.conn.execute("DELETE FROM expenses WHERE id = ?", [expense_id])

    def state_row(self, image: dict[str, Any]) -> ExpenseRow:
        """A stored state in the shape of the one expense SELECT, for `records.expense`:
        names as the book has them now, columns the state predates as the SELECT has none."""
        if self._row_keys is None:
            sql, params = build_select(ExpenseQuery(ids=(0,), include_deleted=True))
            self._row_keys = [d[0] for d in self.conn.execute(sql, params).description]
        row: dict[str, Any] = dict.fromkeys(self._row_keys)
        row.update({k: _stored(v) for k, v in image["row"].items()})
        for column, table in (("category_id", "categories"), ("client_id", "clients"),
                              ("project_id", "projects")):  # fmt: skip
            ref = row.get(column)
            found = None if ref is None else self.conn.execute(
                f"SELECT name FROM {table} WHERE id = ?", [ref]
            ).fetchone()  # fmt: skip
            row[f"{column.removesuffix('_id')}_name"] = "" if found is None and ref else (
                found[0] if found else None
            )  # fmt: skip
        tags = [t["tag"] for t in image["links"].get("expense_tags", [])]
        row["tags"] = TAG_SEPARATOR.join(tags) if tags else None
        if "receipts" in row:
            row["receipts"] = json.dumps([
                [r.get("id"), r.get("filename"), r.get("sha256"), self._blob_size(r.get("sha256")),
                 r.get("media_type")]
                for r in image["links"].get("receipts", [])
            ])  # fmt: skip
        return row  # type: ignore[return-value]

    def _blob_size(self, sha256: Any) -> int:
        found = self.conn.execute("SELECT size FROM blobs WHERE sha256 = ?", [sha256]).fetchone()
        return 0 if found is None else int(found[0])

    # reading the log --------------------------------------------------------------------
    def next_change_id(self) -> int:
        """The number the change being written gets (changes are never deleted)."""
        return int(self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM changes").fetchone()[0])

    def latest_undoable(self) -> int | None:
        row = self.conn.execute(
            "SELECT id FROM changes WHERE undoes IS NULL AND undone_by IS NULL "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else int(row[0])

    def change(self, change_id: int) -> ChangeRow | None:
        return self._one(
            ChangeRow, "SELECT id, at, command, summary, undoes FROM changes WHERE id = ?",
            [change_id],
        )  # fmt: skip

    def changes_page(self, since: str | None, limit: int) -> list[ChangeRow]:
        where, params = ("WHERE at >= ? ", [since]) if since is not None else ("", [])
        return self._all(
            ChangeRow,
            f"SELECT id, at, command, summary, undoes FROM changes {where}ORDER BY id DESC LIMIT ?",
            [*params, limit],
        )

    def change_states(self, change_id: int) -> list[tuple[int, str | None, str | None]]:
        """The (expense id, before, after) of each expense a change touched (not created)."""
        rows = self.conn.execute(
            "SELECT expense_id, before, after FROM change_expenses WHERE change_id = ? "
            "ORDER BY expense_id",
            [change_id],
        ).fetchall()
        return [(int(r[0]), r[1], r[2]) for r in rows]

    def change_expense_ids(self, change_id: int) -> list[int]:
        """The ids of the expenses a change touched (not created), without their states."""
        rows = self.conn.execute(
            "SELECT expense_id FROM change_expenses WHERE change_id = ?", [change_id]
        ).fetchall()
        return [int(r[0]) for r in rows]

    def change_created(self, change_id: int) -> list[tuple[int, int]]:
        rows = self.conn.execute(
            "SELECT first_id, last_id FROM change_created WHERE change_id = ? ORDER BY first_id",
            [change_id],
        ).fetchall()
        return [(int(r[0]), int(r[1])) for r in rows]

    def existing_ids(self, first: int, last: int) -> list[int]:
        rows = self.conn.execute(
            "SELECT id FROM expenses WHERE id BETWEEN ? AND ? ORDER BY id", [first, last]
        ).fetchall()
        return [int(r[0]) for r in rows]

    def expense_history(self, expense_id: int) -> list[HistoryRow]:
        """Every change of one expense, oldest first; a creation's `after` is the state
        the next change found (or the expense as it is now)."""
        if not fits(expense_id):
            return []
        rows = self._all(
            HistoryRow,
            "SELECT c.id, c.at, c.command, c.summary, c.undoes, x.before, x.after "
            "FROM change_expenses x JOIN changes c ON c.id = x.change_id "
            "WHERE x.expense_id = ? ORDER BY c.id",
            [expense_id],
        )
        made = self.conn.execute(
            "SELECT change_id, last_id FROM change_created WHERE first_id <= ? "
            "ORDER BY first_id DESC LIMIT 1",
            [expense_id],
        ).fetchone()
        if made is not None and made[1] >= expense_id:
            creation = self.change(int(made[0]))
            if creation is not None:
                later = [r for r in rows if r["id"] > creation["id"]]
                after = later[0]["before"] if later else self.state(expense_id)
                entry: HistoryRow = {**creation, "before": None, "after": after}
                rows = sorted([*rows, entry], key=lambda r: r["id"])
        return rows


def _fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    changed = [
        _FIELD_NAMES.get(k, k)
        for k in after["row"]
        if k not in _QUIET_COLUMNS and before["row"].get(k) != after["row"][k]
    ]
    changed += [
        _FIELD_NAMES.get(t, t)
        for t in after["links"]
        if before["links"].get(t, []) != after["links"][t]
    ]
    return changed


def _summary(change: _Change, entries: list[tuple[int, str | None, str | None]]) -> str:
    parts = []
    made = sum(last - first + 1 for first, last in change.created)
    if made == 1:
        parts.append(f"created expense {change.created[0][0]}")
    elif made:
        low, high = change.created[0][0], change.created[-1][1]
        parts.append(f"created {made} expenses ({low}–{high})")
    named: list[str] = []
    for expense_id, before_text, after_text in entries:
        before, after = load_image(before_text), load_image(after_text)
        if after is None:
            named.append(f"removed expense {expense_id}")
        elif before is None:
            named.append(f"brought back expense {expense_id}")
        else:
            fields = _fields(before, after)
            gone, back = before["row"].get("deleted_at"), after["row"].get("deleted_at")
            if "deleted_at" in fields and back is not None and gone is None:
                named.append(f"deleted expense {expense_id}")
            elif "deleted_at" in fields and back is None:
                named.append(f"restored expense {expense_id}")
            else:
                named.append(f"expense {expense_id}: {', '.join(fields) or 'updated'}")
    if len(named) > _SUMMARY_ITEMS:
        parts.append(f"changed {len(named)} expenses")
    else:
        parts += named
    text = "; ".join(parts) or "no expense changed"
    return f"undid change {change.undoes}: {text}" if change.undoes is not None else text
