"""Categories, clients and projects: resolving references (rule 19) and their use cases."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from expense_cli.domain import records, text
from expense_cli.domain.book import load_settings
from expense_cli.domain.dates import MIN_DATE, local_today, parse_date
from expense_cli.domain.models import Approval, Basis, Reimbursement
from expense_cli.domain.money import (
    format_decimal,
    normalize_currency,
    parse_markup,
    parse_unit_price,
)
from expense_cli.domain.validation import Issues
from expense_cli.errors import ConflictError, NotFoundError, UsageError, ValidationError
from expense_cli.store import Store

if TYPE_CHECKING:
    from expense_cli.domain.catalog_models import Category, Client, Project
    from expense_cli.store.rows import CategoryRow, ClientRow, ProjectRow, UnitPriceRow


class Miss(Enum):
    """What an unknown reference is: a bad field (4), a bad filter (2) or a missing target (3)."""

    FIELD = "field"
    FILTER = "filter"
    TARGET = "target"


def _is_id(ref: str) -> bool:
    return ref.isascii() and ref.isdigit()


def _id(ref: str) -> int:
    """An all-digit reference as an id; one too long for 64 bits names nothing (-1)."""
    return int(ref) if len(ref) <= 19 else -1


def _missing(miss: Miss, field: str, message: str) -> Exception:
    if miss is Miss.FILTER:
        return UsageError(f"--{field.replace('_', '-')}: {message}")
    if miss is Miss.TARGET:
        return NotFoundError(message)
    return ValidationError({field: message})


def find_category(
    store: Store, ref: str, miss: Miss = Miss.FIELD, field: str = "category"
) -> Category:
    row = _category_row(store, ref, miss, field)
    prices = store.unit_prices(row["id"]) if row["basis"] == Basis.UNIT.value else ()
    return records.category(row, prices, _today())


def category_id(store: Store, ref: str, miss: Miss = Miss.FIELD) -> int:
    """`find_category(…).id` without building the record (a list filter needs the id only:
    reading expenses generates no catalogue dataclass, reference §8 start-up bar)."""
    return int(_category_row(store, ref, miss, "category")["id"])


def _category_row(store: Store, ref: str, miss: Miss, field: str) -> CategoryRow:
    ref = ref.strip()
    row = store.category(_id(ref)) if _is_id(ref) else store.category_named(ref)
    if row is None:
        raise _missing(miss, field, f"no category {ref!r} (see `expense categories`)")
    return row


def _today() -> date:
    """The user's local day, as `compose.Clock.today` reads it: the price shown as in force."""
    return local_today()  # UTC when TZ is odd (reference §10.1 item 19)


def find_client(store: Store, ref: str, miss: Miss = Miss.FIELD, field: str = "client") -> Client:
    return records.client(_client_row(store, ref, miss, field))


def client_id(store: Store, ref: str, miss: Miss = Miss.FIELD) -> int:
    """`find_client(…).id` without building the record (see `category_id`)."""
    return int(_client_row(store, ref, miss, "client")["id"])


def _client_row(store: Store, ref: str, miss: Miss, field: str) -> ClientRow:
    ref = ref.strip()
    row = store.client(_id(ref)) if _is_id(ref) else store.client_named(ref)
    if row is None:
        raise _missing(miss, field, f"no client {ref!r} (see `expense clients`)")
    return row


def find_project(
    store: Store,
    ref: str,
    miss: Miss = Miss.FIELD,
    field: str = "project",
    client_id: int | None = None,
) -> Project:
    """A project by id or name; a name shared by several clients needs the id, unless the
    client given beside it picks one."""
    return records.project(_project_row(store, ref, miss, field, client_id))


def project_id(store: Store, ref: str, miss: Miss, client_id: int | None = None) -> int:
    """`find_project(…).id` without building the record (see `category_id`)."""
    return int(_project_row(store, ref, miss, "project", client_id)["id"])


