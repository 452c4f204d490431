"""Reading bank and card statements (reference §10.4): any CSV through `--map`, its
delimiter detected from the header line, a preamble skipped, decimal commas and signed
amounts read. Rows come out as the import reads them, keyed by import column; an income
row (the other sign) comes out as `{"__income__": True}`, read for its sign only."""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from expense_cli.domain import importer
from expense_cli.domain.validation import InvalidValue
from expense_cli.errors import UsageError, ValidationError

DELIMITERS = (",", ";", "\t", "|")
SIGNS = ("negative", "positive")
INCOME = "__income__"
_DECIMAL_COLUMNS = ("amount", "units", "unit_price")
_COMMA_NUMBER = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?|[0-9]+(?:,[0-9]+)?")


@dataclass(frozen=True)
class ReadOptions:
    """How to read one statement: every option a profile can save (§10.4)."""

    mapping: tuple[tuple[str, str], ...] | None = None  # (field, column) in the order given
    delimiter: str | None = None
    decimal_comma: bool = False
    date_format: str | None = None
    skip_rows: int = 0
    sign: str | None = None
    encoding: str | None = None
    default_category: str | None = None
    account: str | None = None


def parse_map(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """`FIELD=COLUMN` pairs; an unknown FIELD, a FIELD mapped twice or a pair without `=`
    is a usage error (exit 2) naming it."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        field, sep, column = value.partition("=")
        field = field.strip().casefold()
        if not sep or not field or not column.strip():
            raise UsageError(f"--map: expected FIELD=COLUMN, not {value!r}")
        if field not in importer.IMPORT_COLUMNS:
            known = ", ".join(importer.IMPORT_COLUMNS)
            raise UsageError(f"--map: unknown field {field!r}; the fields are: {known}")
        if any(field == seen for seen, _ in pairs):
            raise UsageError(f"--map: field {field!r} is mapped twice")
        pairs.append((field, column.strip()))
    return tuple(pairs)


def check_delimiter(value: str) -> str:
    value = "\t" if value in ("\\t", "tab", "TAB") else value
    if len(value) != 1 or value in '\r\n"' or value.isalnum():
        raise UsageError(f"--delimiter: expected one character such as , ; | or tab, not {value!r}")
    return value


def check_encoding(value: str) -> str:
    import codecs

    try:
        name = codecs.lookup(value).name
    except LookupError:
        raise UsageError(f"--encoding: unknown encoding {value!r} (e.g. utf-8, cp1252)") from None
    return "utf-8-sig" if name == "utf-8" else name  # a BOM is allowed


def check_sign(value: str) -> str:
    if value not in SIGNS:
        raise UsageError(f"--sign: expected negative or positive, not {value!r}")
    return value


def check_skip_rows(value: int) -> int:
    if value < 0:
        raise UsageError(f"--skip-rows: expected 0 or more, not {value}")
    return value


def detect_delimiter(header: str) -> str:
    """The delimiter of a header line among , ; tab | (csv.Sniffer, else the most frequent)."""
    try:
        found = csv.Sniffer().sniff(header, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        found = ""
    if found in DELIMITERS:
        return found
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def check_account(value: str) -> str:
    """`--account A` (§10.9, §10.10 item 9): a payment account, trimmed; anything else is
    exit 4 naming `account`, checked once up front rather than on every row."""
    from expense_cli.domain import accounts

    try:
        return accounts.account(value)
    except InvalidValue as exc:
        raise ValidationError({"account": str(exc)}, "invalid --account") from None


def _decimal(value: str) -> str:
    """`1.234,56` → `1234.56`, read strictly: digits, a dot only before each group of
    exactly three digits, a comma before the decimals. Anything else (`4.50`: a decimal
    point, or thousands?) is refused, never guessed (docs/decisions.md)."""
    stripped = value.strip()
    if _COMMA_NUMBER.fullmatch(stripped):
        return stripped.replace(".", "").replace(",", ".")
    raise InvalidValue(
        f"{value!r} is not an amount with a decimal comma (--decimal-comma): digits, a comma "
        "before the decimals, a dot only before each group of three digits (e.g. 1.234,56 or "
        "4,50), no sign (see --sign)"
    )


def _signed(value: str, sign: str) -> str | None:
    """The amount without its sign, or None for income (the other sign, not zero)."""
    stripped = value.strip()
    negative = stripped.startswith("-")
    body = stripped[1:].strip() if stripped[:1] in ("+", "-") else stripped
    nonzero = any(c in "123456789" for c in body)
    if nonzero and negative != (sign == "negative"):
        return None
    return body


def _mapped(header: list[str], mapping: tuple[tuple[str, str], ...]) -> list[tuple[str, int]]:
    names = [cell.strip().casefold() for cell in header]
    where: list[tuple[str, int]] = []
    missing = []
    for field, column in mapping:
        if names.count(column.casefold()) > 1:
            raise ValidationError(
                {"header": f"column {column!r} (for {field}) appears twice: which one to read?"},
                "import failed: bad header",
            )
        if column.casefold() in names:
            where.append((field, names.index(column.casefold())))
        else:
            missing.append(f"{column!r} (for {field})")
    if missing:
        shown = ", ".join(repr(cell.strip()) for cell in header)
        raise ValidationError(
            {"header": f"no column {', '.join(missing)}; the columns are: {shown}"},
            "import failed: a mapped column is missing",
        )
    return where


def read_statement(stream: TextIO, options: ReadOptions) -> Iterator[importer.Row]:
    """The rows of a CSV statement; line numbers are physical lines of the file."""
    lines = importer._checked(stream)
    skipped = sum(1 for _ in itertools.islice(lines, options.skip_rows))
    first = next(lines, None)
    if first is None:
        known = ", ".join(importer.IMPORT_COLUMNS)
        problem = (
            f"no header line after {skipped} skipped lines" if skipped else "the file is empty"
        )
        raise ValidationError(
            {"header": f"{problem}; the columns are: {known}"}, "import failed: no header"
        )
    delimiter = options.delimiter or detect_delimiter(first)
    reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
    line = skipped + 1
    try:
        header = next(reader)
        if options.mapping is None:
            columns = importer._header(header)
            where = [(name, i) for i, name in enumerate(columns) if name]
        else:
            where = _mapped(header, options.mapping)
        line = skipped + reader.line_num + 1
        for record in reader:
            if any(cell.strip() for cell in record):  # blank lines are no rows
                yield line, _row(record, where, options)
            line = skipped + reader.line_num + 1
    except csv.Error as exc:  # a field over 131,072 characters: most often a stray quote
        raise importer.Unreadable(line, f"unreadable CSV ({exc})") from None


def _row(record: list[str], where: list[tuple[str, int]], options: ReadOptions) -> dict[str, Any]:
    size = len(record)  # a short record leaves its last columns empty
    row: dict[str, Any] = {field: record[i] or None if i < size else None for field, i in where}
    for field, value in row.items():
        if value is not None and value[0] == "'":  # the export's formula guard, undone
            row[field] = importer._unneutralise(value)
    amount = row.get("amount")
    if options.sign is not None and amount is not None:
        body = _signed(amount, options.sign)
        if body is None:
            return {INCOME: True}
        row["amount"] = body
    if options.decimal_comma:
        for key in _DECIMAL_COLUMNS:
            if row.get(key) is not None:
                try:
                    row[key] = _decimal(row[key])
                except InvalidValue as exc:  # the importer reports it under `key`
                    row[key] = None
                    row.setdefault(importer.INVALID, {})[key] = str(exc)
    return row


def with_account(rows: Iterator[importer.Row], account: str | None) -> Iterator[importer.Row]:
    """`import --account A` (§10.10 item 9): rows without an account get A."""
    return rows if account is None else _with_account(rows, account)


def _with_account(rows: Iterator[importer.Row], account: str) -> Iterator[importer.Row]:
    for line, row in rows:
        missing = isinstance(row, dict) and INCOME not in row and row.get("account") in (None, "")
        if missing:
            row = {**row, "account": account}
        yield line, row
