"""History and undo (reference §10.8): reading the change log the store writes with every
change (store/history.py), and undoing the latest change that is neither an undo nor
undone. States are stored raw and shaped as `show --json` prints them when read."""

from __future__ import annotations

from typing import Any

from expense_cli.domain import records
from expense_cli.domain.book import load_settings
from expense_cli.domain.listing import _created
from expense_cli.errors import ConflictError, NotFoundError, UsageError
from expense_cli.store import Store
from expense_cli.store.history import load_image
from expense_cli.store.rows import ChangeRow

LOG_LIMIT = 50
LOG_MAX = 200


class _DryRun(Exception):
    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result


def _shown(store: Store, state: str | None) -> dict[str, Any] | None:
    image = load_image(state)
    return None if image is None else records.expense(store.state_row(image)).to_json()


def _entry(row: ChangeRow) -> dict[str, Any]:
    return {
        "change": row["id"],
        "at": row["at"],
        "command": row["command"],
        "summary": row["summary"],
        "undoes": row["undoes"],
    }


def history(store: Store, expense_id: int) -> list[dict[str, Any]]:
    """Every change of one expense, oldest first, deleted and undone-away ones included."""
    with store.read():
        rows = store.expense_history(expense_id)
        if not rows and store.expense(expense_id) is None:
            raise NotFoundError(f"no expense {expense_id}")
        return [
            {**_entry(row), "before": _shown(store, row["before"]),
             "after": _shown(store, row["after"])}
            for row in rows
        ]  # fmt: skip


def _expense_ids(store: Store, change_id: int) -> list[int]:
    ids = set(store.change_expense_ids(change_id))
    for first, last in store.change_created(change_id):
        ids.update(range(first, last + 1))
    return sorted(ids)


def log(store: Store, since: str | None = None, limit: int = LOG_LIMIT) -> list[dict[str, Any]]:
    """Changes newest first; `since` is inclusive, a bare date a UTC day (as --created-from)."""
    if not 1 <= limit <= LOG_MAX:
        raise UsageError(f"--limit: {limit} is not between 1 and {LOG_MAX}")
    with store.read():
        bound = None
        if since is not None:
            order = load_settings(store, checked=("date_order",)).date_order
            bound = _created("--since", since, order, False)
        return [
            {**_entry(row), "expense_ids": _expense_ids(store, row["id"])}
            for row in store.changes_page(bound, limit)
        ]


def undo(store: Store, *, dry_run: bool = False) -> dict[str, Any]:
    """Revert the latest change that is neither an undo nor undone: every expense it
    touched back to its state before (updated_at included), every expense it created
    removed. Recorded as a change naming the one it undid. A dry run changes nothing."""
    try:
        with store.write():
            result = _undo(store)
            if dry_run:
                raise _DryRun(result)
    except _DryRun as done:
        return {k: v for k, v in done.result.items() if k != "change"}
    return result


def _undo(store: Store) -> dict[str, Any]:
    target = store.latest_undoable()
    if target is None:
        raise NotFoundError("nothing to undo: every change is undone or an undo")
    states = store.change_states(target)
    images = [(expense_id, load_image(before)) for expense_id, before, _ in states]
    missing = [m for _, image in images if image is not None for m in store.missing_links(image)]
    if missing:
        raise ConflictError(
            f"cannot undo change {target}: it needs {', '.join(dict.fromkeys(missing))}, "
            "no longer in the book; nothing was changed",
            {"change": f"change {target} needs what was deleted since"},
        )
    store.describe_change(command="undo", undoes=target)
    removed = [
        expense_id
        for first, last in store.change_created(target)
        for expense_id in store.existing_ids(first, last)
    ]
    for expense_id in removed:
        store.remove_expense(expense_id)
    restored = []
    for expense_id, image in images:
        if image is None:
            store.remove_expense(expense_id)
            removed.append(expense_id)
        else:
            store.put_state(expense_id, image)
            restored.append(expense_id)
    found = store.expenses_by_id(restored)
    return {
        "change": store.next_change_id(),
        "undoes": target,
        "expenses": [records.expense(found[i]).to_json() for i in restored if i in found],
        "removed": sorted(removed),
    }