def _project_row(
    store: Store, ref: str, miss: Miss, field: str, client_id: int | None
) -> ProjectRow:
    ref = ref.strip()
    if _is_id(ref):
        row = store.project(_id(ref))
        if row is None:
            raise _missing(miss, field, f"no project {ref!r} (see `expense projects`)")
        return row
    found = store.projects_named(ref)
    if client_id is not None and len(found) > 1:
        found = [row for row in found if row["client_id"] == client_id] or found
    if not found:
        raise _missing(miss, field, f"no project {ref!r} (see `expense projects`)")
    if len(found) > 1:
        ids = ", ".join(f"{row['id']} ({row['client_name']})" for row in found)
        message = f"project name {ref!r} is ambiguous; use an id: {ids}"
        if miss is Miss.FILTER:  # a filter is a usage error whatever is wrong with it
            raise _missing(miss, field, message)
        raise ValidationError({field: message})
    return found[0]


# categories ---------------------------------------------------------------------------
def list_categories(store: Store) -> list[Category]:
    prices: dict[int, list[UnitPriceRow]] = {}
    for price in store.all_unit_prices():
        prices.setdefault(price["category_id"], []).append(price)
    today = _today()
    return [records.category(row, prices.get(row["id"], ()), today) for row in store.categories()]


def _clean_name(issues: Issues, value: str) -> str | None:
    """A category, client or project name: clean text, and never all ASCII digits — such a
    name would be read back as an id wherever a reference is typed (reference §10.1 item 22)."""
    clean = issues.check("name", text.name, value)
    if clean is not None and _is_id(clean):
        issues.add("name", f"{clean!r} is all digits and would read as an id; add a letter")
        return None
    return clean


def _check_unique(
    found: CategoryRow | ClientRow | None, own_id: int | None, name: str, issues: Issues
) -> None:
    if found is not None and found["id"] != own_id:
        issues.add("name", f"{name!r} already exists (names are case-insensitive)")


def add_category(
    store: Store,
    name: str,
    unit: str | None = None,
    unit_price: str | None = None,
    approval: Approval = Approval.APPROVED,
    reimbursement: Reimbursement = Reimbursement.NOT_REIMBURSABLE,
    unit_currency: str | None = None,
    tax: str | None = None,
) -> Category:
    """A unit-based category prices in `unit_currency` (default: the book's); its creation
    price covers every date until a later `edit_category(..., starts=...)`."""
    issues = Issues()
    clean = _clean_name(issues, name)
    unit_name = issues.check("unit", text.name, unit) if unit is not None else None
    price: Decimal | None = None
    if unit is not None and unit_price is None:
        issues.add("unit_price", "a unit-based category needs --unit-price")
    if unit_price is not None:
        price = issues.check("unit_price", parse_unit_price, unit_price)
        if unit is None:
            issues.add("unit", "a unit price needs --unit to name the unit (e.g. km)")
    code = None
    if unit_currency is not None:
        code = issues.check("unit_currency", normalize_currency, unit_currency)
        if unit is None:
            issues.add("unit_currency", "a unit currency needs --unit and --unit-price")
    tax_rate = _default_tax(tax, issues)
    with store.write():
        if clean is not None:
            _check_unique(store.category_named(clean), None, clean, issues)
        issues.raise_if_any()
        if unit is not None:
            code = code or load_settings(store).default_currency
        new_id = store.insert_category(
            {
                "name": clean,
                "basis": (Basis.UNIT if unit is not None else Basis.AMOUNT).value,
                "unit_name": unit_name,
                "unit_price": None if price is None else format_decimal(price),
                "unit_currency": code,
                "default_approval": approval.value,
                "default_reimbursement": reimbursement.value,
                "tax_rate": tax_rate,
            }
        )
        if price is not None:
            store.set_unit_price(new_id, MIN_DATE.isoformat(), format_decimal(price))
        return find_category(store, str(new_id))


