"""Modules imported on first use, so `expense --version` and `--help` load no domain,
store, Rich or currency code (reference §8 start-up bar).

`lazy()` is `Any` to mypy, so every use has a typed twin that mypy reads instead:

    if TYPE_CHECKING:
        from expense_cli.domain import expenses as use
    else:
        use = lazy("expense_cli.domain.expenses")

(tests/test_typing.py checks each cli module, and that a misspelt keyword fails mypy.)"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands in for a module until an attribute is read, then imports it."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


def lazy(name: str) -> Any:
    return LazyModule(name)
