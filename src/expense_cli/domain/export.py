"""`export`: the destination file (`export_file`, atomic and never the book) and the
plain-text accounting journals, ledger/hledger and beancount v3. (CSV, JSON and NDJSON
are the list formats, written by `cli.render`.)

One transaction per expense, dated `date`, debiting the category's account and crediting
the expense's payment account (or `export --account` for every row), in the expense's own
currency, with its tags, its uid and its other fields as metadata (reference §10.1 items 5 and 25):

- `category_account` maps a category name to one account, the same in both formats,
  distinct for distinct names (docs/decisions.md, "Ledger and beancount exports").
- The description is the payee (ledger) or narration (beancount); a character the format
  cannot carry there is replaced, and the exact text is kept as `description` metadata.
- `client`, `project`, `billable`, `invoice_ref`, `custom_category` and `notes` are
  metadata when set. No control character (C0, C1) or bidi control is ever written raw.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TextIO

from expense_cli.domain import accounts
from expense_cli.domain.models import Expense
from expense_cli.domain.validation import Issues, checked
from expense_cli.store import Store, files

# Never written raw (§10.1 item 25): C0, DEL, C1, bidi controls, lone surrogates (they
# cannot even be encoded), and the line/paragraph separators some readers split lines on.
_UNWRITABLE = "\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\u2028\u2029"
# In a beancount string: what its escapes carry, and what they cannot.
_BEAN_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_BEAN_SPECIAL = re.compile(f'[\\\\"{_UNWRITABLE}]')
# JSON string escapes, for the ledger metadata values and `description` metadata.
_JSON_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_LEDGER_PAYEE_BAD = re.compile(f"[;{_UNWRITABLE}]")
# hledger ends a tag value at a comma; ledger and hledger trim a value's edges.
_LEDGER_VALUE_SPECIAL = re.compile(f"[\\\\,{_UNWRITABLE}]|^\\s|\\s\\Z")
_LEDGER_UNSAFE = re.compile(f"[:;,\\s{_UNWRITABLE}]+")
_BEAN_TAG = re.compile(r"[^A-Za-z0-9\-_/.]+")
_BEAN_COMPONENT = re.compile(r"[^\w-]|_")
_REPLACEMENT = "\ufffd"


# Accounts -------------------------------------------------------------------------------
def _is_word(char: str) -> bool:
    """A character beancount allows inside an account component: \\p{L} or \\p{Nd}."""
    category = unicodedata.category(char)
    return category[0] == "L" or category == "Nd"


def _capital(char: str) -> str | None:
    """`char` as a component may start (\\p{Lu} or \\p{Nd}), capitalised if it must be and
    can be without changing its case-folded form; None when it cannot start one."""
    if not char:
        return None
    if unicodedata.category(char) in ("Lu", "Nd"):
        return char
    upper = char.upper()
    if len(upper) == 1 and unicodedata.category(upper) == "Lu":
        return upper if upper.casefold() == char.casefold() else None
    return None


def _body(part: str, start: int) -> str:
    """`part[start:]` as component characters: letters and digits as themselves, a single
    space followed by a letter or digit as `-`, anything else as `--<HEX>-`. `-` then a
    letter or digit is always a space and `--` always an escape, so this reads back."""
    out = []
    for i in range(start, len(part)):
        char = part[i]
        if _is_word(char):
            out.append(char)
        elif char == " " and i + 1 < len(part) and _is_word(part[i + 1]):
            out.append("-")
        else:
            out.append(f"--{ord(char):X}-")
    return "".join(out)


def _component(part: str) -> str:
    """One `:`-separated part of a category name as an account component."""
    first = _capital(part[:1])
    if first is not None:
        return first + _body(part, 1)
    # `X---` cannot begin any other component: after a literal first character comes a
    # letter, `-` and a letter, or `--` and a hex digit, never `---`.
    return "X---" + _body(part, 0)


def category_account(name: str) -> str:
    """`Expenses:` and one component per `:`-separated part of `name`, valid in beancount's
    account grammar and used verbatim by ledger/hledger. Injective for names that differ
    case-insensitively (the book's rule): only a part's first letter changes case."""
    return "Expenses:" + ":".join(_component(part) for part in name.split(":"))


def beancount_account(name: str, root: str = "Expenses") -> str:
    """The credited `--account` in beancount: each component capitalised, spaces as `-`,
    only letters, digits and `-` (payment accounts are validated by §10.9)."""
    parts = []
    for part in name.split(":"):
        clean = re.sub("-+", "-", _BEAN_COMPONENT.sub("-", "-".join(part.split()))).strip("-")
        clean = "".join(c if _is_word(c) or c == "-" else "-" for c in clean or "Other")
        clean = clean[0].upper() + clean[1:]
        if unicodedata.category(clean[0]) not in ("Lu", "Nd"):
            clean = "X" + clean  # components start with an upper-case letter or a digit
        parts.append(clean)
    return ":".join([root, *parts]) if root else ":".join(parts)


def _ledger_credit(account: str) -> str:
    # Two spaces end an account in a posting; control characters never leave raw.
    cleaned = re.sub(f"[{_UNWRITABLE}]", _REPLACEMENT, account)
    return " ".join(cleaned.split()) or "Assets:Cash"


# Text -----------------------------------------------------------------------------------
def _unicode_escape(char: str) -> str:
    return f"\\u{ord(char):04x}"


def escaped(text: str) -> str:
    """JSON string escapes: `\\\\`, `\\n`, `\\t`, `\\r`, `\\uXXXX` for every other character
    that is never written raw. `json.loads('"' + value + '"')` (with `"` escaped) reads
    the exact text back."""
    return re.sub(
        f"[\\\\{_UNWRITABLE}]", lambda m: _JSON_ESCAPES.get(m[0]) or _unicode_escape(m[0]), text
    )


def _fields(e: Expense) -> list[tuple[str, str | bool]]:
    """The metadata set on `e` besides uid and description, in a fixed order."""
    money = e.money_json()
    pairs: list[tuple[str, str | bool | None]] = [
        ("client", e.client.name if e.client else None),
        ("project", e.project.name if e.project else None),
        ("billable", True if e.billable else None),
        ("invoice_ref", e.invoice_ref),
        ("rebill_amount", e.to_json()["rebill_amount"]),
        ("custom_category", e.custom_category),
        ("notes", e.notes),
        # The tax posting alone would lose whether it was a rate or a fixed amount, and the
        # foreign amount paid has no posting at all (reference §10.1 item 5, §10.6).
        ("tax_rate", money["tax_rate"]),
        ("original_amount", money["original_amount"]),
        ("original_currency", money["original_currency"]),
    ]
    return [(key, value) for key, value in pairs if value is not None and value != ""]


# ledger / hledger -----------------------------------------------------------------------
def _ledger_tag(tag: str) -> str:
    return _LEDGER_UNSAFE.sub("-", tag).strip("-") or "tag"


def _ledger_payee(description: str) -> str:
    # hledger starts a comment at any `;`; line breaks and controls cannot be on the line.
    def swap(match: re.Match[str]) -> str:
        char = match[0]
        return "," if char == ";" else " " if char in "\n\t\r" else _REPLACEMENT

    return _LEDGER_PAYEE_BAD.sub(swap, description)


def ledger_value(text: str) -> str:
    """A metadata value on one line: `escaped`, plus `,` (where hledger ends a value) and
    leading or trailing whitespace (which both tools trim) as `\\uXXXX`."""
    return _LEDGER_VALUE_SPECIAL.sub(
        lambda m: _JSON_ESCAPES.get(m[0]) or _unicode_escape(m[0]), text
    )


def payment_account(account: str | None) -> str | None:
    """`export --account A`: None (each expense credits its own account) or a valid account
    name (reference §10.9; exit 4, `fields.account`, otherwise)."""
    if account is None:
        return None
    return checked("account", accounts.account, account)


DEFAULT_TAX_ACCOUNT = "Assets:Tax:Input"


def tax_account(account: str | None) -> str:
    """`export --tax-account A` (default Assets:Tax:Input): a valid account name (exit 4,
    `fields.tax_account`, otherwise; reference §10.6)."""
    if account is None:
        return DEFAULT_TAX_ACCOUNT
    issues = Issues()
    checked = issues.check("tax_account", accounts.account, account)
    issues.raise_if_any()
    assert checked is not None
    return checked


def _debits(e: Expense, debit: str, taxed_to: str, indent: str) -> list[str]:
    """The category's debit (the net when taxed) and the tax account's (the tax, only
    when not 0); the credit of the payment account is the gross (reference §10.6)."""
    if e.tax_minor == 0:
        return [f"{indent}{debit}  {e.amount} {e.currency}"]
    return [f"{indent}{debit}  {e.net_amount} {e.currency}",
            f"{indent}{taxed_to}  {e.tax_amount} {e.currency}"]  # fmt: skip


def ledger_entries(
    expenses: Iterable[Expense], account: str | None = None,
    taxed_to: str = DEFAULT_TAX_ACCOUNT,
) -> Iterator[str]:  # fmt: skip
    """Transactions for ledger-cli and hledger (`YYYY-MM-DD payee`, two-space separators).
    Each credits the expense's own payment account, or `account` for every row when given."""
    credits: dict[str, str] = {}
    for e in expenses:
        paid_from = account or e.account
        credit = credits.get(paid_from) or credits.setdefault(paid_from, _ledger_credit(paid_from))
        payee = _ledger_payee(e.description)
        # An empty code keeps a payee starting with *, ! or ( from reading as status/code.
        code = "() " if payee.startswith(("*", "!", "(")) else ""
        meta: list[tuple[str, str | bool]] = [("uid", e.uid)]
        if payee != e.description:
            meta.append(("description", e.description))
        meta += _fields(e)
        lines = [f"{e.date.isoformat()} {code}{payee}"]
        lines += [f"    ; {key}: {_ledger_meta(value)}" for key, value in meta]
        # One `; name:` line per tag: both ledger (metadata) and hledger (tags) read it.
        lines += [f"    ; {_ledger_tag(t)}:" for t in e.tags]
        lines += _debits(e, category_account(e.category.name), taxed_to, "    ")
        lines.append(f"    {credit}  -{e.amount} {e.currency}")  # the gross, written out
        yield "\n".join(lines) + "\n\n"


def _ledger_meta(value: str | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return ledger_value(value)


# beancount ------------------------------------------------------------------------------
def _bean_string(text: str) -> str:
    """A beancount string: its own escapes for `\\`, `"`, newline, tab and CR; any other
    character never written raw becomes U+FFFD (only a tampered book holds one)."""
    body = _BEAN_SPECIAL.sub(lambda m: _BEAN_ESCAPES.get(m[0], _REPLACEMENT), text)
    return f'"{body}"'


def _bean_meta(value: str | bool) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return _bean_string(value)


def _bean_carries(text: str) -> bool:
    return all(char in _BEAN_ESCAPES for char in _BEAN_SPECIAL.findall(text))


def beancount_entries(
    expenses: Iterable[Expense], account: str | None = None, opened: set[str] | None = None,
    taxed_to: str = DEFAULT_TAX_ACCOUNT,
) -> Iterator[str]:  # fmt: skip
    """beancount v3 transactions, each crediting the expense's own payment account (or
    `account` for every row when given); the accounts used are added to `opened`."""
    credits: dict[str, str] = {}
    for e in expenses:
        paid_from = account or e.account
        credit = credits.get(paid_from) or credits.setdefault(
            paid_from, beancount_account(paid_from, root="")
        )
        debit = category_account(e.category.name)
        if opened is not None:
            opened.update((debit, credit))
        tags = "".join(f" #{_BEAN_TAG.sub('-', t).strip('-') or 'tag'}" for t in e.tags)
        meta: list[tuple[str, str | bool]] = [("uid", e.uid)]
        if not _bean_carries(e.description):
            meta.append(("description", escaped(e.description)))
        meta += _fields(e)
        lines = [f"{e.date.isoformat()} * {_bean_string(e.description)}{tags}"]
        lines += [f"  {key}: {_bean_meta(value)}" for key, value in meta]
        lines += _debits(e, debit, taxed_to, "  ")
        if opened is not None and e.tax_minor:
            opened.add(taxed_to)
        lines.append(f"  {credit}  -{e.amount} {e.currency}")  # the gross, written out
        yield "\n".join(lines) + "\n\n"


def beancount_opens(accounts: Iterable[str]) -> str:
    """Open every account used; dated before any expense (the book starts in 1900)."""
    return "".join(f"1900-01-01 open {name}\n" for name in sorted(accounts))


def export_file(store: Store, dest: Path) -> AbstractContextManager[TextIO]:
    """`export -o DEST`: text written atomically into DEST, which is checked first (never
    the book, a folder, a special file) and kept as it was if anything fails."""
    return files.replacing_text(dest, store.path)
