"""Opening a book and reading or changing its settings (`config`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from expense_cli.domain.dates import DateOrder
from expense_cli.domain.issues import InvalidValue, Issues
from expense_cli.domain.money import normalize_currency
from expense_cli.errors import UsageError
from expense_cli.store import Store

SETTING_KEYS = ("default_currency", "date_order")


@dataclass(frozen=True)
class Settings:
    default_currency: str = "USD"
    date_order: DateOrder = DateOrder.YMD

    def as_dict(self) -> dict[str, str]:
        return {"default_currency": self.default_currency, "date_order": self.date_order.value}


def open_book(path: Path) -> Store:
    """Open the book at `path`, creating and migrating it as needed."""
    return Store.open(path)


def load_settings(store: Store) -> Settings:
    raw = store.settings()
    return Settings(
        default_currency=raw.get("default_currency", "USD"),
        date_order=DateOrder(raw.get("date_order", "ymd")),
    )


def _date_order(value: str) -> str:
    try:
        return DateOrder(value.strip().lower()).value
    except ValueError:
        raise InvalidValue("date_order is one of ymd, dmy, mdy") from None


_PARSERS = {"default_currency": normalize_currency, "date_order": _date_order}


def set_setting(store: Store, key: str, value: str) -> Settings:
    """Change one setting; new clients and expenses use it, existing ones keep theirs."""
    issues = Issues()
    parsed = issues.check(key, _PARSERS[check_key(key)], value)
    issues.raise_if_any()
    with store.write():
        store.set_setting(key, str(parsed))
        return load_settings(store)


def check_key(key: str) -> str:
    if key not in SETTING_KEYS:
        raise UsageError(f"unknown setting {key!r}; settings are {', '.join(SETTING_KEYS)}")
    return key
