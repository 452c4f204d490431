"""Compose the stored values of an expense from typed input and, for `edit` and `clone`,
the expense it starts from — every rule of reference §2 applied, every bad field collected."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property, lru_cache
from typing import Any, TypeVar

from expense_cli.domain import accounts, rules, text
from expense_cli.domain import compose_money as foreign
from expense_cli.domain.book import Settings
from expense_cli.domain.catalog import find_category, find_client, find_project
from expense_cli.domain.catalog_models import Category, Client, Project
from expense_cli.domain.dates import (
    format_timestamp,
    local_day,
    parse_date,
    parse_time,
    utc_now,
)
from expense_cli.domain.inputs import ExpenseInput
from expense_cli.domain.models import Basis, Expense
from expense_cli.domain.money import (
    currency_digits,
    format_decimal,
    parse_amount,
    parse_unit_price,
    parse_units,
)
from expense_cli.domain.validation import InvalidValue, Issues
from expense_cli.store import Store

T = TypeVar("T")
# Pure checks whose inputs repeat from row to row of an import (one account, a few thousand
# dates): each value is parsed once. Errors are not remembered; they raise every time.
_account = lru_cache(maxsize=256)(accounts.account)
_parse_date = lru_cache(maxsize=4096)(parse_date)
_normalize_tags = lru_cache(maxsize=1024)(text.normalize_tags)


@dataclass(frozen=True)
class Clock:
    """One moment for a whole command (an import stamps every row alike)."""

    now: datetime = field(default_factory=utc_now)

    @cached_property
    def today(self) -> date:
        return local_day(self.now)  # "today" is the user's local day

    @cached_property
    def stamp(self) -> str:
        return format_timestamp(self.now)


def new_uid() -> str:
    """The uid of a new expense."""
    import uuid  # imports `platform`: only on the paths that create expenses

    return str(uuid.uuid4())


@dataclass(frozen=True)
class Finders:
    """How `compose` resolves a category, client or project: domain/catalog's lookups, or
    remembered ones for bulk work (an import's rows name the same few records)."""

    category: Callable[[Store, str], Category] = find_category
    client: Callable[[Store, str], Client] = find_client
    project: Callable[..., Project] = find_project


CATALOG = Finders()


@dataclass
class Composed:
    values: dict[str, Any]
    tags: tuple[str, ...]
    issues: Issues
    changed: set[str]


def _optional_text(
    value: str, clean: Callable[[str], str], issues: Issues, name: str
) -> str | None:
    return None if value.strip() == "" else issues.check(name, clean, value)


class _Composer:
    def __init__(
        self, store: Store, settings: Settings, clock: Clock, inp: ExpenseInput,
        base: Expense | None, cloning: bool, find: Finders = CATALOG,
    ) -> None:  # fmt: skip
        self.store, self.settings, self.clock, self.find = store, settings, clock, find
        self.inp, self.base, self.cloning = inp, base, cloning
        self.issues = Issues()
        self.changed: set[str] = set()
        self.values: dict[str, Any] = {}

    @property
    def keeps_base(self) -> bool:
        """`edit` keeps what is not given; `clone` copies only what rule 13 lists."""
        return self.base is not None and not self.cloning

    def run(self) -> Composed:
        self._description()
        category = self._category()
        client, project = self._links()
        digits = self._currency(client, project)
        self.inp = foreign.original(self, category, digits)  # may derive the amount
        if category is not None:
            self._amount(category, digits)
            self._label(category)
        else:  # rule 16: the amount's own rules hold whatever the category turns out to be
            if self.inp.amount is not None:
                self.issues.check("amount", parse_amount, self.inp.amount, digits)
            if self.inp.units is not None:
                self.issues.check("units", parse_units, self.inp.units)
        self._dates()
        foreign.tax(self, category, digits)
        self._flags(category)
        self._account()
        given = self.inp.tags
        parse = _normalize_tags if isinstance(given, tuple) else text.normalize_tags
        tags = self.issues.check("tags", parse, given) or ()
        return Composed(self.values, tags, self.issues, self.changed)

    def _description(self) -> None:
        if self.inp.description is not None:
            value = self.issues.check("description", text.description, self.inp.description)
        elif self.base is not None:
            value = self.base.description
        else:
            self.issues.add("description", "a description is required")
            value = None
        self.values["description"] = value

    def _category(self) -> Category | None:
        if self.inp.category is not None:
            category = self.issues.attempt(self.find.category, self.store, self.inp.category)
            self._refuse_archived("category", category, "category")
        elif self.base is not None:
            category = self.find.category(self.store, str(self.base.category.id))
            if self.cloning:
                self._refuse_archived("category", category, "category", hint=" (override with -c)")
        else:
            self.issues.add("category", "a category is required (-c)")
            category = None
        self.values["category_id"] = None if category is None else category.id
        return category

    def _refuse_archived(self, name: str, record: Any, what: str, hint: str = "") -> None:
        if record is not None and record.archived:
            self.issues.add(name, f"{what} {record.name!r} is archived{hint}")

    def _links(self) -> tuple[Client | None, Project | None]:
        """Client and project (rules 6, 7): as typed or kept from the base, then linked."""
        client = self._client()
        project = self._project(client)
        if (
            project is not None
            and project.client_archived
            and (self.inp.project is not None or self.cloning)
        ):
            self.issues.add("project", f"the client of project {project.name!r} is archived")
        linked = rules.link(
            project, client, client_given=self.inp.client is not None, issues=self.issues
        )
        self._keep_links(linked)
        if project is not None and linked.client == project.client:
            return _client_of(project), project
        return client, project

    def _client(self) -> Client | None:
        if self.inp.client is not None:
            return self._typed_link("client", self.inp.client, self.find.client)
        if self.base is not None and self.base.client is not None:
            found = self.find.client(self.store, str(self.base.client.id))
            return self._base_link("client", found)
        return None

    def _project(self, client: Client | None) -> Project | None:
        if self.inp.project is not None:
            client_id = None if client is None else client.id
            return self._typed_link(
                "project", self.inp.project, self.find.project, client_id=client_id
            )
        if self.base is not None and self.base.project is not None:
            found = self.find.project(self.store, str(self.base.project.id))
            return self._base_link("project", found)
        return None

    def _typed_link(self, name: str, typed: str, find: Callable[..., T], **kw: Any) -> T | None:
        """A client or project as typed: `""` detaches; an unknown one changes the link (so
        the invoice lock speaks too); an archived one is refused."""
        if not typed.strip():
            return None
        record = self.issues.attempt(find, self.store, typed, **kw)
        self._refuse_archived(name, record, name)
        if record is None:
            self.changed.add(name)
        return record

    def _base_link(self, name: str, record: T) -> T:
        """The base's client or project: kept, but a clone refuses an archived one."""
        if self.cloning:
            self._refuse_archived(name, record, name, " (override it)")
        return record

    def _keep_links(self, linked: rules.Link) -> None:
        """The linked ids as stored values; one that differs from the base's has changed."""
        for name, ref in (("client", linked.client), ("project", linked.project)):
            self.values[f"{name}_id"] = None if ref is None else ref.id
            if self.base is not None:
                before = getattr(self.base, name)
                if self.values[f"{name}_id"] != (None if before is None else before.id):
                    self.changed.add(name)

    def _currency(self, client: Client | None, project: Project | None) -> int:
        """The expense's currency and its minor digits: snapshotted at creation (rule 5)."""
        if self.base is not None:
            currency, digits = self.base.currency, self.base.amount.digits
            if "client" in self.changed or self.cloning:
                rules.check_currency(client.currency if client else None, currency, self.issues)
        else:
            currency = client.currency if client else self.settings.default_currency
            digits = currency_digits(currency)
        self.values["currency"], self.values["scale"] = currency, digits
        return digits

    def _amount(self, category: Category, digits: int) -> None:
        inp, base = self.inp, self.base
        # The amount carries over within a category and between amount-based ones; moving
        # into a unit-based category, or out of one, needs --units or --amount (rule 18).
        carries = base is not None and (
            base.category.id == category.id
            or (category.basis is Basis.AMOUNT and base.units is None)
        )
        if not carries or base is None:
            category = self._dated(category)
            if inp.unit_price is not None and category.basis is Basis.UNIT:
                # import keeps the price a row was created with; an empty cell looks it up
                price = self.issues.check("unit_price", parse_unit_price, inp.unit_price)
                category = replace(category, unit_price=price)
            priced = rules.price(
                category, digits, amount=inp.amount, units=inp.units, issues=self.issues
            )
        elif category.basis is Basis.AMOUNT:
            if inp.units is not None:
                self.issues.add("units", f"{category.name} is amount-based: give an amount")
            priced = rules.Priced(base.amount.minor, None, None)
            if inp.amount is not None:
                priced = rules.price(
                    category, digits, amount=inp.amount, units=None, issues=self.issues
                )
        else:
            if inp.amount is not None:
                self.issues.add("amount", f"{category.name} is unit-based: give --units instead")
            priced = rules.Priced(base.amount.minor, base.units, base.unit_price)
            unit_price = base.unit_price
            if self._reprices() and base.units is not None:
                unit_price = self._dated(category).unit_price
                units = inp.units if inp.units is not None else format_decimal(base.units)
                priced = rules.priced_units(units, unit_price, digits, self.issues)
            elif inp.units is not None:
                priced = rules.priced_units(inp.units, unit_price, digits, self.issues)
        self.values["amount_minor"] = priced.amount_minor
        counted = priced.units is not None and priced.unit_price is not None
        self.values["units"] = format_decimal(priced.units) if counted else None  # type: ignore[arg-type]
        self.values["unit_price"] = format_decimal(priced.unit_price) if counted else None  # type: ignore[arg-type]
        if base is not None:
            if priced.amount_minor != base.amount.minor:
                self.changed.add("amount")
            if priced.units != base.units:
                self.changed.add("units")

    def _reprices(self) -> bool:
        """A clone, and an edit of the units or date of a not-invoiced expense, take the
        price in force on the (new) date; other edits keep the snapshot (reference §10.10
        item 3)."""
        if self.cloning:
            return True
        invoiced = self.base is not None and self.base.invoiced
        return not invoiced and (self.inp.units is not None or self.inp.date is not None)

    def _dated(self, category: Category) -> Category:
        """`category` with the unit price in force on the expense's date; a unit price is
        in one currency and prices only expenses in it (reference §10.1 item 2)."""
        if category.basis is not Basis.UNIT:
            return category
        currency = self.values["currency"]
        if category.unit_currency is not None and category.unit_currency != currency:
            self.issues.add(
                "category",
                f"{category.name} is priced in {category.unit_currency} per "
                f"{category.unit_name}; this expense is in {currency}",
            )
        day = self.day()
        return replace(category, unit_price=None if day is None else category.price_on(day))

    def day(self) -> date | None:
        """The date the expense will have, read quietly: `_dates` reports a bad one."""
        if self.inp.date is None:
            return self.base.date if self.keeps_base and self.base else self.clock.today
        try:
            return _parse_date(self.inp.date, self.settings.date_order, self.clock.today)[0]
        except InvalidValue:
            return None

    def _label(self, category: Category) -> None:
        inp, base = self.inp, self.base
        label: str | None
        if inp.label is not None:
            label = _optional_text(inp.label, text.label, self.issues, "custom_category")
        elif base is not None and base.category.id == category.id:
            label = base.custom_category
        else:
            label = None  # moving away from Other clears the label
        if "custom_category" not in self.issues.fields:
            rules.check_label(category, label, self.issues)
        self.values["custom_category"] = label

    def _dates(self) -> None:
        inp, base = self.inp, self.base
        day, time = (base.date, base.time) if self.keeps_base and base else (self.clock.today, None)
        if inp.date is not None:
            parsed = self.issues.check(
                "date", _parse_date, inp.date, self.settings.date_order, self.clock.today
            )
            if parsed is not None:
                day = parsed[0]
                time = parsed[1] if parsed[1] is not None else (time if self.keeps_base else None)
        if inp.time is not None:
            time = _optional_text(inp.time, parse_time, self.issues, "time")
        self.values["date"], self.values["time"] = day.isoformat(), time

    def _flags(self, category: Category | None) -> None:
        inp, base = self.inp, self.base
        billable = inp.billable if inp.billable is not None else bool(base and base.billable)
        if base is not None and billable != base.billable:
            self.changed.add("billable")
        self.values["billable"] = int(billable)
        if inp.notes is not None:
            self.values["notes"] = _optional_text(inp.notes, text.notes, self.issues, "notes")
        else:
            self.values["notes"] = base.notes if base is not None else None
        approval = inp.approval or (base.approval_status if self.keeps_base and base else None)
        reimbursement = inp.reimbursement or (
            base.reimbursement_status if self.keeps_base and base else None
        )
        if category is not None:
            approval = approval or category.default_approval
            reimbursement = reimbursement or category.default_reimbursement
        self.values["approval_status"] = approval.value if approval else None
        self.values["reimbursement_status"] = reimbursement.value if reimbursement else None

    def _account(self) -> None:
        """Reference §10.9: as typed, else the base's (edit keeps it, clone copies it), else
        the book's default_account at creation. Not a locked field (§10.10 item 5)."""
        if self.inp.account is not None:
            value = self.issues.check("account", _account, self.inp.account)
        elif self.base is not None:
            value = self.base.account
        else:
            value = self.settings.default_account
        self.values["account"] = value


def _client_of(project: Project) -> Client:
    return Client(project.client.id, project.client.name, project.client_currency,
                  project.client_archived)  # fmt: skip


def compose(
    store: Store,
    settings: Settings,
    clock: Clock,
    inp: ExpenseInput,
    base: Expense | None = None,
    *,
    cloning: bool = False,
    find: Finders = CATALOG,
) -> Composed:
    """The stored values for a new expense (`base` None), an edit of `base`, or a clone;
    `find` resolves its references."""
    return _Composer(store, settings, clock, inp, base, cloning, find).run()
