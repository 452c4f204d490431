"""Schema steps, applied in order and atomically by sqlite-utils `Migrations`.

Append-only: never edit a step that has shipped; add `m00N_…` instead and bump nothing
else — `LATEST` is the number of steps, and `PRAGMA user_version` records it so a file from
a newer program is refused before anything touches it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

APPLICATION_ID = 0x45585053  # "EXPS": marks a file as an expense book
DEFAULT_CATEGORIES = (
    "Travel", "Meals", "Software", "Equipment", "Contractors", "Rent",
    "Utilities", "Marketing", "Services", "Salaries", "Other",
)  # fmt: skip
_APPROVAL = "CHECK ({col} IN ('pending', 'approved', 'rejected'))"
_REIMBURSEMENT = "CHECK ({col} IN ('not_reimbursable', 'pending', 'reimbursed', 'rejected'))"

M001_TABLES = (
    """CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT""",
    f"""CREATE TABLE categories (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL UNIQUE,
        basis TEXT NOT NULL DEFAULT 'amount' CHECK (basis IN ('amount', 'unit')),
        unit_name TEXT,
        unit_price TEXT,
        default_approval TEXT NOT NULL DEFAULT 'approved'
            {_APPROVAL.format(col="default_approval")},
        default_reimbursement TEXT NOT NULL DEFAULT 'not_reimbursable'
            {_REIMBURSEMENT.format(col="default_reimbursement")},
        archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
        is_other INTEGER NOT NULL DEFAULT 0 CHECK (is_other IN (0, 1)),
        CHECK ((basis = 'unit') = (unit_price IS NOT NULL))
    ) STRICT""",
    """CREATE TABLE clients (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL UNIQUE,
        currency TEXT NOT NULL,
        archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1))
    ) STRICT""",
    """CREATE TABLE projects (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        client_id INTEGER NOT NULL REFERENCES clients(id),
        archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
        UNIQUE (client_id, name_key)
    ) STRICT""",
    "CREATE INDEX projects_by_name ON projects(name_key)",
    f"""CREATE TABLE expenses (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL,
        date TEXT NOT NULL,
        time TEXT,
        amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
        currency TEXT NOT NULL,
        scale INTEGER NOT NULL CHECK (scale BETWEEN 0 AND 4),
        amount_key INTEGER NOT NULL GENERATED ALWAYS AS (
            amount_minor * CASE scale WHEN 0 THEN 10000 WHEN 1 THEN 1000 WHEN 2 THEN 100
                                      WHEN 3 THEN 10 ELSE 1 END) VIRTUAL,
        units TEXT,
        unit_price TEXT,
        category_id INTEGER NOT NULL REFERENCES categories(id),
        custom_category TEXT,
        client_id INTEGER REFERENCES clients(id),
        project_id INTEGER REFERENCES projects(id),
        billable INTEGER NOT NULL DEFAULT 0 CHECK (billable IN (0, 1)),
        billing_status TEXT NOT NULL DEFAULT 'not_invoiced'
            CHECK (billing_status IN ('not_invoiced', 'invoiced')),
        invoice_ref TEXT,
        approval_status TEXT NOT NULL {_APPROVAL.format(col="approval_status")},
        reimbursement_status TEXT NOT NULL {_REIMBURSEMENT.format(col="reimbursement_status")},
        notes TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        deleted_at TEXT,
        CHECK ((units IS NULL) = (unit_price IS NULL))
    ) STRICT""",
    "CREATE INDEX expenses_by_created ON expenses(created_at, id)",
    "CREATE INDEX expenses_by_date ON expenses(date, id)",
    "CREATE INDEX expenses_by_category ON expenses(category_id)",
    "CREATE INDEX expenses_by_client ON expenses(client_id)",
    "CREATE INDEX expenses_by_project ON expenses(project_id)",
    """CREATE TABLE expense_tags (
        id INTEGER PRIMARY KEY,
        expense_id INTEGER NOT NULL REFERENCES expenses(id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        tag_key TEXT NOT NULL,
        UNIQUE (expense_id, tag_key)
    ) STRICT""",
    "CREATE INDEX expense_tags_by_tag ON expense_tags(tag_key, expense_id)",
    """CREATE TABLE idempotency_keys (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        expense_id INTEGER NOT NULL REFERENCES expenses(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL
    ) STRICT""",
)


def _execute_all(db: Database, statements: tuple[str, ...]) -> None:
    """A step's statements in order (the SQL a released step runs never changes)."""
    for statement in statements:
        db.execute(statement)


def _m001_initial(db: Database) -> None:
    _execute_all(db, M001_TABLES)
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute(
        "INSERT INTO settings (key, value) "
        "VALUES ('default_currency', 'USD'), ('date_order', 'ymd')"
    )
    for name in DEFAULT_CATEGORIES:
        db.execute(
            "INSERT INTO categories (name, name_key, is_other) VALUES (?, ?, ?)",
            [name, name.casefold(), int(name == "Other")],
        )


SORT_KEYS = ("created_at", "date", "amount_key", "updated_at")
LINK_KEYS = ("category_id", "client_id", "project_id")
# Filters that are usually common but can be rare (a second currency, rejected approvals):
# a small index lets a bounded count find out, and serve the rare case directly.
EQUALITY_KEYS = (
    "currency",
    "billing_status",
    "approval_status",
    "reimbursement_status",
    "billable",
)
_LIVE = "WHERE deleted_at IS NULL"
SEARCHED = "description, custom_category, notes"


def index_name(sort_key: str, link_key: str | None = None) -> str:
    """The partial index that serves live expenses sorted by `sort_key` (within one link)."""
    return f"live_{link_key.removesuffix('_id')}_{sort_key}" if link_key else f"live_{sort_key}"


M002_LIST_INDEXES = (
    *(f"CREATE INDEX {index_name(key)} ON expenses({key}, id) {_LIVE}" for key in SORT_KEYS),
    *(
        f"CREATE INDEX {index_name(key, link)} ON expenses({link}, {key}, id) {_LIVE}"
        for link in LINK_KEYS
        for key in SORT_KEYS
    ),
    *(f"CREATE INDEX live_by_{column} ON expenses({column}) {_LIVE}" for column in EQUALITY_KEYS),
    # Covers reports over a date range: every group column and the money, no table reads.
    f"""CREATE INDEX live_report ON expenses(
        date, category_id, client_id, project_id, currency, scale, amount_minor) {_LIVE}""",
    "CREATE INDEX deleted_expenses ON expenses(deleted_at) WHERE deleted_at IS NOT NULL",
    # Superseded by the partial live_* indexes: dropping them keeps the plans deterministic.
    "DROP INDEX expenses_by_created",
    "DROP INDEX expenses_by_date",
    # Substring search without scanning: an external-content FTS5 index of trigrams,
    # kept in step with every write by triggers.
    f"""CREATE VIRTUAL TABLE expense_search USING fts5(
        {SEARCHED}, content='expenses', content_rowid='id', tokenize='trigram')""",
    f"""CREATE TRIGGER expense_search_insert AFTER INSERT ON expenses BEGIN
        INSERT INTO expense_search(rowid, {SEARCHED})
        VALUES (new.id, new.description, new.custom_category, new.notes);
    END""",
    f"""CREATE TRIGGER expense_search_delete AFTER DELETE ON expenses BEGIN
        INSERT INTO expense_search(expense_search, rowid, {SEARCHED})
        VALUES ('delete', old.id, old.description, old.custom_category, old.notes);
    END""",
    f"""CREATE TRIGGER expense_search_update AFTER UPDATE OF {SEARCHED} ON expenses BEGIN
        INSERT INTO expense_search(expense_search, rowid, {SEARCHED})
        VALUES ('delete', old.id, old.description, old.custom_category, old.notes);
        INSERT INTO expense_search(rowid, {SEARCHED})
        VALUES (new.id, new.description, new.custom_category, new.notes);
    END""",
    "INSERT INTO expense_search(expense_search) VALUES ('rebuild')",
)


def _m002_list_indexes(db: Database) -> None:
    _execute_all(db, M002_LIST_INDEXES)


# The date a category's creation price starts: the first date the book accepts, so that
# price covers every date before the next one (reference §10.10 item 3).
FIRST_PRICE_FROM = "1900-01-01"
M003_UNIT_PRICES = (
    # `starts` (not `from`, an SQL keyword) is an ISO date; one price per category and day.
    """CREATE TABLE unit_prices (
        id INTEGER PRIMARY KEY,
        category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
        starts TEXT NOT NULL,
        price TEXT NOT NULL,
        UNIQUE (category_id, starts)
    ) STRICT""",
    # categories.unit_price stays: its CHECK marks the basis; prices are read from unit_prices.
    "ALTER TABLE categories ADD COLUMN unit_currency TEXT",
    """UPDATE categories SET unit_currency = coalesce(
        (SELECT value FROM settings WHERE key = 'default_currency'), 'USD')
        WHERE basis = 'unit'""",
    f"""INSERT INTO unit_prices (category_id, starts, price)
        SELECT id, '{FIRST_PRICE_FROM}', unit_price FROM categories WHERE basis = 'unit'""",
)


def _m003_unit_prices(db: Database) -> None:
    _execute_all(db, M003_UNIT_PRICES)


# `list --ref` and the one-client-per-invoice check find an invoice's few expenses by
# this index instead of reading a million rows; only invoiced rows carry a ref.
M004_REF_INDEX = (
    "CREATE INDEX expenses_by_invoice_ref ON expenses(invoice_ref) WHERE invoice_ref IS NOT NULL",
)


def _m004_invoice_ref_index(db: Database) -> None:
    _execute_all(db, M004_REF_INDEX)


# Reference §10.9: each expense's payment account, credited by ledger and beancount
# exports; existing expenses were paid from the account every export credited until now.
DEFAULT_ACCOUNT = "Assets:Cash"
M005_ACCOUNTS = (
    f"ALTER TABLE expenses ADD COLUMN account TEXT NOT NULL DEFAULT '{DEFAULT_ACCOUNT}'",
)


def _m005_payment_accounts(db: Database) -> None:
    _execute_all(db, M005_ACCOUNTS)


# Reference §10.5: a client's rebill markup in hundredths of a percent (12.5 % → 1250);
# each expense's rebill amount (minor units, set when it is invoiced, cleared by
# `uninvoice`) and when it was invoiced. Expenses invoiced before had no markup: their
# rebill amount is their amount, and their last update is the best invoicing time known.
M_INVOICING = (
    "ALTER TABLE clients ADD COLUMN markup_bp INTEGER NOT NULL DEFAULT 0 "
    "CHECK (markup_bp BETWEEN 0 AND 100000)",
    "ALTER TABLE expenses ADD COLUMN rebill_minor INTEGER CHECK (rebill_minor >= 0)",
    "ALTER TABLE expenses ADD COLUMN invoiced_at TEXT",
    """UPDATE expenses SET rebill_minor = amount_minor, invoiced_at = updated_at
        WHERE billing_status = 'invoiced'""",
)


def _m_invoicing(db: Database) -> None:
    _execute_all(db, M_INVOICING)


# Reference §10.6/§10.7: an expense's tax (rate as typed, exact decimal text, or null for
# a fixed amount; tax in minor units, null when untaxed), what was paid in another
# currency (minor units of `original_currency`), and whether the amount was derived from
# the book's rates; a category's default tax rate; dated exchange rates (1 base = rate
# quote) found by (base, quote, date).
M_TAX_CURRENCIES = (
    "ALTER TABLE expenses ADD COLUMN tax_rate TEXT",
    "ALTER TABLE expenses ADD COLUMN tax_minor INTEGER CHECK (tax_minor >= 0)",
    "ALTER TABLE expenses ADD COLUMN original_minor INTEGER CHECK (original_minor >= 0)",
    "ALTER TABLE expenses ADD COLUMN original_currency TEXT",
    "ALTER TABLE expenses ADD COLUMN amount_from_rate INTEGER NOT NULL DEFAULT 0 "
    "CHECK (amount_from_rate IN (0, 1))",
    "ALTER TABLE categories ADD COLUMN tax_rate TEXT",
    """CREATE TABLE rates (
        id INTEGER PRIMARY KEY,
        base TEXT NOT NULL,
        quote TEXT NOT NULL,
        date TEXT NOT NULL,
        rate TEXT NOT NULL,
        UNIQUE (base, quote, date)
    ) STRICT""",
)


def _m_tax_currencies(db: Database) -> None:
    _execute_all(db, M_TAX_CURRENCIES)


# Receipts (reference §10.2): bytes stored once per SHA-256 (`blobs`, `data` last so reading
# `size` never touches its overflow pages), linked to expenses by `receipts`. Both indexes
# keep a book without receipts as fast as before: one probe of an empty index per row.
M_RECEIPTS = (
    """CREATE TABLE blobs (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL CHECK (size >= 0),
        data BLOB NOT NULL
    ) STRICT""",
    """CREATE TABLE receipts (
        id INTEGER PRIMARY KEY,
        expense_id INTEGER NOT NULL REFERENCES expenses(id) ON DELETE CASCADE,
        sha256 TEXT NOT NULL REFERENCES blobs(sha256),
        filename TEXT NOT NULL,
        media_type TEXT NOT NULL
    ) STRICT""",
    "CREATE INDEX receipts_by_expense ON receipts(expense_id)",
    "CREATE INDEX receipts_by_blob ON receipts(sha256)",
)


def _m_receipts(db: Database) -> None:
    _execute_all(db, M_RECEIPTS)


# Bank statements (reference §10.4): rules that fill what an imported row or `add` leaves
# empty, tried by `position` (1-based, kept contiguous); saved import profiles (the
# reading options as JSON); and the duplicate check's index: live expenses by amount,
# currency and date (amount first, so date-range listings never pick it), whose few
# candidates' descriptions are compared in Python.
M_BANK_IMPORT = (
    """CREATE TABLE import_rules (
        id INTEGER PRIMARY KEY,
        position INTEGER NOT NULL,
        pattern TEXT NOT NULL,
        category_id INTEGER REFERENCES categories(id) ON DELETE SET NULL,
        custom_category TEXT,
        client_id INTEGER REFERENCES clients(id) ON DELETE SET NULL,
        project_id INTEGER REFERENCES projects(id) ON DELETE SET NULL,
        billable INTEGER CHECK (billable IN (0, 1)),
        tags TEXT
    ) STRICT""",
    """CREATE TABLE import_profiles (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL UNIQUE,
        options TEXT NOT NULL
    ) STRICT""",
    f"CREATE INDEX live_duplicates ON expenses(amount_minor, currency, date) {_LIVE}",
)


def _m_bank_import(db: Database) -> None:
    _execute_all(db, M_BANK_IMPORT)


# Recurring expenses (reference §10.3): a schedule holds its template (the clonable input
# as JSON, so fields added later can join) and its rule; `month_day` is the day a monthly
# or yearly schedule keeps; `skip_before` is the resume day. One row per occurrence, keyed
# by (schedule, scheduled date) with a UNIQUE constraint: the key stays when its expense is
# deleted, so nothing is created twice, by racing runs or after a delete.
M_RECURRING = (
    """CREATE TABLE recurring (
        id INTEGER PRIMARY KEY,
        source_id INTEGER,
        template TEXT NOT NULL,
        every TEXT NOT NULL CHECK (every IN ('day', 'week', 'month', 'year')),
        interval INTEGER NOT NULL CHECK (interval BETWEEN 1 AND 1000),
        start TEXT NOT NULL,
        month_day INTEGER NOT NULL CHECK (month_day BETWEEN 1 AND 31),
        until TEXT,
        paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
        skip_before TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        deleted_at TEXT
    ) STRICT""",
    """CREATE TABLE recurring_occurrences (
        id INTEGER PRIMARY KEY,
        recurring_id INTEGER NOT NULL REFERENCES recurring(id),
        scheduled TEXT NOT NULL,
        expense_id INTEGER REFERENCES expenses(id) ON DELETE SET NULL,
        created_at TEXT NOT NULL,
        UNIQUE (recurring_id, scheduled)
    ) STRICT""",
    "ALTER TABLE expenses ADD COLUMN recurring_id INTEGER REFERENCES recurring(id)",
)


def _m_recurring(db: Database) -> None:
    _execute_all(db, M_RECURRING)


# History and undo (reference §10.8): one `changes` row per command that changed expenses;
# each touched expense's state before and after as JSON (`change_expenses`, found by
# expense id); expenses a change created as id ranges (`change_created`: an import of a
# million rows is one row here, its `after` is the expense as imported). Idempotency keys
# lose their foreign key so an undone creation keeps its key (§10.10 item 11): the table is
# small (24 hours of keys), rebuilt here.
M_HISTORY = (
    """CREATE TABLE changes (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        command TEXT NOT NULL,
        summary TEXT NOT NULL,
        undoes INTEGER REFERENCES changes(id),
        undone_by INTEGER REFERENCES changes(id)
    ) STRICT""",
    "CREATE INDEX changes_undoable ON changes(id) WHERE undoes IS NULL AND undone_by IS NULL",
    "CREATE INDEX changes_by_at ON changes(at)",
    """CREATE TABLE change_expenses (
        id INTEGER PRIMARY KEY,
        change_id INTEGER NOT NULL REFERENCES changes(id),
        expense_id INTEGER NOT NULL,
        before TEXT,
        after TEXT
    ) STRICT""",
    "CREATE INDEX change_expenses_by_expense ON change_expenses(expense_id, change_id)",
    "CREATE INDEX change_expenses_by_change ON change_expenses(change_id)",
    """CREATE TABLE change_created (
        id INTEGER PRIMARY KEY,
        change_id INTEGER NOT NULL REFERENCES changes(id),
        first_id INTEGER NOT NULL,
        last_id INTEGER NOT NULL,
        CHECK (first_id <= last_id)
    ) STRICT""",
    "CREATE INDEX change_created_by_first ON change_created(first_id)",
    "CREATE INDEX change_created_by_change ON change_created(change_id)",
    """CREATE TABLE idempotency_keys_kept (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        expense_id INTEGER NOT NULL,
        created_at TEXT NOT NULL
    ) STRICT""",
    """INSERT INTO idempotency_keys_kept (key, fingerprint, expense_id, created_at)
        SELECT key, fingerprint, expense_id, created_at FROM idempotency_keys""",
    "DROP TABLE idempotency_keys",
    "ALTER TABLE idempotency_keys_kept RENAME TO idempotency_keys",
)


def _m_history(db: Database) -> None:
    _execute_all(db, M_HISTORY)


# Reports at 1,000,000 rows (issue 20): `live_report` was never chosen — `deleted_at` in
# the WHERE is not one of its columns, so it did not cover the query and the planner
# walked `live_date` and read the table. Its replacement carries `deleted_at` (always null
# here: one header byte), orders the day's rows by category, currency and scale so a
# report streams one group per day without sorting the range, and covers `--tax`.
M_REPORT_INDEX = (
    "DROP INDEX live_report",
    f"""CREATE INDEX live_report_days ON expenses(
        date, category_id, currency, scale, client_id, project_id, amount_minor, tax_minor,
        deleted_at) {_LIVE}""",
)


def _m_report_index(db: Database) -> None:
    _execute_all(db, M_REPORT_INDEX)


# Book size at 1,000,000 rows (issue 20, reference §8: ≤ 800 bytes per expense): the twelve
# live_<link>_<sort> indexes took 379 MB (the timestamp ones 42 MB each). One live_<sort>
# index per sort now carries the three links after `(sort, id)`, so its order is still the
# list order and a link filter is checked inside the index while walking it (SQLite reads
# the column from the index entry, never the row); a link with few expenses starts from
# its expenses_by_<link> index instead (a `set` plan). 1,085 → 730 bytes per expense.
LINKED_COLUMNS = ", ".join(LINK_KEYS)
M_COMPACT_LIST_INDEXES = (
    *(f"DROP INDEX {index_name(key, link)}" for link in LINK_KEYS for key in SORT_KEYS),
    *(f"DROP INDEX {index_name(key)}" for key in SORT_KEYS),
    *(
        f"CREATE INDEX {index_name(key)} ON expenses({key}, id, {LINKED_COLUMNS}) {_LIVE}"
        for key in SORT_KEYS
    ),
)


def _m_compact_list_indexes(db: Database) -> None:
    _execute_all(db, M_COMPACT_LIST_INDEXES)


STEPS = (
    _m001_initial,
    _m002_list_indexes,
    _m003_unit_prices,
    _m004_invoice_ref_index,
    _m005_payment_accounts,
    _m_invoicing,
    _m_tax_currencies,
    _m_receipts,
    _m_bank_import,
    _m_recurring,
    _m_history,
    _m_report_index,
    _m_compact_list_indexes,
)
LATEST = len(STEPS)


def migrations() -> Migrations:
    """The ordered steps as a sqlite-utils migration set (imported only when one is due)."""
    from sqlite_utils.migrations import Migrations

    steps = Migrations("expense")
    for step in STEPS:
        steps(name=step.__name__.lstrip("_"))(step)
    return steps
