"""The SQLite file: connection settings, schema and migrations, queries. The only SQL."""

from expense_cli.store.connection import Store

__all__ = ["Store"]
