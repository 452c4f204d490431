"""`db check` and `db backup`: the file's integrity and the book's own invariants."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from expense_cli.domain.money import units_amount
from expense_cli.errors import ConflictError, ValidationError
from expense_cli.store import Store


def check(store: Store) -> dict[str, int]:
    """Every problem found, as one `ValidationError` (exit 4); counts when clean."""
    problems: dict[str, str] = {}
    with store.read():
        for number, message in enumerate(store.integrity_problems(), start=1):
            problems[f"integrity {number}"] = message
        for row in store.link_problems():
            problems[f"expense {row['id']}.{row['field']}"] = row["problem"]
        checked = 0
        for row in store.unit_rows():
            checked += 1
            expected = units_amount(Decimal(row["units"]), Decimal(row["unit_price"]), row["scale"])
            if expected != row["amount_minor"]:
                problems[f"expense {row['id']}.amount"] = "does not equal units × unit price"
        counts = store.counts()
    if problems:
        raise ValidationError(problems, f"the book has {len(problems)} problem(s)")
    return {**counts, "unit_based_checked": checked}


def backup(
    store: Store,
    dest: Path,
    *,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """A consistent online copy, even while another process writes; DEST is replaced only
    with `force`."""
    if dest.exists() and not force:
        raise ConflictError(f"{dest} exists; use --force to replace it", {"dest": "exists"})
    if dest.is_dir():
        raise ConflictError(f"{dest} is a directory", {"dest": "is a directory"})
    store.backup_to(dest, progress)
    return dest