def edit_category(
    store: Store,
    ref: str,
    name: str | None = None,
    unit_price: str | None = None,
    approval: Approval | None = None,
    reimbursement: Reimbursement | None = None,
    starts: str | None = None,
    tax: str | None = None,
) -> Category:
    """Rename a category or change its defaults; a new unit price applies to expenses dated
    on or after `starts` (default today) — existing expenses keep their snapshot."""
    if starts is not None and unit_price is None:
        raise UsageError("--from needs --unit-price: it dates the new price")
    issues = Issues()
    with store.write():
        category = find_category(store, ref, Miss.TARGET)
        values: dict[str, Any] = {}
        if name is not None:
            clean = _clean_name(issues, name)
            if category.is_other and clean != category.name:
                issues.add("name", "the built-in Other category cannot be renamed")
            elif clean is not None:
                _check_unique(store.category_named(clean), category.id, clean, issues)
                values["name"] = clean
        dated = _dated_price(store, category, unit_price, starts, issues)
        if approval is not None:
            values["default_approval"] = approval.value
        if reimbursement is not None:
            values["default_reimbursement"] = reimbursement.value
        if tax is not None:
            values["tax_rate"] = _default_tax(tax, issues)
        issues.raise_if_any()
        store.update_category(category.id, values)
        if dated is not None:
            store.set_unit_price(category.id, *dated)
        return find_category(store, str(category.id))


def _default_tax(tax: str | None, issues: Issues) -> str | None:
    """A category's default tax rate for new expenses (reference §10.6); "" removes it."""
    from expense_cli.domain.taxes import format_rate, parse_tax_rate

    if tax is None or tax.strip() == "":
        return None
    rate = issues.check("tax_rate", parse_tax_rate, tax)
    return None if rate is None else format_rate(rate)


def _dated_price(
    store: Store, category: Category, unit_price: str | None, starts: str | None, issues: Issues
) -> tuple[str, str] | None:
    """`(start date, price)` as stored, or None when no price is given or it is invalid."""
    if unit_price is None:
        return None
    price = issues.check("unit_price", parse_unit_price, unit_price)
    day: date | None = _today()
    if starts is not None:
        order = load_settings(store).date_order
        parsed = issues.check("from", parse_date, starts, order, _today())
        day = None if parsed is None else parsed[0]
    if category.basis is not Basis.UNIT:
        issues.add("unit_price", f"{category.name} is amount-based and has no unit price")
        return None
    if price is None or day is None:
        return None
    return day.isoformat(), format_decimal(price)


Archivable = TypeVar("Archivable", "Category", "Client", "Project")  # `list -c` builds none


def _set_archived(
    store: Store, ref: str, archived: bool, find: Callable[[Store, str, Miss], Archivable],
    update: Callable[[int, dict[str, Any]], object],
) -> Archivable:  # fmt: skip
    """Archive a record, or let it take new expenses again (unarchiving a live one changes
    nothing)."""
    with store.write():
        record = find(store, ref, Miss.TARGET)
        if archived or record.archived:
            update(record.id, {"archived": int(archived)})
        return replace(record, archived=archived)


def _archivable_category(store: Store, ref: str, miss: Miss) -> Category:
    category = find_category(store, ref, miss)
    if category.is_other:
        raise ValidationError({"category": "the built-in Other category cannot be archived"})
    return category


def archive_category(store: Store, ref: str) -> Category:
    return _set_archived(store, ref, True, _archivable_category, store.update_category)


def unarchive_category(store: Store, ref: str) -> Category:
    return _set_archived(store, ref, False, find_category, store.update_category)


def delete_category(store: Store, ref: str) -> Category:
    """Delete a category no expense uses (deleted ones included): exit 5 otherwise."""
    with store.write():
        category = find_category(store, ref, Miss.TARGET)
        if category.is_other:
            raise ValidationError({"category": "the built-in Other category cannot be deleted"})
        if store.category_in_use(category.id):
            raise ConflictError(
                f"category {category.name!r} is used by expenses (deleted ones included); "
                "archive it instead",
                {"category": "in use"},
            )
        store.delete_category(category.id)
        return category


# clients ------------------------------------------------------------------------------
def list_clients(store: Store) -> list[Client]:
    return [records.client(row) for row in store.clients()]


