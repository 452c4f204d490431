"""Schema steps, applied in order and atomically by sqlite-utils `Migrations`.

Append-only: never edit a step that has shipped; add `m00N_…` instead and bump nothing
else — `LATEST` is the number of steps, and `PRAGMA user_version` records it so a file from
a newer program is refused before anything touches it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

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


# `invoices` at 1,000,000 rows (reference §8, §10.5): grouping ~350,000 invoiced expenses
# per ref took ~100 ms even from a covering index. `invoice_totals` holds each (ref,
# client, currency, scale) group of live expenses, kept by triggers on every write to an
# expense that carries a ref (a write to one without costs a WHEN test). `client_key` is
# the client id, 0 for none (a key column cannot hold null); sums are kept in two parts,
# `amount / 10^9` and `amount % 10^9`, so no sum leaves 64 bits; `first_at` is the group's
# first `invoiced_at` and `at_first` how many of its expenses have it, so removing one of
# them re-reads the group (by `expenses_by_invoice_ref`) only when it was the last.
# SQLite's sum() stops at 64 bits ("integer overflow"); a sum kept or reported in two parts,
# `x / SUM_SPLIT` and `x % SUM_SPLIT`, stays far below that, and Python adds them back.
SUM_SPLIT = 10**9


class KeptTotals(NamedTuple):
    """A table of sums the triggers keep, and the SELECT that computes it from the expenses."""

    table: str
    columns: str
    select: str

    @property
    def fill(self) -> str:
        return f"INSERT INTO {self.table} ({self.columns})\n    {self.select}"

    @property
    def insert_trigger(self) -> str:
        """The trigger that keeps the table on insert (a bulk load sets it aside)."""
        return f"{self.table}_insert"


_GROUP_OF = (
    "ref = {r}.invoice_ref AND client_key = coalesce({r}.client_id, 0) "
    "AND currency = {r}.currency AND scale = {r}.scale"
)
_COUNTED = "{r}.invoice_ref IS NOT NULL AND {r}.deleted_at IS NULL"
# `+e.currency`: read by `expenses_by_invoice_ref`; the planner would otherwise walk every
# expense of that currency (`live_by_currency`) for each group.
_EXPENSES_OF_GROUP = (
    "FROM expenses e WHERE e.invoice_ref = invoice_totals.ref "
    "AND coalesce(e.client_id, 0) = invoice_totals.client_key "
    "AND +e.currency = invoice_totals.currency AND e.scale = invoice_totals.scale "
    "AND e.deleted_at IS NULL"
)


def _invoice_add(r: str) -> str:
    """Count expense `r` (`new`) in its group when it is live and carries a ref."""
    s = SUM_SPLIT
    return f"""INSERT INTO invoice_totals (ref, client_key, currency, scale, n, total_hi,
            total_lo, rebill_hi, rebill_lo, first_at, at_first)
        SELECT {r}.invoice_ref, coalesce({r}.client_id, 0), {r}.currency, {r}.scale, 1,
            {r}.amount_minor / {s}, {r}.amount_minor % {s}, coalesce({r}.rebill_minor, 0) / {s},
            coalesce({r}.rebill_minor, 0) % {s}, {r}.invoiced_at, {r}.invoiced_at IS NOT NULL
        WHERE {_COUNTED.format(r=r)}
        ON CONFLICT (ref, client_key, currency, scale) DO UPDATE SET
            n = n + 1, total_hi = total_hi + excluded.total_hi,
            total_lo = total_lo + excluded.total_lo, rebill_hi = rebill_hi + excluded.rebill_hi,
            rebill_lo = rebill_lo + excluded.rebill_lo,
            first_at = CASE WHEN excluded.first_at < first_at OR first_at IS NULL
                THEN coalesce(excluded.first_at, first_at) ELSE first_at END,
            at_first = CASE WHEN excluded.first_at IS NULL THEN at_first
                WHEN first_at IS NULL OR excluded.first_at < first_at THEN 1
                WHEN excluded.first_at = first_at THEN at_first + 1 ELSE at_first END;"""


def _invoice_remove(r: str) -> str:
    """Take expense `r` (`old`) out of its group when it was counted there."""
    s = SUM_SPLIT
    return f"""UPDATE invoice_totals SET n = n - 1,
            total_hi = total_hi - {r}.amount_minor / {s},
            total_lo = total_lo - {r}.amount_minor % {s},
            rebill_hi = rebill_hi - coalesce({r}.rebill_minor, 0) / {s},
            rebill_lo = rebill_lo - coalesce({r}.rebill_minor, 0) % {s},
            at_first = at_first - coalesce({r}.invoiced_at = first_at, 0)
        WHERE {_COUNTED.format(r=r)} AND {_GROUP_OF.format(r=r)};"""


def _invoice_settle(r: str) -> str:
    """After a change to `r`'s group: an empty group goes; one whose last expense with the
    first `invoiced_at` left finds its new first one."""
    return f"""DELETE FROM invoice_totals WHERE n = 0 AND {_GROUP_OF.format(r=r)};
        UPDATE invoice_totals SET (first_at, at_first) = (
            SELECT m.first_at, (SELECT count(*) {_EXPENSES_OF_GROUP} AND e.invoiced_at = m.first_at)
            FROM (SELECT min(e.invoiced_at) AS first_at {_EXPENSES_OF_GROUP}) m)
        WHERE at_first = 0 AND first_at IS NOT NULL AND {_GROUP_OF.format(r=r)};"""


_INVOICE_COLUMNS = (
    "invoice_ref, client_id, currency, scale, amount_minor, rebill_minor, invoiced_at, deleted_at"
)
# The whole table from the expenses (the migration, and a book built without triggers).
INVOICE_TOTALS = KeptTotals(
    "invoice_totals",
    "ref, client_key, currency, scale, n, total_hi, total_lo, rebill_hi, rebill_lo, first_at, "
    "at_first",
    f"""SELECT g.*, (SELECT count(*) FROM expenses e WHERE e.invoice_ref = g.ref
                 AND coalesce(e.client_id, 0) = g.client_key AND +e.currency = g.currency
                 AND e.scale = g.scale AND e.deleted_at IS NULL AND e.invoiced_at = g.first_at)
    FROM (SELECT invoice_ref AS ref, coalesce(client_id, 0) AS client_key, currency, scale,
            count(*), sum(amount_minor / {SUM_SPLIT}), sum(amount_minor % {SUM_SPLIT}),
            sum(coalesce(rebill_minor, 0) / {SUM_SPLIT}),
            sum(coalesce(rebill_minor, 0) % {SUM_SPLIT}), min(invoiced_at) AS first_at
        FROM expenses WHERE {_COUNTED.format(r="expenses")}
        GROUP BY invoice_ref, coalesce(client_id, 0), currency, scale) g""",
)
M_INVOICE_TOTALS = (
    """CREATE TABLE invoice_totals (
        ref TEXT NOT NULL,
        client_key INTEGER NOT NULL,
        currency TEXT NOT NULL,
        scale INTEGER NOT NULL,
        n INTEGER NOT NULL CHECK (n >= 0),
        total_hi INTEGER NOT NULL,
        total_lo INTEGER NOT NULL,
        rebill_hi INTEGER NOT NULL,
        rebill_lo INTEGER NOT NULL,
        first_at TEXT,
        at_first INTEGER NOT NULL CHECK (at_first >= 0),
        PRIMARY KEY (ref, client_key, currency, scale)
    ) STRICT, WITHOUT ROWID""",
    # `invoices` lists them in this order, read from here without a sort.
    """CREATE INDEX invoice_totals_in_order ON invoice_totals(
        first_at, ref, client_key, currency, scale, n, total_hi, total_lo, rebill_hi, rebill_lo)""",
    INVOICE_TOTALS.fill,
    f"""CREATE TRIGGER invoice_totals_insert AFTER INSERT ON expenses
        WHEN {_COUNTED.format(r="new")} BEGIN
        {_invoice_add("new")}
    END""",
    f"""CREATE TRIGGER invoice_totals_delete AFTER DELETE ON expenses
        WHEN {_COUNTED.format(r="old")} BEGIN
        {_invoice_remove("old")}
        {_invoice_settle("old")}
    END""",
    f"""CREATE TRIGGER invoice_totals_update AFTER UPDATE OF {_INVOICE_COLUMNS} ON expenses
        WHEN ({_COUNTED.format(r="old")}) OR ({_COUNTED.format(r="new")}) BEGIN
        {_invoice_remove("old")}
        {_invoice_add("new")}
        {_invoice_settle("old")}
        {_invoice_settle("new")}
    END""",
)


def _m_invoice_totals(db: Database) -> None:
    _execute_all(db, M_INVOICE_TOTALS)


# Reports at 1,000,000 rows (reference §8): a year's report read ~200,000 entries of
# `live_report_days` (~45 ms, a third of the 2x bar). `day_totals` holds the count and the
# sums of the live expenses per day, category, currency and scale, kept by triggers in the
# same transaction as every write to those columns (one small upsert per written row), so
# reports whose filters are only dates, categories and currency read a year in ~13,000
# rows. Sums are kept in two parts (`x / 10^9`, `x % 10^9`, the report's own split), so no
# stored sum leaves 64 bits however many expenses a day holds.
_DAY_OF = (
    "date = {r}.date AND category_id = {r}.category_id AND currency = {r}.currency "
    "AND scale = {r}.scale"
)


def _day_add(r: str) -> str:
    s = SUM_SPLIT
    return f"""INSERT INTO day_totals (date, category_id, currency, scale, n, total_hi, total_lo,
            tax_hi, tax_lo)
        SELECT {r}.date, {r}.category_id, {r}.currency, {r}.scale, 1, {r}.amount_minor / {s},
            {r}.amount_minor % {s}, coalesce({r}.tax_minor, 0) / {s},
            coalesce({r}.tax_minor, 0) % {s}
        WHERE {r}.deleted_at IS NULL
        ON CONFLICT (date, category_id, currency, scale) DO UPDATE SET n = n + 1,
            total_hi = total_hi + excluded.total_hi, total_lo = total_lo + excluded.total_lo,
            tax_hi = tax_hi + excluded.tax_hi, tax_lo = tax_lo + excluded.tax_lo;"""


def _day_remove(r: str) -> str:
    s = SUM_SPLIT
    return f"""UPDATE day_totals SET n = n - 1, total_hi = total_hi - {r}.amount_minor / {s},
            total_lo = total_lo - {r}.amount_minor % {s},
            tax_hi = tax_hi - coalesce({r}.tax_minor, 0) / {s},
            tax_lo = tax_lo - coalesce({r}.tax_minor, 0) % {s}
        WHERE {r}.deleted_at IS NULL AND {_DAY_OF.format(r=r)};
        DELETE FROM day_totals WHERE n = 0 AND {_DAY_OF.format(r=r)};"""


# The whole table from the expenses (the migration, and a book built without triggers).
DAY_TOTALS = KeptTotals(
    "day_totals",
    "date, category_id, currency, scale, n, total_hi, total_lo, tax_hi, tax_lo",
    f"""SELECT date, category_id, currency, scale, count(*), sum(amount_minor / {SUM_SPLIT}),
        sum(amount_minor % {SUM_SPLIT}), sum(coalesce(tax_minor, 0) / {SUM_SPLIT}),
        sum(coalesce(tax_minor, 0) % {SUM_SPLIT})
    FROM expenses INDEXED BY live_report_days WHERE deleted_at IS NULL
    GROUP BY date, category_id, currency, scale""",
)
M_DAY_TOTALS = (
    """CREATE TABLE day_totals (
        date TEXT NOT NULL,
        category_id INTEGER NOT NULL,
        currency TEXT NOT NULL,
        scale INTEGER NOT NULL,
        n INTEGER NOT NULL CHECK (n >= 0),  -- 0 only inside a trigger, then deleted
        total_hi INTEGER NOT NULL,
        total_lo INTEGER NOT NULL,
        tax_hi INTEGER NOT NULL,
        tax_lo INTEGER NOT NULL,
        PRIMARY KEY (date, category_id, currency, scale)
    ) STRICT, WITHOUT ROWID""",
    DAY_TOTALS.fill,
    f"""CREATE TRIGGER day_totals_insert AFTER INSERT ON expenses
        WHEN new.deleted_at IS NULL BEGIN
        {_day_add("new")}
    END""",
    f"""CREATE TRIGGER day_totals_delete AFTER DELETE ON expenses
        WHEN old.deleted_at IS NULL BEGIN
        {_day_remove("old")}
    END""",
    f"""CREATE TRIGGER day_totals_update
        AFTER UPDATE OF date, category_id, currency, scale, amount_minor, tax_minor, deleted_at
        ON expenses WHEN old.deleted_at IS NULL OR new.deleted_at IS NULL BEGIN
        {_day_remove("old")}
        {_day_add("new")}
    END""",
)


def _m_day_totals(db: Database) -> None:
    _execute_all(db, M_DAY_TOTALS)


# `report --by ref` at 1,000,000 rows (reference §8, §10.5): `live_report_days` has no ref,
# so a year's report read ~200,000 rows of the table and sorted them (~250 ms). This partial
# index holds only the invoiced live expenses (with a ref), ordered by month then ref, with
# what a report filters and sums (and `deleted_at`, always null, so the planner sees it
# covers the query); the report takes the refs' groups from it and the rows
# without a ref as `day_totals` less them (`store/listing.py`, `_ref_months`). ~17 bytes per
# expense with a third of them invoiced (an index of every row would take ~43).
M_REF_REPORT_INDEX = (
    """CREATE INDEX live_invoiced_months ON expenses(substr(date, 1, 7), invoice_ref,
        currency, scale, date, category_id, amount_minor, deleted_at)
        WHERE deleted_at IS NULL AND invoice_ref IS NOT NULL""",
)


def _m_ref_report_index(db: Database) -> None:
    _execute_all(db, M_REF_REPORT_INDEX)


# The tables the triggers keep: a book loaded with its triggers off refills each from the
# expenses, and `db check` compares each with what its SELECT gives.
KEPT_TOTALS = (INVOICE_TOTALS, DAY_TOTALS)

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
    _m_invoice_totals,
    _m_day_totals,
    _m_ref_report_index,
)
LATEST = len(STEPS)


def migrations() -> Migrations:
    """The ordered steps as a sqlite-utils migration set (imported only when one is due)."""
    from sqlite_utils.migrations import Migrations

    steps = Migrations("expense")
    for step in STEPS:
        steps(name=step.__name__.lstrip("_"))(step)
    return steps
