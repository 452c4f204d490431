"""`demo`: a new, empty book filled with a believable year of a freelancer's expenses."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from expense_cli.domain import catalog
from expense_cli.domain.compose import Clock
from expense_cli.domain.expenses import add_expense, invoice
from expense_cli.domain.inputs import ExpenseInput
from expense_cli.errors import ConflictError
from expense_cli.store import Store
from expense_cli.store.connection import discard_book

_MONTHLY = (
    ("Coworking membership", "Rent", "189.00", None, None),
    ("Cloud hosting", "Software", "42.50", "Acme GmbH", "Website relaunch"),
    ("Mobile phone plan", "Utilities", "35.00", None, None),
    ("Design tool subscription", "Software", "14.99", None, None),
)
_OCCASIONAL = (
    ("Train to client workshop", "Travel", (40, 160), "Acme GmbH", "Website relaunch"),
    ("Lunch with client", "Meals", (18, 75), "Globex Corp", "Data pipeline"),
    ("Hotel, two nights", "Travel", (180, 420), "Globex Corp", "Data pipeline"),
    ("Conference ticket", "Marketing", (90, 600), None, None),
    ("USB-C dock", "Equipment", (60, 240), None, None),
    ("Freelance illustrator", "Contractors", (300, 1200), "Acme GmbH", "Brand refresh"),
    ("Business cards", "Marketing", (25, 90), None, None),
)
_TAGS = ("client-visit", "recurring", "tax-deductible", "q-review")


def discard(path: Path) -> None:
    """The demo book starts afresh on every `expense demo`."""
    discard_book(path)


def fill(store: Store, today: date, progress: Callable[[int], None] | None = None) -> int:
    """Add sample clients (EUR and USD), projects, a unit-based category and a year of
    expenses to an empty book, in one transaction; a non-empty book is refused (exit 5)."""
    rnd = random.Random(2026)
    clock = Clock()
    with store.write():
        if not store.is_empty():
            raise ConflictError(
                "demo fills only a new, empty book; use --db with a new path",
                {"db": "not empty"},
            )
        catalog.add_client(store, "Acme GmbH", "EUR")
        catalog.add_client(store, "Globex Corp", "USD")
        catalog.add_project(store, "Website relaunch", "Acme GmbH")
        catalog.add_project(store, "Brand refresh", "Acme GmbH")
        catalog.add_project(store, "Data pipeline", "Globex Corp")
        catalog.add_category(store, "Mileage", "km", "0.58")
        added = 0
        start = today - timedelta(days=364)
        for month in range(12):
            first = (start.replace(day=1) + timedelta(days=32 * month)).replace(day=1)
            for description, category, amount, client, project in _MONTHLY:
                inp = ExpenseInput(
                    description=description, amount=amount, category=category,
                    date=min(first + timedelta(days=2), today).isoformat(), client=client,
                    project=project, billable=project is not None, tags=("recurring",),
                )  # fmt: skip
                add_expense(store, inp, clock=clock)
                added += 1
            for _ in range(rnd.randint(5, 9)):
                description, category, (low, high), client, project = rnd.choice(_OCCASIONAL)
                day = min(first + timedelta(days=rnd.randint(0, 27)), today)
                amount = f"{rnd.randint(low, high)}.{rnd.randint(0, 99):02d}"
                inp = ExpenseInput(
                    description=description, amount=amount, category=category,
                    date=day.isoformat(), client=client, project=project,
                    billable=project is not None, tags=tuple(rnd.sample(_TAGS, rnd.randint(0, 2))),
                )  # fmt: skip
                add_expense(store, inp, clock=clock)
                added += 1
            drive = ExpenseInput(
                description="Drive to client site", units=str(rnd.randint(40, 260)),
                category="Mileage", date=min(first + timedelta(days=10), today).isoformat(),
                notes="Round trip, logged in the car's book",
            )  # fmt: skip
            add_expense(store, drive, clock=clock)
            added += 1
            if progress is not None:
                progress(1)
        billed: dict[int | None, list[int]] = {}  # one invoice per client
        for row in store.billable_before(today - timedelta(days=60)):
            billed.setdefault(row["client_id"], []).append(row["id"])
        for number, ids in enumerate(billed.values(), start=1):
            invoice(store, ids, ref=f"INV-DEMO-{number:03d}", clock=clock)
    return added
