"""Recurring expenses (reference §10.3): schedules whose template is a snapshot of an
expense's clonable fields plus its tags, and `run`, which creates every due occurrence
through the composer exactly as `clone` does (so the unit price in force on each date, the
category's defaults and every rule apply), one `BEGIN IMMEDIATE` transaction per schedule.

The template is the expense's row as the one expense SELECT returned it, stored as JSON
with the non-clonable parts cleared: a column added by a later release joins the template
of schedules made from then on, and older templates read it as unset."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from expense_cli.domain import records
from expense_cli.domain.book import load_settings
from expense_cli.domain.compose import Clock, compose
from expense_cli.domain.dates import parse_date
from expense_cli.domain.expenses import _create
from expense_cli.domain.inputs import ExpenseInput
from expense_cli.domain.models import Expense
from expense_cli.domain.recurrence import INTERVAL_MAX, INTERVAL_MIN, Every, due, following
from expense_cli.domain.recurrence import next_date as first_open
from expense_cli.domain.validation import InvalidValue, Issues
from expense_cli.errors import (
    DatabaseUnavailableError,
    ExpenseError,
    NotFoundError,
    UsageError,
    ValidationError,
)
from expense_cli.store import Store
from expense_cli.store.rows import ExpenseRow, ScheduleRow

# Row columns a template never carries (rule 13: no time, invoice state, receipts, ...).
_CLEARED: dict[str, Any] = {
    "time": None, "billing_status": "not_invoiced", "invoice_ref": None, "rebill_minor": None,
    "invoiced_at": None, "deleted_at": None, "receipts": None, "recurring_id": None,
}  # fmt: skip
_DROPPED = ("sort_value",)
# Keys of the expense JSON that are not part of a template's JSON.
_NOT_TEMPLATE = (
    "id", "uid", "date", "time", "unit_price", "billing_status", "invoice_ref",
    "rebill_amount", "approval_status", "reimbursement_status", "receipts", "created_at",
    "updated_at", "deleted_at", "recurring_id",
)  # fmt: skip


class _TemplateRow(dict[str, Any]):
    """A stored template: a column it predates reads as unset."""

    def __missing__(self, key: str) -> Any:
        return None


@dataclass(frozen=True)
class Schedule:
    id: int
    source_id: int | None
    template: Expense
    every: Every
    interval: int
    start: date
    month_day: int
    until: date | None
    paused: bool
    skip_before: date | None
    next_date: date | None
    deleted_at: str | None = None

    def template_json(self) -> dict[str, Any]:
        shown = {k: v for k, v in self.template.to_json().items() if k not in _NOT_TEMPLATE}
        return {"source": self.source_id, **shown}

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "template": self.template_json(),
            "every": self.every.value,
            "interval": self.interval,
            "start": self.start.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "next_date": None if self.next_date is None else self.next_date.isoformat(),
            "paused": self.paused,
        }


@dataclass
class RunResult:
    created: list[Expense]
    errors: list[dict[str, Any]]


def snapshot(row: ExpenseRow) -> str:
    """The stored template of the expense `row`: its clonable columns and tags as JSON."""
    kept = {k: v for k, v in row.items() if k not in _DROPPED}
    return json.dumps({**kept, **{k: v for k, v in _CLEARED.items() if k in kept}})


def template(stored: str) -> Expense:
    row = _TemplateRow({**json.loads(stored)})
    for key, value in _CLEARED.items():
        row.setdefault(key, value)
    return records.expense(cast("ExpenseRow", row))


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _occurrence_keys(store: Store, schedule_id: int) -> set[date]:
    return {date.fromisoformat(d) for d in store.occurrence_keys(schedule_id)}


def _rule(row: ScheduleRow) -> dict[str, Any]:
    return {
        "every": Every(row["every"]), "interval": row["interval"],
        "start": date.fromisoformat(row["start"]), "day": row["month_day"],
        "until": _day(row["until"]), "skip_before": _day(row["skip_before"]),
    }  # fmt: skip


def schedule(store: Store, row: ScheduleRow) -> Schedule:
    rule = _rule(row)
    return Schedule(
        id=row["id"],
        source_id=row["source_id"],
        template=template(row["template"]),
        every=rule["every"],
        interval=row["interval"],
        start=rule["start"],
        month_day=row["month_day"],
        until=rule["until"],
        paused=bool(row["paused"]),
        skip_before=rule["skip_before"],
        next_date=first_open(**rule, keyed=_occurrence_keys(store, row["id"])),
        deleted_at=row["deleted_at"],
    )


def _found(store: Store, schedule_id: int, *, deleted: bool = False) -> ScheduleRow:
    row = store.schedule(schedule_id)
    if row is None or (row["deleted_at"] is not None and not deleted):
        raise NotFoundError(f"no recurring schedule {schedule_id}")
    return row


def list_schedules(store: Store) -> list[Schedule]:
    with store.read():
        return [schedule(store, row) for row in store.schedules()]


def _interval(value: int) -> int:
    if not INTERVAL_MIN <= value <= INTERVAL_MAX:
        raise InvalidValue(f"{value} is not between {INTERVAL_MIN} and {INTERVAL_MAX}")
    return value


def add_schedule(
    store: Store, expense_id: int, every: Every, *, interval: int = 1,
    start: str | None = None, until: str | None = None, clock: Clock | None = None,
) -> Schedule:  # fmt: skip
    """A schedule from expense `expense_id` (live: rule 14). `start` defaults to one
    interval after the expense's date, keeping its day of the month; a template that could
    not be cloned today (an archived category, client or project) is refused (exit 4)."""
    clock = clock or Clock()
    issues = Issues()
    if issues.check("interval", _interval, interval) is None:
        issues.raise_if_any()  # no start date can be worked out from a bad interval
    with store.write():
        order = load_settings(store).date_order
        first = issues.check("start", parse_date, start, order, clock.today) if start else None
        last = issues.check("until", parse_date, until, order, clock.today) if until else None
        source = records.get_expense(store, expense_id)
        row = store.expense(expense_id)
        assert row is not None  # get_expense found it
        if start is None:
            begin, day = following(every, interval, source.date), source.date.day
            if begin is None:
                issues.add("start", "one interval after the expense's date is past 2999-12-31")
        else:
            begin, day = (None, 1) if first is None else (first[0], first[0].day)
        if begin is not None and last is not None and last[0] < begin:
            issues.add("until", f"{last[0].isoformat()} is before the start {begin.isoformat()}")
        issues.raise_if_any()
        assert begin is not None
        stored = snapshot(row)
        _compose(store, template(stored), begin, clock, check_only=True)
        new_id = store.insert_schedule({
            "source_id": expense_id, "template": stored, "every": every.value,
            "interval": interval, "start": begin.isoformat(), "month_day": day,
            "until": None if last is None else last[0].isoformat(), "paused": 0,
            "created_at": clock.stamp, "updated_at": clock.stamp,
        })  # fmt: skip
        return schedule(store, _found(store, new_id))


def _compose(
    store: Store, base: Expense, day: date, clock: Clock, *, check_only: bool = False
) -> Any:
    """One occurrence on `day`, composed as `clone` composes a copy, plus the tags."""
    inp = ExpenseInput(date=day.isoformat(), tags=base.tags)
    composed = compose(store, load_settings(store), clock, inp, base, cloning=True)
    if check_only and composed.issues:
        raise ValidationError(
            {name: _plain(message) for name, message in composed.issues.fields.items()},
            f"expense {base.id} cannot be scheduled",
        )
    return composed


def _plain(message: str) -> str:
    """A clone's hint to override a field means nothing to a schedule."""
    return message.replace(" (override with -c)", "").replace(" (override it)", "")


