"""Per-invocation settings from the root callback, and opening the book for a command."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from expense_cli.errors import UsageError

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
        return _expanded(state.db)
    if os.environ.get(ENV_DB):
        return _expanded(Path(os.environ[ENV_DB]))
    return default_db_path()


def _expanded(path: Path) -> Path:
    """`~/x.db` and `~user/x.db`; a home that cannot be found is a usage error (exit 2)."""
    try:
        return path.expanduser()
    except RuntimeError:
        raise UsageError(
            f"cannot use the book path {path}: the home folder of {path.parts[0]!r} is unknown"
        ) from None


def open_store(ctx: Ctx, *, create: bool = True) -> Store:
    """The book for this command, closed when the command ends. Commands that only read
    pass `create=False`: a book that does not exist is then not created (nor its folder),
    and they see an empty one."""
    from expense_cli.domain.book import open_book

    store = open_book(db_path(ctx), create=create)
    ctx.call_on_close(store.close)
    return store
