"""Import: every row of a csv/json/ndjson file validated by the same rules as `add`, then
written all or nothing in one transaction. Rows whose uid is already in the book are
skipped, so importing a file twice adds nothing."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO, cast

from expense_cli.domain import catalog, text
from expense_cli.domain.book import load_settings
from expense_cli.domain.compose import Clock, ExpenseInput, compose
from expense_cli.domain.dates import format_timestamp, parse_timestamp
from expense_cli.domain.enums import Approval, Basis, BillingStatus, Reimbursement
from expense_cli.domain.expenses import new_uid
from expense_cli.domain.issues import InvalidValue, Issues
from expense_cli.domain.models import FORMULA_STARTS
from expense_cli.domain.money import parse_amount
from expense_cli.errors import ExpenseError, ValidationError
from expense_cli.store import Store
from expense_cli.store.catalog import CachedCatalog

MAX_REPORTED = 100
UID_MAX = 64
Row = tuple[int, dict[str, Any]]


# readers ------------------------------------------------------------------------------
def _unneutralise(value: str) -> str:
    """Undo the export's formula guard: one `'` from quotes that lead to a formula character."""
    if value.startswith("'") and value.lstrip("'").startswith(FORMULA_STARTS):
        return value[1:]
    return value


def read_csv(stream: TextIO) -> Iterator[Row]:
    reader = csv.DictReader(stream)
    line = 2
    for record in reader:
        yield line, {k: (_unneutralise(v) if v else None) for k, v in record.items() if k}
        line = reader.line_num + 1


def read_ndjson(stream: TextIO) -> Iterator[Row]:
    for number, raw in enumerate(stream, start=1):
        if raw.strip():
            try:
                yield number, json.loads(raw)
            except json.JSONDecodeError as exc:
                yield number, {"__error__": f"not JSON: {exc.msg}"}


def read_json(stream: TextIO) -> Iterator[Row]:
    """The `list --all --json` envelope (or a bare array); line numbers from offsets."""
    content = stream.read()
    decoder = json.JSONDecoder()
    start = content.find("[")
    if start < 0:
        yield 1, {"__error__": 'expected a JSON array or {"data": [...]}'}
        return
    pos = start + 1
    while True:
        while pos < len(content) and content[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(content) or content[pos] == "]":
            return
        line = content.count("\n", 0, pos) + 1
        try:
            value, pos = decoder.raw_decode(content, pos)
        except json.JSONDecodeError as exc:
            yield line, {"__error__": f"not JSON: {exc.msg}"}
            return
        yield line, value


READERS: dict[str, Callable[[TextIO], Iterator[Row]]] = {
    "csv": read_csv,
    "json": read_json,
    "ndjson": read_ndjson,
}


# rows ---------------------------------------------------------------------------------
def _text(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    if isinstance(value, dict):
        value = value.get("name")
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _flag(value: Any) -> bool | None:
    if value is None or value == "" or isinstance(value, bool):
        return value if isinstance(value, bool) else None
    return text.parse_bool(str(value))


def _tags(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return tuple(t for t in str(value).split(";") if t.strip())


def _choice(kind: type[Any], value: str | None) -> Any:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise InvalidValue(f"{value!r} is not one of {allowed}") from None


@dataclass
class ImportResult:
    imported: int = 0
    skipped: int = 0
    created: dict[str, list[str]] | None = None
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"imported": self.imported, "skipped": self.skipped,
                "created": self.created or {}, "dry_run": self.dry_run}  # fmt: skip


class _Rollback(Exception):
    """Ends a dry run: everything was validated, nothing is kept."""


class _Importer:
    def __init__(self, store: Store, create_missing: bool, clock: Clock) -> None:
        # Every row names the same few records: remember the lookups (forgotten on create).
        self.cache = CachedCatalog(store)
        self.store = cast(Store, self.cache)
        self.create_missing, self.clock = create_missing, clock
        self.settings = load_settings(store)
        self.errors: dict[str, str] = {}
        self.result = ImportResult(created={"categories": [], "clients": [], "projects": []})
        self.seen_uids: set[str] = set()

    def fail(self, line: int, issues: dict[str, str]) -> None:
        for field_name, message in issues.items():
            if len(self.errors) < MAX_REPORTED:
                self.errors[f"line {line}.{field_name}"] = message

    def ensure_refs(self, row: dict[str, Any]) -> dict[str, str]:
        """Unknown names are errors, or are created with --create-missing."""
        missing: dict[str, str] = {}
        category, client, project = (
            _text(row, "category"),
            _text(row, "client"),
            _text(row, "project"),
        )
        if category and not self._exists(catalog.find_category, category):
            if self.create_missing:
                price = _text(row, "unit_price") if _text(row, "units") else None
                catalog.add_category(self.store, category, "unit" if price else None, price)
                self.cache.forget()
                self.result.created["categories"].append(category)  # type: ignore[index]
            else:
                missing["category"] = f"no category {category!r} (import with --create-missing)"
        if client and not self._exists(catalog.find_client, client):
            if self.create_missing:
                catalog.add_client(self.store, client, _text(row, "currency"))
                self.cache.forget()
                self.result.created["clients"].append(client)  # type: ignore[index]
            else:
                missing["client"] = f"no client {client!r} (import with --create-missing)"
        if project and not self._exists(catalog.find_project, project):
            if self.create_missing and client and "client" not in missing:
                catalog.add_project(self.store, project, client)
                self.cache.forget()
                self.result.created["projects"].append(project)  # type: ignore[index]
            else:
                hint = "a project needs its client" if self.create_missing else "--create-missing"
                missing["project"] = f"no project {project!r} ({hint})"
        return missing

    def _exists(self, find: Callable[..., Any], ref: str) -> bool:
        try:
            find(self.store, ref)
        except ExpenseError:
            return False
        return True

    def row(self, line: int, row: dict[str, Any]) -> None:
        if "__error__" in row:
            self.fail(line, {"row": row["__error__"]})
            return
        uid = _text(row, "uid")
        if uid is not None and (uid in self.seen_uids or self.store.expense_id_for_uid(uid)):
            self.result.skipped += 1
            return
        issues = Issues()
        try:
            issues.fields.update(self.ensure_refs(row))
        except ValidationError as exc:
            issues.fields.update(exc.fields)
        values, tags = self._compose(row, issues)  # every bad field of the row, not the first
        if uid is not None:
            bad = issues.check("uid", text.clean_text, uid, UID_MAX)
            self.seen_uids.add(uid)
            uid = bad
        if issues:
            self.fail(line, issues.fields)
            return
        if not self.errors:
            stamp = self.clock.stamp
            values.update(uid=uid or new_uid(), updated_at=stamp)
            values.setdefault("created_at", stamp)
            self.store.insert_expense(values, tags)
            self.result.imported += 1

    def _compose(
        self, row: dict[str, Any], issues: Issues
    ) -> tuple[dict[str, Any], tuple[str, ...]]:
        category = self._category(_text(row, "category"))
        unit_based = category is not None and category.basis is Basis.UNIT
        amount = _text(row, "amount")
        inp = ExpenseInput(
            description=_text(row, "description") or "",
            amount=None if unit_based else amount,
            units=_text(row, "units"),
            unit_price=_text(row, "unit_price"),
            date=_text(row, "date") or "",
            time=_text(row, "time"),
            category=_text(row, "category") or "",
            label=_text(row, "custom_category"),
            client=_text(row, "client"),
            project=_text(row, "project"),
            billable=issues.check("billable", _flag, row.get("billable")),
            notes=_text(row, "notes"),
            approval=issues.check(
                "approval_status", _choice, Approval, _text(row, "approval_status")
            ),
            reimbursement=issues.check(
                "reimbursement_status", _choice, Reimbursement, _text(row, "reimbursement_status")
            ),
            tags=_tags(row.get("tags")),
        )
        composed = compose(self.store, self.settings, self.clock, inp)
        for key, message in composed.issues.fields.items():
            issues.add(key, message)
        values = composed.values
        self._check_currency(row, values, issues)
        if unit_based and amount is not None and values.get("amount_minor") is not None:
            given = issues.check("amount", parse_amount, amount, values["scale"])
            if given is not None and given != values["amount_minor"]:
                issues.add("amount", "does not equal units × unit_price")
        self._billing(row, values, issues)
        created = _text(row, "created_at")
        if created is not None:
            moment = issues.check("created_at", parse_timestamp, created)
            if moment is not None:
                values["created_at"] = format_timestamp(moment)
        return values, composed.tags

    def _category(self, ref: str | None) -> Any:
        if not ref:
            return None
        try:
            return catalog.find_category(self.store, ref)
        except ExpenseError:
            return None

    @staticmethod
    def _check_currency(row: dict[str, Any], values: dict[str, Any], issues: Issues) -> None:
        currency = _text(row, "currency")
        if currency is not None and currency.strip().upper() != values.get("currency"):
            issues.add("currency", f"the row would be in {values.get('currency')}, not {currency}")

    @staticmethod
    def _billing(row: dict[str, Any], values: dict[str, Any], issues: Issues) -> None:
        status = issues.check(
            "billing_status", _choice, BillingStatus, _text(row, "billing_status")
        )
        values["billing_status"] = (status or BillingStatus.NOT_INVOICED).value
        ref = _text(row, "invoice_ref")
        values["invoice_ref"] = issues.check("invoice_ref", text.invoice_ref, ref) if ref else None
        if status is BillingStatus.INVOICED and not values.get("billable"):
            issues.add("billing_status", "only billable expenses can be invoiced")


def import_rows(
    store: Store,
    records: Iterable[Row],
    *,
    create_missing: bool = False,
    dry_run: bool = False,
    clock: Clock | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Validate every row; write all of them, or nothing if any row is bad (or dry run)."""
    store.for_bulk_work()
    importer = _Importer(store, create_missing, clock or Clock())
    try:
        with store.write(), store.search_indexed_at_end():
            for line, record in records:
                if not isinstance(record, dict):
                    importer.fail(line, {"row": "expected an object"})
                    continue
                importer.row(line, record)
                if progress is not None:
                    progress(1)
            if importer.errors:
                count = len(importer.errors)
                raise ValidationError(
                    importer.errors, f"import failed ({count} problems); nothing was imported"
                )
            if dry_run:
                raise _Rollback
    except _Rollback:
        importer.result.dry_run = True
    return importer.result
