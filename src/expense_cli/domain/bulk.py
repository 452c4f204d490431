"""Bulk edits (reference §10.9): `edit`, `tag`, `attach` and `detach` on many expenses at
once, all or nothing, in one `BEGIN IMMEDIATE` transaction.

Every id is checked with the same rules as a single-id command (`compose()`, the invoice
lock of rule 8, the tag rules) before anything is written. When any id fails, the whole
command fails: its exit code is the first failing id's (in input order), and `fields`
names each failing id's fields as `"<id>.<field>"`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, cast

from expense_cli.domain import records
from expense_cli.domain.book import load_settings
from expense_cli.domain.compose import Clock
from expense_cli.domain.expenses import attach_input, edit_changes, retagged
from expense_cli.domain.inputs import ExpenseInput
from expense_cli.domain.models import Expense
from expense_cli.errors import ExpenseError, NotFoundError, UsageError, ValidationError
from expense_cli.store import Store
from expense_cli.store.catalog import CachedCatalog
from expense_cli.store.rows import ExpenseRow

_SHOWN_IDS = 10  # a failure message names this many failing ids, then counts the rest


def _loaded(store: Store, ids: Sequence[int]) -> tuple[list[int], dict[int, ExpenseRow]]:
    """The distinct ids in input order, and the live rows among them."""
    unique = list(dict.fromkeys(ids))
    rows = store.expenses_by_id(unique)
    return unique, {i: r for i, r in rows.items() if r["deleted_at"] is None}


def _found(
    unique: list[int], rows: dict[int, ExpenseRow], failures: list[tuple[int, ExpenseError]]
) -> Iterator[tuple[int, ExpenseRow]]:
    """Each id with its live row, in input order; a missing id joins `failures`."""
    for expense_id in unique:
        row = rows.get(expense_id)
        if row is None:
            failures.append((expense_id, _missing(expense_id)))
        else:
            yield expense_id, row


def _fail(failures: list[tuple[int, ExpenseError]]) -> None:
    """One error for the whole command: the first failing id's kind (so its exit code),
    every failing id's fields keyed `"<id>.<field>"`."""
    if not failures:
        return
    fields: dict[str, str] = {}
    for expense_id, error in failures:
        for name, message in (error.fields or {"id": error.message}).items():
            fields[f"{expense_id}.{name}"] = message
    first_id, first = failures[0]
    ids = [str(i) for i, _ in failures]
    more = f" and {len(ids) - _SHOWN_IDS} more" if len(ids) > _SHOWN_IDS else ""
    message = (
        f"nothing changed: expense {first_id}: {first.message}"
        f" (failing: {', '.join(ids[:_SHOWN_IDS])}{more})"
    )
    if isinstance(first, ValidationError):
        raise ValidationError(fields, message)
    raise type(first)(message, fields)


def _missing(expense_id: int) -> NotFoundError:
    return NotFoundError(f"no expense {expense_id}", {"id": "no such expense"})


def _reread(store: Store, ids: Sequence[int]) -> list[Expense]:
    rows = store.expenses_by_id(ids)
    return [records.expense(rows[i]) for i in ids]


def edit_many(
    store: Store, ids: Sequence[int], inp: ExpenseInput, *, clock: Clock | None = None
) -> list[Expense]:
    """`edit` of every id with the same input: each composed and lock-checked as `edit ID`
    would be, then all written, or nothing when one fails."""
    if not ids:
        raise UsageError("no expense ids given")
    clock = clock or Clock()
    with store.write():
        unique, rows = _loaded(store, ids)
        settings = load_settings(store)
        # Every id names the same few categories, clients and projects (as import rows do).
        catalog = cast(Store, CachedCatalog(store))
        failures: list[tuple[int, ExpenseError]] = []
        planned: list[tuple[int, dict[str, Any]]] = []
        for expense_id, row in _found(unique, rows, failures):
            try:
                planned.append((expense_id, edit_changes(catalog, settings, clock, inp, row)))
            except ExpenseError as exc:
                failures.append((expense_id, exc))
        _fail(failures)
        for expense_id, changes in planned:
            if changes:
                store.update_expense(expense_id, {**changes, "updated_at": clock.stamp})
        return _reread(store, unique)


def attach_many(
    store: Store, ids: Sequence[int], *, client: str | None, project: str | None,
    clock: Clock | None = None,
) -> list[Expense]:  # fmt: skip
    """`attach` of every id (rules 6, 7, 8 for each)."""
    return edit_many(store, ids, attach_input(client, project), clock=clock)


def detach_many(store: Store, ids: Sequence[int], *, clock: Clock | None = None) -> list[Expense]:
    return edit_many(store, ids, ExpenseInput(client="", project=""), clock=clock)


def tag_many(
    store: Store,
    ids: Sequence[int],
    *,
    replace: Sequence[str] | None = None,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    clock: Clock | None = None,
) -> list[Expense]:
    """Rule 12 on every id: the replacement set, then `--add`, then `--remove`. Tags are not
    locked by rule 8, so invoiced expenses are tagged like any other (§10.10 item 10)."""
    if not ids:
        raise UsageError("no expense ids given")
    clock = clock or Clock()
    with store.write():
        unique, rows = _loaded(store, ids)
        failures: list[tuple[int, ExpenseError]] = []
        planned: list[tuple[int, tuple[str, ...]]] = []
        for expense_id, row in _found(unique, rows, failures):
            try:
                tags = retagged(records.expense(row), replace, add, remove)
            except ValidationError as exc:
                failures.append((expense_id, exc))
                continue
            if tags is not None:
                planned.append((expense_id, tags))
        _fail(failures)
        for expense_id, tags in planned:
            store.replace_tags(expense_id, tags)
            store.update_expense(expense_id, {"updated_at": clock.stamp})
        return _reread(store, unique)


def tags_of(store: Store, ids: Sequence[int]) -> list[Expense]:
    """The expenses whose tags `tag -` prints when given no change; all must exist."""
    if not ids:
        raise UsageError("no expense ids given")
    with store.read():
        unique, rows = _loaded(store, ids)
        _fail([(i, _missing(i)) for i in unique if i not in rows])
        return [records.expense(rows[i]) for i in unique]
