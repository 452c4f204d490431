"""Every output format in one place: JSON envelopes, NDJSON, CSV/TSV, and Rich tables.

Rich is imported only when a table is drawn. User text enters tables as `Text` with every
control character shown escaped, so neither markup nor terminal escapes get through.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TextIO

from expense_cli.domain.models import (
    FLAT_COLUMNS,
    FORMULA_STARTS,
    NUMERIC_COLUMNS,
    Expense,
    flat_row,
)
from expense_cli.domain.text import BIDI_OVERRIDES

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text


# machine formats ---------------------------------------------------------------------
def write_json(payload: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    out.write(json.dumps(payload, ensure_ascii=False) + "\n")


def envelope(data: Any, pagination: dict[str, Any] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"data": data}
    if pagination is not None:
        result["pagination"] = pagination
    return result


def neutralise(value: str) -> str:
    """A text cell a spreadsheet would run as a formula gets a leading `'` (SPEC §4).
    A cell that already reads `'=…` gets one more, so `import` (which removes one `'`
    before a formula character) restores every value exactly."""
    return "'" + value if value.lstrip("'").startswith(FORMULA_STARTS) else value


_RISKY_FIRST = frozenset("=+-@\t\r'")
_TEXT_AT = tuple(i for i, column in enumerate(FLAT_COLUMNS) if column not in NUMERIC_COLUMNS)


def _cells(row: tuple[Any, ...]) -> list[str]:
    """Flat values as cells: None empty, text cells neutralised (numeric ones never)."""
    cells = ["" if v is None else v if v.__class__ is str else str(v) for v in row]
    for i in _TEXT_AT:  # most cells start harmlessly: one set lookup each
        if cells[i][:1] in _RISKY_FIRST:
            cells[i] = neutralise(cells[i])
    return cells


def _tsv_escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def write_delimited(expenses: Iterable[Expense], tsv: bool, out: TextIO | None = None) -> int:
    """CSV or TSV with the flat columns; returns the number of rows written."""
    return write_flat(map(flat_row, expenses), tsv, out)


def write_flat(flat_rows: Iterable[tuple[Any, ...]], tsv: bool, out: TextIO | None = None) -> int:
    """CSV or TSV of rows already in `FLAT_COLUMNS` order (`flat_row`, `rows.flat`)."""
    out = out or sys.stdout
    count = 0
    if tsv:
        out.write("\t".join(FLAT_COLUMNS) + "\n")
        for row in flat_rows:
            out.write("\t".join(map(_tsv_escape, _cells(row))) + "\n")
            count += 1
        return count
    writer = csv.writer(out, lineterminator="\n")
    # With "\n" line ends, the csv module would leave a lone CR unquoted and readers would
    # split the row there: such a (rare) row is written fully quoted.
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(FLAT_COLUMNS)
    for row in flat_rows:
        cells = _cells(row)
        (quoted if "\r" in "".join(cells) else writer).writerow(cells)
        count += 1
    return count


def write_ndjson(expenses: Iterable[Expense], out: TextIO | None = None) -> int:
    out = out or sys.stdout
    count = 0
    for expense in expenses:
        out.write(json.dumps(expense.to_json(), ensure_ascii=False) + "\n")
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
        out.write((",\n" if count else "\n") + json.dumps(expense.to_json(), ensure_ascii=False))
        count += 1
    out.write(("\n" if count else "") + '], "pagination": ' + json.dumps(pagination) + "}\n")
    return count


# tables ------------------------------------------------------------------------------
def escape_controls(value: str, keep_newlines: bool = False) -> str:
    """Control characters and bidi overrides shown as escapes, never emitted."""
    out = []
    for char in value:
        if keep_newlines and char == "\n":
            out.append(char)
        elif char in BIDI_OVERRIDES or (ord(char) < 32 or 0x7F <= ord(char) <= 0x9F):
            out.append(f"\\x{ord(char):02x}" if ord(char) < 256 else f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


def text(value: Any, style: str = "", keep_newlines: bool = False) -> Text:
    from rich.text import Text

    return Text("" if value is None else escape_controls(str(value), keep_newlines), style=style)


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def money(amount: str, currency: str) -> Text:
    return text(f"{amount} {currency}")


def expense_table(expenses: Sequence[Expense], totals: bool = True) -> None:
    from rich.table import Table

    from expense_cli.domain.reports import totals_by_currency

    table = Table(show_edge=False, pad_edge=False, expand=False)
    for name, justify in (("ID", "right"), ("Date", "left"), ("Description", "left"),
                          ("Category", "left"), ("Client / Project", "left"),
                          ("Amount", "right"), ("Tags", "left")):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for e in expenses:
        category = e.custom_category and f"{e.category.name}: {e.custom_category}"
        links = " / ".join(r.name for r in (e.client, e.project) if r is not None)
        table.add_row(
            text(e.id), text(e.date.isoformat()), text(e.description),
            text(category or e.category.name), text(links), money(str(e.amount), e.currency),
            text(", ".join(e.tags)),
        )  # fmt: skip
    if totals and expenses:
        table.add_section()
        for currency, (count, total) in totals_by_currency(expenses).items():
            table.add_row(
                text(""), text(""), text(f"Total ({count})", "bold"), text(""), text(""),
                text(f"{total} {currency}", "bold"), text(""),
            )  # fmt: skip
    console().print(table)


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
        table.add_column(header, justify="right" if index in right else "left")
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
    """A JSON value for a table cell: `{id, name}` as `name (#id)`, booleans as yes/no."""
    if isinstance(value, dict):
        return f"{value['name']} (#{value['id']})"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def status_line(message: str) -> None:
    """A word for a person after long work; scripts (stderr not a terminal) get nothing
    extra (SPEC §4)."""
    if sys.stderr.isatty():
        stderr_line(message)


def stderr_line(message: str) -> None:
    sys.stderr.write(escape_controls(message) + "\n")


# progress ----------------------------------------------------------------------------
@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr when stderr is a terminal; otherwise nothing extra."""
    if not sys.stderr.isatty():
        yield lambda _step: None
        return
    from rich.progress import Progress

    with Progress(console=console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda step: bar.advance(task, step)


@contextmanager
def progress_pages(description: str) -> Iterator[Callable[[int, int], None] | None]:
    """For work that reports `(done, total)` itself (backup); None when not a terminal."""
    if not sys.stderr.isatty():
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
    table.add_column("Count", justify="right")
    table.add_column("Total", justify="right")
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
