"""The one error hierarchy of `expense`.

Every layer raises these (the store raises `DatabaseUnavailableError`, and `UsageError`
for an output path it refuses; the domain the rest); `cli.errors` is the single place
that maps them to exit codes and messages.
A leaf module, so importing it from any layer keeps the cli → domain → store direction.
"""

from __future__ import annotations

from collections.abc import Mapping


class ExpenseError(Exception):
    """Base of every error a user can cause; `code` is the JSON `error.code`."""

    code = "internal"

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, str] = dict(fields or {})


class UsageError(ExpenseError):
    """Bad invocation: an invalid filter, sort, limit, page or cursor value (exit 2)."""

    code = "usage"


class NotFoundError(ExpenseError):
    """The addressed record does not exist or is deleted (exit 3)."""

    code = "not_found"


class ValidationError(ExpenseError):
    """A record's fields break a rule of reference §2; `fields` names each one (exit 4)."""

    code = "validation_failed"

    def __init__(self, fields: Mapping[str, str], message: str = "validation failed") -> None:
        super().__init__(message, fields)


class ConflictError(ExpenseError):
    """The request conflicts with the book's state (exit 5)."""

    code = "conflict"


class InvoicedLockedError(ConflictError):
    code = "invoiced_locked"


class IdempotencyConflictError(ConflictError):
    code = "idempotency_conflict"


class DatabaseUnavailableError(ExpenseError):
    """Busy past the timeout, read-only, corrupt, or from a newer version (exit 6)."""

    code = "database_unavailable"


class DamagedBookError(DatabaseUnavailableError):
    """The file is not an SQLite database or has a damaged page (exit 6); `db check` lists
    it as a problem instead (exit 4) when the file could be opened at all."""


class OutputFailedError(DatabaseUnavailableError):
    """An output file (export, backup) could not be written: a full disk, a read-only or
    unwritable folder, an I/O error (exit 6); the old file is kept."""

    code = "output_failed"
