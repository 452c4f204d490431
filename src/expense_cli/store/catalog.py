"""Queries for the book's catalogue: settings, categories, clients and projects."""

from __future__ import annotations

from collections.abc import Iterator
from types import MethodType
from typing import Any

from expense_cli.store.base import StoreBase, fits
from expense_cli.store.rows import (
    CategoryPriceRow,
    CategoryRow,
    ClientRow,
    LinkProblemRow,
    ProjectRow,
    SettingRow,
    UnitPriceRow,
    UnitRow,
)
from expense_cli.store.schema import DEFAULT_CATEGORIES

_CATEGORY_COLUMNS = frozenset(
    {"name", "name_key", "basis", "unit_name", "unit_price", "unit_currency",
     "default_approval", "default_reimbursement", "archived", "tax_rate"}
)  # fmt: skip
# Where `db check` looks for text breaking rule 17, and the id each problem is filed under.
_TEXT_TABLES = (
    ("expenses", "id"), ("categories", "id"), ("clients", "id"), ("projects", "id"),
    ("expense_tags", "expense_id"),
)  # fmt: skip
_CLIENT_COLUMNS = frozenset({"name", "name_key", "currency", "archived", "markup_bp"})
_PROJECT_COLUMNS = frozenset({"name", "name_key", "client_id", "archived"})
_PROJECT_SELECT = """
    SELECT p.id, p.name, p.archived, p.client_id, c.name AS client_name,
           c.currency AS client_currency, c.archived AS client_archived
    FROM projects p JOIN clients c ON c.id = p.client_id
"""


def _keyed(values: dict[str, Any]) -> dict[str, Any]:
    """Names are unique case-insensitively for every script, not only ASCII (casefold)."""
    if "name" in values:
        return {**values, "name_key": values["name"].casefold()}
    return values


