"""Invisible text and control characters (reference §10.1 items 20, 24, 25; rules 12, 17).

Names and tags refuse format characters (Cf) and line/paragraph separators wherever they
stand; text that shows nothing is blank; tables show such characters escaped. Whatever a
book holds (an old or tampered file: written here with sqlite3 directly), JSON escapes every
control and bidi character, CSV and TSV carry none raw but the newlines and tabs of notes,
and `db check` reports the text as problems. The property tests draw from all of Unicode.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import unicodedata
from collections.abc import Iterable
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from expense_cli.cli import render
from expense_cli.domain import text
from expense_cli.domain.enums import Approval, BillingStatus, Reimbursement
from expense_cli.domain.models import Expense, Money, Ref
from expense_cli.domain.validation import InvalidValue
from tests.conftest import Cli, ok

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# End to end: each example runs several commands on a tampered book.
END_TO_END = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
INVISIBLE = [
    "\u200b",  # zero width space
    "\ufeff",  # byte order mark / zero width no-break space
    "\u00ad",  # soft hyphen
    "\u200d",  # zero width joiner
    "\u2060",  # word joiner
    "\u200e",  # left-to-right mark
    "\u061c",  # Arabic letter mark
    "\U000e0041",  # tag latin capital letter A
    "\u2028",  # line separator (Zl)
    "\u2029",  # paragraph separator (Zp)
]
# Stored through sqlite3, past every rule: what an old or tampered book may hold.
EVIL = "a\x1b[31mb\x9b2J\u202ec\x7fd\x85e\x00f\u2066g\rh"


def _raw_controls(value: str, allow: str = "") -> list[str]:
    """C0, DEL, C1 and bidi controls in `value`, except those in `allow`."""
    return [c for c in value if c not in allow and (unicodedata.category(c) == "Cc" or c in BIDI)]


def _hidden(value: str) -> list[str]:
    return [c for c in value if unicodedata.category(c) in {"Cf", "Zl", "Zp"}]


def _tamper(book: Path, *statements: tuple[str, tuple[Any, ...]]) -> None:
    with closing(sqlite3.connect(book)) as conn, conn:
        for sql, params in statements:
            conn.execute(sql, params)


def _seed(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    ok(cli, "projects", "add", "Site", "--client", "Acme")
    ok(cli, "add", "Train", "45.10", "-c", "Travel", "-t", "trip", "-p", "Site",
       "-n", "line one\nline\ttwo")  # fmt: skip


def _csv_rows(output: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(output, newline="")))


# --- names and tags refuse invisible characters (item 24) -------------------------------


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("where", ["{}Acme", "Ac{}me", "Acme{}"])
def test_names_reject_invisible_characters_wherever_they_stand(char: str, where: str) -> None:
    with pytest.raises(InvalidValue, match="invisible character U\\+"):
        text.name(where.format(char))


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("where", ["{}trip", "tr{}ip", "trip{}"])
def test_tags_reject_invisible_characters_wherever_they_stand(char: str, where: str) -> None:
    with pytest.raises(InvalidValue, match="invisible character U\\+"):
        text.tag(where.format(char))


@pytest.mark.parametrize(
    "blank", ["\u200b", "\ufeff", "\u00ad", " \u200b\u2060 ", "\u200b\u3000\u2028\u2029"],
    ids=ascii,
)  # fmt: skip
@pytest.mark.parametrize("rule", [text.description, text.label, text.notes, text.name])
def test_text_that_shows_nothing_is_blank(rule: Any, blank: str) -> None:
    with pytest.raises(InvalidValue, match=r"blank|invisible"):
        rule(blank)


def test_free_text_keeps_the_joiners_names_refuse() -> None:
    """Emoji sequences and scripts need joiners: only names and tags refuse them."""
    family = "Dinner 👨\u200d👩\u200d👧"
    assert text.description(family) == family
    assert text.notes(f"a\u00adb\n{family}") == f"a\u00adb\n{family}"
    with pytest.raises(InvalidValue):
        text.name(family)


def test_the_message_names_the_invisible_character() -> None:
    with pytest.raises(InvalidValue) as caught:
        text.name("Acme\u200b")
    assert "U+200B (ZERO WIDTH SPACE)" in str(caught.value)


def test_stored_text_problem_applies_rule_17_and_item_24() -> None:
    assert text.stored_text_problem("Caf\u00e9 \u00a0x") is None
    assert text.stored_text_problem("a\nb", multiline=True) is None
    assert "U+000A" in (text.stored_text_problem("a\nb") or "")
    assert "U+009B" in (text.stored_text_problem("x\x9b") or "")
    assert "U+202E" in (text.stored_text_problem("x\u202e", hidden=True) or "")
    assert text.stored_text_problem("x\u200b") is None  # free text may hold it
    assert "U+200B" in (text.stored_text_problem("x\u200b", hidden=True) or "")


def test_acme_and_acme_with_a_zero_width_space_cannot_both_exist(cli: Cli) -> None:
    ok(cli, "clients", "add", "Acme")
    for args in (
        ("clients", "add", "Acme\u200b"),
        ("clients", "add", "\ufeffAcme"),
        ("clients", "add", "Ac\u00adme"),
        ("clients", "add", "Acme\u2028"),
        ("categories", "add", "Travel\u200b"),
        ("projects", "add", "Si\u200dte", "--client", "Acme"),
        ("clients", "edit", "Acme", "--name", "Acme\u2060"),
    ):
        result = cli(*args, "--json")
        assert result.exit_code == 4, (args, result.stdout, result.stderr)
        assert "name" in result.error["fields"], result.stderr
    assert [c["name"] for c in ok(cli, "clients")] == ["Acme"]
    assert [p["name"] for p in ok(cli, "projects")] == []


def test_tags_with_invisible_characters_are_rejected_end_to_end(cli: Cli) -> None:
    result = cli("add", "Train", "5", "-c", "Travel", "-t", "tr\u00adip", "--json")
    assert result.exit_code == 4, result.stderr
    assert set(result.error["fields"]) == {"tags"}
    ok(cli, "add", "Train", "5", "-c", "Travel", "-t", "trip")
    result = cli("tag", "1", "--add", "trip\u200b", "--json")
    assert result.exit_code == 4, result.stderr
    assert set(result.error["fields"]) == {"tags"}
    assert ok(cli, "show", "1")["tags"] == ["trip"]


@pytest.mark.parametrize("blank", ["\u200b", "\ufeff \u00ad", "\u2060\u3000"], ids=ascii)
def test_a_zero_width_description_is_blank(cli: Cli, blank: str) -> None:
    result = cli("add", "--json", "-c", "Travel", "--", blank, "5")
    assert result.exit_code == 4, result.stderr
    assert set(result.error["fields"]) == {"description"}
    ok(cli, "add", "Real", "5", "-c", "Travel")
    result = cli("edit", "1", "--description", blank, "--json")
    assert result.exit_code == 4, result.stderr
    assert set(result.error["fields"]) == {"description"}


def test_tables_show_invisible_characters_escaped(cli: Cli, book: Path) -> None:
    _seed(cli)
    ok(cli, "add", "Dinner 👨\u200d👩", "9", "-c", "Meals")
    _tamper(
        book,
        ("UPDATE clients SET name = ? WHERE name = 'Acme'", ("Acme\u200b",)),
        ("UPDATE expenses SET description = ? WHERE id = 1", ("\ufeffTrain\u2028x",)),
        ("UPDATE expense_tags SET tag = ?", ("tr\u00adip",)),
    )
    for args, shown in (
        (["list"], ["\\ufeffTrain\\u2028x", "Acme\\u200b", "tr\\xadip", "👨\\u200d👩"]),
        (["show", "1"], ["\\ufeffTrain\\u2028x", "Acme\\u200b", "tr\\xadip"]),
        (["clients"], ["Acme\\u200b"]),
        (["tag", "1"], ["tr\\xadip"]),
    ):
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)
        assert not _hidden(result.stdout), (args, result.stdout)
        for escaped in shown:
            assert escaped in result.stdout, (args, escaped, result.stdout)


# --- nothing leaves raw (item 25) --------------------------------------------------------


def _tampered_book(cli: Cli, book: Path) -> None:
    _seed(cli)
    _tamper(
        book,
        ("UPDATE expenses SET description = ?, custom_category = ?, invoice_ref = ?, notes = ?",
         (EVIL, EVIL, EVIL, "n\u202e\x9b\r\nx\ty")),
        ("UPDATE expense_tags SET tag = ?", (EVIL,)),
        ("UPDATE clients SET name = ?", (EVIL,)),
        ("UPDATE projects SET name = ?", (EVIL,)),
        ("UPDATE categories SET name = ? WHERE name = 'Travel'", (EVIL,)),
    )  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [["list", "--json"], ["list", "--all", "--json"], ["show", "1", "--json"],
     ["list", "-f", "ndjson"], ["export", "-f", "json"], ["export", "-f", "ndjson"],
     ["clients", "--json"], ["projects", "--json"], ["categories", "--json"],
     ["report", "--by", "client", "--by", "tag", "--json"]],
    ids=" ".join,
)  # fmt: skip
def test_json_escapes_every_control_and_bidi_character(
    cli: Cli, book: Path, args: list[str]
) -> None:
    _tampered_book(cli, book)
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    assert not _raw_controls(result.stdout, allow="\n"), ascii(result.stdout[:400])
    assert "\\u009b" in result.stdout and "\\u202e" in result.stdout
    lines = result.stdout.splitlines() if "ndjson" in args else [result.stdout]
    decoded = json.dumps([json.loads(line) for line in lines], ensure_ascii=False)
    assert "\x9b" in decoded and "\u202e" in decoded  # the same text, escaped, not replaced


def test_json_list_gives_back_the_stored_text_exactly(cli: Cli, book: Path) -> None:
    _tampered_book(cli, book)
    result = cli("list", "--json")
    assert "\x9b" not in result.stdout
    expense = result.data[0]
    assert expense["description"] == EVIL
    assert expense["notes"] == "n\u202e\x9b\r\nx\ty"
    assert expense["tags"] == [EVIL]
    assert expense["client"]["name"] == EVIL


def test_json_writer_escapes_c1_bidi_and_separators() -> None:
    written = render.dumps({"k\x9b": ["\x7f\x85\u202a\u2069\u2028\u2029\x1b", "é 東京"]})
    assert written.isascii() is False  # readable text stays as it is
    assert not _raw_controls(written)
    assert "\u2028" not in written and "\u2029" not in written
    assert json.loads(written) == {"k\x9b": ["\x7f\x85\u202a\u2069\u2028\u2029\x1b", "é 東京"]}


@pytest.mark.parametrize(
    "args", [["list", "-f", "csv"], ["list", "--all", "-f", "csv"], ["export", "-f", "csv"]],
    ids=" ".join,
)  # fmt: skip
def test_csv_carries_no_raw_control_but_the_lines_and_tabs_of_notes(
    cli: Cli, book: Path, args: list[str]
) -> None:
    _tampered_book(cli, book)
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    assert not _raw_controls(result.stdout, allow="\n\t"), ascii(result.stdout)
    (row,) = _csv_rows(result.stdout)
    shown = "a\\u001b[31mb\\u009b2J\\u202ec\\u007fd\\u0085e\\u0000f\\u2066g\\u000dh"
    for column in ("description", "custom_category", "invoice_ref", "client", "project", "tags"):
        assert row[column] == shown, (column, row[column])
    assert row["category"] == shown
    assert row["notes"] == "n\\u202e\\u009b\\u000d\nx\ty"  # newline and tab kept, quoted


def test_tsv_carries_no_raw_control_at_all(cli: Cli, book: Path) -> None:
    _tampered_book(cli, book)
    result = cli("list", "-f", "tsv")
    assert result.exit_code == 0, result.stderr
    header, line, end = result.stdout.split("\n")
    assert end == ""
    cells = dict(zip(header.split("\t"), line.split("\t"), strict=True))
    assert not any(_raw_controls(cell) for cell in cells.values()), cells
    # TSV writes a backslash as `\\`: the cell's value is the text `\u001b`.
    assert cells["description"].startswith("a\\\\u001b[31mb\\\\u009b2J\\\\u202ec")
    assert cells["notes"] == "n\\\\u202e\\\\u009b\\\\u000d\\nx\\ty"


def test_escaping_leaves_ordinary_rows_as_they_were(cli: Cli, book: Path) -> None:
    ok(cli, "add", "Café — 東京 😀", "5", "-c", "Travel", "-n", "a\nb\tc", "-t", "trip")
    ok(cli, "add", "Tampered", "6", "-c", "Travel", "-n", "x")
    _tamper(book, ("UPDATE expenses SET notes = ? WHERE id = 2", ("x\x1by",)))
    rows = _csv_rows(cli("list", "-f", "csv", "--sort", "id").stdout)
    assert [(r["description"], r["notes"]) for r in rows] == [
        ("Café — 東京 😀", "a\nb\tc"), ("Tampered", "x\\u001by"),
    ]  # fmt: skip


# --- db check reports stored text that breaks the rules (item 20) ------------------------


def test_db_check_reports_control_and_invisible_characters_in_stored_text(
    cli: Cli, book: Path
) -> None:
    _seed(cli)
    assert cli("db", "check").exit_code == 0
    _tamper(
        book,
        ("UPDATE expenses SET description = ?, notes = ?", ("x\x9b", "ok\nfine\tstill\u202e")),
        ("UPDATE expense_tags SET tag = ?", ("tr\u00adip",)),
        ("UPDATE clients SET name = ?", ("Acme\u200b",)),
        ("UPDATE projects SET name = ?", ("Si\x00te",)),
        ("UPDATE categories SET name = ? WHERE name = 'Meals'", ("Meals\u2028",)),
    )
    result = cli("db", "check", "--json")
    assert result.exit_code == 4, (result.stdout, result.stderr)
    meals = next(c["id"] for c in ok(cli, "categories") if c["name"].startswith("Meals"))
    fields = result.error["fields"]
    assert set(fields) == {
        "expense 1.description", "expense 1.notes", "expense 1.tag", "client 1.name",
        "project 1.name", f"category {meals}.name",
    }  # fmt: skip
    assert "U+009B" in fields["expense 1.description"]
    assert "U+202E" in fields["expense 1.notes"]
    assert "U+200B" in fields["client 1.name"]
    assert "U+0000" in fields["project 1.name"]
    assert not _raw_controls(result.stderr, allow="\n")


def test_db_check_is_clean_for_text_the_rules_accept_and_only_that(cli: Cli, book: Path) -> None:
    ok(cli, "clients", "add", "Büro & Co")
    ok(cli, "add", "Dinner 👨\u200d👩 café\u00a0bar", "9", "-c", "Other", "--label", "Ünï",
       "-n", "a\nb\tc", "-t", "Zürich", "--client", "Büro & Co")  # fmt: skip
    result = cli("db", "check")
    assert result.exit_code == 0, result.stderr
    _tamper(book, ("UPDATE expenses SET custom_category = ?", ("Ün\u202eï",)))
    result = cli("db", "check", "--json")
    assert result.exit_code == 4, result.stderr
    assert list(result.error["fields"]) == ["expense 1.custom_category"]


# --- properties: text from all of Unicode ------------------------------------------------

# Every code point but lone surrogates (SQLite stores UTF-8), weighted towards the
# categories that hide: controls, format characters, separators and spaces.
_SHADY = st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Zs"])
_ANY = st.characters(exclude_categories=["Cs"])
_CHARS = st.one_of(_SHADY, _ANY, st.sampled_from(sorted(BIDI)))
unicode_text = st.text(_CHARS, min_size=1, max_size=12)
# Text that shows nothing, and ordinary text with something hidden at one end.
_UNSEEN = st.text(st.characters(categories=["Cf", "Zs", "Zl", "Zp"]), min_size=1, max_size=4)
accepted_text = st.one_of(
    unicode_text,
    _UNSEEN,
    st.tuples(st.text(min_size=1, max_size=8), _UNSEEN).map("".join),
)


def _accepted(rule: Any, value: str) -> str | None:
    try:
        return str(rule(value))
    except InvalidValue:
        return None


@PROPERTY
@given(accepted_text)
@example("Acme\u200b")
def test_accepted_names_and_tags_hold_nothing_hidden(value: str) -> None:
    for rule in (text.name, text.tag):
        cleaned = _accepted(rule, value)
        if cleaned is not None:
            assert not _raw_controls(cleaned) and not _hidden(cleaned), (rule, ascii(cleaned))
            assert not _hidden(value), ("checked before trimming", ascii(value))
            assert not text.is_invisible(cleaned)


@PROPERTY
@given(accepted_text)
@example("\u200b")
def test_accepted_free_text_is_visible_and_free_of_controls(value: str) -> None:
    for rule, allow in ((text.description, ""), (text.label, ""), (text.notes, "\n\t")):
        cleaned = _accepted(rule, value)
        if cleaned is not None:
            assert not _raw_controls(cleaned, allow=allow), (rule, ascii(cleaned))
            visible = [
                c for c in cleaned if unicodedata.category(c) not in {"Cf", "Zs", "Zl", "Zp"}
            ]
            assert visible and visible != ["\n"] * len(visible), (rule, ascii(cleaned))


def _expense(fill: list[str]) -> Expense:
    """An expense holding arbitrary text in every text field (as a tampered book would)."""
    return Expense(
        id=1, uid=fill[0], description=fill[1], date=date(2025, 3, 1), time=None,
        amount=Money(510, "USD", 2), units=None, unit_price=None, category=Ref(1, fill[2]),
        custom_category=fill[3], client=Ref(1, fill[4]), project=Ref(1, fill[5]),
        billable=True, billing_status=BillingStatus.INVOICED, invoice_ref=fill[6],
        approval_status=Approval.APPROVED, reimbursement_status=Reimbursement.PENDING,
        notes=fill[7], tags=(fill[8], fill[9]),
        created_at="2025-03-01T10:00:00.000000Z", updated_at="2025-03-01T10:00:00.000000Z",
    )  # fmt: skip


def _written(write: Any, *args: Any) -> str:
    out = io.StringIO()
    write(*args, out=out)
    return out.getvalue()


@PROPERTY
@given(st.lists(unicode_text, min_size=10, max_size=10))
def test_json_of_any_stored_text_has_no_raw_control_and_reads_back_exactly(
    fill: list[str],
) -> None:
    expense = _expense(fill)
    for output in (
        _written(render.write_ndjson, [expense]),
        _written(render.write_json_list, [expense], {"limit": None, "next_cursor": None}),
        render.dumps(render.envelope(expense.to_json())),
    ):
        assert not _raw_controls(output, allow="\n"), ascii(output)
        assert not {"\u2028", "\u2029"} & set(output)
    assert json.loads(_written(render.write_ndjson, [expense])) == expense.to_json()


@PROPERTY
@given(st.lists(unicode_text, min_size=10, max_size=10))
def test_csv_and_tsv_of_any_stored_text_have_no_raw_control(fill: list[str]) -> None:
    expense = _expense(fill)
    written = _written(render.write_delimited, [expense], False)
    assert not _raw_controls(written, allow="\n\t"), ascii(written)
    (row,) = _csv_rows(written)
    _assert_only_notes_hold_lines(row.items())
    tsv = _written(render.write_delimited, [expense], True)
    header, line, end = tsv.split("\n")
    assert end == "" and len(line.split("\t")) == len(header.split("\t"))
    assert not _raw_controls(line, allow="\t"), ascii(line)


def _assert_only_notes_hold_lines(cells: Iterable[tuple[str, str]]) -> None:
    for column, value in cells:
        allow = "\n\t" if column == "notes" else ""
        assert not _raw_controls(value, allow=allow), (column, ascii(value))


stored_text = st.text(_CHARS, min_size=1, max_size=8)


@END_TO_END
@given(description=stored_text, notes=stored_text, tag=stored_text, client=stored_text)
def test_any_stored_text_leaves_escaped_and_db_check_reports_it(
    cli: Cli, book: Path, description: str, notes: str, tag: str, client: str
) -> None:
    """A tampered book, end to end: every output format, and `db check` against an oracle
    written from the reference (rule 17 everywhere, item 24 in names and tags)."""
    if not book.exists():
        _seed(cli)
    _tamper(
        book,
        ("UPDATE expenses SET description = ?, notes = ? WHERE id = 1", (description, notes)),
        ("UPDATE expense_tags SET tag = ?, tag_key = ?", (tag, tag.casefold())),
        ("UPDATE clients SET name = ?, name_key = ?", (client, client.casefold())),
    )
    for args, allow in ((["list", "--json"], "\n"), (["list", "-f", "ndjson"], "\n"),
                        (["list", "-f", "csv"], "\n\t"), (["list", "-f", "tsv"], "\n\t"),
                        (["list"], "\n"), (["show", "1"], "\n")):  # fmt: skip
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)
        assert not _raw_controls(result.stdout, allow=allow), (args, ascii(result.stdout))
    data = ok(cli, "show", "1")
    assert (data["description"], data["notes"], data["client"]["name"]) == (
        description, notes, client,
    )  # fmt: skip
    broken = (
        _raw_controls(description)
        or _raw_controls(notes, allow="\n\t")
        or _raw_controls(tag) or _hidden(tag)
        or _raw_controls(client) or _hidden(client)
    )  # fmt: skip
    check = cli("db", "check")
    assert check.exit_code == (4 if broken else 0), (ascii(check.stderr), check.stdout)
