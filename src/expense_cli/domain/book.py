"""Opening a book and reading or changing its settings (`config`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from expense_cli.domain.accounts import DEFAULT_ACCOUNT, account
from expense_cli.domain.dates import DateOrder
from expense_cli.domain.money import normalize_currency
from expense_cli.domain.validation import InvalidValue, Issues
from expense_cli.errors import DatabaseUnavailableError, UsageError
from expense_cli.store import Store

SETTING_KEYS = ("default_currency", "date_order", "default_account")


@dataclass(frozen=True)
class Settings:
    default_currency: str = "USD"
    date_order: DateOrder = DateOrder.YMD
    default_account: str = DEFAULT_ACCOUNT  # reference §10.9

    def as_dict(self) -> dict[str, str]:
        return {
            "default_currency": self.default_currency,
            "date_order": self.date_order.value,
            "default_account": self.default_account,
        }


def transaction(store: Store) -> AbstractContextManager[None]:
    """One transaction around a use case and its output: a command that changes records
    prints them before the commit, so output that cannot be written changes nothing."""
    return store.write()


def peek_book(path: Path) -> Store:
    """An existing book opened read-only, never created or migrated (completion)."""
    return Store.open_read_only(path)


def open_book(path: Path, *, create: bool = True) -> Store:
    """Open the book at `path`, creating and migrating it as needed; with `create=False`
    a missing book is not created (reads see an empty book)."""
    return Store.open(path, create=create)


_CURRENCY_SHAPE = re.compile(r"[A-Z]{3}")


def _stored_currency(value: str) -> str:
    if normalize_currency(value) != value:
        raise InvalidValue("default_currency is an upper-case ISO 4217 code")
    return value


def _stored_date_order(value: str) -> DateOrder:
    try:
        return DateOrder(value)
    except ValueError:
        raise InvalidValue("date_order is one of ymd, dmy, mdy") from None


def _stored_account(value: str) -> str:
    if account(value) != value:
        raise InvalidValue("default_account is an account name such as Assets:Cash")
    return value


# The exact form `config` stores; anything else was written by another tool.
_STORED: dict[str, Callable[[str], object]] = {
    "default_currency": _stored_currency,
    "date_order": _stored_date_order,
    "default_account": _stored_account,
}


def setting_problems(
    raw: Mapping[str, str], keys: Collection[str] = SETTING_KEYS
) -> dict[str, str]:
    """Stored settings outside their allowed values: `key → why` (`db check` lists them)."""
    problems: dict[str, str] = {}
    for key in keys:
        if key in raw:
            try:
                _STORED[key](raw[key])
            except InvalidValue as exc:
                problems[key] = f"{raw[key]!r} is not allowed ({exc})"
    return problems


def load_settings(store: Store, checked: Collection[str] = SETTING_KEYS) -> Settings:
    """The book's settings; a `checked` one stored outside its allowed values is exit 6
    naming it. Checking default_currency loads the ISO table (~50 ms), so reads that need
    only the date order check only that (an unchecked bad date order reads as ymd)."""
    raw = store.settings()
    problems = setting_problems(raw, checked)
    currency = raw.get("default_currency", "USD")
    if "default_currency" not in checked and not _CURRENCY_SHAPE.fullmatch(currency):
        # Without the ISO table, the shape alone: `XX` or `euro` never passes a read.
        problems["default_currency"] = f"{currency!r} is not allowed (an ISO 4217 code)"
    if problems:
        key, why = next(iter(problems.items()))
        raise DatabaseUnavailableError(
            f"cannot use the book at {store.path}: its setting {key} = {why}; "
            f"set it again with `expense config {key} VALUE`"
        )
    order = raw.get("date_order", "ymd")
    return Settings(
        default_currency=raw.get("default_currency", "USD"),
        date_order=DateOrder.YMD if setting_problems(raw, ["date_order"]) else DateOrder(order),
        default_account=raw.get("default_account", DEFAULT_ACCOUNT),
    )


def _date_order(value: str) -> str:
    try:
        return DateOrder(value.strip().lower()).value
    except ValueError:
        raise InvalidValue("date_order is one of ymd, dmy, mdy") from None


_PARSERS = {
    "default_currency": normalize_currency,
    "date_order": _date_order,
    "default_account": account,
}


def set_setting(store: Store, key: str, value: str) -> Settings:
    """Change one setting; new clients and expenses use it, existing ones keep theirs."""
    issues = Issues()
    parsed = issues.check(key, _PARSERS[check_key(key)], value)
    issues.raise_if_any()
    with store.write():
        store.set_setting(key, str(parsed))
        # Only the key just set is checked: with two bad settings, each can still be fixed.
        return load_settings(store, checked=(key,))


def check_key(key: str) -> str:
    if key not in SETTING_KEYS:
        raise UsageError(f"unknown setting {key!r}; settings are {', '.join(SETTING_KEYS)}")
    return key
