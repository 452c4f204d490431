"""Use cases for single expenses: each loads what the rules need, applies them and writes,
inside one `BEGIN IMMEDIATE` transaction, so a failed command writes nothing."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from expense_cli.domain import records, rules, text
from expense_cli.domain.book import Settings, load_settings
from expense_cli.domain.catalog import find_category, find_client, find_project
from expense_cli.domain.compose import Clock, Composed, compose, new_uid
from expense_cli.domain.dates import format_timestamp, parse_date
from expense_cli.domain.inputs import ExpenseInput
from expense_cli.domain.models import BillingStatus, Expense
from expense_cli.domain.money import plain_decimal, rebill_minor
from expense_cli.domain.records import get_expense
from expense_cli.domain.validation import InvalidValue, Issues, checked
from expense_cli.errors import (
    ConflictError,
    ExpenseError,
    IdempotencyConflictError,
    InvoicedLockedError,
    NotFoundError,
    UsageError,
    ValidationError,
)
from expense_cli.store import Store
from expense_cli.store.rows import ExpenseRow

IDEMPOTENCY_WINDOW = timedelta(hours=24)


def _found(store: Store, ids: Sequence[int], *, live: bool = False) -> dict[int, ExpenseRow]:
    """Every id first, all or nothing: one missing id (or, when `live`, deleted) fails the
    whole command."""
    found = store.expenses_by_id(ids)
    missing = [i for i in ids if i not in found or (live and found[i]["deleted_at"] is not None)]
    if missing:
        raise NotFoundError(f"no expense {', '.join(map(str, missing))}")
    return found


def _live(store: Store, ids: Sequence[int]) -> list[Expense]:
    found = _found(store, ids, live=True)
    return [records.expense(found[i]) for i in dict.fromkeys(ids)]


def _resolved(store: Store, find: Any, ref: str | None, **kw: Any) -> Any:
    """A reference as its id when it resolves, else as typed (folded)."""
    if ref is None or not ref.strip():
        return ref
    try:
        return find(store, ref, **kw).id
    except ExpenseError:
        return ref.strip().casefold()


def _attempt(parse: Any, raw: Any, *args: Any) -> Any:
    if raw is None:
        return None
    try:
        value = parse(raw, *args)
    except InvalidValue:
        return raw
    return str(value) if isinstance(value, Decimal) else value


def _fingerprint(
    store: Store, clock: Clock, op: str, inp: ExpenseInput, source: int | None = None
) -> str:
    """The request after normalisation (reference §6: names resolved, dates resolved, amounts
    parsed) — not the stored result, so a retry still matches after the book has moved on
    (a new unit price, an edited source, an archived category)."""
    order = load_settings(store).date_order
    day = _attempt(parse_date, inp.date if inp.date is not None else "today", order, clock.today)
    payload = {
        "op": op,
        "source": source,
        "description": None if inp.description is None else inp.description.strip(),
        "amount": _attempt(_plain_decimal, inp.amount),
        "units": _attempt(_plain_decimal, inp.units),
        "date": [day[0].isoformat(), day[1]] if isinstance(day, tuple) else day,
        "time": None if inp.time is None else inp.time.strip(),
        "category": _resolved(store, find_category, inp.category),
        "label": None if inp.label is None else inp.label.strip(),
        "client": _resolved(store, find_client, inp.client),
        "project": _resolved(store, find_project, inp.project),
        "billable": inp.billable,
        "notes": None if inp.notes is None else inp.notes.strip(),
        "approval": inp.approval,
        "reimbursement": inp.reimbursement,
        "tags": _attempt(text.normalize_tags, inp.tags) if inp.tags else [],
    }
    if inp.account is not None:  # only when given: keys stored before §10.9 still match
        payload["account"] = inp.account.strip()
    for name in ("tax", "tax_amount", "original", "original_currency"):  # §10.6, §10.7
        if getattr(inp, name) is not None:
            payload[name] = getattr(inp, name).strip()
    import hashlib  # only requests with a key need a fingerprint

    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _plain_decimal(raw: str) -> Decimal:
    value = plain_decimal(raw.strip())
    if value is None:
        raise InvalidValue(raw)
    return value.normalize()


def _replay(store: Store, key: str, fingerprint: str, clock: Clock) -> Expense | None:
    """Rule of reference §6: the same key and request within 24 h returns the original."""
    store.forget_idempotency_keys(format_timestamp(clock.now - IDEMPOTENCY_WINDOW))
    seen = store.idempotency_key(key)
    if seen is None:
        return None
    if seen["fingerprint"] != fingerprint:
        raise IdempotencyConflictError(
            f"idempotency key {key!r} was used within 24 hours for a different request",
            {"idempotency_key": "reused with different input"},
        )
    return get_expense(store, seen["expense_id"])


def _create(
    store: Store, composed: Composed, clock: Clock, key: str | None, fingerprint: str | None
) -> Expense:
    composed.issues.raise_if_any()
    values = {
        **composed.values,
        "uid": new_uid(),
        "billing_status": BillingStatus.NOT_INVOICED.value,
        "created_at": clock.stamp,
        "updated_at": clock.stamp,
    }
    new_id = store.insert_expense(values, composed.tags)
    if key is not None and fingerprint is not None:
        store.put_idempotency_key(key, fingerprint, new_id, clock.stamp)
    return get_expense(store, new_id)


def _key(idempotency_key: str | None) -> str | None:
    if idempotency_key is None:
        return None
    return checked("idempotency_key", text.idempotency_key, idempotency_key)


def add_expense(
    store: Store,
    inp: ExpenseInput,
    *,
    idempotency_key: str | None = None,
    clock: Clock | None = None,
) -> Expense:
    clock = clock or Clock()
    key = _key(idempotency_key)
    with store.write():
        fingerprint = None
        if key is not None:
            fingerprint = _fingerprint(store, clock, "add", inp)
            if original := _replay(store, key, fingerprint, clock):
                return original
        from expense_cli.domain.autorules import apply_rules  # §10.4: fills what is not given

        composed = compose(store, load_settings(store), clock, apply_rules(store, inp))
        return _create(store, composed, clock, key, fingerprint)


def clone_expense(
    store: Store,
    source_id: int,
    inp: ExpenseInput,
    *,
    idempotency_key: str | None = None,
    clock: Clock | None = None,
) -> Expense:
    """Rule 13: copy into a new expense on `inp.date`; no time, tags, invoice state or uid,
    approval and reimbursement back to the category's defaults."""
    if inp.date is None:
        raise UsageError("clone needs -d/--date")
    clock = clock or Clock()
    key = _key(idempotency_key)
    with store.write():
        fingerprint = None
        if key is not None:
            fingerprint = _fingerprint(store, clock, "clone", inp, source_id)
            if original := _replay(store, key, fingerprint, clock):
                return original
        source = get_expense(store, source_id)
        composed = compose(store, load_settings(store), clock, inp, source, cloning=True)
        return _create(store, composed, clock, key, fingerprint)


