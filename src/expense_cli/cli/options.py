"""Options shared by several commands, as `Annotated` aliases, and name completion."""

import os
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypedDict

import typer

from expense_cli.cli.formats import ListFormat, RecordFormat
from expense_cli.domain.enums import Approval, Reimbursement

if TYPE_CHECKING:
    from expense_cli.store import Store


def complete_names(kind: str) -> Callable[[typer.Context, str], list[str]]:
    """Complete category, client, project or import-profile names read from the book."""

    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        from expense_cli.cli.context import AppState, db_path

        root = ctx.find_root()
        db = root.params.get("db")
        root.obj = AppState(db=Path(db) if db else None)
        path = db_path(root)
        if not path.exists():
            return []
        try:
            from expense_cli.domain.book import peek_book

            store = peek_book(path)
        except Exception:
            return []
        typed = incomplete.casefold()
        try:
            found = [n for n in _book_names(store, kind) if n.casefold().startswith(typed)]
        finally:
            store.close()
        if not _bash():
            return list(dict.fromkeys(found))
        return list(dict.fromkeys(_for_bash(n, incomplete) for n in found))

    return complete


def _book_names(store: "Store", kind: str) -> list[str]:
    """The names of `kind` (category, client, project or import profile) in the book."""
    if kind == "profile":
        from expense_cli.domain.profiles import profile_names

        return profile_names(store)
    from expense_cli.domain.catalog import names

    return names(store, kind)


def _bash() -> bool:
    return any(
        k.startswith("_") and k.endswith("_COMPLETE") and v.endswith("bash")
        for k, v in os.environ.items()
    )


def _bash_word(text: str) -> str:
    return "".join(c if c.isalnum() or c in "@%+=:,./-_" else "\\" + c for c in text)


def _for_bash(name: str, typed: str) -> str:
    """Bash inserts a completion as written: `Globex Inc` must arrive as one word and
    `Büro & Co` must not start a background job, so specials are backslash-escaped (zsh and
    fish quote what they insert). Typer keeps only values starting with the typed text, so
    a name matched case-insensitively keeps the user's spelling of the typed part."""
    word = _bash_word(name)
    if word.startswith(typed) or _bash_word(typed) != typed:
        return word
    return typed + _bash_word(name[len(typed) :])


FormatOpt = Annotated[
    RecordFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]
