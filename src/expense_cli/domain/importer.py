"""Import: every row of a csv/json/ndjson file validated by the same rules as `add`, then
written all or nothing in one transaction. Rows whose uid is already in the book are
skipped, so importing a file twice adds nothing."""

from __future__ import annotations

import csv
import gc
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO, TypeVar, cast

from expense_cli.domain import catalog, records, rules, text
from expense_cli.domain.book import load_settings
from expense_cli.domain.columns import IMPORT_COLUMNS as IMPORT_COLUMNS  # re-exported
from expense_cli.domain.compose import Clock, Finders, compose, new_uid
from expense_cli.domain.dates import parse_timestamp
from expense_cli.domain.enums import Approval, Basis, BillingStatus, Reimbursement
from expense_cli.domain.inputs import ExpenseInput
from expense_cli.domain.models import FORMULA_STARTS, Ref
from expense_cli.domain.money import format_minor, parse_amount, rebill_minor
from expense_cli.domain.validation import InvalidValue, Issues
from expense_cli.errors import ExpenseError, UsageError, ValidationError
from expense_cli.store import Store
from expense_cli.store.catalog import CachedCatalog

if TYPE_CHECKING:
    from expense_cli.domain.catalog_models import Category, Client, Project
    from expense_cli.store.expenses import BulkLoad

T = TypeVar("T")
UID_MAX = 64
Row = tuple[int, dict[str, Any]]
# INVALID: a statement cell the reader refused (`--decimal-comma`), field → message.
INVALID = "__invalid__"
_REFERENCES = frozenset({"category", "client", "project"})
_TEXT_COLUMNS = tuple(
    c for c in IMPORT_COLUMNS if c not in _REFERENCES | {"billable", "tags", "amount_from_rate"}
)
_CELLS = (*_TEXT_COLUMNS, *_REFERENCES)
_KNOWN = ", ".join(IMPORT_COLUMNS)
# Validated rows are written this many at a time (one `executemany`, not one INSERT each).
BATCH = 2000
# Once a load has written this many rows, and at least as many as the book held, the list
# indexes are built once at the end rather than row by row (docs/decisions.md).
BULK_ROWS = BATCH