def _changes(before: Mapping[str, object], after: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in after.items() if before.get(k) != v}


def edit_changes(
    store: Store, settings: Settings, clock: Clock, inp: ExpenseInput, row: ExpenseRow
) -> dict[str, Any]:
    """The columns `edit` would change on the expense stored as `row`: composed, held to
    the invoice lock (rule 8) and validated, the first failure raised."""
    expense = records.expense(row)
    composed = compose(store, settings, clock, inp, expense)
    rules.check_lock(expense, composed.changed)
    composed.issues.raise_if_any()
    return _changes(row, composed.values)


def edit_expense(
    store: Store, expense_id: int, inp: ExpenseInput, *, clock: Clock | None = None
) -> Expense:
    """A partial update: what is not given stays; `""` clears an optional field."""
    clock = clock or Clock()
    with store.write():
        row = records.expense_row(store, expense_id)
        changes = edit_changes(store, load_settings(store), clock, inp, row)
        if changes:
            store.update_expense(expense_id, {**changes, "updated_at": clock.stamp})
        return get_expense(store, expense_id)


def attach(
    store: Store, expense_id: int, *, client: str | None, project: str | None,
    clock: Clock | None = None,
) -> Expense:  # fmt: skip
    """Link a project and/or client; `""` detaches either (rules 6, 7, 8)."""
    return edit_expense(store, expense_id, attach_input(client, project), clock=clock)


def attach_input(client: str | None, project: str | None) -> ExpenseInput:
    """The edit `attach` makes: a client and/or a project (`""` detaches either)."""
    if client is None and project is None:
        raise UsageError('attach needs -p/--project or --client ("" detaches)')
    return ExpenseInput(client=client, project=project)


def detach(store: Store, expense_id: int, *, clock: Clock | None = None) -> Expense:
    return edit_expense(store, expense_id, ExpenseInput(client="", project=""), clock=clock)


def tag_expense(
    store: Store,
    expense_id: int,
    *,
    replace: Sequence[str] | None = None,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    clock: Clock | None = None,
) -> Expense:
    """Rule 12: the positional set replaces, then `--add`, then `--remove`."""
    clock = clock or Clock()
    with store.write():
        tags = retagged(get_expense(store, expense_id), replace, add, remove)
        if tags is not None:
            store.replace_tags(expense_id, tags)
            store.update_expense(expense_id, {"updated_at": clock.stamp})
        return get_expense(store, expense_id)