def set_paused(
    store: Store, schedule_id: int, paused: bool, *, clock: Clock | None = None
) -> Schedule:
    """Pause, or resume: occurrences dated before the resume day are skipped. Pausing a
    paused schedule (resuming a running one) changes nothing."""
    clock = clock or Clock()
    with store.write():
        row = _found(store, schedule_id)
        if bool(row["paused"]) != paused:
            values: dict[str, Any] = {"paused": int(paused), "updated_at": clock.stamp}
            if not paused:
                values["skip_before"] = clock.today.isoformat()
            store.update_schedule(schedule_id, values)
        return schedule(store, _found(store, schedule_id))


def delete_schedule(store: Store, schedule_id: int, *, clock: Clock | None = None) -> Schedule:
    """Stop a schedule: it leaves `recurring list`; its expenses keep their recurring_id.
    Deleting a deleted schedule changes nothing."""
    clock = clock or Clock()
    with store.write():
        row = _found(store, schedule_id, deleted=True)
        if row["deleted_at"] is None:
            store.update_schedule(
                schedule_id, {"deleted_at": clock.stamp, "updated_at": clock.stamp}
            )
        return schedule(store, _found(store, schedule_id, deleted=True))


def parse_through(text: str | None, store: Store, clock: Clock | None = None) -> date:
    """`run --through`: a date as rule 10 reads it (default today); else exit 2."""
    clock = clock or Clock()
    if text is None:
        return clock.today
    try:
        return parse_date(text, load_settings(store).date_order, clock.today)[0]
    except InvalidValue as exc:
        raise UsageError(f"--through: {exc}", {"through": str(exc)}) from None


