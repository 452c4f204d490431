"""The command being run, as the change log names it (reference §10.8): set once by the cli
(`cli/errors.py` wraps every command), read by the store when it writes a change. A leaf
module, as `errors.py`: every layer may import it, and it imports nothing of ours."""

from __future__ import annotations

from contextvars import ContextVar

COMMAND: ContextVar[str] = ContextVar("expense_command", default="expense")
