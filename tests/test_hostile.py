"""Hostile input through every command (reference §2 rules 16–17, §4 output, §5 exit codes, §8
reliability): hypothesis drives the arguments with control characters, NUL, 10,000-char
strings, confusables, Rich markup, ANSI escapes, SQL fragments, huge and negative numbers.

Whatever it sends, each command must end with an exit code of the contract (0, 2, 3, 4 or 5;
never 1, which is a bug), print no traceback and no raw ESC, write nothing when it fails, and
leave a book that `db check` passes with its tables in place and no control character stored.

The in-process `cli` fixture keeps this fast (NUL can only reach argv that way); one book is
seeded per test and shared by its examples, so later examples meet what earlier ones wrote.
`EXPENSE_STRESS=1` runs ten times the examples.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from expense_cli.cli.render import escape_controls
from tests.conftest import Cli, Result

STRESS = os.environ.get("EXPENSE_STRESS") == "1"
HOSTILE = settings(
    max_examples=400 if STRESS else 40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CONTRACT_EXITS = {0, 2, 3, 4, 5}
TABLES = {
    "settings", "categories", "clients", "projects", "expenses", "expense_tags",
    "idempotency_keys", "expense_search",
}  # fmt: skip
BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}

# --- values ---------------------------------------------------------------------------

ADVERSARIAL = (
    "", " ", "\t", "\n", "\r\n", "\x00", "a\x00b", "\x07", "\x7f", "\x85", "\x9b2J",
    "\x1b[31mred\x1b[0m", "\x1b[2J\x1b[H", "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "[bold red]x[/]", "[link=https://evil.example]click[/link]", "[/]", "[", "]", "[red]",
    "'; DROP TABLE expenses; --", "id); --", "1; DELETE FROM expenses", "' OR '1'='1",
    '" OR 1=1 --', "amount; DROP TABLE expenses", "1 UNION SELECT * FROM settings",
    "%", "_", "\\", "%_%", "*", "NULL", "null", "None", "true", "{}", "[]",
    "=SUM(A1)", "+cmd|' /C calc'!A0", "@x", "-x",
    "é" * 501, "t" * 51, "k" * 256,
    "Ｔｒａｖｅｌ", "Тravel", "TRAVEL", "travel", "Trave\u200bl", "\ufeffTravel", "\u202eleveRT",
    "\u2066x\u2069", "e\u0301", "😀", "👨‍👩‍👧", "ﬁ", "ß", "İ",
    "١٢٣", "１２３", "Ⅻ", "½", "²",
    "0", "-0", "-1", "-5", "+5", ".5", "5.", "1e3", "1E-3", "NaN", "inf", "-inf", "Infinity",
    "1_000", "1,000", "$5", "€5", "0x1F", "4.500", "1500.0", " 12.50 ",
    "99999999999999999999", str(2**63), str(2**63 - 1), str(-(2**63)), str(2**64),
    "-99999999999999999999", "999999999999.99", "9999999999999", "0.0001", "0.00001",
    "0000-00-00", "2025-02-30", "2025-13-01", "1899-12-31", "3000-01-01", "2025-03-01T25:00",
    "24:00", "23:59", "-1:00", "7:5", "today", "tomorrow", "March", "5", "next-ish week",
    "\udcff", "a\udcffb", "--help", "--", "-", "-h", "--version", "--db=/etc/passwd",
)  # fmt: skip

# The ones every field meets often, whatever else is drawn.
EDGE = (
    "\x00", "\x1b[31mred\x1b[0m", "[bold red]x[/]", "[link=https://evil.example]click[/link]",
    "'; DROP TABLE expenses; --", "id); --", "\udcff", str(2**63),
    str(-(2**63) - 1), "99999999999999999999", "-5", "Тravel",
)  # fmt: skip

# 10,000 characters, built in `map` so that hypothesis never prints them in a strategy repr.
LONG = st.sampled_from(("x", "[b]", "9", "é", "\x1b[1m", "'; --")).map(
    lambda unit: (unit * 10_000)[:10_000]
)

# Lone surrogates are what a real argv holds after invalid UTF-8 (Python's surrogateescape).
_ANY_CHAR = st.characters(exclude_categories=())
_LOW_CHAR = st.characters(min_codepoint=0, max_codepoint=0x2FF)  # C0, DEL, C1, Latin
hostile = st.one_of(
    st.sampled_from(ADVERSARIAL),
    st.text(max_size=40),
    st.text(_LOW_CHAR, max_size=20),
    st.text(_ANY_CHAR, max_size=20),
    st.lists(st.sampled_from(ADVERSARIAL[:60]), min_size=2, max_size=3).map("".join),
    st.integers().map(str),
    LONG,
)


def field(*plausible: str, extra: Any = None, hostility: int = 35) -> Any:
    """A value the field accepts most of the time, hostile text `hostility` % of the time, so
    that most examples get past argument parsing to the rules and the store."""
    good = st.one_of(st.sampled_from(plausible), *([extra] if extra is not None else []))
    bad = st.one_of(hostile, st.sampled_from(EDGE), LONG)
    return st.integers(0, 99).flatmap(lambda n: bad if n < hostility else good)


def choice(*values: str) -> Any:
    """A fixed-choice option: mostly valid, so its usage error does not hide the rest."""
    return field(*values, hostility=10)


amount = field("12.50", "0", "1500", "0.01", extra=st.decimals(0, 10**6, places=2).map(str))
ident = field("1", "2", "3", "4", "5", "6", "0", extra=st.integers(-3, 12).map(str), hostility=15)
category = field("Travel", "travel", "Other", "Mileage", "1", "11", "12", "Meals")
client = field("Acme", "acme", "Euro GmbH", "1", "2", "")
project = field("Site", "1", "")
day = field("2025-03-01", "today", "yesterday", "2025-03-01T10:30:00", "01/02/2025")
clock = field("10:30", "", "00:00", "23:59")
approval = choice("pending", "approved", "rejected")
reimbursement = choice("not_reimbursable", "pending", "reimbursed", "rejected")
currency = field("USD", "EUR", "JPY", "usd", "BHD")
text = field("Train", "Hotel", "[bold]x[/]", "Café — 東京", extra=st.text(min_size=1, max_size=30))
tag_value = field("trip", "Trip", "work", " a  b ", extra=st.text(min_size=1, max_size=10))


def opt(name: str, values: Any) -> Any:
    """`--name=value` (so a value starting with `-` stays a value), or the option left out."""
    return st.one_of(st.none(), values.map(lambda v: [f"{name}={v}"]))


def many(name: str, values: Any) -> Any:
    return st.lists(values, max_size=3).map(lambda vs: [f"{name}={v}" for v in vs])


def flag(*names: str) -> Any:
    return st.one_of(st.none(), st.sampled_from(names).map(lambda n: [n]))


@st.composite
def some(draw: st.DrawFn, parts: Sequence[Any], most: int = 3) -> list[str]:
    """A few of the parts (any invalid filter is a usage error, so many at once would hide
    everything behind exit 2)."""
    picked = draw(st.lists(st.sampled_from(range(len(parts))), max_size=most, unique=True))
    return [arg for i in picked for arg in (draw(parts[i]) or [])]


@st.composite
def argv(
    draw: st.DrawFn, command: Sequence[str], parts: Sequence[Any], positional: Sequence[Any] = ()
) -> list[str]:
    """The command, its options in a drawn order, then `--` and the positional arguments."""
    chosen = [p for p in (draw(part) for part in parts) if p]
    order = draw(st.permutations(range(len(chosen)))) if chosen else []
    args = [*command, *(a for i in order for a in chosen[i])]
    values = [draw(p) for p in positional]
    return [*args, "--", *values] if values else args


FORMAT = [flag("--json"), opt("--format", choice("table", "json"))]
QUIET_FORMAT = [flag("--json", "-q"), opt("--format", choice("table", "json"))]
LIST_FORMAT = [
    flag("--json", "-q"),
    opt("--format", choice("table", "json", "ndjson", "csv", "tsv")),
]
FILTERS = [
    many("--category", category), opt("--client", client), opt("--client-name", text),
    opt("--project", project), opt("--billable", choice("true", "no", "1")),
    opt("--status", choice("invoiced", "not_invoiced")), opt("--approval", approval),
    opt("--reimbursement", reimbursement), opt("--min", amount), opt("--max", amount),
    opt("--from", day), opt("--to", day), opt("--created-from", day), opt("--created-to", day),
    opt("--search", text), many("--tag", tag_value), flag("--all-tags"),
    opt("--currency", currency), flag("--deleted"),
]  # fmt: skip
EXPENSE_FIELDS = [
    opt("--units", amount), opt("--date", day), opt("--time", clock), opt("--label", text),
    opt("--client", client), opt("--project", project), flag("--billable", "--no-billable"),
    opt("--notes", text), opt("--approval", approval), opt("--reimbursement", reimbursement),
]  # fmt: skip

# --- the book -------------------------------------------------------------------------


def _ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def _seeded(cli: Cli, book: Path) -> None:
    """Clients, a project, a unit-based category and expenses in every state, once per test."""
    if book.exists():
        return
    for args in (
        ("clients", "add", "Acme"),
        ("clients", "add", "Euro GmbH", "--currency", "EUR"),
        ("projects", "add", "Site", "--client", "Acme"),
        ("categories", "add", "Mileage", "--unit", "km", "--unit-price", "0.58"),
        ("add", "Train", "45.10", "-c", "Travel", "-t", "trip"),
        ("add", "Hosting", "20.00", "-c", "Software", "--client", "Acme", "--billable"),
        ("add", "Design", "300.00", "-c", "Contractors", "-p", "Site", "--billable"),
        ("invoice", "3", "--ref", "INV-1"),
        ("add", "Drive", "-c", "Mileage", "--units", "120"),
        ("add", "Misc", "5.00", "-c", "Other", "--label", "Stuff", "-n", "line\nbreak"),
        ("add", "Gone", "1.00", "-c", "Meals"),
        ("delete", "6"),
    ):
        _ok(cli(*args))


def _bad_chars(value: str, *, allow: str = "") -> list[str]:
    """Control characters (Cc), bidi overrides and lone surrogates, except those allowed."""
    return [
        c
        for c in value
        if c not in allow and (unicodedata.category(c) in {"Cc", "Cs"} or c in BIDI)
    ]


def _invisible(value: str) -> list[str]:
    """Format characters (U+200B, U+FEFF, U+00AD, …) and line/paragraph separators."""
    return [c for c in value if unicodedata.category(c) in {"Cf", "Zl", "Zp"}]


# Text columns and what each may hold besides printable text (rule 17: notes alone keep
# newlines and tabs).
STORED_TEXT = (
    ("expenses", "description", ""), ("expenses", "custom_category", ""),
    ("expenses", "notes", "\n\t"), ("expenses", "invoice_ref", ""), ("expenses", "units", ""),
    ("expense_tags", "tag", ""), ("categories", "name", ""), ("categories", "unit_name", ""),
    ("clients", "name", ""), ("projects", "name", ""), ("settings", "value", ""),
    ("idempotency_keys", "key", ""),
)  # fmt: skip


def _output_format(args: Sequence[str]) -> str:
    chosen = "table"
    for arg in args:
        if arg == "--":
            break
        if arg == "--json":
            chosen = "json"
        elif arg.startswith("--format="):
            chosen = arg.split("=", 1)[1]
    return chosen


def _assert_clean(result: Result, args: Sequence[str]) -> None:
    shown = [a[:60] for a in args]
    exc = result.raw.exception
    if exc is not None and not isinstance(exc, SystemExit):  # an uncaught crash in-process
        raise AssertionError(f"{shown} raised {exc!r}") from exc
    assert result.exit_code in CONTRACT_EXITS, (shown, result.exit_code, result.stderr[:300])
    for stream in (result.stdout, result.stderr):
        assert "Traceback" not in stream, (shown, stream[:300])
    # Our own messages escape what they echo; Click's usage panel quotes the raw argument.
    assert "\x1b" not in result.stdout, (shown, result.stdout[:300])
    if not result.stderr.startswith("Usage:"):
        assert "\x1b" not in result.stderr, (shown, result.stderr[:300])
    if _output_format(args) == "table" and result.exit_code == 0:
        assert not _bad_chars(result.stdout, allow="\n"), (shown, result.stdout[:300])
    # §10.1 item 25: machine formats escape controls; only CSV notes keep lines and tabs.
    if result.exit_code == 0 and "-q" not in args:
        allow = "\n\t" if _output_format(args) in {"csv", "tsv"} else "\n"
        assert not _bad_chars(result.stdout, allow=allow), (shown, ascii(result.stdout[:300]))


class Watch:
    """Runs hostile commands on the seeded book and checks each one as it ends; a read-only
    connection held open sees, through `PRAGMA data_version`, any commit a command makes."""

    def __init__(self, cli: Cli, book: Path) -> None:
        _seeded(cli, book)
        self.cli = cli
        self.book = book
        self.conn = sqlite3.connect(f"file:{book}?mode=ro", uri=True, isolation_level=None)

    def _committed(self) -> int:
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def run(self, args: list[str]) -> Result:
        before = self._committed()
        result = self.cli(*args)
        if currently_in_test_context():  # the spread, with --hypothesis-show-statistics
            event(f"exit {int(result.exit_code)}")
        _assert_clean(result, args)
        if result.exit_code != 0:  # rule 16, §5: a failed command writes nothing
            assert self._committed() == before, ("a failed command wrote", args[:3])
        tables = {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master")}
        assert tables >= TABLES, (f"tables gone: {TABLES - tables}", [a[:60] for a in args])
        return result

    def final_check(self) -> None:
        """Afterwards: `db check` passes and no stored text holds a control character."""
        for table, column, allow in STORED_TEXT:
            for (value,) in self.conn.execute(f"SELECT {column} FROM {table}"):
                if isinstance(value, str):
                    assert not _bad_chars(value, allow=allow), (table, column, value[:80])
                    if column in {"name", "tag"}:  # §10.1 item 24: nothing hidden in names
                        assert not _invisible(value), (table, column, ascii(value[:80]))
        check = self.cli("db", "check")
        assert check.exit_code == 0, (check.stdout, check.stderr)


@pytest.fixture
def watch(cli: Cli, book: Path) -> Iterator[Watch]:
    watcher = Watch(cli, book)
    try:
        yield watcher
        watcher.final_check()
    finally:
        watcher.conn.close()


# --- commands that write expenses -----------------------------------------------------


@HOSTILE
@given(
    argv(
        ["add"],
        [
            category.map(lambda v: [f"--category={v}"]),
            some(EXPENSE_FIELDS),
            many("--tag", tag_value),
            opt("--idempotency-key", text),
            *QUIET_FORMAT,
        ],
        positional=[text, amount],
    )
)
def test_add(watch: Watch, args: list[str]) -> None:
    watch.run(args)


@HOSTILE
@given(
    argv(
        ["edit"],
        [
            opt("--description", text),
            opt("--amount", amount),
            opt("--category", category),
            some(EXPENSE_FIELDS),
            *QUIET_FORMAT,
        ],
        positional=[ident],
    )
)
def test_edit(watch: Watch, args: list[str]) -> None:
    watch.run(args)


@HOSTILE
@given(
    argv(
        ["clone"],
        [
            opt("--date", day),
            opt("--description", text),
            opt("--amount", amount),
            opt("--category", category),
            opt("--label", text),
            opt("--units", amount),
            opt("--project", project),
            opt("--client", client),
            flag("--billable", "--no-billable"),
            opt("--idempotency-key", text),
            *QUIET_FORMAT,
        ],
        positional=[ident],
    )
)
def test_clone(watch: Watch, args: list[str]) -> None:
    watch.run(args)


@HOSTILE
@given(
    argv(
        ["tag"],
        [flag("--clear"), many("--add", tag_value), many("--remove", tag_value), *FORMAT],
        positional=[ident, tag_value, tag_value],
    )
)
def test_tag(watch: Watch, args: list[str]) -> None:
    watch.run(args)


@HOSTILE
@given(
    st.one_of(
        argv(["attach"], [opt("--project", project), opt("--client", client), *FORMAT], [ident]),
        argv(["detach"], FORMAT, [ident]),
    )
)
def test_attach_and_detach(watch: Watch, args: list[str]) -> None:
    watch.run(args)


@HOSTILE
@given(
    st.sampled_from(["show", "delete", "restore", "invoice", "uninvoice"]).flatmap(
        lambda command: argv(
            [command],
            [
                flag("--deleted") if command == "show" else st.none(),
                flag("--force") if command == "delete" else st.none(),
                opt("--ref", text) if command == "invoice" else st.none(),
                *(FORMAT if command == "show" else QUIET_FORMAT),
            ],
            positional=[ident] * (1 if command == "show" else 3),
        )
    )
)
def test_commands_taking_ids(watch: Watch, args: list[str]) -> None:
    watch.run(args)


# Printable but hostile text a user may legitimately type: markup, SQL, FTS syntax, confusables.
_PRINTABLE = st.characters(exclude_categories=("Cc", "Cs", "Co", "Cn"), exclude_characters=BIDI)
WEIRD = (
    "[bold red]x[/]", "[link=https://evil.example]click[/link]", "[/]", "id); --",
    "'; DROP TABLE expenses; --", '"quoted" AND NEAR(x y)', "*", "%_%", "Тravel", "Ｔｒａｖｅｌ",
    "e\u0301", "😀 👨\u200d👩\u200d👧", "=SUM(A1)", "-x", "@x", "\\",
)  # fmt: skip
weird = st.one_of(st.sampled_from(WEIRD), st.text(_PRINTABLE, min_size=1, max_size=40))


@HOSTILE
@given(description=weird, notes=st.none() | weird, label=weird)
def test_valid_but_hostile_text_is_stored_and_shown_literally(
    watch: Watch, description: str, notes: str | None, label: str
) -> None:
    """Reference §4: a description `[bold]x[/]` prints as typed; rule 17 keeps the rest printable.
    What is accepted comes back exactly (trimmed), in JSON, in the table and through search."""
    noted = [f"--notes={notes}"] if notes is not None else []
    result = watch.run(
        ["add", "--json", "--category=Other", f"--label={label}", *noted, "--", description, "1"]
    )
    if result.exit_code != 0:  # blank after trimming: the only reason left to refuse
        assert result.exit_code == 4, result.stderr
        assert set(result.error["fields"]) <= {"description", "custom_category", "notes"}
        return
    data = result.data
    assert data["description"] == description.strip()
    assert data["custom_category"] == label.strip()
    assert data["notes"] == (notes.strip() or None if notes is not None else None)
    shown = _ok(watch.cli("show", str(data["id"])))
    # Tables show invisible characters (a zero-width joiner too) escaped: §10.1 item 24.
    assert escape_controls(data["description"]) in shown.stdout
    assert escape_controls(data["custom_category"]) in shown.stdout
    found = _ok(watch.cli("list", "--json", "--all", f"--search={data['description']}"))
    assert data["id"] in [e["id"] for e in found.data]


# --- reading commands -----------------------------------------------------------------

PAGING = [
    opt("--sort", choice("amount", "-date", "created", "-updated", "id", "expenseDate")),
    opt("--limit", field("1", "50", "200", "201", "0")),
    st.one_of(  # --cursor, --page and --all exclude each other: mostly one at a time
        st.none(),
        opt("--cursor", field("eyJ2IjoxfQ", "e30")),
        opt("--page", field("1", "2")),
        flag("--all"),
    ),
]


@HOSTILE
@given(argv(["list"], [some(FILTERS), *PAGING, *LIST_FORMAT]))
def test_list(watch: Watch, args: list[str]) -> None:
    watch.run(args)


@HOSTILE
@given(
    argv(
        ["report"],
        [
            many("--by", choice("category", "client", "project", "tag", "month", "year")),
            flag("--chart"),
            some(FILTERS),
            flag("--json"),
        ],
    )
)
def test_report(watch: Watch, args: list[str]) -> None:
    watch.run(args)


@HOSTILE
@given(
    argv(
        ["export"],
        [
            opt("--format", choice("csv", "json", "ndjson", "ledger", "beancount")),
            opt("--account", field("Assets:Cash", "Liabilities:Card")),
            some(FILTERS),
        ],
    )
)
def test_export(watch: Watch, args: list[str]) -> None:
    watch.run(args)


# --- the catalog and settings ---------------------------------------------------------

CATALOG = st.one_of(
    argv(
        ["categories", "add"],
        [opt("--unit", text), opt("--unit-price", amount), opt("--approval", approval),
         opt("--reimbursement", reimbursement), *FORMAT],
        positional=[text],
    ),
    argv(
        ["categories", "edit"],
        [opt("--name", text), opt("--unit-price", amount), opt("--approval", approval),
         opt("--reimbursement", reimbursement), *FORMAT],
        positional=[category],
    ),
    argv(["clients", "add"], [opt("--currency", currency), *FORMAT], positional=[text]),
    argv(
        ["clients", "edit"],
        [opt("--name", text), opt("--currency", currency), *FORMAT],
        positional=[client],
    ),
    argv(["projects", "add"], [opt("--client", client), *FORMAT], positional=[text]),
    argv(["projects", "edit"], [opt("--name", text), *FORMAT], positional=[project]),
)  # fmt: skip


@HOSTILE
@given(CATALOG)
def test_categories_clients_projects(watch: Watch, args: list[str]) -> None:
    watch.run(args)


@HOSTILE
@given(
    st.one_of(
        argv(["config"], [flag("--json")]),
        argv(["config"], [flag("--json")], positional=[field("default_currency", "date_order")]),
        argv(
            ["config"],
            [flag("--json")],
            positional=[
                field("default_currency", "date_order"),
                field("EUR", "JPY", "ymd", "dmy", "mdy", extra=currency),
            ],
        ),
    )
)
def test_config(watch: Watch, args: list[str]) -> None:
    watch.run(args)


# --- cursors, sorts and filters are allow-listed --------------------------------------


def _tampered(cursor: str, key: list[Any]) -> str:
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    payload["k"] = key
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


cursor_key = st.lists(
    st.one_of(
        st.sampled_from(ADVERSARIAL).map(lambda v: v[:200]),
        st.integers(),
        st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**30]),  # beyond SQLite's 64 bits
        st.floats(allow_nan=False),
        st.none(),
        st.booleans(),
        st.lists(st.integers(), max_size=2),
    ),
    min_size=0,
    max_size=3,
)


@HOSTILE
@given(cursor_key)
def test_a_tampered_cursor_is_a_usage_error_or_a_page(watch: Watch, key: list[Any]) -> None:
    """A cursor carries the keyset position: one forged with the right query digest but hostile
    values must still be refused as usage (2) or read as a position (0), never crash."""
    cursor = _ok(watch.cli("list", "--limit", "1", "--json")).json["pagination"]["next_cursor"]
    result = watch.run(["list", "--limit", "1", "--cursor", _tampered(cursor, key)])
    assert result.exit_code in {0, 2}, (key, result.stderr)


@pytest.mark.parametrize("key", [["", 2**63], [2**63, 1], ["x", -(2**63) - 1], [10**30, 10**30]])
def test_a_forged_cursor_beyond_64_bits_is_a_usage_error(watch: Watch, key: list[Any]) -> None:
    """Reference §5: an invalid cursor value is a usage error (exit 2), not an OverflowError."""
    cursor = _ok(watch.cli("list", "--limit", "1", "--json")).json["pagination"]["next_cursor"]
    result = watch.run(["list", "--limit", "1", "--json", "--cursor", _tampered(cursor, key)])
    assert result.exit_code == 2, (key, result.stderr)
    assert result.error["code"] == "usage"


@pytest.mark.parametrize(
    "sort",
    ["amount; DROP TABLE expenses", "id); --", "amount_minor", "description", "rowid",
     "amount,id", "-amount desc", "(SELECT 1)", "1", ""],
)  # fmt: skip
def test_sort_fields_are_allow_listed(watch: Watch, sort: str) -> None:
    result = watch.run(["list", "--sort", sort, "--json"])
    assert result.exit_code == 2, result.stderr
    assert result.error["code"] == "usage"


@pytest.mark.parametrize(
    "args",
    [["--category", "1 OR 1=1"], ["--client", "'; DROP TABLE clients; --"],
     ["--project", "0) OR (1=1"], ["--billable", "1 OR 1"], ["--status", "invoiced' --"],
     ["--approval", "approved' OR '1'='1"], ["--min", "0 OR 1=1"], ["--from", "2025-01-01' --"],
     ["--currency", "USD' OR '1'='1"], ["--limit", "1; DROP TABLE expenses"],
     ["--page", "1 OR 1"], ["--cursor", "'; DROP TABLE expenses; --"]],
    ids=lambda a: a[0],
)  # fmt: skip
def test_filter_values_are_validated_not_interpolated(watch: Watch, args: list[str]) -> None:
    for command in ("list", "report"):
        if command == "report" and args[0] in {"--limit", "--page", "--cursor"}:
            continue
        result = watch.run([command, *args, "--json"])
        assert result.exit_code == 2, (command, result.stderr)


@pytest.mark.parametrize("search", ["'; DROP TABLE expenses; --", "%", "_", '"', "NEAR(", "*"])
def test_search_text_is_data_not_sql(watch: Watch, search: str) -> None:
    """`--search` goes to a trigram FTS index: its syntax characters must match literally."""
    _ok(watch.cli("add", f"odd {search} thing", "1.00", "-c", "Travel"))
    result = watch.run(["list", "--search", search, "--json"])
    assert result.exit_code == 0, result.stderr
    assert all(search.lower() in e["description"].lower() for e in result.data)
    assert f"odd {search} thing" in [e["description"] for e in result.data]


# --- inputs the contract names; each was once an exit 1 in a fuzzer's hands -------------

HUGE = str(2**63)


@pytest.mark.parametrize(
    ("args", "allowed"),
    [(["show", HUGE], {2, 3}), (["delete", HUGE], {2, 3}), (["restore", HUGE], {2, 3}),
     (["edit", HUGE, "--notes", "x"], {2, 3}), (["tag", HUGE, "x"], {2, 3}),
     (["invoice", HUGE], {2, 3}), (["clone", HUGE, "-d", "today"], {2, 3}),
     (["categories", "edit", HUGE, "--name", "x"], {2, 3, 4}),
     (["clients", "edit", HUGE, "--name", "x"], {2, 3, 4}),
     (["add", "x", "1.00", "-c", HUGE], {4}), (["add", "x", "1.00", "-c", "Travel",
     "--client", HUGE], {4}),
     (["list", "--client", HUGE], {2}), (["list", "--category", HUGE], {2}),
     (["list", "--project", HUGE], {2}), (["list", "--page", str(2**70)], {2}),
     (["show", str(-(2**63) - 1)], {2, 3})],
    ids=lambda v: " ".join(v)[:40] if isinstance(v, list) else "",
)  # fmt: skip
def test_ids_beyond_64_bits_are_not_found_or_usage(
    watch: Watch, args: list[str], allowed: set[int]
) -> None:
    """SQLite integers are 64-bit; a larger id typed by a user is simply not a record."""
    result = watch.run(args)
    assert result.exit_code in allowed, (result.exit_code, result.stderr)


@pytest.mark.parametrize(
    "args",
    [["add", "a\udcffb", "1.00", "-c", "Travel"],
     ["add", "x", "1.00", "-c", "Travel", "-t", "\udcff"],
     ["add", "x", "1.00", "-c", "Travel", "-n", "\udcff"],
     ["add", "x", "1.00", "-c", "Travel", "--idempotency-key", "\udcff"],
     ["edit", "1", "--description", "\udcff"],
     ["clients", "add", "\udcff"], ["categories", "add", "\udcff"],
     ["list", "--search", "\udcff"], ["list", "--tag", "\udcff"],
     ["list", "--client-name", "\udcff"]],
    ids=lambda a: " ".join(a[:2]) + " " + next(x for x in a if "\udcff" in x).encode(
        "unicode_escape").decode(),
)  # fmt: skip
def test_undecodable_argv_is_rejected_not_a_crash(watch: Watch, args: list[str]) -> None:
    """`expense add $'\\xff' …` reaches Python as a lone surrogate (surrogateescape); it cannot
    be stored as UTF-8, so it must be a validation (4) or usage (2) error, not exit 1."""
    result = watch.run(args)
    assert result.exit_code in {2, 4}, (result.exit_code, result.stderr)


def test_control_characters_from_an_old_file_never_reach_the_terminal(cli: Cli, book: Path) -> None:
    """Reference §4: text that bypassed validation (an old file) is shown escaped in tables."""
    _seeded(cli, book)
    evil = "evil\x1b[31mred\x1b]8;;https://x\x07link\x9b2J\x00nul\x7fdel"
    with closing(sqlite3.connect(book)) as conn, conn:
        conn.execute("UPDATE expenses SET description = ?, notes = ? WHERE id = 1", (evil, evil))
        conn.execute("UPDATE expense_tags SET tag = ? WHERE expense_id = 1", (evil,))
        conn.execute("UPDATE categories SET name = ? WHERE name = 'Travel'", (evil,))
        conn.execute("UPDATE clients SET name = ? WHERE name = 'Acme'", (evil,))
    for args in (["list"], ["show", "1"], ["report", "--by", "category", "--by", "tag"],
                 ["report", "--by", "client", "--chart"], ["categories"], ["clients"],
                 ["projects"], ["tag", "1"]):  # fmt: skip
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)
        assert not _bad_chars(result.stdout, allow="\n"), (args, result.stdout)
