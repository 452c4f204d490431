"""`db check`, `db backup` and `export -o`: the file's integrity, the book's own invariants,
and the files written from it (never onto the book itself: see `store.files`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TypeVar

from expense_cli.domain.book import setting_problems
from expense_cli.domain.money import units_amount
from expense_cli.domain.text import stored_text_problem
from expense_cli.errors import (
    ConflictError,
    DamagedBookError,
    DatabaseUnavailableError,
    ValidationError,
)
from expense_cli.store import Store, files

T = TypeVar("T")


@dataclass
class Findings:
    """What the checks found: problems by field (`expense 3.amount`), counts when clean."""

    problems: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


Check = Callable[[Store, Findings], None]


def _integrity(store: Store, found: Findings) -> None:
    for number, message in enumerate(store.integrity_problems(), start=1):
        found.problems[f"integrity {number}"] = message


def _links(store: Store, found: Findings) -> None:
    for row in store.link_problems():
        found.problems[f"expense {row['id']}.{row['field']}"] = row["problem"]


def _unit_amounts(store: Store, found: Findings) -> None:
    rows = store.unit_rows()
    for row in rows:
        expected = units_amount(Decimal(row["units"]), Decimal(row["unit_price"]), row["scale"])
        if expected != row["amount_minor"]:
            found.problems[f"expense {row['id']}.amount"] = "does not equal units × unit price"
    found.counts["unit_based_checked"] = len(rows)


def _settings(store: Store, found: Findings) -> None:
    for key, why in setting_problems(store.settings()).items():
        found.problems[f"setting {key}"] = why


# What a problem in stored text is filed under, and the columns with looser or stricter
# rules: notes keep newlines and tabs (rule 17); names and tags hold no invisible
# characters (§10.1 item 24).
_RECORD = {"expenses": "expense", "categories": "category", "clients": "client",
           "projects": "project", "expense_tags": "expense"}  # fmt: skip
_MULTILINE = frozenset({("expenses", "notes")})
_NAMES = frozenset({("categories", "name"), ("categories", "unit_name"), ("clients", "name"),
                    ("projects", "name"), ("expense_tags", "tag")})  # fmt: skip


def _stored_text(store: Store, found: Findings) -> None:
    """Text an old or tampered file holds that the rules would refuse (§10.1 item 20)."""
    for table, row_id, column, value in store.unusual_text():
        where = (table, column)
        problem = stored_text_problem(value, multiline=where in _MULTILINE, hidden=where in _NAMES)
        if problem is not None:
            found.problems[f"{_RECORD.get(table, table)} {row_id}.{column}"] = problem


def _receipt_bytes(store: Store, found: Findings) -> None:
    """Every stored receipt blob still hashes to its SHA-256 (reference §10.2)."""
    from expense_cli.domain.receipts import blob_problems

    checked = 0
    for sha256, problem in blob_problems(store):
        checked += 1
        if problem:
            found.problems[f"receipt bytes {sha256}"] = problem
    found.counts["receipt_blobs_checked"] = checked


def _kept_totals(store: Store, found: Findings) -> None:
    """The sums reports and `invoices` read (kept by triggers) equal the expenses' own."""
    for table in store.kept_totals_problems():
        found.problems[f"kept totals {table}"] = "do not match the expenses they sum"


# Each runs inside one read snapshot, in order; a new invariant is one more function here.
CHECKS: list[Check] = [
    _integrity,
    _links,
    _unit_amounts,
    _settings,
    _stored_text,
    _receipt_bytes,
    _kept_totals,
]


def check(store: Store) -> dict[str, int]:
    """Every problem found, as one `ValidationError` (exit 4); counts when clean. A book
    that does not exist is exit 6: nothing to check, and nothing is created to check."""
    if not store.on_disk:
        raise DatabaseUnavailableError(f"cannot check the book at {store.path}: it does not exist")
    found = Findings()
    counts: dict[str, int] | None = None
    with store.read():  # one snapshot: writers beside us neither block it nor show in it
        for run in CHECKS:
            _readable(store, found, partial(run, store, found))
        if not found.problems:
            counts = _readable(store, found, store.counts)
    # FTS5 checks its index only as a write statement: in a transaction of its own.
    for number, message in enumerate(store.search_index_problems(), start=1):
        found.problems[f"search index {number}"] = message
    if found.problems or counts is None:
        problems = found.problems
        raise ValidationError(problems, f"the book has {len(problems)} problem(s)")
    return {**counts, **found.counts}


def _readable(store: Store, found: Findings, read: Callable[[], T]) -> T | None:
    """A page too damaged to read is one problem found; the other checks still run."""
    try:
        return store.guarded(read)
    except DamagedBookError:
        name = getattr(getattr(read, "func", read), "__name__", "check").strip("_")
        found.problems[f"damaged {name}"] = "a damaged page stopped this check"
        return None


def backup(
    store: Store,
    dest: Path,
    *,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """A consistent online copy, even while another process writes; DEST is replaced only
    with `force` (a symlink there too: it is replaced, never followed). The book itself, a
    folder that does not exist or a special file is a usage error whatever `force` says."""
    if files.check_destination(dest, store.path) and not force:
        raise ConflictError(f"{dest} exists; use --force to replace it", {"dest": "exists"})
    store.backup_to(dest, progress)
    return dest