ListFormatOpt = Annotated[
    ListFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Shortcut for -f json.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only ids.")]

CategoryOpt = Annotated[
    str | None,
    typer.Option(
        "--category", "-c", help="Category id or name.", autocompletion=complete_names("category")
    ),
]
ClientOpt = Annotated[
    str | None,
    typer.Option(
        "--client", help='Client id or name ("" detaches).', autocompletion=complete_names("client")
    ),
]
ProjectOpt = Annotated[
    str | None,
    typer.Option(
        "--project",
        "-p",
        help='Project id or name ("" detaches).',
        autocompletion=complete_names("project"),
    ),
]
DescriptionOpt = Annotated[str | None, typer.Option("--description", help="New description.")]
AmountOpt = Annotated[str | None, typer.Option("--amount", help="Amount, e.g. 45.10.")]
UnitsOpt = Annotated[
    str | None, typer.Option("--units", help="Units of a unit-based category, e.g. 120 (km).")
]
DateOpt = Annotated[
    str | None,
    typer.Option(
        "--date",
        "-d",
        help="YYYY-MM-DD, today, yesterday, tomorrow or an ISO timestamp; other numeric "
        "dates (03/04/2025) read by `expense config date_order` (ymd, dmy or mdy).",
    ),
]
TimeOpt = Annotated[str | None, typer.Option("--time", help='Time as HH:MM ("" clears).')]
LabelOpt = Annotated[
    str | None, typer.Option("--label", help="Custom category label (category Other only).")
]
BillableOpt = Annotated[
    bool | None, typer.Option("--billable/--no-billable", help="Billable to the client.")
]
NotesOpt = Annotated[str | None, typer.Option("--notes", "-n", help='Notes ("" clears).')]
ApprovalOpt = Annotated[
    Approval | None, typer.Option("--approval", help="Approval status.", case_sensitive=False)
]
ReimbursementOpt = Annotated[
    Reimbursement | None,
    typer.Option("--reimbursement", help="Reimbursement status.", case_sensitive=False),
]
IdempotencyOpt = Annotated[
    str | None,
    typer.Option(
        "--idempotency-key",
        help="Retry-safe key: the same key and input within 24 h returns the first result.",
    ),
]
AccountOpt = Annotated[
    str | None,
    typer.Option(
        "--account",
        help="Payment account the expense was paid from, e.g. Liabilities:Visa "
        "(default: expense config default_account).",
    ),
]
IdsArg = Annotated[list[int], typer.Argument(help="Expense ids.", show_default=False)]
IdArg = Annotated[int, typer.Argument(help="Expense id.", show_default=False)]
TaxOpt = Annotated[
    str | None,
    typer.Option(
        "--tax",
        help='Tax rate included in the amount, 0–100 with up to 2 decimals, e.g. 19% ("" '
        "removes the tax).",
    ),
]
TaxAmountOpt = Annotated[
    str | None,
    typer.Option("--tax-amount", help="Fixed tax included in the amount, e.g. 3.19."),
]
OriginalOpt = Annotated[
    str | None,
    typer.Option(
        "--original",
        help='What was paid in another currency (with --original-currency; "" clears). '
        "Without an amount, the amount is computed from the book's rates.",
    ),
]
OriginalCurrencyOpt = Annotated[
    str | None,
    typer.Option("--original-currency", help="ISO 4217 code of --original, e.g. JPY."),
]


class Sign(StrEnum):
    NEGATIVE = "negative"
    POSITIVE = "positive"


# The reading options of a bank statement (reference §10.4): `import` and `import-profile add`.
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="FIELD=COLUMN: read import field FIELD from the file's column COLUMN "
        "(repeatable; then only mapped columns are read), e.g. --map description=Payee.",
        show_default=False,
    ),
]
DelimiterOpt = Annotated[
    str | None,
    typer.Option("--delimiter", help="Column separator (default: detected among , ; tab |).",
                 show_default=False),
]  # fmt: skip
DecimalCommaOpt = Annotated[
    bool | None,
    typer.Option("--decimal-comma/--no-decimal-comma", help="Amounts like 1.234,56.",
                 show_default=False),
]  # fmt: skip
DateFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--date-format",
        help="Read every date with this strptime format, e.g. %d/%m/%Y.",
        show_default=False,
    ),
]
SkipRowsOpt = Annotated[
    int | None,
    typer.Option("--skip-rows", help="Lines before the header (a bank's preamble).",
                 show_default=False),
]  # fmt: skip
SignOpt = Annotated[
    Sign | None,
    typer.Option(
        "--sign",
        help="Which sign is an expense; rows of the other sign (income) are skipped and "
        "counted; amounts are imported as absolute values.",
        case_sensitive=False,
        show_default=False,
    ),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option("--encoding", help="The file's encoding (default utf-8, a BOM allowed), "
                 "e.g. cp1252.", show_default=False),
]  # fmt: skip
DefaultCategoryOpt = Annotated[
    str | None,
    typer.Option(
        "--default-category",
        help="Category of rows that have none after the rules.",
        autocompletion=complete_names("category"),
        show_default=False,
    ),
]
# `--account` of import rows; `AccountOpt` above is the one of a single expense.
RowAccountOpt = Annotated[
    str | None,
    typer.Option("--account", help="Payment account of rows without one.", show_default=False),
]


class MoneyInput(TypedDict):
    tax: str | None
    tax_amount: str | None
    original: str | None
    original_currency: str | None


def money_options(
    tax: str | None, tax_amount: str | None, original: str | None, original_currency: str | None
) -> MoneyInput:
    """The tax and foreign-amount options as `ExpenseInput` fields; exit 2 for the pairs
    that exclude or need each other (reference §10.6, §10.7)."""
    from expense_cli.errors import UsageError

    if tax is not None and tax_amount is not None:
        raise UsageError("give --tax or --tax-amount, not both")
    clearing = any(v is not None and v.strip() == "" for v in (original, original_currency))
    if (original is None) != (original_currency is None) and not clearing:
        raise UsageError("--original and --original-currency go together")
    if clearing:
        original, original_currency = "", ""
    return MoneyInput(tax=tax, tax_amount=tax_amount, original=original,
                      original_currency=original_currency)  # fmt: skip


def output_file(raw: str, option: str) -> Path:
    """A file to write as typed: `x/` or `file/` names a folder (pathlib would drop the
    slash and write a file `x`), and an empty name is no file (reference §10.1 item 4)."""
    from expense_cli.errors import UsageError

    if not raw:
        raise UsageError(f"{option}: the file name is empty")
    if raw.endswith(("/", "/.", "/..")) or raw in (".", ".."):
        raise UsageError(f"{option}: {raw} names a folder; give a file path")
    try:
        return Path(raw).expanduser()
    except RuntimeError:  # ~nouser/x
        raise UsageError(f"{option}: cannot expand {raw}") from None
