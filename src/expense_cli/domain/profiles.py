"""Import profiles (reference §10.4): a bank's reading options saved under a name in the
book, applied by `import --profile NAME`; each option given on the command line replaces
the profile's (`--map` its whole map)."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from typing import Any

from expense_cli.domain import accounts, catalog, text
from expense_cli.domain.statements import ReadOptions
from expense_cli.domain.validation import Issues
from expense_cli.errors import NotFoundError
from expense_cli.store import Store
from expense_cli.store import statements as sql
from expense_cli.store.rows import ImportProfileRow

_KEYS = {"mapping": "map"}  # ReadOptions field → JSON key


@dataclass(frozen=True)
class Profile:
    id: int
    name: str
    options: ReadOptions

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, **options_json(self.options)}


def options_json(options: ReadOptions) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(ReadOptions):
        value = getattr(options, f.name)
        if f.name == "mapping":
            value = None if value is None else dict(value)
        out[_KEYS.get(f.name, f.name)] = value
    return out


def _options(raw: str) -> ReadOptions:
    data = json.loads(raw)
    mapping = data.get("map")
    known = {f.name for f in fields(ReadOptions)} - {"mapping"}
    return ReadOptions(
        mapping=None if mapping is None else tuple(mapping.items()),
        **{k: v for k, v in data.items() if k in known},
    )


def _profile(row: ImportProfileRow) -> Profile:
    return Profile(row["id"], row["name"], _options(row["options"]))


def list_profiles(store: Store) -> list[Profile]:
    return [_profile(row) for row in sql.profiles(store)]


def profile_names(store: Store) -> list[str]:
    """Profile names for shell completion."""
    try:
        return [profile.name for profile in list_profiles(store)]
    except Exception:  # a book from before profiles: nothing to complete
        return []


def get_profile(store: Store, name: str) -> Profile:
    row = sql.profile_named(store, name.strip())
    if row is None:
        raise NotFoundError(f"no import profile {name!r} (see `expense import-profile list`)")
    return _profile(row)


def add_profile(store: Store, name: str, options: ReadOptions) -> Profile:
    """Save `options` as NAME; a taken name, an unknown default category or a payment
    account outside §10.9's grammar is exit 4."""
    with store.write():
        issues = Issues()
        cleaned = issues.check("name", text.name, name)
        if cleaned is not None and sql.profile_named(store, cleaned) is not None:
            issues.add("name", f"an import profile {cleaned!r} exists (delete it first)")
        if options.default_category is not None:
            issues.attempt(
                catalog.find_category, store, options.default_category, field="default_category"
            )
        if options.account is not None:
            account = issues.check("account", accounts.account, options.account)
            options = replace(options, account=account)
        issues.raise_if_any()
        assert cleaned is not None
        sql.insert_profile(store, cleaned, json.dumps(options_json(options)))
        return get_profile(store, cleaned)


def delete_profile(store: Store, name: str) -> Profile:
    with store.write():
        profile = get_profile(store, name)
        sql.delete_profile(store, profile.id)
        return profile


def merged(base: ReadOptions, given: dict[str, Any]) -> ReadOptions:
    """The profile's options with each option given on the command line (not None) instead."""
    return replace(base, **{k: v for k, v in given.items() if v is not None})
