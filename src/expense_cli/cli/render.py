"""Every output format in one place: JSON envelopes, NDJSON, CSV/TSV, and Rich tables.

Rich is imported only when a table is drawn. User text enters tables as `Text` with every
control character shown escaped, so neither markup nor terminal escapes get through.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from expense_cli.cli.formats import chosen
from expense_cli.domain.models import (
    CSV_COLUMNS,
    FORMULA_STARTS,
    NUMERIC_COLUMNS,
    Expense,
    csv_row,
)
from expense_cli.domain.text import CONTROL_CHARS, CONTROL_CHARS_BUT_LINES
from expense_cli.errors import OutputFailedError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text


# machine formats ---------------------------------------------------------------------
# json.dumps(ensure_ascii=False) escapes only C0: DEL, C1, bidi controls, line/paragraph
# separators and lone surrogates would leave raw (reference §10.1 item 25). Outside strings
# JSON text is ASCII, so each such character found is inside a string, where `\uXXXX`
# means the same character.
_JSON_RAW = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _unicode_escape(found: re.Match[str]) -> str:
    return f"\\u{ord(found.group()):04x}"


def dumps(payload: Any) -> str:
    """JSON with non-ASCII text kept readable and every control character escaped."""
    return _JSON_RAW.sub(_unicode_escape, json.dumps(payload, ensure_ascii=False))


def write_json(payload: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    out.write(dumps(payload) + "\n")


def envelope(data: Any, pagination: dict[str, Any] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"data": data}
    if pagination is not None:
        result["pagination"] = pagination
    return result


def neutralise(value: str) -> str:
    """A text cell a spreadsheet would run as a formula gets a leading `'` (reference §4).
    A cell that already reads `'=…` gets one more, so `import` (which removes one `'`
    before a formula character) restores every value exactly."""
    return "'" + value if value.lstrip("'").startswith(FORMULA_STARTS) else value


_RISKY_FIRST = frozenset("=+-@\t\r'")
_TEXT_AT = tuple(i for i, column in enumerate(CSV_COLUMNS) if column not in NUMERIC_COLUMNS)


def _cells(row: tuple[Any, ...]) -> list[str]:
    """Flat values as cells: None empty, text cells neutralised (numeric ones never)."""
    cells = ["" if v is None else v if v.__class__ is str else str(v) for v in row]
    if not "".join(cells).isprintable():  # rare: lines in notes, or a tampered book
        cells = _escape_cells(cells)
    for i in _TEXT_AT:  # most cells start harmlessly: one set lookup each
        if cells[i][:1] in _RISKY_FIRST:
            cells[i] = neutralise(cells[i])
    return cells


_NOTES_AT = CSV_COLUMNS.index("notes")


def _escape_cells(cells: list[str]) -> list[str]:
    """Control characters and bidi controls as the six characters `\\u001b` (reference §10.1
    item 25); only `notes` keeps its newlines and tabs, which CSV quotes and TSV escapes."""
    return [
        (CONTROL_CHARS_BUT_LINES if i == _NOTES_AT else CONTROL_CHARS).sub(_unicode_escape, cell)
        for i, cell in enumerate(cells)
    ]


def _tsv_escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def write_delimited(expenses: Iterable[Expense], tsv: bool, out: TextIO | None = None) -> int:
    """CSV or TSV with the flat columns; returns the number of rows written."""
    return write_csv_rows(map(csv_row, expenses), tsv, out)


def write_csv_rows(
    csv_rows: Iterable[tuple[Any, ...]], tsv: bool, out: TextIO | None = None
) -> int:
    """CSV or TSV of rows already in `CSV_COLUMNS` order (`csv_row`, `records.csv_row_maker`)."""
    out = out or sys.stdout
    count = 0
    if tsv:
        out.write("\t".join(CSV_COLUMNS) + "\n")
        for row in csv_rows:
            out.write("\t".join(map(_tsv_escape, _cells(row))) + "\n")
            count += 1
        return count
    writer = csv.writer(out, lineterminator="\n")
    # With "\n" line ends, the csv module would leave a lone CR unquoted and readers would
    # split the row there: such a (rare) row is written fully quoted.
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows:
        cells = _cells(row)
        (quoted if "\r" in "".join(cells) else writer).writerow(cells)
        count += 1
    return count


def write_csv_chunks(chunks: Iterable[str | tuple[Any, ...]], out: TextIO | None = None) -> int:
    """CSV from `listing.iter_csv_chunks`: finished text as it is, flat rows as
    `write_csv_rows` writes them; returns the number of rows written."""
    out = out or sys.stdout
    writer = csv.writer(out, lineterminator="\n")
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for chunk in chunks:
        if chunk.__class__ is str:
            out.write(chunk)
            count += chunk.count("\n")
            continue
        cells = _cells(chunk)  # type: ignore[arg-type]
        (quoted if "\r" in "".join(cells) else writer).writerow(cells)
        count += 1
    return count


def write_ndjson(expenses: Iterable[Expense], out: TextIO | None = None) -> int:
    out = out or sys.stdout
    count = 0
    for expense in expenses:
        out.write(dumps(expense.to_json()) + "\n")
        count += 1
    return count


def write_json_list(
    expenses: Iterable[Expense], pagination: dict[str, Any], out: TextIO | None = None
) -> int:
    """The list envelope, streamed one object at a time so `--all` stays in constant memory."""
    out = out or sys.stdout
    out.write('{"data": [')
    count = 0
    for expense in expenses:
        out.write((",\n" if count else "\n") + dumps(expense.to_json()))
        count += 1
    out.write(("\n" if count else "") + '], "pagination": ' + json.dumps(pagination) + "}\n")
    return count


# tables ------------------------------------------------------------------------------
# Shown escaped in tables and messages: controls (Cc), format characters (Cf: bidi controls,
# U+200B, U+FEFF, U+00AD, …), line/paragraph separators and lone surrogates (§10.1 item 24).
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def escape_controls(value: str, keep_newlines: bool = False) -> str:
    """Control, bidi and invisible characters shown as escapes, never emitted."""
    # Every character escaped here is non-printable: ordinary text takes one C-speed pass.
    if value.isprintable():
        return value
    return "".join(_escaped(char, keep_newlines) for char in value)


def _escaped(char: str, keep_newlines: bool) -> str:
    if (keep_newlines and char == "\n") or unicodedata.category(char) not in _ESCAPED_CATEGORIES:
        return char
    return f"\\x{ord(char):02x}" if ord(char) < 256 else f"\\u{ord(char):04x}"


def text(value: Any, style: str = "", keep_newlines: bool = False) -> Text:
    from rich.text import Text

    return Text("" if value is None else escape_controls(str(value), keep_newlines), style=style)


def console(stderr: bool = False) -> Console:
    """Each stream decides by its own terminal; NO_COLOR means no escape at all (Rich's own
    no_color keeps bold and dim)."""
    from rich.console import Console

    plain = {"color_system": None} if os.environ.get("NO_COLOR") else {}
    return Console(stderr=stderr, highlight=False, soft_wrap=False, **plain)  # type: ignore[arg-type]


def money(amount: str, currency: str) -> Text:
    return text(f"{amount} {currency}")


_EXPENSE_COLUMNS = (("ID", "right"), ("Date", "left"), ("Description", "left"),
                    ("Category", "left"), ("Client / Project", "left"), ("Amount", "right"),
                    ("Tags", "left"))  # fmt: skip


def _expense_cells(e: Expense) -> list[Text]:
    category = e.custom_category and f"{e.category.name}: {e.custom_category}"
    links = " / ".join(r.name for r in (e.client, e.project) if r is not None)
    return [
        text(e.id), text(e.date.isoformat()), text(e.description),
        text(category or e.category.name), text(links), money(str(e.amount), e.currency),
        text(", ".join(e.tags)),
    ]  # fmt: skip


def _expense_grid(widths: Sequence[int] | None = None, header: bool = True) -> Table:
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False, expand=False, show_header=header)
    for index, (name, justify) in enumerate(_EXPENSE_COLUMNS):
        width = None if widths is None else widths[index]
        table.add_column(name, justify=justify, width=width, overflow="fold")  # type: ignore[arg-type]
    return table


def _total_rows(table: Table, totals: dict[str, tuple[int, str]], label: str) -> None:
    table.add_section()
    for currency, (count, total) in totals.items():
        table.add_row(
            text(""), text(""), text(f"{label} ({count})", "bold"), text(""), text(""),
            text(f"{total} {currency}", "bold"), text(""),
        )  # fmt: skip


def expense_table(
    expenses: Sequence[Expense], totals: bool = True, page_only: bool = False
) -> None:
    """Expenses as a table; the footer totals them per currency ("Page total" when more
    pages follow, so it is never read as the total of the whole selection)."""
    from expense_cli.domain.report import totals_by_currency

    table = _expense_grid()
    for e in expenses:
        table.add_row(*_expense_cells(e))
    if totals and expenses:
        _total_rows(table, totals_by_currency(expenses), "Page total" if page_only else "Total")
    console().print(table)


def expense_table_stream(expenses: Iterable[Expense], batch: int = 100) -> None:
    """`list --all` as a table that starts at once (§10.1 item 9): the first batch fixes the
    column widths and later batches reuse them, so the first rows reach a pipe long before
    a big book has been read to the end. Totals come last, counted on the way."""
    from itertools import islice

    from expense_cli.domain.money import format_minor
    from expense_cli.domain.report import sum_minor

    rows = iter(expenses)
    chunk = list(islice(rows, batch))
    if len(chunk) < batch:
        expense_table(chunk)
        return
    out = console()
    widths = _widths(chunk, out.width)
    sums: dict[str, tuple[int, int, int]] = {}  # currency → count, minor units, digits
    header = True
    while chunk:
        table = _expense_grid(widths, header)
        for e in chunk:
            table.add_row(*_expense_cells(e))
            count, minor, digits = sums.get(e.currency, (0, 0, 0))
            sums[e.currency] = (
                count + 1,
                *sum_minor([(minor, digits), (e.amount.minor, e.amount.digits)]),
            )
        out.print(table)
        header = False
        chunk = list(islice(rows, batch))
    footer = _expense_grid(widths, header=False)
    totals = {c: (n, format_minor(m, d)) for c, (n, m, d) in sorted(sums.items())}
    _total_rows(footer, totals, "Total")
    out.print(footer)


def _widths(sample: Sequence[Expense], room: int) -> list[int]:
    """Column widths that fit `sample` (and the terminal: Description gives way first)."""
    from rich.cells import cell_len

    widths = [cell_len(name) for name, _ in _EXPENSE_COLUMNS]
    for e in sample:
        for index, cell in enumerate(_expense_cells(e)):
            widths[index] = max(widths[index], cell_len(cell.plain))
    widths[0] = max(widths[0], 8)  # ids grow as the stream goes on
    widths[5] = max(widths[5], 16)  # and the total at the end outgrows single amounts
    excess = sum(widths) + 3 * (len(widths) - 1) - room
    if excess > 0:
        widths[2] = max(11, widths[2] - excess)
    return widths


def record_table(rows: Sequence[tuple[str, Any]]) -> None:
    """One record as a two-column field / value table."""
    from rich.table import Table

    table = Table(show_header=False, show_edge=False, pad_edge=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for name, value in rows:
        table.add_row(text(name), text(value, keep_newlines=True))
    console().print(table)


def simple_table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], right: Sequence[int] = ()
) -> None:
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False)
    for index, header in enumerate(headers):
        # Numbers fold onto a second line rather than lose digits to an ellipsis.
        justify = "right" if index in right else "left"
        table.add_column(header, justify=justify, overflow="fold" if index in right else None)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(*(text(v) for v in row))
    console().print(table)


def expense_fields(e: Expense) -> list[tuple[str, Any]]:
    data = e.to_json()
    fields: list[tuple[str, Any]] = []
    for key, value in data.items():
        if key == "tags":
            value = ", ".join(value)
        elif key == "amount":
            value = f"{value} {e.currency}"
        fields.append((key, plain(value)))
    return fields


def plain(value: Any) -> Any:
    """A JSON value for a table cell: `{id, name}` as `name (#id)`, a receipt as its file
    name and size, another mapping as `key=value` pairs, a list one item per line,
    booleans as yes/no."""
    if isinstance(value, dict):
        if "name" in value and "id" in value:
            return f"{value['name']} (#{value['id']})"
        if "filename" in value and "size" in value:
            return f"{value['filename']} ({_size(value['size'])}, #{value['id']})"
        return "; ".join(f"{key}={plain(item)}" for key, item in value.items())
    if isinstance(value, list):
        return "\n".join(str(plain(item)) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _size(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB"):
        if size < 1024 or unit == "MiB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} bytes"


def status_line(message: str) -> None:
    """A word for a person after long work; scripts (stderr not a terminal) get nothing
    extra (reference §4)."""
    if sys.stderr.isatty():
        stderr_line(message)


def stderr_line(message: str) -> None:
    sys.stderr.write(escape_controls(message) + "\n")


# progress ----------------------------------------------------------------------------
def _bar_wanted() -> bool:
    """A bar redraws itself with escapes: only on a terminal's stderr, never with NO_COLOR."""
    return sys.stderr.isatty() and not os.environ.get("NO_COLOR")


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr when stderr is a terminal; otherwise nothing extra."""
    if not _bar_wanted():
        yield lambda _step: None
        return
    from rich.progress import Progress

    with Progress(console=console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda step: bar.advance(task, step)


@contextmanager
def progress_pages(description: str) -> Iterator[Callable[[int, int], None] | None]:
    """For work that reports `(done, total)` itself (backup); None when not a terminal."""
    if not _bar_wanted():
        yield None
        return
    from rich.progress import Progress

    with Progress(console=console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


# reports -----------------------------------------------------------------------------
def report_table(rows: Sequence[Any], by: Sequence[str], totals: dict[str, tuple[int, str]],
                 chart: bool) -> None:  # fmt: skip
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False)
    for name in by:
        table.add_column(name.capitalize())
    table.add_column("Currency")
    table.add_column("Count", justify="right", overflow="fold")
    table.add_column("Total", justify="right", overflow="fold")
    if chart:
        table.add_column("")
    peak: dict[str, Decimal] = {}
    for row in rows:
        peak[row.currency] = max(peak.get(row.currency, Decimal(0)), Decimal(row.total))
    for row in rows:
        cells = [text(_group_label(row.group[name])) for name in by]
        cells += [text(row.currency), text(row.count), text(row.total)]
        if chart:
            cells.append(text(_bar(Decimal(row.total), peak[row.currency]), "cyan"))
        table.add_row(*cells)
    table.add_section()
    for currency, (count, total) in totals.items():
        cells = [text("Total", "bold")] + [text("") for _ in by[1:]]
        cells += [text(currency, "bold"), text(count, "bold"), text(total, "bold")]
        table.add_row(*cells, *([text("")] if chart else []))
    console().print(table)


def _group_label(value: Any) -> str:
    if value is None:
        return "(none)"
    return str(value["name"]) if isinstance(value, dict) else str(value)


def _bar(value: Decimal, peak: Decimal, width: int = 30) -> str:
    """A bar proportional to the total within its currency (half-cell resolution)."""
    if peak <= 0:
        return ""
    halves = int(value * 2 * width / peak)
    return "█" * (halves // 2) + ("▌" if halves % 2 else "")


# what a command produced, in the format the user chose ---------------------------------
@contextmanager
def delivered() -> Iterator[None]:
    """Around the output a command prints inside its transaction: stdout written and
    flushed, or an `OutputFailedError` (exit 6) that rolls the change back. A reader that
    left early (`| head`) is no failure: the rest of the output goes nowhere."""
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        raise OutputFailedError("standard output is closed; nothing was changed")
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stdout = Path(os.devnull).open("w")  # noqa: SIM115 - stdout from here on
    except OSError as exc:
        raise OutputFailedError(
            f"cannot write the output ({exc.strerror or exc}); nothing was changed"
        ) from None


def show_expense(record: Expense, fmt: StrEnum, as_json: bool, quiet: bool = False) -> None:
    """A mutation or `show` prints the whole expense; `-q` only its id."""
    if quiet:
        print(record.id)
    elif chosen(fmt, as_json) == "json":
        write_json(envelope(record.to_json()))
    else:
        record_table(expense_fields(record))


def show_expenses(
    records: Sequence[Expense], fmt: StrEnum, as_json: bool, quiet: bool = False
) -> None:
    """Commands taking `ID...` answer `{"data": [...]}` even for one id."""
    if quiet:
        _print_ids(records)
    elif chosen(fmt, as_json) == "json":
        write_json(envelope([r.to_json() for r in records]))
    else:
        expense_table(records, totals=False)


def _print_ids(records: Iterable[Any]) -> None:
    """`-q`: the ids one per line, nothing at all for none (reference §10.1 item 1)."""
    for record in records:
        print(record.id)


def show_records(
    items: Sequence[Any], fmt: StrEnum, as_json: bool, headers: Sequence[str], row: Any,
    right: Sequence[int] = (), quiet: bool = False,
) -> None:  # fmt: skip
    """Catalogue lists (categories, clients, projects, rules, ...); `-q` only their ids."""
    if quiet:
        _print_ids(items)
    elif chosen(fmt, as_json) == "json":
        write_json(envelope([item.to_json() for item in items]))
    else:
        simple_table(headers, [row(item) for item in items], right)


def show_record(item: Any, fmt: StrEnum, as_json: bool, quiet: bool = False) -> None:
    if quiet:
        print(item.id)
    elif chosen(fmt, as_json) == "json":
        write_json(envelope(item.to_json()))
    else:
        data = item.to_json()
        record_table([(k, plain(v)) for k, v in data.items()])
