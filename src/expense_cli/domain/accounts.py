"""Payment accounts (reference §10.9): the account an expense was paid from, credited by
the ledger and beancount exports. Pure rules, no I/O."""

from __future__ import annotations

import re

from expense_cli.domain.validation import InvalidValue

DEFAULT_ACCOUNT = "Assets:Cash"
ACCOUNT_MAX = 200
ROOTS = ("Assets", "Liabilities", "Equity", "Income", "Expenses")
# beancount's account grammar (the stricter of the two journal formats): a root, then one
# or more `:`-separated components, each starting with an upper-case letter or a digit and
# going on with letters, digits and hyphens (Unicode letters, as beancount allows them).
_SHAPE = re.compile(rf"(?:{'|'.join(ROOTS)})(?::[^:\s]+)+")


def _component_ok(part: str) -> bool:
    first = part[0]
    if not ((first.isdigit() and first.isascii()) or (first.isalpha() and first.isupper())):
        return False
    return all(c == "-" or c.isalpha() or (c.isdigit() and c.isascii()) for c in part[1:])


def account(value: str) -> str:
    """A payment account as stored: trimmed, in beancount's grammar, e.g. `Liabilities:Visa`
    (reference §10.9). `""` and anything else is refused."""
    name = value.strip()
    if not name:
        raise InvalidValue("an account name is required, e.g. Assets:Cash or Liabilities:Visa")
    if len(name) > ACCOUNT_MAX:
        raise InvalidValue(f"an account name is at most {ACCOUNT_MAX} characters")
    hint = (
        f"not an account name: {', '.join(ROOTS[:-1])} or {ROOTS[-1]}, then ':'-separated "
        "parts each starting with a capital letter or digit and holding only letters, "
        "digits and '-' (e.g. Liabilities:Visa)"
    )
    if not _SHAPE.fullmatch(name):
        raise InvalidValue(hint)
    if not all(_component_ok(part) for part in name.split(":")[1:]):
        raise InvalidValue(hint)
    return name
