"""Per-invocation settings from the root callback, and opening the book for a command."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from expense_cli.store import Store

ENV_DB = "EXPENSE_DB"


@dataclass(frozen=True)
class AppState:
    db: Path | None = None
    debug: bool = False


def default_db_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("expense", appauthor=False) / "expenses.db"


class Ctx(Protocol):
    """What commands need of a Click/Typer context (also the root from `find_root()`)."""

    obj: Any

    def call_on_close(self, f: Callable[[], Any]) -> Any: ...


def db_path(ctx: Ctx) -> Path:
    """`--db`, else `$EXPENSE_DB`, else the per-user data directory."""
    state = ctx.obj if isinstance(ctx.obj, AppState) else AppState()
    if state.db is not None:
        return state.db.expanduser()
    if os.environ.get(ENV_DB):
        return Path(os.environ[ENV_DB]).expanduser()
    return default_db_path()


def open_store(ctx: Ctx) -> Store:
    """The book for this command, closed when the command ends."""
    from expense_cli.domain.book import open_book

    store = open_book(db_path(ctx))
    ctx.call_on_close(store.close)
    return store
