"""Benchmark `expense list` and `expense show` on a realistic book (reference §3, §8).

    python benchmarks/bench_list.py [--rows N] [--runs K] [--out FILE]

Builds (or reuses) a book of N expenses, times the installed `expense` as whole processes
against `expense --version` in the same rounds, times the same `list_page` calls in process,
checks every case's query plans, and writes the tables into docs/performance-tables.md.
The method is in benchmarks/README.md. No ANALYZE: the app never runs it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import accumulate
from pathlib import Path
from typing import Any

from expense_cli.domain.listing import (
    Filters,
    Paging,
    build_query,
    decode_cursor,
    encode_cursor,
    list_page,
    parse_sort,
)
from expense_cli.store import Store
from expense_cli.store.listing import SORT_COLUMNS, build_select, index_for
from expense_cli.store.schema import FIRST_PRICE_FROM, KEPT_TOTALS

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "_data"
TABLES = ROOT / "docs" / "performance-tables.md"
GENERATOR_VERSION = 5  # bump when the generated rows change: old books are rebuilt
SEED = 20261121
BATCH = 50_000
BAR = 1.5  # reference §8: list and show within 1.5x of `expense --version`
LIMIT = 50  # the default page size: what `list --json` returns
QUERY_FLAG_MS = 50  # a query that alone eats this much of the ~0.5x headroom is flagged
GROWTH_MIN_ROWS = 100_000  # smaller runs are smoke tests: kept out of the growth table

# --- the book's contents -------------------------------------------------------------------
START = datetime(2021, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)  # 5 years of expenses, created in order
CATEGORIES = (  # name, share of rows, median amount in USD
    ("Meals", 18, 25), ("Travel", 15, 150), ("Software", 12, 50), ("Mileage", 10, 0),
    ("Services", 9, 500), ("Contractors", 8, 1500), ("Marketing", 7, 300),
    ("Equipment", 6, 400), ("Utilities", 5, 120), ("Other", 4, 60), ("Rent", 3, 2000),
    ("Salaries", 3, 4000),
)  # fmt: skip
MILEAGE_PRICE = Decimal("0.58")
DESCRIPTIONS = {
    "Meals": ("Lunch with {person}", "Team lunch at {place}", "Dinner with {person} in {city}",
              "Coffee with {person}", "Breakfast meeting in {city}"),
    "Travel": ("Taxi to {city} airport", "Train to {city}", "Flight to {city}",
               "Hotel in {city}", "Rental car in {city}", "Parking at {city} station"),
    "Software": ("{saas} subscription", "{saas} annual plan", "{saas} seats",
                 "Domain renewal for {client}"),
    "Mileage": ("Drive to {client}", "Drive to {city}", "Site visit in {city}"),
    "Services": ("Accountant fee", "Legal review for {client}", "Translation for {client}",
                 "Bookkeeping {month}"),
    "Contractors": ("{person} design work", "{person} development sprint",
                    "Copywriting by {person}"),
    "Marketing": ("Ads for {client}", "Print flyers", "Conference booth in {city}",
                  "Newsletter tool"),
    "Equipment": ("Laptop stand", "Monitor for home office", "Keyboard", "Camera",
                  "Headset"),
    "Utilities": ("Electricity {month}", "Internet {month}", "Phone plan {month}"),
    "Other": ("Coworking day pass in {city}", "Bank fees {month}", "Postage",
              "Training course", "Insurance {month}"),
    "Rent": ("Office rent {month}", "Studio rent {month}"),
    "Salaries": ("Salary {person} {month}", "Assistant payroll {month}"),
}  # fmt: skip
OTHER_LABELS = ("Coworking", "Bank fees", "Postage", "Training", "Insurance")
RARE_DESCRIPTION = "Zeppelin museum tickets"  # ~2 rows in 100,000: the rare search word
RARE_SHARE = 2e-5
PERSONS = ("Anna", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hiro", "Ines",
           "Jonas", "Kofi", "Lena", "Mateo", "Nora", "Omar", "Priya")  # fmt: skip
CITIES = ("Berlin", "Paris", "Lisbon", "Tokyo", "Osaka", "Boston", "Denver", "Madrid",
          "Vienna", "Prague", "Austin", "Seattle", "Milan", "Dublin", "Oslo")  # fmt: skip
PLACES = ("Cafe Central", "the noodle bar", "the deli", "Bistro Nord")
SAAS = ("GitHub", "Figma", "Notion", "Slack", "AWS", "Dropbox", "Adobe", "Zoom", "Linear")
NOTES = ("Paid with company card", "Receipt scanned", "Split with {person}",
         "Reimburse via payroll", "See email from {person}", "Booked through agency in {city}",
         "Includes tip", "VAT receipt missing")  # fmt: skip
CLIENT_STEMS = ("Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli",
                "Vandelay", "Wonka", "Tyrell", "Cyberdyne", "Soylent", "Oscorp", "Monarch",
                "Gringotts", "Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware")  # fmt: skip
CLIENT_SUFFIXES = ("Ltd", "GmbH", "Inc", "KK", "SA", "BV", "LLC", "AG", "Co", "Group")
PROJECT_TOPICS = ("Website", "Mobile app", "Rebrand", "Audit", "Migration", "Campaign",
                  "Research", "Workshop")  # fmt: skip
TAGS = (("recurring", 20), ("client-visit", 12), ("conference", 8), ("urgent", 8),
        ("remote", 6), ("hardware", 5), ("cloud", 5), ("team", 5), ("training", 4),
        ("q-review", 3))  # fmt: skip
LONG_TAIL_TAGS = 300  # proj-001 … proj-300 share the rest
RARE_TAG = "audit-2023"  # ~3 rows in 100,000
RARE_TAG_SHARE = 3e-5
CURRENCIES = (("USD", 2, 1), ("EUR", 2, 1), ("JPY", 0, 150))  # code, minor digits, per USD


def _stamp(moment: datetime) -> str:
    """UTC ISO 8601 with microseconds and `Z`, as the app writes (strftime is slower)."""
    return moment.isoformat(timespec="microseconds")[:26] + "Z"


def _check_vocabulary() -> None:
    """The rare search words must be rare: nothing else may contain them."""
    words = [*PERSONS, *CITIES, *PLACES, *SAAS, *NOTES, *CLIENT_STEMS, *CLIENT_SUFFIXES,
             *OTHER_LABELS, *(t for ts in DESCRIPTIONS.values() for t in ts)]  # fmt: skip
    for word in words:
        for rare in ("ze", "zeppelin"):
            assert rare not in word.lower(), (word, rare)


@dataclass
class Catalog:
    category_ids: dict[str, int]
    clients: list[tuple[int, str, str]]  # id, name, currency
    client_weights: list[float]
    projects_by_client: dict[int, list[tuple[int, float]]]  # client id -> (project, weight)


def _insert_catalog(conn: sqlite3.Connection, rng: random.Random) -> Catalog:
    conn.execute(
        "INSERT INTO categories (name, name_key, basis, unit_name, unit_price, unit_currency, "
        "default_approval, default_reimbursement) "
        "VALUES ('Mileage', 'mileage', 'unit', 'km', ?, 'USD', 'pending', 'pending')",
        [str(MILEAGE_PRICE)],
    )
    conn.execute(  # the price itself lives in unit_prices (reference §10.1 item 2)
        "INSERT INTO unit_prices (category_id, starts, price) "
        "SELECT id, ?, unit_price FROM categories WHERE name = 'Mileage'",
        [FIRST_PRICE_FROM],
    )
    category_ids = dict(conn.execute("SELECT name, id FROM categories"))
    names = [f"{stem} {suffix}" for suffix in CLIENT_SUFFIXES for stem in CLIENT_STEMS]
    clients = []
    for name in names:
        code = rng.choices(["USD", "EUR", "JPY"], [65, 25, 10])[0]
        cur = conn.execute(
            "INSERT INTO clients (name, name_key, currency) VALUES (?, ?, ?)",
            [name, name.casefold(), code],
        )
        clients.append((int(cur.lastrowid or 0), name, code))
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(clients))]
    rng.shuffle(weights)
    projects: dict[int, list[tuple[int, float]]] = {c[0]: [] for c in clients}
    for number in range(1, 1001):
        owner = clients[number - 1][0] if number <= len(clients) else rng.choices(
            clients, weights)[0][0]  # fmt: skip
        name = f"{PROJECT_TOPICS[number % len(PROJECT_TOPICS)]} {number:04d}"
        cur = conn.execute(
            "INSERT INTO projects (name, name_key, client_id) VALUES (?, ?, ?)",
            [name, name.casefold(), owner],
        )
        rank = len(projects[owner])
        projects[owner].append((int(cur.lastrowid or 0), 1 / (rank + 1)))
    return Catalog(category_ids, clients, weights, projects)


class RowMaker:
    """Deterministic, realistic expense rows in created order (id = position + 1)."""

    def __init__(self, rows: int, catalog: Catalog, rng: random.Random) -> None:
        self.rows, self.cat, self.rng = rows, catalog, rng
        self.span = (END - START).total_seconds()
        # cumulative weights, computed once: `choices` would redo them on every call
        self.category_names = [c[0] for c in CATEGORIES]
        self.category_cum = list(accumulate(c[1] for c in CATEGORIES))
        self.client_cum = list(accumulate(catalog.client_weights))
        self.projects = {
            client: ([p for p, _ in own], list(accumulate(w for _, w in own)))
            for client, own in catalog.projects_by_client.items()
        }
        self.months: dict[tuple[int, int], str] = {}
        self.medians = {c[0]: c[2] for c in CATEGORIES}
        self.currency = {code: (digits, rate) for code, digits, rate in CURRENCIES}
        tail = [f"proj-{n:03d}" for n in range(1, LONG_TAIL_TAGS + 1)]
        self.tags = [t for t, _ in TAGS] + tail
        tail_weights = [20 / LONG_TAIL_TAGS] * LONG_TAIL_TAGS
        self.tag_cum = list(accumulate([w for _, w in TAGS] + tail_weights))

    def row(self, position: int) -> tuple[tuple[Any, ...], list[str]]:
        rng = self.rng
        created = START + timedelta(seconds=self.span * (position + rng.random()) / self.rows)
        category = rng.choices(self.category_names, cum_weights=self.category_cum)[0]
        client = project = None
        code = "USD"
        if rng.random() < 0.75:
            client_id, client_name, code = rng.choices(self.cat.clients,
                                                       cum_weights=self.client_cum)[0]  # fmt: skip
            client = (client_id, client_name)
            own, cum = self.projects[client_id]
            if own and rng.random() < 0.7:
                project = rng.choices(own, cum_weights=cum)[0]
        if category == "Mileage" and code != "USD":
            category = "Travel"  # the unit price is in USD: a row must be in its currency
        digits, rate = self.currency[code]
        amount, units, unit_price = self._amount(category, digits, rate)
        description = self._text(rng.choice(DESCRIPTIONS[category]), created, client)
        if rng.random() < RARE_SHARE:
            description = RARE_DESCRIPTION
        billable = int(client is not None and rng.random() < 0.6)
        invoiced = billable and created < END - timedelta(days=60) and rng.random() < 0.8
        updated = created
        invoice_ref = None
        if invoiced:  # one invoice per client and month, as a freelancer bills
            updated = created + timedelta(days=rng.uniform(20, 60))
            invoice_ref = f"INV-{updated:%Y%m}-{client_id:03d}"
        elif rng.random() < 0.15:
            updated = min(created + timedelta(days=rng.expovariate(1 / 10)), END)
        deleted = None
        if rng.random() < 0.01:
            updated = min(updated + timedelta(days=rng.uniform(0, 30)), END)
            deleted = _stamp(updated)
        values = (
            position + 1, str(uuid.UUID(int=rng.getrandbits(128), version=4)), description,
            self._date(created), self._time(), amount, code, digits, units, unit_price,
            self.cat.category_ids[category],
            rng.choice(OTHER_LABELS) if category == "Other" else None,
            client and client[0], project, billable,
            "invoiced" if invoiced else "not_invoiced", invoice_ref, self._approval(category),
            self._reimbursement(category),
            self._text(rng.choice(NOTES), created, client) if rng.random() < 0.15 else None,
            _stamp(created), _stamp(updated), deleted,
            # release 2: rebill amount and time of invoicing, tax on a third (19 %, inside
            # the gross amount), a foreign original on 2 % (paid in GBP)
            amount if invoiced else None, _stamp(updated) if invoiced else None,
            *self._tax(amount), *self._original(amount, rate),
        )  # fmt: skip
        return values, self._tags()

    def _tax(self, amount: int) -> tuple[str | None, int | None]:
        if self.rng.random() < 1 / 3:
            return "19", (amount * 19 * 2 + 119) // (119 * 2)  # ~half-up; any tax is valid
        return None, None

    def _original(self, amount: int, rate: int) -> tuple[int | None, str | None]:
        if self.rng.random() < 0.02:
            return max(1, amount * 4 // 5 // rate), "GBP"
        return None, None

    def _amount(self, category: str, digits: int, rate: int) -> tuple[int, str | None, str | None]:
        rng = self.rng
        if category == "Mileage":
            units = Decimal(rng.randint(20, 4000)).scaleb(-1).normalize()
            product = (units * MILEAGE_PRICE).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_EVEN)
            return int(product.scaleb(digits)), f"{units:f}", str(MILEAGE_PRICE)
        value = self.medians[category] * rate * math.exp(rng.gauss(0, 0.9))
        return max(1, min(round(value * 10**digits), 10**12)), None, None

    def _text(self, template: str, created: datetime, client: tuple[int, str] | None) -> str:
        rng = self.rng
        return template.format(
            person=rng.choice(PERSONS), city=rng.choice(CITIES), place=rng.choice(PLACES),
            saas=rng.choice(SAAS), month=self._month(created),
            client=client[1] if client else rng.choice(CITIES),
        )  # fmt: skip

    def _month(self, moment: datetime) -> str:
        key = (moment.year, moment.month)
        if key not in self.months:
            self.months[key] = moment.strftime("%B %Y")
        return self.months[key]

    def _date(self, created: datetime) -> str:
        """Spent a little before it was entered; a few are back-filled months later."""
        draw = self.rng.random()
        lag = self.rng.randint(0, 3) if draw < 0.7 else self.rng.randint(4, 30)
        if draw > 0.97:
            lag = self.rng.randint(31, 365)
        return (created - timedelta(days=lag)).date().isoformat()

    def _time(self) -> str | None:
        rng = self.rng
        return f"{rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}" if rng.random() < 0.4 else None

    def _approval(self, category: str) -> str:
        draw = self.rng.random()
        pending = 0.3 if category == "Mileage" else 0.02
        return "pending" if draw < pending else "rejected" if draw > 0.98 else "approved"

    def _reimbursement(self, category: str) -> str:
        draw = self.rng.random()
        if category == "Mileage":
            return "pending" if draw < 0.2 else "reimbursed"
        return ("pending" if draw < 0.02 else "reimbursed" if draw < 0.2
                else "rejected" if draw > 0.99 else "not_reimbursable")  # fmt: skip

    def _tags(self) -> list[str]:
        rng = self.rng
        chosen: dict[str, str] = {}
        if rng.random() < 1 / 3:
            count = rng.choices([1, 2, 3], [60, 30, 10])[0]
            for tag in rng.choices(self.tags, cum_weights=self.tag_cum, k=count):
                chosen.setdefault(tag, tag.title() if rng.random() < 0.1 else tag)
        if rng.random() < RARE_TAG_SHARE:
            chosen.setdefault(RARE_TAG, RARE_TAG)
        return sorted(chosen.values(), key=str.casefold)


# --- building the book ---------------------------------------------------------------------
def _schema(conn: sqlite3.Connection) -> set[tuple[str, str, str, str]]:
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql NOT NULL")
    return {tuple(row) for row in rows}


def _reference_schema() -> tuple[set[tuple[str, str, str, str]], int]:
    """What `Store.open` makes of an empty file today (the schema may be changing)."""
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "reference.db")
        try:
            version = int(store.conn.execute("PRAGMA user_version").fetchone()[0])
            return _schema(store.conn), version
        finally:
            store.close()


def _deferred(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """Indexes and triggers on the tables we fill: dropped for the insert, then recreated."""
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
        "AND tbl_name IN ('expenses', 'expense_tags') AND sql NOT NULL ORDER BY rowid"
    )
    return [tuple(row) for row in rows]


def _fts_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
        "AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%'"
    ).fetchall()
    for name, sql in rows:
        if not re.search(r"content\s*=\s*'expenses'", sql):
            raise SystemExit(f"{name} is not an external-content index of expenses: "
                             "the fast build does not know how to fill it")  # fmt: skip
    return [name for name, _ in rows]


def _insert_rows(conn: sqlite3.Connection, maker: RowMaker, rows: int) -> None:
    marks = ", ".join("?" for _ in range(29))
    expense_sql = (
        "INSERT INTO expenses (id, uid, description, date, time, amount_minor, currency, "
        "scale, units, unit_price, category_id, custom_category, client_id, project_id, "
        "billable, billing_status, invoice_ref, approval_status, reimbursement_status, "
        "notes, created_at, updated_at, deleted_at, rebill_minor, invoiced_at, tax_rate, "
        f"tax_minor, original_minor, original_currency) VALUES ({marks})"
    )
    tag_sql = "INSERT INTO expense_tags (expense_id, tag, tag_key) VALUES (?, ?, ?)"
    started = time.perf_counter()
    for first in range(0, rows, BATCH):
        expenses: list[tuple[Any, ...]] = []
        tags: list[tuple[int, str, str]] = []
        for position in range(first, min(first + BATCH, rows)):
            values, row_tags = maker.row(position)
            expenses.append(values)
            tags.extend((position + 1, tag, tag.casefold()) for tag in row_tags)
        conn.executemany(expense_sql, expenses)
        conn.executemany(tag_sql, tags)
        done = min(first + BATCH, rows)
        print(f"  rows {done:>9,} / {rows:,}  {time.perf_counter() - started:6.1f} s", flush=True)


def build_book(path: Path, rows: int) -> float:
    """Create the book at `path` (atomically, via a temporary name); returns seconds."""
    _check_vocabulary()
    started = time.perf_counter()
    building = path.with_name(path.name + ".building")
    for leftover in (building, *(Path(f"{building}{s}") for s in ("-wal", "-shm", "-journal"))):
        leftover.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"building {path} with {rows:,} expenses", flush=True)
    store = Store.open(building)  # the real schema, by the real migrations
    conn = store.conn
    rng = random.Random(SEED)
    with store.write():
        catalog = _insert_catalog(conn, rng)
    deferred = _deferred(conn)
    fts = _fts_tables(conn)
    # A throw-away file until renamed: no journal, no fsync, a big page cache.
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -2000000")
    conn.execute("BEGIN")
    for kind, name, _ in reversed(deferred):
        conn.execute(f'DROP {kind.upper()} "{name}"')
    _insert_rows(conn, RowMaker(rows, catalog, rng), rows)
    for kind, name, sql in deferred:
        step = time.perf_counter()
        conn.execute(sql)
        print(f"  {kind} {name}: {time.perf_counter() - step:.1f} s", flush=True)
    for name in fts:
        step = time.perf_counter()
        conn.execute(f"INSERT INTO {name}({name}) VALUES ('rebuild')")
        print(f"  {name} rebuild: {time.perf_counter() - step:.1f} s", flush=True)
    for table, fill in ((kept.table, kept.fill) for kept in KEPT_TOTALS):  # triggers were off
        step = time.perf_counter()
        conn.execute(f"DELETE FROM {table}")
        conn.execute(fill)
        print(f"  {table} filled: {time.perf_counter() - step:.1f} s", flush=True)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = WAL")
    _verify_book(conn, rows)
    store.close()
    building.rename(path)
    seconds = time.perf_counter() - started
    print(f"built in {seconds:.1f} s", flush=True)
    return seconds


def _verify_book(conn: sqlite3.Connection, rows: int) -> None:
    reference, version = _reference_schema()
    mine = _schema(conn)
    if mine != reference:
        missing, extra = sorted(reference - mine), sorted(mine - reference)
        raise SystemExit(f"schema differs from a fresh book:\nmissing {missing}\nextra {extra}")
    if int(conn.execute("PRAGMA user_version").fetchone()[0]) != version:
        raise SystemExit("user_version differs from a fresh book")
    count = conn.execute("SELECT count(*) FROM expenses").fetchone()[0]
    indexed = conn.execute("SELECT count(*) FROM expense_search_docsize").fetchone()[0]
    if count != rows or indexed != rows:
        raise SystemExit(f"expected {rows} rows, found {count} (search index: {indexed})")
    word = conn.execute(
        "SELECT count(*) FROM expense_search WHERE expense_search MATCH '\"zeppelin\"'"
    ).fetchone()[0]
    scanned = conn.execute(
        "SELECT count(*) FROM expenses WHERE instr(lower(description), 'zeppelin')"
    ).fetchone()[0]
    if word != scanned:
        raise SystemExit(f"search index finds {word} rows, a scan finds {scanned}")
    days = conn.execute("SELECT sum(n) FROM day_totals").fetchone()[0]
    live = conn.execute("SELECT count(*) FROM expenses WHERE deleted_at IS NULL").fetchone()[0]
    if days != live:
        raise SystemExit(f"day_totals counts {days} live expenses, the book holds {live}")
    print(f"  schema identical to a fresh book ({len(mine)} entries, user_version "
          f"{version}); {count:,} rows, search index in step", flush=True)  # fmt: skip


def _meta_path(book: Path) -> Path:
    return book.with_suffix(".json")


def ensure_book(path: Path, rows: int) -> tuple[Path, float | None]:
    """Reuse the book when it matches the generator and today's schema; else build it."""
    if path.exists():
        reason = _stale(path, rows)
        if reason == MIGRATABLE:  # new steps appended to STEPS: run them, as a user's book would
            print(f"migrating {path} with the new schema steps", flush=True)
            started = time.perf_counter()
            Store.open(path).close()
            print(f"  migrated in {time.perf_counter() - started:.1f} s", flush=True)
            reason = _stale(path, rows)
        if reason is None:
            print(f"reusing {path}", flush=True)
            return path, None
        print(f"rebuilding {path}: {reason}", flush=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    seconds = build_book(path, rows)
    meta = {"generator": GENERATOR_VERSION, "rows": rows, "build_seconds": round(seconds, 1),
            "built": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip
    _meta_path(path).write_text(json.dumps(meta, indent=1))
    return path, seconds


MIGRATABLE = "older schema version: migrate it"


def _stale(path: Path, rows: int) -> str | None:
    meta_file = _meta_path(path)
    meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
    if meta.get("generator") != GENERATOR_VERSION or meta.get("rows") != rows:
        return "made by another version of this script"
    conn = sqlite3.connect(path)
    try:
        reference, version = _reference_schema()
        if _schema(conn) != reference:
            if int(conn.execute("PRAGMA user_version").fetchone()[0]) < version:
                return MIGRATABLE
            return "the schema in src/ has changed since it was built"
        if conn.execute("SELECT count(*) FROM expenses").fetchone()[0] != rows:
            return "wrong number of rows"
    finally:
        conn.close()
    return None


# --- the cases -----------------------------------------------------------------------------
@dataclass
class Case:
    name: str
    filters: Filters = field(default_factory=Filters)
    sort: str = "-created"
    limit: int = LIMIT
    matches: int = 0
    plan: str = ""
    plan_lines: list[str] = field(default_factory=list)
    deep_plan_lines: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    deep_cursor: str | None = None
    query_ms: float | None = None  # in-process `list_page`, no start-up: the query's own cost
    probe_lines: list[str] = field(default_factory=list)  # plans of the other statements
    deep_query_ms: float | None = None

    def args(self) -> list[str]:
        return ["list", "--json", *filter_args(self.filters), "--sort", self.sort,
                *(["--limit", str(self.limit)] if self.limit != LIMIT else [])]  # fmt: skip


_OPTIONS = {
    "client": "--client", "client_name": "--client-name", "project": "--project",
    "billable": "--billable", "status": "--status", "approval": "--approval",
    "reimbursement": "--reimbursement", "min_amount": "--min", "max_amount": "--max",
    "date_from": "--from", "date_to": "--to", "created_from": "--created-from",
    "created_to": "--created-to", "search": "--search", "currency": "--currency",
}  # fmt: skip


def filter_args(f: Filters) -> list[str]:
    args = [arg for c in f.category for arg in ("-c", c)]
    args += [arg for t in f.tags for arg in ("-t", t)]
    for name, option in _OPTIONS.items():
        value = getattr(f, name)
        if value is not None:
            args += [option, value]
    return args + ["--all-tags"] * f.all_tags + ["--deleted"] * f.deleted


def _busiest(conn: sqlite3.Connection, column: str, rank: int) -> int:
    """The id of the `rank`-th most used client or project (a typical large one)."""
    row = conn.execute(
        f"SELECT {column} FROM expenses WHERE {column} NOT NULL GROUP BY {column} "
        f"ORDER BY count(*) DESC, {column} LIMIT 1 OFFSET ?", [rank]
    ).fetchone()  # fmt: skip
    return int(row[0])


def make_cases(conn: sqlite3.Connection) -> list[Case]:
    client = conn.execute("SELECT name FROM clients WHERE id = ?",
                          [_busiest(conn, "client_id", 9)]).fetchone()[0]  # fmt: skip
    project = conn.execute("SELECT name FROM projects WHERE id = ?",
                           [_busiest(conn, "project_id", 9)]).fetchone()[0]  # fmt: skip
    F = Filters
    cases = [
        Case("none (default -created)"),
        Case("-c Meals", F(category=("Meals",))),
        Case("-c Travel -c Software", F(category=("Travel", "Software"))),
        Case(f"--client '{client}'", F(client=client)),
        Case("--client-name northwind", F(client_name="northwind")),
        Case(f"-p '{project}'", F(project=project)),
        Case("--billable true", F(billable="true")),
        Case("--status invoiced", F(status="invoiced")),
        Case("--approval pending", F(approval="pending")),
        Case("--reimbursement pending", F(reimbursement="pending")),
        Case("--min 100 --max 200", F(min_amount="100", max_amount="200")),
        Case("--from/--to one week", F(date_from="2024-03-04", date_to="2024-03-10")),
        Case("--from/--to two recent years", F(date_from="2023-01-01", date_to="2024-12-31")),
        Case("--from/--to 2021 (old year)", F(date_from="2021-01-01", date_to="2021-12-31")),
        Case("--created-from/--created-to one month",
             F(created_from="2025-06-01", created_to="2025-06-30")),
        Case("--created-from/--created-to 2021 --sort -date",
             F(created_from="2021-01-01", created_to="2021-12-31"), sort="-date"),
        Case("-s lunch (common)", F(search="lunch")),
        Case("-s zeppelin (rare)", F(search="zeppelin")),
        Case("-s ax (2 chars, common)", F(search="ax")),
        Case("-s ze (2 chars, rare)", F(search="ze")),
        Case("-t recurring (common)", F(tags=("recurring",))),
        Case(f"-t {RARE_TAG} (rare)", F(tags=(RARE_TAG,))),
        Case("-t client-visit -t urgent --all-tags",
             F(tags=("client-visit", "urgent"), all_tags=True)),
        Case("--currency JPY", F(currency="JPY")),
        Case("--deleted", F(deleted=True)),
    ]  # fmt: skip
    for sort in ("amount", "date", "created", "updated", "id"):
        for descending in (False, True):
            key = f"-{sort}" if descending else sort
            if key != "-created":  # the default: already the first case
                cases.append(Case(f"--sort {key}", sort=key))
    return cases


# --- plans ---------------------------------------------------------------------------------
def _query(store: Store, case: Case) -> Any:
    """The ExpenseQuery `list_page` builds (it fetches limit + 1 to see if more follow)."""
    sort, descending = parse_sort(case.sort)
    base = build_query(store, case.filters)._replace(sort=sort, descending=descending)
    return base, base._replace(limit=case.limit + 1)


def _plan(store: Store, sql: str, params: list[Any]) -> list[tuple[str, int, bool]]:
    """EXPLAIN QUERY PLAN lines: detail, depth, and whether it is inside the page subquery."""
    rows = store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    parents = {row[0]: row[1] for row in rows}
    details = {row[0]: row[3] for row in rows}
    marked = []
    for _node, parent, _, detail in rows:
        inner, up, depth = False, parent, 0
        while up in details:
            inner = inner or details[up].startswith("LIST SUBQUERY")
            up, depth = parents[up], depth + 1
        marked.append((detail, depth, inner))
    return marked


def _indent(lines: list[tuple[str, int, bool]]) -> list[str]:
    return ["  " * depth + detail for detail, depth, _ in lines]


def analyse(store: Store, case: Case, query: Any, deep: bool) -> None:
    plan = store.plan(query)
    sql, params = build_select(query, plan)
    marked = _plan(store, sql, params)
    lines = [(d, inner) for d, _, inner in marked]
    assert [d for d, _ in lines] == store.explain(query)  # the store's own view agrees
    where = "deep" if deep else "first"
    rowid_walk = plan.kind == "walk" and SORT_COLUMNS[query.sort] == "id"
    driver = next((d for d, inner in lines if inner and re.match(r"(SCAN|SEARCH) e\b", d)), "")
    for detail, inner in lines:
        if re.fullmatch(r"SCAN (e|expenses)", detail) and not rowid_walk:
            case.flags.append(f"{where}: full scan of expenses")
        if inner and "USE TEMP B-TREE" in detail and plan.kind == "walk":
            case.flags.append(f"{where}: {detail} in a walk")
    wanted = index_for(plan, query)
    if wanted and not re.search(rf"INDEX {wanted}\b", driver):
        case.flags.append(f"{where}: walk meant {wanted}, planner chose `{driver}`")
    if deep:
        case.deep_plan_lines = _indent(marked)
        return
    case.plan = f"{plan.kind} {plan.link or plan.source or SORT_COLUMNS[query.sort]}: "
    case.plan += _indexes([d for d, inner in lines if inner])
    case.plan_lines = _indent(marked)


def _indexes(details: list[str]) -> str:
    """The indexes the page query reads, in plan order (`rowid` for a bare rowid walk)."""
    used: list[str] = []
    for detail in details:
        if detail.startswith("SCAN e") and "INDEX" not in detail:
            used.append("rowid")
        elif "VIRTUAL TABLE" in detail:
            used.append(detail.split()[1] + " (FTS5)")
        elif found := re.search(r"INDEX (\w+)", detail):
            used.append(found.group(1))
    return " + ".join(dict.fromkeys(used)) or "?"


def prepare(store: Store, case: Case) -> None:
    """Count the matches, find the row 90 % deep, make its cursor, analyse both plans."""
    base, query = _query(store, case)
    plan = store.plan(query)
    everything, params = build_select(query._replace(limit=None), plan)
    case.matches = store.conn.execute(f"SELECT count(*) FROM ({everything})", params).fetchone()[0]
    analyse(store, case, query, deep=False)
    probe_plans(store, case)
    depth = int(case.matches * 0.9)
    if depth < 1:
        return
    sql, params = build_select(query._replace(limit=1, offset=depth - 1), plan)
    row = dict(zip(("id", "sort_value"), _id_and_sort(store, sql, params), strict=True))
    case.deep_cursor = encode_cursor(base, row)
    after = decode_cursor(base, case.deep_cursor)
    analyse(store, case, query._replace(after=after), deep=True)


def probe_plans(store: Store, case: Case) -> None:
    """Plans of every other statement `list_page` runs (name look-ups, the plan's bounded
    counts): traced with their values, then explained; a bare scan of a big table is flagged."""
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        list_page(store, case.filters, Paging(sort=case.sort, limit=case.limit))
    finally:
        store.conn.set_trace_callback(None)
    for sql in dict.fromkeys(statements):
        if not sql.lstrip().upper().startswith("SELECT") or "JOIN categories cat" in sql:
            continue  # transaction control, pragmas, and the page query analysed above
        plan = [row[3] for row in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
        case.probe_lines += [" ".join(sql.split()), *(f"  {line}" for line in plan)]
        for line in plan:
            if re.fullmatch(r"SCAN (e|t|expenses|expense_tags)", line):
                case.flags.append(f"probe: {line} in `{' '.join(sql.split())[:60]}…`")


def _id_and_sort(store: Store, sql: str, params: list[Any]) -> tuple[Any, Any]:
    cursor = store.conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    record = dict(zip(names, cursor.fetchone(), strict=True))
    return record["id"], record["sort_value"]


# --- timing --------------------------------------------------------------------------------
@dataclass
class Command:
    argv: list[str]
    book: Path
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system of the child process
    rows: int | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


def _run(command: Command, exe: str, env: dict[str, str], record: bool = True) -> None:
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run([exe, *command.argv], capture_output=True, check=False,
                          env={**env, "EXPENSE_DB": str(command.book)})  # fmt: skip
    elapsed = (time.perf_counter() - started) * 1000
    after = os.times()
    if done.returncode != 0:
        hint = ""
        if b"--cursor" in done.stderr:  # cursors were made by the code imported at start
            hint = "(did src/ change while the benchmark ran? run it again)\n"
        raise SystemExit(f"`expense {' '.join(command.argv)}` exited {done.returncode}:\n"
                         f"{done.stderr.decode(errors='replace')}{hint}")  # fmt: skip
    if command.rows is None and command.argv[0] in ("list", "show"):
        data = json.loads(done.stdout)["data"]
        command.rows = len(data) if isinstance(data, list) else 1
    if record:
        command.wall.append(elapsed)
        used = after.children_user + after.children_system
        command.cpu.append((used - before.children_user - before.children_system) * 1000)


def measure(commands: dict[str, Command], exe: str, runs: int) -> None:
    """One warm-up pass, then `runs` rounds in shuffled order; the baseline thrice a round."""
    env = {**os.environ, "NO_COLOR": "1"}
    baseline = commands["version"]
    order = [c for key, c in commands.items() if key != "version"]
    rng = random.Random(SEED)
    for command in commands.values():
        _run(command, exe, env, record=False)
    for round_no in range(1, runs + 1):
        rng.shuffle(order)
        third = max(1, len(order) // 3)
        started = time.perf_counter()
        for index, command in enumerate(order):
            if index % third == 0:
                _run(baseline, exe, env)
            _run(command, exe, env)
        print(f"  round {round_no}/{runs}: {time.perf_counter() - started:.0f} s", flush=True)


def _in_process(store: Store, filters: Filters, paging: Paging, runs: int) -> float:
    samples = []
    for _ in range(max(3, runs)):
        started = time.perf_counter()
        list_page(store, filters, paging)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def time_queries(store: Store, cases: list[Case], runs: int) -> None:
    """The query's own cost: `list_page` in this process, so no start-up and no output."""
    for case in cases:
        paging = Paging(sort=case.sort, limit=case.limit)
        case.query_ms = _in_process(store, case.filters, paging, runs)
        if case.deep_cursor:
            deep = paging._replace(cursor=case.deep_cursor)
            case.deep_query_ms = _in_process(store, case.filters, deep, runs)
        worst = max(case.query_ms, case.deep_query_ms or 0)
        if worst > QUERY_FLAG_MS:
            case.flags.append(f"query alone {worst:.0f} ms")


# --- report --------------------------------------------------------------------------------
def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _timed(value: float | None, base: float) -> str:
    """`566 (1.68×)`, bold when over the bar."""
    if value is None:
        return "–"
    ratio = value / base
    text = f"{value:.0f} ({ratio:.2f}×)"
    return f"**{text}**" if ratio > BAR else text


def _cpu(value: float | None, base: float) -> str:
    return "–" if value is None else f"{value / base:.2f}"


def render(result: dict[str, Any]) -> str:
    base = result["version_ms"]
    cpu = result["version_cpu_ms"]
    lines = [
        f"Measured {result['when']} on {result['machine']}; book of {result['rows']:,} "
        f"expenses ({result['book_mb']:,} MB, built in {_ms(result['build_seconds'])} s); "
        f"wall-time medians of {result['runs']} runs of the installed `expense` "
        f"({result['baseline_samples']} for the baseline); load average at the start "
        f"{result['load']}; code {result.get('code', 'unknown')}.",
        "",
        f"- baseline `expense --version`: **{base:.0f} ms** wall, {cpu:.0f} ms CPU; "
        f"bar ≤ {BAR}× = {BAR * base:.0f} ms",
        f"- `list --json` on an empty book (start-up + imports, no rows): "
        f"{_timed(result['empty_ms'], base)} wall, {result['empty_cpu_ms'] / cpu:.2f}× in CPU",
        f"- cases within the bar at both pages: {result['within']} of "
        f"{len(result['cases'])} by wall time, {result['within_cpu']} by CPU time",
        "",
        "Wall ms (ratio to the baseline's wall median); *CPU ×* = the child's user + system "
        "time over the baseline's (steadier when the machine is shared); *query* = median ms "
        "of the same `list_page` call in one warm process (what the plan costs, without "
        "start-up).",
        "",
        "| case | matches | first page | deep page | CPU × first / deep | query ms first / deep "
        "| plan | flags |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for c in result["cases"]:
        flags = "; ".join(dict.fromkeys(c["flags"]))
        lines.append(
            f"| `{c['name']}` | {c['matches']:,} | {_timed(c['first_ms'], base)} "
            f"| {_timed(c['deep_ms'], base)} | {_cpu(c['first_cpu_ms'], cpu)} / "
            f"{_cpu(c['deep_cpu_ms'], cpu)} | {_ms(c['query_ms'])} / {_ms(c['deep_query_ms'])} "
            f"| {c['plan']} | {flags} |"
        )
    return "\n".join([*lines, "", *_extras(result, base), *_plans(result)])


def _extras(result: dict[str, Any], base: float) -> list[str]:
    off, key, show = result["offset"], result["keyset"], result["show"]
    return [
        "| other | wall | query |",
        "|---|---:|---:|",
        f"| `show {result['show_id']} --json` | {_timed(show['ms'], base)} | – |",
        f"| `list --json --limit 200 --page {result['page']}` (OFFSET {result['skip']:,}) "
        f"| {_timed(off['ms'], base)} | {_ms(off['query_ms'])} |",
        f"| `list --json --limit 200 --cursor …` (keyset, the same rows) "
        f"| {_timed(key['ms'], base)} | {_ms(key['query_ms'])} |",
        "",
    ]


def _plans(result: dict[str, Any]) -> list[str]:
    """Every case's page query plan (the outer lookup of names and tags is always the same)."""
    lines = ["<details><summary>Query plans (page subquery; deep page shown where it "
             "differs)</summary>", ""]  # fmt: skip
    for c in result["cases"]:
        first, deep = _page_part(c["plan_lines"]), _page_part(c["deep_plan_lines"])
        lines += [f"`{c['name']}`", "", "```", *first]
        if deep and deep != first:
            lines += ["-- deep page:", *deep]
        if probes := _probes_on_expenses(c["probe_lines"]):
            lines += ["-- other statements on expenses (the plan's bounded counts):", *probes]
        lines += ["```", ""]
    return [*lines, "</details>"]


def _probes_on_expenses(lines: list[str]) -> list[str]:
    """The traced statements that read expenses, tags or the search index, with their plans
    (settings and name look-ups are checked all the same, but not worth printing)."""
    kept: list[str] = []
    keep = False
    for line in lines:
        if not line.startswith("  "):
            keep = re.search(r"\bexpense(s|_tags|_search)\b", line) is not None
        if keep:
            kept.append(line)
    return kept


def _page_part(plan: list[str]) -> list[str]:
    start = next((i for i, line in enumerate(plan) if "LIST SUBQUERY" in line), None)
    if start is None:
        return plan
    depth = len(plan[start]) - len(plan[start].lstrip())
    part = [plan[start]]
    for line in plan[start + 1 :]:
        if len(line) - len(line.lstrip()) <= depth:
            break
        part.append(line)
    return [line[depth:] for line in part]


def render_growth() -> str:
    """The cases at every size measured (from _data/results-N.json); "" below two sizes."""
    found = (json.loads(p.read_text()) for p in DATA.glob("results-*.json"))
    results = sorted((r for r in found if r["rows"] >= GROWTH_MIN_ROWS), key=lambda r: r["rows"])
    if len(results) < 2:
        return ""
    sizes = [f"{r['rows']:,}" for r in results]
    columns = [f"first page @ {s}" for s in sizes] + [f"query first @ {s}" for s in sizes]
    columns += [f"query deep @ {s}" for s in sizes]
    lines = [
        "Wall ms (ratio to that run's `expense --version`) and in-process query ms.",
        "",
        "| case | " + " | ".join(columns) + " |",
        "|---|" + "---:|" * len(columns),
        "| `expense --version` | "
        + " | ".join(_ms(r["version_ms"]) for r in results)
        + " |" * (2 * len(results) + 1),
    ]
    for name in (c["name"] for c in results[-1]["cases"]):
        found = [next((c for c in r["cases"] if c["name"] == name), None) for r in results]
        pairs = zip(found, results, strict=True)
        cells = [_timed(c and c["first_ms"], r["version_ms"]) for c, r in pairs]
        cells += [_ms(c and c["query_ms"]) for c in found]
        cells += [_ms(c and c["deep_query_ms"]) for c in found]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _replace_block(text: str, tag: str, heading: str, body: str) -> str:
    begin, end = f"<!-- {tag} BEGIN -->", f"<!-- {tag} END -->"
    block = f"{begin}\n{body}\n{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        return head + block + rest.split(end, 1)[1]
    return text.rstrip("\n") + f"\n\n## {heading}\n\n{block}\n"


def write_tables(result: dict[str, Any], path: Path) -> None:
    """Replace this size's block, and the growth block when two full sizes were measured."""
    text = path.read_text() if path.exists() else "# Performance tables\n"
    rows = result["rows"]
    text = _replace_block(text, f"bench-list rows={rows}", f"list at {rows:,} rows",
                          render(result))  # fmt: skip
    if growth := render_growth():
        text = _replace_block(text, "bench-growth", "growth", growth)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"updated {path}")


# --- main ----------------------------------------------------------------------------------
def _expense_exe() -> str:
    beside = Path(sys.executable).parent / "expense"
    found = str(beside) if beside.exists() else shutil.which("expense")
    if not found:
        raise SystemExit("no `expense` command: install the project (pip install -e .)")
    return found


def _empty_book() -> Path:
    path = DATA / "empty.db"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        Store.open(path).close()
    return path


@dataclass
class Extras:
    show_id: int
    page: int  # --page N with --limit 200: about 90 % deep
    keyset: str  # the cursor that starts at the same row as that page


def _extras_for(store: Store, rows: int) -> Extras:
    show_id = store.conn.execute(
        "SELECT min(id) FROM expenses WHERE id >= ? AND deleted_at IS NULL", [rows // 2]
    ).fetchone()[0]  # fmt: skip
    page = max(2, round(rows * 0.9 / 200))
    base, query = _query(store, Case("offset", limit=200))
    sql, params = build_select(query._replace(limit=1, offset=(page - 1) * 200 - 1),
                               store.plan(query))  # fmt: skip
    row = dict(zip(("id", "sort_value"), _id_and_sort(store, sql, params), strict=True))
    return Extras(int(show_id), page, encode_cursor(base, row))


def _commands(book: Path, cases: list[Case], extras: Extras) -> dict[str, Command]:
    commands = {"version": Command(["--version"], book),
                "empty": Command(["list", "--json"], _empty_book())}  # fmt: skip
    for index, case in enumerate(cases):
        commands[f"first {index}"] = Command(case.args(), book)
        if case.deep_cursor:
            commands[f"deep {index}"] = Command([*case.args(), "--cursor", case.deep_cursor], book)
    commands["show"] = Command(["show", str(extras.show_id), "--json"], book)
    paged = Case("offset", limit=200).args()
    commands["offset"] = Command([*paged, "--page", str(extras.page)], book)
    commands["keyset"] = Command([*paged, "--cursor", extras.keyset], book)
    return commands


def _built_before(book: Path) -> float | None:
    meta = _meta_path(book)
    return json.loads(meta.read_text()).get("build_seconds") if meta.exists() else None


def _code_version() -> str:
    """The commit measured, and whether src/ had uncommitted changes (others may be editing)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    try:
        head, dirty = git("rev-parse", "--short", "HEAD"), git("status", "--porcelain", "src")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} + uncommitted changes in src/" if dirty else head


def _machine() -> str:
    return (f"{os.cpu_count()} cores ({platform.machine()}), Python "
            f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="expenses in the book")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command")
    parser.add_argument("--out", type=Path, default=TABLES, help="tables file to update")
    args = parser.parse_args()
    book, built = ensure_book(DATA / f"book-{args.rows}.db", args.rows)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    store = Store.open(book)
    rows = store.conn.execute("SELECT count(*) FROM expenses").fetchone()[0]
    print("preparing cases (counts, deep cursors, plans)", flush=True)
    cases = make_cases(store.conn)
    for case in cases:
        prepare(store, case)
    extras = _extras_for(store, rows)
    print("timing the queries in process", flush=True)
    time_queries(store, cases, args.runs)
    paged = Paging(sort="-created", limit=200)
    offset_ms = _in_process(store, Filters(), paged._replace(page=extras.page), args.runs)
    keyset_ms = _in_process(store, Filters(), paged._replace(cursor=extras.keyset), args.runs)
    store.close()
    commands = _commands(book, cases, extras)
    exe = _expense_exe()
    print(f"timing {len(commands)} commands x {args.runs} runs with {exe}", flush=True)
    measure(commands, exe, args.runs)
    result = {
        "rows": rows, "runs": args.runs, "when": date.today().isoformat(), "load": load,
        "code": _code_version(),
        "machine": _machine(), "build_seconds": built or _built_before(book),
        "book_mb": round(book.stat().st_size / 2**20),
        "version_ms": commands["version"].median, "version_cpu_ms": commands["version"].cpu_median,
        "baseline_samples": len(commands["version"].wall),
        "empty_ms": commands["empty"].median, "empty_cpu_ms": commands["empty"].cpu_median,
        "show_id": extras.show_id, "page": extras.page, "skip": (extras.page - 1) * 200,
        "show": {"ms": commands["show"].median},
        "offset": {"ms": commands["offset"].median, "query_ms": offset_ms},
        "keyset": {"ms": commands["keyset"].median, "query_ms": keyset_ms},
        "cases": [_case_result(i, c, commands) for i, c in enumerate(cases)],
    }  # fmt: skip
    bar = BAR * result["version_ms"]
    result["within"] = sum(max(c["first_ms"], c["deep_ms"] or 0) <= bar for c in result["cases"])
    cpu_bar = BAR * result["version_cpu_ms"]
    result["within_cpu"] = sum(
        max(c["first_cpu_ms"], c["deep_cpu_ms"] or 0) <= cpu_bar for c in result["cases"]
    )
    (DATA / f"results-{rows}.json").write_text(json.dumps(result, indent=1))
    print(render(result))
    write_tables(result, args.out)


def _case_result(index: int, case: Case, commands: dict[str, Command]) -> dict[str, Any]:
    first, deep = commands[f"first {index}"], commands.get(f"deep {index}")
    skipped = ("filters", "deep_cursor")
    return {
        **{k: v for k, v in asdict(case).items() if k not in skipped},
        "args": case.args(), "first_rows": first.rows,
        "first_ms": first.median, "deep_ms": deep and deep.median,
        "first_cpu_ms": first.cpu_median, "deep_cpu_ms": deep and deep.cpu_median,
    }  # fmt: skip


if __name__ == "__main__":
    main()