class CatalogQueries(StoreBase):
    # settings -------------------------------------------------------------------------
    def settings(self) -> dict[str, str]:
        return {
            row["key"]: row["value"]
            for row in self._all(SettingRow, "SELECT key, value FROM settings")
        }

    def set_setting(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    # categories -----------------------------------------------------------------------
    def categories(self, include_archived: bool = True) -> list[CategoryRow]:
        where = "" if include_archived else "WHERE archived = 0"
        return self._all(CategoryRow, f"SELECT * FROM categories {where} ORDER BY name_key, id")

    def category(self, category_id: int) -> CategoryRow | None:
        if not fits(category_id):
            return None
        return self._one(CategoryRow, "SELECT * FROM categories WHERE id = ?", [category_id])

    def category_named(self, name: str) -> CategoryRow | None:
        return self._one(
            CategoryRow, "SELECT * FROM categories WHERE name_key = ?", [name.casefold()]
        )

    def insert_category(self, values: dict[str, Any]) -> int:
        return self._insert("categories", _CATEGORY_COLUMNS, _keyed(values))

    def update_category(self, category_id: int, values: dict[str, Any]) -> None:
        self._update("categories", _CATEGORY_COLUMNS, category_id, _keyed(values))

    def delete_category(self, category_id: int) -> None:
        self.conn.execute("DELETE FROM categories WHERE id = ?", [category_id])

    def unit_prices(self, category_id: int) -> list[UnitPriceRow]:
        """A category's dated prices, oldest first: `{starts, price}`."""
        return self._all(
            UnitPriceRow,
            "SELECT starts, price FROM unit_prices WHERE category_id = ? ORDER BY starts",
            [category_id],
        )

    def all_unit_prices(self) -> list[CategoryPriceRow]:
        """Every category's dated prices: `{category_id, starts, price}`, oldest first."""
        return self._all(
            CategoryPriceRow,
            "SELECT category_id, starts, price FROM unit_prices ORDER BY category_id, starts",
        )

    def set_unit_price(self, category_id: int, starts: str, price: str) -> None:
        """One price per category and start date: a second one that day replaces the first."""
        self.conn.execute(
            "INSERT INTO unit_prices (category_id, starts, price) VALUES (?, ?, ?) "
            "ON CONFLICT (category_id, starts) DO UPDATE SET price = excluded.price",
            [category_id, starts, price],
        )

    def category_in_use(self, category_id: int) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM expenses WHERE category_id = ? LIMIT 1", [category_id]
        ).fetchone()
        return row is not None

    # clients --------------------------------------------------------------------------
    def clients(self, include_archived: bool = True) -> list[ClientRow]:
        where = "" if include_archived else "WHERE archived = 0"
        return self._all(ClientRow, f"SELECT * FROM clients {where} ORDER BY name_key, id")

    def client(self, client_id: int) -> ClientRow | None:
        if not fits(client_id):
            return None
        return self._one(ClientRow, "SELECT * FROM clients WHERE id = ?", [client_id])

    def client_named(self, name: str) -> ClientRow | None:
        return self._one(ClientRow, "SELECT * FROM clients WHERE name_key = ?", [name.casefold()])

    def insert_client(self, values: dict[str, Any]) -> int:
        return self._insert("clients", _CLIENT_COLUMNS, _keyed(values))

    def update_client(self, client_id: int, values: dict[str, Any]) -> None:
        self._update("clients", _CLIENT_COLUMNS, client_id, _keyed(values))

    def client_in_use(self, client_id: int) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM expenses WHERE client_id = ? LIMIT 1", [client_id]
        ).fetchone()
        return row is not None

    # projects -------------------------------------------------------------------------
    def projects(self, include_archived: bool = True) -> list[ProjectRow]:
        where = "" if include_archived else "WHERE p.archived = 0"
        return self._all(
            ProjectRow, f"{_PROJECT_SELECT} {where} ORDER BY p.name_key, c.name_key, p.id"
        )

    def project(self, project_id: int) -> ProjectRow | None:
        if not fits(project_id):
            return None
        return self._one(ProjectRow, f"{_PROJECT_SELECT} WHERE p.id = ?", [project_id])

    def projects_named(self, name: str) -> list[ProjectRow]:
        return self._all(
            ProjectRow, f"{_PROJECT_SELECT} WHERE p.name_key = ? ORDER BY p.id", [name.casefold()]
        )

    def project_named_for_client(self, name: str, client_id: int) -> ProjectRow | None:
        return self._one(
            ProjectRow,
            f"{_PROJECT_SELECT} WHERE p.name_key = ? AND p.client_id = ?",
            [name.casefold(), client_id],
        )

    def insert_project(self, values: dict[str, Any]) -> int:
        return self._insert("projects", _PROJECT_COLUMNS, _keyed(values))

    def update_project(self, project_id: int, values: dict[str, Any]) -> None:
        self._update("projects", _PROJECT_COLUMNS, project_id, _keyed(values))

    # invariants (db check) --------------------------------------------------------------
    def link_problems(self) -> list[LinkProblemRow]:
        """Expenses whose client is not their project's, or whose currency is not their
        client's."""
        return self._all(
            LinkProblemRow,
            """SELECT e.id, 'client' AS field, 'is not the client of its project' AS problem
               FROM expenses e JOIN projects p ON p.id = e.project_id
               WHERE e.client_id IS NULL OR e.client_id != p.client_id
               UNION ALL
               SELECT e.id, 'currency', 'differs from its client''s currency ' || c.currency
               FROM expenses e JOIN clients c ON c.id = e.client_id
               WHERE c.currency != e.currency
               ORDER BY 1, 2""",
        )

    def unusual_text(self) -> Iterator[tuple[str, int, str, str]]:
        """`(table, id, column, value)` for every stored text value that is not all
        printable ASCII: the few candidates `db check` examines for rule 17 in Python
        (SQLite knows no Unicode categories). A tag is filed under its expense's id."""
        parts = []
        for table, key in _TEXT_TABLES:
            columns = self.conn.execute(
                "SELECT name FROM pragma_table_info(?) WHERE type = 'TEXT'", [table]
            ).fetchall()
            # `name_key`/`tag_key` mirror another column: one report per value is enough.
            # GLOB stops at a NUL character; instr() does not.
            parts += [
                f"SELECT '{table}', {key}, '{column}', \"{column}\" FROM {table} "
                f'WHERE "{column}" GLOB \'*[^ -~]*\' OR instr("{column}", char(0)) > 0'
                for (column,) in columns
                if not column.endswith("_key")
            ]
        yield from self.conn.execute(" UNION ALL ".join(parts) + " ORDER BY 1, 2, 3")

    def unit_rows(self) -> list[UnitRow]:
        return self._all(
            UnitRow,
            "SELECT id, units, unit_price, scale, amount_minor FROM expenses "
            "WHERE units IS NOT NULL ORDER BY id",
        )

    def counts(self) -> dict[str, int]:
        tables = ("expenses", "categories", "clients", "projects", "expense_tags")
        return {
            t: int(self.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables
        }

    def is_empty(self) -> bool:
        """No expense, client or project, and only the categories a new book starts with."""
        if any(
            self.conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
            for table in ("expenses", "clients", "projects")
        ):
            return False
        row = self.conn.execute("SELECT count(*), max(id) FROM categories").fetchone()
        starting = len(DEFAULT_CATEGORIES)
        return tuple(row) == (starting, starting)


class CachedCatalog:
    """A store whose catalogue lookups are remembered: for bulk work (import) inside one
    transaction, where every row names the same few categories, clients and projects.
    `forget()` after creating any of them."""

    _CACHED = frozenset(
        {"category", "category_named", "client", "client_named", "project", "projects_named",
         "project_named_for_client", "settings", "unit_prices"}
    )  # fmt: skip

    def __init__(self, store: CatalogQueries) -> None:
        self._store = store
        self._memo: dict[tuple[Any, ...], Any] = {}

    def __getattr__(self, name: str) -> Any:
        """The store's attribute; a method is looked up once (kept on this object)."""
        attr = getattr(self._store, name)
        if not isinstance(attr, MethodType):
            return attr
        if name in self._CACHED:
            attr = self._remembered(name, attr)
        self.__dict__[name] = attr
        return attr

    def _remembered(self, name: str, query: Any) -> Any:
        memo = self._memo

        def cached(*args: Any) -> Any:
            key = (name, *args)
            if key in memo:
                return memo[key]
            found = memo[key] = query(*args)
            return found

        return cached

    def forget(self) -> None:
        """After creating a category, client or project: creating adds rows and changes
        none, so what may differ now is a lookup that found nothing or read a list; a row
        found stays."""
        kept = {key: row for key, row in self._memo.items() if isinstance(row, dict)}
        self._memo.clear()
        self._memo.update(kept)