def retagged(
    expense: Expense, replace: Sequence[str] | None, add: Sequence[str], remove: Sequence[str]
) -> tuple[str, ...] | None:
    """Rule 12 on one expense: its new tags, or None when they stay as they are."""
    tags = checked("tags", text.apply_tag_edits, expense.tags, replace, add, remove)
    return tags if tags != expense.tags else None


def delete_expenses(
    store: Store, ids: Sequence[int], *, force: bool = False, clock: Clock | None = None
) -> list[Expense]:
    """Soft delete; an invoiced expense needs `force` (rule 8)."""
    clock = clock or Clock()
    with store.write():
        found = _found(store, ids)
        # Deleting a deleted expense changes nothing and succeeds, as `restore` of a live one.
        expenses = [
            records.expense(found[i]) for i in dict.fromkeys(ids) if found[i]["deleted_at"] is None
        ]
        invoiced = [e.id for e in expenses if e.invoiced]
        if invoiced and not force:
            raise InvoicedLockedError(
                f"expense {', '.join(map(str, invoiced))} is invoiced; use --force to delete",
                {"id": "invoiced"},
            )
        for expense in expenses:
            store.update_expense(expense.id, {"deleted_at": clock.stamp, "updated_at": clock.stamp})
        return [get_expense(store, i, deleted=True) for i in dict.fromkeys(ids)]


def restore_expenses(
    store: Store, ids: Sequence[int], *, clock: Clock | None = None
) -> list[Expense]:
    """Undo a delete; restoring a live expense changes nothing (rule 9)."""
    clock = clock or Clock()
    with store.write():
        found = _found(store, ids)
        for expense_id in dict.fromkeys(ids):
            if found[expense_id]["deleted_at"] is not None:
                store.update_expense(expense_id, {"deleted_at": None, "updated_at": clock.stamp})
        return [get_expense(store, i) for i in dict.fromkeys(ids)]


def invoice(
    store: Store, ids: Sequence[int], *, ref: str | None = None, clock: Clock | None = None,
    dry_run: bool = False,
) -> list[Expense]:  # fmt: skip
    """Mark billable expenses invoiced (rule 9): a repeat is a no-op, another ref a conflict."""
    clock = clock or Clock()
    clean_ref = None if ref is None else checked("invoice_ref", text.invoice_ref, ref)
    with store.write():
        return mark_invoiced(store, _live(store, ids), clean_ref, clock, dry_run=dry_run)


def mark_invoiced(
    store: Store, expenses: Sequence[Expense], ref: str | None, clock: Clock, *,
    dry_run: bool = False,
) -> list[Expense]:  # fmt: skip
    """Rules 9 and §10.5 on loaded expenses, inside the caller's write transaction: each
    not-invoiced one gets the ref, the time and its rebill amount (its client's markup now);
    an invoiced one keeps what it has. `dry_run` returns them as they would be, unwritten."""
    issues = Issues()
    rules.check_invoiceable(expenses, issues)
    if ref is not None:
        rules.check_one_invoice(ref, records.invoice_holders(store, ref), expenses, issues)
    if issues:
        raise ValidationError(issues.fields, "these expenses cannot be invoiced together")
    clashes = [e.id for e in expenses if e.invoiced and ref and e.invoice_ref != ref]
    if clashes:
        raise ConflictError(
            f"expense {', '.join(map(str, clashes))} is already invoiced under another ref",
            {"invoice_ref": "differs from the recorded reference"},
        )
    markups: dict[int, int] = {}
    result: list[Expense] = []
    for expense in expenses:
        if expense.invoiced or expense.client is None:
            result.append(expense)
            continue
        if expense.client.id not in markups:
            row = store.client(expense.client.id)
            markups[expense.client.id] = row["markup_bp"] if row else 0
        rebill = rebill_minor(expense.amount.minor, markups[expense.client.id])
        if dry_run:
            result.append(
                expense._replace(
                    billing_status=BillingStatus.INVOICED, invoice_ref=ref,
                    rebill_amount=expense.amount._replace(minor=rebill),
                )
            )  # fmt: skip
            continue
        store.update_expense(
            expense.id,
            {
                "billing_status": BillingStatus.INVOICED.value,
                "invoice_ref": ref,
                "rebill_minor": rebill,
                "invoiced_at": clock.stamp,
                "updated_at": clock.stamp,
            },
        )
        result.append(get_expense(store, expense.id))
    return result


def uninvoice(store: Store, ids: Sequence[int], *, clock: Clock | None = None) -> list[Expense]:
    clock = clock or Clock()
    with store.write():
        expenses = _live(store, ids)
        for expense in expenses:
            if expense.invoiced:
                store.update_expense(
                    expense.id,
                    {
                        "billing_status": BillingStatus.NOT_INVOICED.value,
                        "invoice_ref": None,
                        "rebill_minor": None,
                        "invoiced_at": None,
                        "updated_at": clock.stamp,
                    },
                )
        return [get_expense(store, e.id) for e in expenses]