class _DryRun(Exception):
    """Rolls back a dry run's transaction once its output is written."""


def _due(store: Store, row: ScheduleRow, through: date) -> list[date]:
    rule = _rule(row)
    rule.pop("start")
    return due(rule.pop("every"), rule.pop("interval"), date.fromisoformat(row["start"]),
               through, **rule, keyed=_occurrence_keys(store, row["id"]))  # fmt: skip


def run(
    store: Store, *, through: date, dry_run: bool = False, clock: Clock | None = None,
    delivered: Callable[[Sequence[Expense]], None] = lambda _created: None,
) -> RunResult:  # fmt: skip
    """Create every occurrence due on or before `through` that has no key yet. Each
    schedule is one transaction: one whose occurrence breaks a rule creates nothing and is
    reported in `errors`, the others still run. `delivered` writes a schedule's expenses
    inside its transaction (output before commit); a dry run then rolls back."""
    clock = clock or Clock()
    result = RunResult([], [])
    for listed in store.schedules():
        if listed["paused"] or not _due(store, listed, through):
            continue  # nothing due: no write lock taken
        created: list[Expense] = []
        try:
            with store.write():
                created = _run_one(store, listed["id"], through, clock)
                delivered(created)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        except DatabaseUnavailableError:
            raise
        except ExpenseError as exc:
            message = exc.message
            if not message.startswith("schedule "):
                message = f"schedule {listed['id']}: {message}"
            result.errors.append({"schedule": listed["id"], "code": exc.code,
                                  "message": message, "fields": exc.fields})  # fmt: skip
            continue
        result.created.extend(created)
    return result


def _run_one(store: Store, schedule_id: int, through: date, clock: Clock) -> list[Expense]:
    row = store.schedule(schedule_id)
    if row is None or row["deleted_at"] is not None or row["paused"]:
        return []  # changed by another command since it was listed
    base = template(row["template"])
    created: list[Expense] = []
    for day in _due(store, row, through):
        if not store.claim_occurrence(schedule_id, day.isoformat(), clock.stamp):
            continue  # a racing run made it first
        composed = _compose(store, base, day, clock)
        if composed.issues:
            raise ValidationError(
                {name: _plain(message) for name, message in composed.issues.fields.items()},
                f"schedule {schedule_id} ({base.description}) cannot create its "
                f"{day.isoformat()} occurrence",
            )
        composed.values["recurring_id"] = schedule_id
        expense = _create(store, composed, clock, None, None)
        store.link_occurrence(schedule_id, day.isoformat(), expense.id)
        created.append(expense)
    return created
