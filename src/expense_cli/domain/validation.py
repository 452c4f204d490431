"""Collect every offending field of a request, then raise one `ValidationError`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from expense_cli.errors import ValidationError

T = TypeVar("T")


class InvalidValue(ValueError):
    """A single value breaks a rule; the message says which, the caller names the field."""


class Issues:
    """Gathers `field → message` so a rejection names every bad field at once (rule 16)."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, message)

    def check(self, field: str, parse: Callable[..., T], *args: object) -> T | None:
        """Run `parse(*args)`; record its `InvalidValue` under `field` and return None."""
        try:
            return parse(*args)
        except InvalidValue as exc:
            self.add(field, str(exc))
            return None

    def merge(self, fields: Mapping[str, str], rename: Mapping[str, str] | None = None) -> None:
        """Another check's `field → message` pairs, a field renamed where the caller names
        it otherwise (`import` reports `name` under the row's column)."""
        for key, message in fields.items():
            self.add((rename or {}).get(key, key), message)

    def attempt(
        self, call: Callable[..., T], *args: Any, rename: Mapping[str, str] | None = None,
        **kw: Any,
    ) -> T | None:  # fmt: skip
        """Run `call(...)`; record its `ValidationError`'s fields and return None."""
        try:
            return call(*args, **kw)
        except ValidationError as exc:
            self.merge(exc.fields, rename)
            return None

    def __bool__(self) -> bool:
        return bool(self.fields)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationError(self.fields)


def checked(field: str, parse: Callable[..., T], *args: object) -> T:
    """`parse(*args)`, or its `InvalidValue` raised as a `ValidationError` under `field`."""
    try:
        return parse(*args)
    except InvalidValue as exc:
        raise ValidationError({field: str(exc)}) from None