class Unreadable(Exception):
    """The file stops being text we can read at `line` (bad UTF-8, binary, a runaway field,
    nesting too deep): nothing after it can be trusted, so reading stops there."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


# readers ------------------------------------------------------------------------------
def _unneutralise(value: str) -> str:
    """Undo the export's formula guard: one `'` from quotes that lead to a formula character."""
    if value.startswith("'") and value.lstrip("'").startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _checked(stream: TextIO) -> Iterator[str]:
    """The stream's lines, refusing the first that is not UTF-8 text. Streams are opened
    with `surrogateescape`, so an undecodable byte arrives as a lone surrogate on its own
    line instead of failing a whole buffered chunk with no line to name."""
    for number, line in enumerate(stream, start=1):
        if "\x00" in line:
            raise Unreadable(number, "a NUL byte: this is a binary file, not text")
        if not line.isascii() and _UNDECODED.search(line):
            raise Unreadable(number, "not valid UTF-8 text (save the file as UTF-8)")
        yield line


_UNDECODED = re.compile("[\udc80-\udcff]")


def _header(names: list[str]) -> list[str]:
    """Column names trimmed and case-folded; a repeated one, or none we know, is exit 4."""
    columns = [name.strip().casefold() for name in names]
    seen: set[str] = set()
    for column in columns:
        if column and column in seen:
            raise ValidationError(
                {"header": f"column {column!r} appears twice"}, "import failed: bad header"
            )
        seen.add(column)
    if not seen & set(IMPORT_COLUMNS):
        raise ValidationError(
            {"header": f"no known column; the columns are: {_KNOWN}"}, "import failed: bad header"
        )
    return columns


def read_csv(stream: TextIO) -> Iterator[Row]:
    reader = csv.reader(_checked(stream))
    line = 1
    try:
        first = next(reader, None)
        if first is None:
            raise _empty_file()
        columns = _header(first)
        line = reader.line_num + 1
        for record in reader:  # a short record leaves its last columns unset, as DictReader
            cells = zip(columns, record, strict=False)
            yield line, {k: (_unneutralise(v) if v else None) for k, v in cells if k}
            line = reader.line_num + 1
    except csv.Error as exc:  # a field over 131,072 characters: most often a stray quote
        raise Unreadable(line, f"unreadable CSV ({exc})") from None


def _empty_file() -> ValidationError:
    """A zero-byte file, whatever its format, names the columns it could have held."""
    return ValidationError(
        {"header": f"the file is empty; the columns are: {_KNOWN}"}, "import failed: no header"
    )


def read_ndjson(stream: TextIO) -> Iterator[Row]:
    number = 0
    for number, raw in enumerate(_checked(stream), start=1):
        if raw.strip():
            try:
                yield number, json.loads(raw)
            except ValueError as exc:  # JSONDecodeError, or an integer too long to convert
                yield number, {"__error__": f"not JSON: {getattr(exc, 'msg', exc)}"}
            except RecursionError:
                yield number, {"__error__": "not JSON we can read: nested too deeply"}
    if number == 0:
        raise _empty_file()


def read_json(stream: TextIO) -> Iterator[Row]:
    """The `list --all --json` envelope (or a bare array); line numbers from offsets."""
    content = "".join(_checked(stream))
    if not content:
        raise _empty_file()
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
        except ValueError as exc:
            yield line, {"__error__": f"not JSON: {getattr(exc, 'msg', exc)}"}
            return
        except RecursionError:
            raise Unreadable(line, "not JSON we can read: nested too deeply") from None
        yield line, value


READERS: dict[str, Callable[[TextIO], Iterator[Row]]] = {
    "csv": read_csv,
    "json": read_json,
    "ndjson": read_ndjson,
}


# rows ---------------------------------------------------------------------------------
def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return "an object" if isinstance(value, dict) else "a list"


def _cell(row: dict[str, Any], key: str, issues: Issues) -> str | None:
    """A text cell; in JSON anything but a string (or null) is the wrong type, never str()."""
    value = row.get(key)
    if key in _REFERENCES and isinstance(value, dict):
        value = value.get("name")  # JSON writes references as {id, name}: by name only
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    hint = ' (a decimal string like "12.50")' if key in _DECIMALS else ""
    issues.add(key, f"expected text{hint}, not {_kind(value)}")
    return None


_DECIMALS = frozenset({"amount", "units", "unit_price"})


def _flag(value: Any, typed: bool) -> bool | None:
    if value is None or value == "" or isinstance(value, bool):
        return value if isinstance(value, bool) else None
    if typed or not isinstance(value, str):
        raise InvalidValue(f"expected true or false, not {_kind(value)}")
    return text.parse_bool(value)


def _tags(value: Any, typed: bool) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise InvalidValue("every tag must be text")
        return tuple(value)
    if typed or not isinstance(value, str):
        raise InvalidValue(f"expected a list of text, not {_kind(value)}")
    return tuple(t for t in value.split(";") if t.strip())


def _cells(row: dict[str, Any], typed: bool, issues: Issues) -> dict[str, Any]:
    """The row's values checked for type: text (or None) per column, billable, tags."""
    cells: dict[str, Any] = {}
    get = row.get
    for key in _CELLS:
        value = get(key)
        if value is None or value.__class__ is str:  # a CSV cell: `_cell` without the call
            cells[key] = value or None
        else:
            cells[key] = _cell(row, key, issues)
    cells["billable"] = issues.check("billable", _flag, row.get("billable"), typed)
    cells["tags"] = issues.check("tags", _tags, row.get("tags"), typed) or ()
    from_rate = row.get("amount_from_rate")
    cells["amount_from_rate"] = issues.check("amount_from_rate", _flag, from_rate, typed)
    return cells


def _choice(kind: type[Any], value: str | None) -> Any:
    if value is None:
        return None
    member = kind._value2member_map_.get(value)  # what kind(value) finds, without the call
    if member is not None:
        return member
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise InvalidValue(f"{value!r} is not one of {allowed}") from None


def _timestamp(value: str) -> str:
    """`YYYY-MM-DDTHH:MM:SS.ffffffZ`, four-digit year always (strftime writes 999 for 0999,
    which no longer sorts as text); a moment that leaves years 1–9999 in UTC is invalid."""
    if _STAMP.fullmatch(value):  # already in that shape (an export's): valid is enough
        try:
            datetime.fromisoformat(value)
            return value
        except ValueError:
            pass  # worded below
    try:
        moment = parse_timestamp(value)
    except OverflowError:
        raise InvalidValue(f"{value!r} is outside the years 0001–9999 (UTC)") from None
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z", re.ASCII)


def check_date_format(fmt: str) -> None:
    """`--date-format` must read back a year, month and day (two dates differing in every
    field survive strftime → strptime), or it is a usage error."""
    for day in (datetime(2001, 2, 3, 4, 5), datetime(2013, 11, 25, 16, 17)):
        try:
            same = datetime.strptime(day.strftime(fmt), fmt).date() == day.date()
        except ValueError:
            same = False
        if not same:
            raise UsageError(
                f"--date-format: {fmt!r} does not read a year, month and day "
                "(strptime directives, e.g. %d/%m/%Y)"
            )


def _reformat(value: str, fmt: str) -> str:
    """A date read with `--date-format` as ISO (with `THH:MM` when FMT reads a time)."""
    try:
        moment = datetime.strptime(value.strip(), fmt)
    except ValueError:
        raise InvalidValue(f"{value!r} does not match --date-format {fmt!r}") from None
    day = moment.date().isoformat()  # always a four-digit year, unlike strftime's %Y
    return f"{day}T{moment:%H:%M}" if any(d in fmt for d in ("%H", "%I", "%M")) else day


@dataclass
class ImportResult:
    imported: int = 0
    skipped: int = 0
    created: dict[str, list[str]] | None = None
    dry_run: bool = False
    duplicates: int = 0  # §10.4: rows like a live expense (imported too with --allow-duplicates)
    income_skipped: int = 0  # §10.4: rows of the other sign under --sign
    # The ids created, as runs of consecutive ids: a million-row import keeps a few ranges,
    # not a million ints; `import -q` prints them one per line (§10.10 item 1).
    id_ranges: list[range] = field(default_factory=list)

    def add_id(self, expense_id: int) -> None:
        last = self.id_ranges[-1] if self.id_ranges else None
        if last is not None and last.stop == expense_id:
            self.id_ranges[-1] = range(last.start, expense_id + 1)
        else:
            self.id_ranges.append(range(expense_id, expense_id + 1))

    def add_ids(self, ids: Sequence[int]) -> None:
        last = self.id_ranges[-1] if self.id_ranges else None
        if isinstance(ids, range) and ids.step == 1 and ids:
            if last is not None and last.stop == ids.start:
                self.id_ranges[-1] = range(last.start, ids.stop)
            else:
                self.id_ranges.append(ids)
            return
        for expense_id in ids:
            self.add_id(expense_id)

    def created_ids(self) -> Iterator[int]:
        """The ids created, in order, one at a time."""
        for ids in self.id_ranges:
            yield from ids

    def to_json(self) -> dict[str, Any]:
        return {"imported": self.imported, "skipped": self.skipped,
                "created": self.created or {}, "dry_run": self.dry_run,
                "skipped_existing": self.skipped, "duplicates": self.duplicates,
                "income_skipped": self.income_skipped}  # fmt: skip


@dataclass(frozen=True)
class _Billed:
    """An invoiced row as the invoice rules read it (`rules.Billed`): not stored yet."""

    id: None
    billable: bool
    client: Ref | None
    currency: str


def _same_text(description: str) -> str:
    """A description as duplicates compare it: case-folded, whitespace collapsed."""
    return " ".join(description.casefold().split())


class _Rollback(Exception):
    """Ends a dry run: everything was validated, nothing is kept."""


class _Found:
    """domain/catalog's `find_*` remembered for one import: a million rows name the same
    few categories, clients and projects. Only what was found is kept (a miss raises again,
    worded as before); the projects are forgotten when --create-missing makes one (a record
    made never changes one found). A category's `unit_price` is the one in force when it
    was first found; compose prices each row at its own date (`price_on`), so that value
    never reaches a row."""

    def __init__(self) -> None:
        self.memo: dict[tuple[str | int | None, ...], Any] = {}
        self.finders = Finders(self.category, self.client, self.project)

    def category(self, store: Store, ref: str) -> Category:
        return self._memo(("category", ref), lambda: catalog.find_category(store, ref))

    def client(self, store: Store, ref: str) -> Client:
        return self._memo(("client", ref), lambda: catalog.find_client(store, ref))

    def project(self, store: Store, ref: str, client_id: int | None = None) -> Project:
        key = ("project", ref, client_id)
        return self._memo(key, lambda: catalog.find_project(store, ref, client_id=client_id))

    def _memo(self, key: tuple[str | int | None, ...], find: Callable[[], T]) -> T:
        found: T | None = self.memo.get(key)
        if found is None:
            found = self.memo[key] = find()
        return found


class _Importer:
    def __init__(
        self, store: Store, create_missing: bool, clock: Clock, typed: bool, date_format: str | None
    ) -> None:
        # Every row names the same few records: remember the lookups (forgotten on create).
        self.cache = CachedCatalog(store)
        self.store = cast(Store, self.cache)
        self.found = _Found()
        self.create_missing, self.clock = create_missing, clock
        self.typed, self.date_format = typed, date_format
        self.settings = load_settings(store)
        self.errors: dict[str, str] = {}
        self.result = ImportResult(created={"categories": [], "clients": [], "projects": []})
        self.seen_uids: set[str] = set()
        # Invoice ref → the (client, currency) pairs under it, in the book and in this file.
        self.invoices: dict[str, list[tuple[Ref | None, str]]] = {}
        self.verdicts: dict[tuple[bool, bool], dict[str, str]] = {}
        # (category, client, project) names → their ids, while no record is created.
        self.named: dict[tuple[str | None, ...], dict[str, str | None]] = {}
        self.creations = 0
        self.real = store
        self.load: BulkLoad | None = None
        self.pending: list[tuple[dict[str, Any], tuple[str, ...]]] = []
        self.pending_refs: dict[str, list[tuple[int | None, str]]] = {}
        self.pending_triples: dict[tuple[str, int, str], list[str]] = {}
        # The uids this import made up and the rows under each invoice ref: pending ones, or
        # all of them when the book held no expense before (then neither is looked up in the
        # book: it holds only what this import wrote).
        self.made_uids: set[str] = set()
        self.book_rows, self.empty_book = 0, False

    def begin(self, load: BulkLoad) -> None:
        """Inside the write transaction: valid rows wait in `pending` and are written
        `BATCH` at a time. What the checks read of the book (uids, duplicates, invoice
        refs) reads the pending rows too, so every row is judged as if each one before it
        had been written at once."""
        self.load = load
        (highest,) = self.real.conn.execute("SELECT max(id) FROM expenses").fetchone()
        self.book_rows = highest or 0  # the rows the book held, estimated by its highest id
        self.empty_book = highest is None

    def fail(self, line: int, issues: dict[str, str]) -> None:
        if not self.errors:  # the rows before the first bad one were written, as one by one
            self.flush()
        for field_name, message in issues.items():  # all of them: the user fixes them at once
            self.errors[f"line {line}.{field_name}"] = message

    def _created(self, kind: str, name: str) -> None:
        self.cache.forget()
        self.creations += 1
        self.named.clear()
        if kind == "projects":  # a name another client's project has may now be ambiguous
            self.found.memo = {k: v for k, v in self.found.memo.items() if k[0] != "project"}
        self.result.created[kind].append(name)  # type: ignore[index]

    @staticmethod
    def _create(field_name: str, make: Callable[[], Any], issues: Issues) -> bool:
        """`make()`; its errors recorded under the row's column (`name` is that column)."""
        return issues.attempt(make, rename={"name": field_name}) is not None

    def references(self, cells: dict[str, Any], issues: Issues) -> dict[str, str | None]:
        """Category, client and project by NAME only (never an id, even when all digits),
        as ids for `compose`. Unknown names are errors, or created with --create-missing.
        Names that were all found are remembered (until a record is created)."""
        key = (cells["category"], cells["client"], cells["project"])
        known = self.named.get(key)
        if known is not None:
            return dict(known)
        found = Issues()
        creations = self.creations
        refs = self._references(cells, found)
        if found:
            issues.merge(found.fields)
        elif creations == self.creations:
            self.named[key] = dict(refs)
        return refs

    def _references(self, cells: dict[str, Any], issues: Issues) -> dict[str, str | None]:
        category = self._category_id(cells, issues)
        client = self._client_id(cells, issues)
        project = self._project_id(cells, client, issues)
        return {"category": category, "client": client, "project": project}

    def _category_id(self, cells: dict[str, Any], issues: Issues) -> str | None:
        name = cells["category"]
        if name is None or not name.strip():
            return None  # rules or --default-category may fill it (`_autofill`)
        price = cells["unit_price"] if cells["units"] else None
        # a new unit category prices in the row's currency, so the row can use it
        currency = cells["currency"] if price else None
        return self._named_id("category", "categories", name, self.store.category_named,
            lambda: catalog.add_category(self.store, name, "unit" if price else None, price,
                                         unit_currency=currency), issues)  # fmt: skip

    def _client_id(self, cells: dict[str, Any], issues: Issues) -> str | None:
        name = cells["client"]
        if name is None or not name.strip():
            return None
        return self._named_id("client", "clients", name, self.store.client_named,
            lambda: catalog.add_client(self.store, name, cells["currency"]), issues)  # fmt: skip

    def _named_id(
        self, column: str, kind: str, name: str, named: Callable[[str], Any],
        make: Callable[[], Any], issues: Issues,
    ) -> str | None:  # fmt: skip
        """The id of the category or client called `name`; made first with --create-missing."""
        row = named(name.strip())
        if row is None and self.create_missing and self._create(column, make, issues):
            self._created(kind, name)
            row = named(name.strip())
        if row is None:
            issues.add(column, f"no {column} {name!r} (import with --create-missing)")
            return None
        return str(row["id"])

    def _project_id(self, cells: dict[str, Any], client: str | None, issues: Issues) -> str | None:
        name = cells["project"]
        if name is None or not name.strip():
            return None
        found = self.store.projects_named(name.strip())
        if client is not None and len(found) > 1:
            found = [row for row in found if str(row["client_id"]) == client] or found
        if not found and self.create_missing and client is not None:
            made = self._create(
                "project", lambda: catalog.add_project(self.store, name, client), issues
            )
            if made:
                self._created("projects", name)
                found = self.store.projects_named(name.strip())
        if len(found) > 1:
            issues.add(
                "project", f"project name {name!r} belongs to several clients: give the client"
            )
            return None
        if not found:
            hint = "a project needs its client" if self.create_missing else "--create-missing"
            issues.add("project", f"no project {name!r} ({hint})")
            return None
        return str(found[0]["id"])

    def row(self, line: int, row: dict[str, Any]) -> None:
        if "__error__" in row:
            self.fail(line, {"row": row["__error__"]})
            return
        if "__income__" in row:  # §10.4: the other sign, read for its sign only
            self.result.income_skipped += 1
            return
        issues = Issues()
        refused = row.get(INVALID)
        if not self.typed and isinstance(refused, dict):  # first: its message wins
            for key, message in refused.items():
                issues.add(str(key), str(message))
        cells = _cells(row, self.typed, issues)
        uid = cells["uid"]
        if uid is not None:
            # Trimmed before the look-up: a padded uid is the same expense, skipped.
            uid = issues.check("uid", text.clean_text, uid, UID_MAX)
            if uid is not None and (uid in self.seen_uids or self._stored(uid)):
                self.result.skipped += 1
                return
        refs = self.references(cells, issues)
        self._autofill(cells, refs, issues)  # rules, then --default-category (§10.4)
        values, tags = self._compose(cells, refs, issues)  # every bad field of the row
        if uid is not None:
            self.seen_uids.add(uid)
        if issues:
            self.fail(line, issues.fields)
            return
        if uid is None and self._duplicate(values) and not self.allow_duplicates:
            return
        if not self.errors:
            self._write(values, tags, uid)

    def _stored(self, uid: str) -> bool:
        """Whether an expense with this uid is in the book (or waits to be written)."""
        if uid in self.made_uids:
            return True
        return not self.empty_book and self.real.expense_id_for_uid(uid) is not None

    def _write(self, values: dict[str, Any], tags: tuple[str, ...], uid: str | None) -> None:
        stamp = self.clock.stamp
        if uid is None:
            uid = new_uid()
            self.made_uids.add(uid)
        values.update(uid=uid, updated_at=stamp)
        values.setdefault("created_at", stamp)
        self.pending.append((values, tags))
        self.result.imported += 1
        currency = values["currency"]
        ref = values.get("invoice_ref")
        if ref is not None and ref not in self.invoices:  # else its holders are known
            self.pending_refs.setdefault(ref, []).append((values.get("client_id"), currency))
        if values.get("deleted_at") is None:
            triple = (values["date"], values["amount_minor"], currency)
            self.pending_triples.setdefault(triple, []).append(values["description"])
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write the pending rows. A load at least as big as the book sets its indexes
        and kept totals aside first (derived once at the end: `BulkLoad`)."""
        if not self.pending:
            return
        written = self.result.imported
        if self.load is not None and written >= BULK_ROWS and written >= self.book_rows:
            self.load.suspend()
        self.result.add_ids(self.real.insert_expenses(self.pending))
        self.pending = []
        self.pending_triples.clear()
        if not self.empty_book:  # written: the book answers for them now
            self.made_uids.clear()
            self.pending_refs.clear()

    # bank statements (§10.4) -----------------------------------------------------------
    def statements(self, default_category: str | None, allow_duplicates: bool) -> None:
        """Load the rules once, resolve --default-category (exit 4 when unknown)."""
        from collections import Counter

        from expense_cli.domain import autorules

        self.rules = autorules.list_rules(self.store)
        self.default_category = None
        if default_category is not None:
            found = catalog.find_category(self.store, default_category, field="default_category")
            self.default_category = str(found.id)
        self.allow_duplicates = allow_duplicates
        self.book_counts: dict[tuple[str, int, str], Counter[str]] = {}
        self.file_counts: Counter[tuple[str, int, str, str]] = Counter()

    def _autofill(self, cells: dict[str, Any], refs: dict[str, str | None], issues: Issues) -> None:
        """The first matching rule fills what the row leaves empty; a row still without a
        category takes --default-category (§10.4, §10.10 item 8)."""
        from expense_cli.domain import autorules

        blank = cells["category"] is None or not cells["category"].strip()
        if self.rules:
            given = ExpenseInput(
                description=cells["description"], category=refs["category"] if not blank else None,
                label=cells["custom_category"], client=refs["client"], project=refs["project"],
                billable=cells["billable"], tags=tuple(cells["tags"]),
            )  # fmt: skip
            if blank or given.category is not None:  # not when the row's category is unknown
                rule = autorules.first_match(self.rules, cells["description"])
                filled = autorules.fill(self.store, rule, given)
                refs.update(category=filled.category, client=filled.client, project=filled.project)
                cells.update(custom_category=filled.label, billable=filled.billable,
                             tags=filled.tags)  # fmt: skip
        if blank and refs["category"] is None:
            refs["category"] = self.default_category
            if refs["category"] is None:
                issues.add("category", "a category is required (or give --default-category)")

    def _duplicate(self, values: dict[str, Any]) -> bool:
        """A row like a live expense (date, amount, currency, description ignoring case and
        spacing), counted by occurrence: the n-th such row of the file is a duplicate while
        the book held at least n of them before this import."""
        from collections import Counter

        from expense_cli.store import statements as sql

        triple = (values["date"], values["amount_minor"], values["currency"])
        if triple not in self.book_counts:
            found = sql.live_descriptions(self.real, *triple)
            found += self.pending_triples.get(triple, ())
            self.book_counts[triple] = Counter(_same_text(d) for d in found)
        description = _same_text(values["description"])
        key = (*triple, description)
        self.file_counts[key] += 1
        if self.file_counts[key] > self.book_counts[triple][description]:
            return False
        self.result.duplicates += 1
        return True

    def _date(self, value: str | None, issues: Issues) -> str | None:
        if value is None or self.date_format is None:
            return value or ""  # "": compose says a date is required
        return issues.check("date", _reformat, value, self.date_format)

    def _compose(
        self, cells: dict[str, Any], refs: dict[str, str | None], issues: Issues
    ) -> tuple[dict[str, Any], tuple[str, ...]]:
        category = None if refs["category"] is None else self._category(refs["category"])
        unit_based = category is not None and category.basis is Basis.UNIT
        amount = cells["amount"]
        inp = ExpenseInput(
            description=cells["description"] or "",
            amount=None if unit_based else amount,
            units=cells["units"],
            unit_price=cells["unit_price"],
            date=self._date(cells["date"], issues),
            time=cells["time"],
            category=refs["category"],
            label=cells["custom_category"],
            client=refs["client"],
            project=refs["project"],
            billable=cells["billable"],
            notes=cells["notes"],
            approval=issues.check("approval_status", _choice, Approval, cells["approval_status"]),
            reimbursement=issues.check(
                "reimbursement_status", _choice, Reimbursement, cells["reimbursement_status"]
            ),
            tags=cells["tags"],
            account=cells["account"],  # an empty cell: the book's default_account (§10.10)
            tax=cells["tax_rate"],  # reference §10.10 item 4: checked against each other
            tax_amount=cells["tax_amount"],
            original=cells["original_amount"],
            original_currency=cells["original_currency"],
        )
        composed = compose(self.store, self.settings, self.clock, inp, find=self.found.finders)
        issues.merge(composed.issues.fields)
        values = composed.values
        self._check_currency(cells, values, issues)
        if unit_based and amount is not None and values.get("amount_minor") is not None:
            rules.check_stated_amount(amount, values["amount_minor"], values["scale"], issues)
        self._billing(cells, values, issues)
        _money_columns(cells, values, issues)
        for key in ("created_at", "deleted_at"):  # kept as given (a deleted row stays deleted)
            if cells[key] is not None:
                stamp = issues.check(key, _timestamp, cells[key])
                if stamp is not None:
                    values[key] = stamp
        return values, composed.tags

    def _category(self, category_id: str) -> Any:
        try:
            return self.found.category(self.store, category_id)
        except ExpenseError:
            return None

    @staticmethod
    def _check_currency(cells: dict[str, Any], values: dict[str, Any], issues: Issues) -> None:
        currency = cells["currency"]
        if currency is not None and currency.strip().upper() != values.get("currency"):
            issues.add("currency", f"the row would be in {values.get('currency')}, not {currency}")

    def _billing(self, cells: dict[str, Any], values: dict[str, Any], issues: Issues) -> None:
        status = issues.check("billing_status", _choice, BillingStatus, cells["billing_status"])
        values["billing_status"] = (status or BillingStatus.NOT_INVOICED).value
        ref = cells["invoice_ref"]
        values["invoice_ref"] = issues.check("invoice_ref", text.invoice_ref, ref) if ref else None
        if status is BillingStatus.INVOICED:
            self._invoiced(values, issues)
            self._rebill(cells["rebill_amount"], values, issues)

    def _rebill(self, cell: str | None, values: dict[str, Any], issues: Issues) -> None:
        """§10.10 item 4: an invoiced row keeps its `rebill_amount` (in the row's currency
        digits); one without it is billed as `invoice` would bill it now, with its client's
        markup. A not-invoiced row carries none (its cell is ignored)."""
        values["invoiced_at"] = self.clock.stamp
        scale, minor = values.get("scale"), values.get("amount_minor")
        if cell is not None:
            if scale is not None:
                values["rebill_minor"] = issues.check("rebill_amount", parse_amount, cell, scale)
            return
        client = None if values.get("client_id") is None else self.store.client(values["client_id"])
        if minor is not None and client is not None:
            values["rebill_minor"] = rebill_minor(minor, client["markup_bp"])

    def _invoiced(self, values: dict[str, Any], issues: Issues) -> None:
        """An invoiced row obeys what `invoice` checks: rule 9 (billable, with a client) and,
        under a ref, one client and currency per invoice (§10.1 item 10), counting the
        book's expenses under that ref and the rows of this file before this one."""
        client_id = values.get("client_id")
        row = _Billed(None, bool(values.get("billable")), self._client_ref(client_id),
                      values["currency"])  # fmt: skip
        found = self._invoiceable(row)
        ref = values["invoice_ref"]
        if ref is not None:
            holders = self.invoices.get(ref)
            if holders is None:
                holders = self.invoices[ref] = self._holders(ref)
            pair = (row.client, row.currency)
            if any(held != pair for held in holders):  # else one client, one currency
                checked = Issues()
                checked.merge(found)
                rules.check_one_invoice(ref, holders, [row], checked)
                found = checked.fields
            if not found and pair not in holders:
                holders.append(pair)
        if found:
            issues.merge(found, rename={"ref": "invoice_ref"})

    def _invoiceable(self, row: _Billed) -> dict[str, str]:
        """Rule 9's verdict on a row, which depends on its billable flag and whether it has
        a client only: judged once for each (do not change the dict returned)."""
        key = (row.billable, row.client is None)
        verdict = self.verdicts.get(key)
        if verdict is None:
            found = Issues()
            rules.check_invoiceable([row], found)
            verdict = self.verdicts[key] = found.fields
        return verdict

    def _holders(self, ref: str) -> list[tuple[Ref | None, str]]:
        """The (client, currency) pairs under invoice `ref`: the book's and pending rows'."""
        holders = set() if self.empty_book else set(records.invoice_holders(self.real, ref))
        for client_id, currency in self.pending_refs.pop(ref, ()):
            holders.add((self._client_ref(client_id), currency))
        return list(holders)

    def _client_ref(self, client_id: int | None) -> Ref | None:
        return None if client_id is None else self._client(client_id)  # `found` remembers

    def _client(self, client_id: int) -> Ref | None:
        try:
            return self.found.client(self.store, str(client_id)).ref
        except ExpenseError:
            return None


def import_rows(
    store: Store,
    records: Iterable[Row],
    *,
    create_missing: bool = False,
    dry_run: bool = False,
    clock: Clock | None = None,
    progress: Callable[[int], None] | None = None,
    typed: bool = False,
    date_format: str | None = None,
    default_category: str | None = None,
    allow_duplicates: bool = False,
) -> ImportResult:
    """Validate every row; write all of them, or nothing if any row is bad (or dry run).
    `typed`: JSON rows, whose values must have their JSON types (CSV cells are all text)."""
    store.for_bulk_work()
    importer = _Importer(store, create_missing, clock or Clock(), typed, date_format)
    try:
        with _collector_paused(), store.write(), store.search_indexed_at_end() as load:
            importer.begin(load)
            importer.statements(default_category, allow_duplicates)
            _read_all(importer, records, progress)
            importer.flush()
            if importer.errors:
                count = len(importer.errors)
                raise ValidationError(
                    importer.errors, f"import failed ({count} problems); nothing was imported"
                )
            if dry_run:
                raise _Rollback
    except _Rollback:
        importer.result.dry_run = True
        importer.result.id_ranges.clear()  # rolled back: those ids were never kept
    return importer.result


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while an import runs: its rows make no reference
    cycles, and each collection would walk every uid and invoice ref remembered so far
    (7 % of a million-row import). Reference counting still frees every row."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_all(
    importer: _Importer, records: Iterable[Row], progress: Callable[[int], None] | None
) -> None:
    """Every row to the importer; an unreadable stretch of the file ends the reading, with
    the problems found before it kept."""
    try:
        for line, record in records:
            if not isinstance(record, dict):
                importer.fail(line, {"row": "expected an object"})
                continue
            importer.row(line, record)
            if progress is not None:
                progress(1)
    except Unreadable as exc:
        importer.fail(exc.line, {"row": exc.message})


def _money_columns(cells: dict[str, Any], values: dict[str, Any], issues: Issues) -> None:
    """`net_amount` must be the amount less the tax; `amount_from_rate` is kept on a row
    that carries its original (reference §10.6, §10.7, §10.10 item 4)."""
    net, amount = cells["net_amount"], values.get("amount_minor")
    if net is not None and amount is not None and "tax_amount" not in issues.fields:
        stated = issues.check("net_amount", parse_amount, net, values["scale"])
        expected = amount - (values.get("tax_minor") or 0)
        if stated is not None and stated != expected:
            issues.add(
                "net_amount",
                f"does not equal amount − tax ({format_minor(expected, values['scale'])})",
            )
    if cells["amount_from_rate"] and values.get("original_minor") is not None:
        values["amount_from_rate"] = 1