def add_client(
    store: Store, name: str, currency: str | None = None, markup: str | None = None
) -> Client:
    issues = Issues()
    clean = _clean_name(issues, name)
    code = issues.check("currency", normalize_currency, currency) if currency is not None else None
    markup_bp = issues.check("markup", parse_markup, markup) if markup is not None else 0
    with store.write():
        if clean is not None:
            _check_unique(store.client_named(clean), None, clean, issues)
        issues.raise_if_any()
        code = code or load_settings(store).default_currency
        new_id = store.insert_client({"name": clean, "currency": code, "markup_bp": markup_bp})
        return find_client(store, str(new_id))


def edit_client(
    store: Store, ref: str, name: str | None = None, currency: str | None = None,
    markup: str | None = None,
) -> Client:  # fmt: skip
    """Rename a client; its currency can change only while no expense uses the client.
    A new markup applies to invoicing from now on (recorded rebill amounts stay)."""
    issues = Issues()
    if markup is not None:
        markup_bp = issues.check("markup", parse_markup, markup)
    with store.write():
        client = find_client(store, ref, Miss.TARGET)
        values: dict[str, Any] = {}
        if name is not None:
            clean = _clean_name(issues, name)
            if clean is not None:
                _check_unique(store.client_named(clean), client.id, clean, issues)
                values["name"] = clean
        if currency is not None:
            code = issues.check("currency", normalize_currency, currency)
            if code is not None and code != client.currency:
                values["currency"] = code
        if markup is not None:
            values["markup_bp"] = markup_bp
        issues.raise_if_any()
        if "currency" in values and store.client_in_use(client.id):
            raise ConflictError(
                f"client {client.name!r} has expenses in {client.currency}; its currency is fixed",
                {"currency": f"fixed at {client.currency} while expenses use this client"},
            )
        store.update_client(client.id, values)
        return find_client(store, str(client.id))


def archive_client(store: Store, ref: str) -> Client:
    return _set_archived(store, ref, True, find_client, store.update_client)


def unarchive_client(store: Store, ref: str) -> Client:
    return _set_archived(store, ref, False, find_client, store.update_client)


# projects -----------------------------------------------------------------------------
def list_projects(store: Store) -> list[Project]:
    return [records.project(row) for row in store.projects()]


def add_project(store: Store, name: str, client_ref: str) -> Project:
    issues = Issues()
    clean = _clean_name(issues, name)
    with store.write():
        client = issues.attempt(find_client, store, client_ref)
        if client is not None and client.archived:
            issues.add("client", f"client {client.name!r} is archived")
        if clean and client and store.project_named_for_client(clean, client.id):
            issues.add("name", f"{client.name} already has a project {clean!r}")
        issues.raise_if_any()
        assert client is not None
        new_id = store.insert_project({"name": clean, "client_id": client.id})
        return find_project(store, str(new_id))


def edit_project(store: Store, ref: str, name: str | None = None) -> Project:
    issues = Issues()
    with store.write():
        project = find_project(store, ref, Miss.TARGET)
        values: dict[str, Any] = {}
        if name is not None:
            clean = _clean_name(issues, name)
            if clean is not None:
                other = store.project_named_for_client(clean, project.client.id)
                if other is not None and other["id"] != project.id:
                    issues.add("name", f"{project.client.name} already has a project {clean!r}")
                values["name"] = clean
        issues.raise_if_any()
        store.update_project(project.id, values)
        return find_project(store, str(project.id))


def archive_project(store: Store, ref: str) -> Project:
    return _set_archived(store, ref, True, find_project, store.update_project)


def unarchive_project(store: Store, ref: str) -> Project:
    """A project whose client is archived stays unusable until the client is unarchived."""
    return _set_archived(store, ref, False, find_project, store.update_project)


def names(store: Store, kind: str) -> list[str]:
    """Category, client or project names for shell completion (profile names:
    `profiles.profile_names`)."""
    source: dict[str, Callable[..., Sequence[CategoryRow | ClientRow | ProjectRow]]] = {
        "category": store.categories, "client": store.clients, "project": store.projects
    }  # fmt: skip
    return [row["name"] for row in source[kind](include_archived=False)]
