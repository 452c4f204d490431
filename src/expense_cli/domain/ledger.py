"""Expenses as plain-text accounting journals: ledger/hledger and beancount v3.

One transaction per expense, dated `date`, debiting `Expenses:<Category>` and crediting
the given account, in the expense's own currency, with its tags and its uid as metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from expense_cli.domain.models import Expense

_LEDGER_UNSAFE = re.compile(r"[:;\s]+")
_BEAN_COMPONENT = re.compile(r"[^\w-]|_")
_BEAN_TAG = re.compile(r"[^A-Za-z0-9\-_/.]+")


def _ledger_account(name: str) -> str:
    # ':' would split the account and two spaces would end it.
    return "Expenses:" + re.sub(r"[:]+", "-", " ".join(name.split()))


def _ledger_tag(tag: str) -> str:
    return _LEDGER_UNSAFE.sub("-", tag).strip("-") or "tag"


def ledger_entries(expenses: Iterable[Expense], account: str = "Assets:Cash") -> Iterator[str]:
    """Transactions for ledger-cli and hledger (`YYYY-MM-DD payee`, two-space separators)."""
    for e in expenses:
        # An empty code keeps a payee starting with *, ! or ( from reading as status/code.
        code = "() " if e.description.startswith(("*", "!", "(")) else ""
        lines = [f"{e.date.isoformat()} {code}{e.description}", f"    ; uid: {e.uid}"]
        # One `; name:` line per tag: both ledger (metadata) and hledger (tags) read it.
        lines += [f"    ; {_ledger_tag(t)}:" for t in e.tags]
        lines.append(f"    {_ledger_account(e.category.name)}  {e.amount} {e.currency}")
        lines.append(f"    {account}")
        yield "\n".join(lines) + "\n\n"


def beancount_account(name: str, root: str = "Expenses") -> str:
    """Each component capitalised, spaces as `-`, only letters, digits and `-`."""
    parts = []
    for part in name.split(":"):
        clean = re.sub("-+", "-", _BEAN_COMPONENT.sub("-", "-".join(part.split()))).strip("-")
        clean = (clean or "Other")[0].upper() + (clean or "Other")[1:]
        if not (clean[0].isupper() or clean[0].isdigit()):
            clean = "X" + clean  # components start with an upper-case letter or a digit
        parts.append(clean)
    return ":".join([root, *parts]) if root else ":".join(parts)


def _bean_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def beancount_entries(
    expenses: Iterable[Expense], account: str = "Assets:Cash", opened: set[str] | None = None
) -> Iterator[str]:
    """beancount v3 transactions; the accounts used are added to `opened`."""
    credit = beancount_account(account, root="")
    for e in expenses:
        debit = beancount_account(e.category.name)
        if opened is not None:
            opened.update((debit, credit))
        tags = "".join(f" #{_BEAN_TAG.sub('-', t).strip('-') or 'tag'}" for t in e.tags)
        yield (
            f"{e.date.isoformat()} * {_bean_string(e.description)}{tags}\n"
            f"  uid: {_bean_string(e.uid)}\n"
            f"  {debit}  {e.amount} {e.currency}\n"
            f"  {credit}\n\n"
        )


def beancount_opens(accounts: Iterable[str]) -> str:
    """Open every account used; dated before any expense (the book starts in 1900)."""
    return "".join(f"1900-01-01 open {name}\n" for name in sorted(accounts))
