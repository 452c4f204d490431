"""Ledger and beancount exports lose nothing (reference §10.1 items 5 and 25): whole
descriptions, the expense's fields as metadata, one account per category shared by both
formats and never by two categories, and no raw control or bidi character whatever the
book holds. Checked on the text itself, and in ledger, hledger and beancount when
installed (those checks skip otherwise)."""

from __future__ import annotations

import json
import re
import sqlite3
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, ok, run_tool, tool

# What may never be in a journal raw (item 25); line ends are removed before the search.
RAW = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
AWKWARD_CATEGORIES = (
    "Travel 2026", "Travel-2026", "home:office", "Home office", "Office: Supplies",
    "Café Équipement", "été", "東京 trip", "(misc)", "a::b", "Tabs, commas; and \\ too",
)  # fmt: skip
NOTES = 'line one\n\tline two, with a comma: and \\ a backslash "quoted"'


def _add(cli: Cli, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = ok(cli, "add", *args)
    return data


def _export_file(cli: Cli, tmp_path: Path, kind: str, *args: str) -> Path:
    journal = tmp_path / f"book.{kind}"
    result = cli("export", "-f", kind, "-o", str(journal), *args)
    assert result.exit_code == 0, result.stderr
    return journal


def _export(cli: Cli, tmp_path: Path, kind: str, *args: str) -> str:
    """The exported text, byte for byte (no newline translation hiding a raw CR)."""
    return _export_file(cli, tmp_path, kind, *args).read_bytes().decode("utf-8")


def _transactions(text: str, indent: str) -> list[list[str]]:
    """The lines of each transaction (blocks separated by blank lines, `open`s dropped)."""
    blocks = [block.splitlines() for block in text.split("\n\n") if block.strip()]
    return [
        [line for line in block if " open " not in line]
        for block in blocks
        if any(line.startswith(indent) for line in block)
    ]


def _ledger_value(value: str) -> str:
    """A ledger metadata value back to text: JSON string escapes (docs/decisions.md)."""
    decoded: str = json.loads('"' + value.replace('"', '\\"') + '"')
    return decoded


_BEAN_UNESCAPE = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"'}


def _bean_value(value: str) -> str | bool:
    if value in ("TRUE", "FALSE"):
        return value == "TRUE"
    assert value.startswith('"') and value.endswith('"'), value
    return re.sub(r"\\(.)", lambda m: _BEAN_UNESCAPE[m[1]], value[1:-1])


def _parse_ledger(text: str) -> dict[str, dict[str, Any]]:
    """uid → payee, metadata (decoded) and posting accounts, read from the text."""
    out = {}
    for block in _transactions(text, "    "):
        meta: dict[str, str] = {}
        accounts = []
        for line in block[1:]:
            body = line.strip()
            if body.startswith("; ") and ": " in body:
                key, _, value = body[2:].partition(": ")
                meta[key] = _ledger_value(value)
            elif not body.startswith(";"):
                accounts.append(body.split("  ")[0])
        payee = block[0].split(" ", 1)[1].removeprefix("() ")
        out[meta["uid"]] = {"payee": payee, "meta": meta, "accounts": accounts}
    return out


def _parse_beancount(text: str) -> dict[str, dict[str, Any]]:
    out = {}
    for block in _transactions(text, "  "):
        meta: dict[str, Any] = {}
        accounts = []
        for line in block[1:]:
            match = re.fullmatch(r"  ([a-z][a-z_]*): (.*)", line)
            if match:
                meta[match[1]] = _bean_value(match[2])
            else:
                accounts.append(line.strip().split("  ")[0])
        narration = re.match(r'\S+ \* ("(?:[^"\\]|\\.)*")', block[0])
        assert narration, block[0]
        out[meta["uid"]] = {"payee": _bean_value(narration[1]), "meta": meta, "accounts": accounts}
    return out


def _no_raw_controls(text: str) -> None:
    bad = RAW.search(text.replace("\n", ""))
    assert bad is None, f"raw U+{ord(bad.group()):04X} in {text!r}"


def _valid_beancount_account(name: str) -> bool:
    """beancount v3: `[\\p{Lu}\\p{Nd}][\\p{L}\\p{Nd}-]*` per component after the root."""
    root, *parts = name.split(":")
    if root not in ("Assets", "Liabilities", "Equity", "Income", "Expenses") or not parts:
        return False
    for part in parts:
        if not part or unicodedata.category(part[0]) not in ("Lu", "Nd"):
            return False
        if any(c != "-" and not re.match(r"L|Nd", unicodedata.category(c)) for c in part):
            return False
    return True


# Tools, when installed ------------------------------------------------------------------
_BEANCOUNT_DUMP = """
import json, sys
from beancount import loader
entries, errors, _ = loader.load_file(sys.argv[1])
out = {"errors": [str(e.message) for e in errors], "transactions": {}}
for entry in entries:
    if type(entry).__name__ == "Transaction":
        meta = {k: v for k, v in entry.meta.items() if k not in ("filename", "lineno")
                and not k.startswith("__")}
        out["transactions"][meta["uid"]] = {"payee": entry.narration, "meta": meta,
            "accounts": [p.account for p in entry.postings]}
print(json.dumps(out))
"""


def _beancount_loaded(journal: Path) -> dict[str, Any]:
    tool("bean-check")
    python = sys.executable
    if run_tool(python, "-c", "import beancount").returncode != 0:
        pytest.skip("beancount cannot be imported")
    dumped = run_tool(python, "-c", _BEANCOUNT_DUMP, str(journal))
    assert dumped.returncode == 0, dumped.stderr
    loaded: dict[str, Any] = json.loads(dumped.stdout)
    return loaded


def _hledger_loaded(journal: Path) -> dict[str, dict[str, Any]]:
    printed = run_tool(tool("hledger"), "-f", str(journal), "print", "-O", "json")
    assert printed.returncode == 0, printed.stderr
    out = {}
    for t in json.loads(printed.stdout):
        meta = {k: _ledger_value(v) for k, v in t["ttags"] if v}
        accounts = [p["paccount"] for p in t["tpostings"]]
        out[meta["uid"]] = {"payee": t["tdescription"], "meta": meta, "accounts": accounts}
    return out


def _ledger_tag(journal: Path, uid: str, key: str) -> str:
    shown = run_tool(tool("ledger"), "-f", str(journal), "reg", "^Expenses", "and", f"%uid={uid}",
                 "--format", f'%(tag("{key}"))\\n')  # fmt: skip
    assert shown.returncode == 0 and shown.stderr == "", shown.stderr
    return _ledger_value(shown.stdout.removesuffix("\n"))


# The books ------------------------------------------------------------------------------
def _full_expense(cli: Cli) -> dict[str, Any]:
    """Every optional field set, with the characters each format finds hard."""
    ok(cli, "clients", "add", "Acme, Inc; (EU)", "--currency", "EUR")
    ok(cli, "projects", "add", "Site: redesign, v2", "--client", "Acme, Inc; (EU)")
    expense = _add(cli, "Coworking; Friday, 2 days", "40.00", "-c", "Other", "--label",
                   "Ünïcode: label, too", "--client", "Acme, Inc; (EU)", "-p",
                   "Site: redesign, v2", "--billable", "-n", NOTES, "-d", "2026-01-09")  # fmt: skip
    ok(cli, "invoice", str(expense["id"]), "--ref", "INV 7, part; 2")
    data: dict[str, Any] = ok(cli, "show", str(expense["id"]))
    return data


EXPECTED_META = {
    "client": "Acme, Inc; (EU)",
    "project": "Site: redesign, v2",
    "billable": True,
    "invoice_ref": "INV 7, part; 2",
    "custom_category": "Ünïcode: label, too",
    "notes": NOTES,
}


def _tampered(cli: Cli, book: Path) -> dict[str, Any]:
    """An expense whose text, names and tags hold control and bidi characters, written
    into the book directly as a tampered file would hold them."""
    ok(cli, "clients", "add", "Globex")
    expense = _add(cli, "Plain", "5.00", "-c", "Travel", "--client", "Globex", "-t", "ok",
                   "-n", "n", "-d", "2026-02-01")  # fmt: skip
    nasty = "a\x1b[31m\x07b\u202eRTL\u2066c\x85d\x00e\x7f\x9b\u2028f\tg\rh\ni"
    with sqlite3.connect(book) as conn:
        conn.execute(
            "UPDATE expenses SET description = ?, notes = ?, custom_category = ?, "
            "invoice_ref = ? WHERE id = ?",
            [f"D {nasty}", f"N {nasty}", f"L {nasty}", f"R {nasty}", expense["id"]],
        )
        conn.execute("UPDATE categories SET name = ? WHERE name = 'Travel'", [f"C {nasty}"])
        conn.execute("UPDATE clients SET name = ? WHERE name = 'Globex'", [f"K {nasty}"])
        conn.execute("UPDATE expense_tags SET tag = ? WHERE tag = 'ok'", [f"T {nasty}"])
    conn.close()
    return {"uid": expense["uid"], "nasty": nasty}


# Descriptions ---------------------------------------------------------------------------
def test_a_description_with_a_semicolon_is_kept_whole_in_both_formats(
    cli: Cli, tmp_path: Path
) -> None:
    expense = _add(cli, "Coworking; Friday", "25.00", "-c", "Software", "-d", "2026-01-09")

    ledger = _parse_ledger(_export(cli, tmp_path, "ledger"))
    bean = _parse_beancount(_export(cli, tmp_path, "beancount"))

    entry = ledger[expense["uid"]]
    assert ";" not in entry["payee"]  # hledger would start a comment there
    assert entry["meta"]["description"] == "Coworking; Friday"
    assert bean[expense["uid"]]["payee"] == "Coworking; Friday"


def test_a_description_with_a_semicolon_round_trips_in_hledger_and_ledger(
    cli: Cli, tmp_path: Path
) -> None:
    expense = _add(cli, "Coworking; Friday", "25.00", "-c", "Software", "-d", "2026-01-09")
    journal = _export_file(cli, tmp_path, "ledger")

    t = _hledger_loaded(journal)[expense["uid"]]

    assert t["meta"].get("description", t["payee"]) == "Coworking; Friday"
    assert t["payee"] == "Coworking, Friday"
    assert _ledger_tag(journal, expense["uid"], "description") == "Coworking; Friday"


# Accounts -------------------------------------------------------------------------------
def _one_per_category(cli: Cli) -> dict[str, str]:
    """uid → category name, one expense in each awkward category."""
    uids = {}
    for i, name in enumerate(AWKWARD_CATEGORIES):
        ok(cli, "categories", "add", name)
        uids[_add(cli, f"For {name}", "1.00", "-c", name, "-d", f"2026-01-{i + 1:02d}")["uid"]] = (
            name
        )
    return uids


def test_travel_2026_and_travel_dash_2026_are_distinct_accounts_in_both_formats(
    cli: Cli, tmp_path: Path
) -> None:
    ok(cli, "categories", "add", "Travel 2026")
    ok(cli, "categories", "add", "Travel-2026")
    spaced = _add(cli, "Train", "10.00", "-c", "Travel 2026", "-d", "2026-01-02")["uid"]
    dashed = _add(cli, "Plane", "90.00", "-c", "Travel-2026", "-d", "2026-01-03")["uid"]

    for kind, parse in (("ledger", _parse_ledger), ("beancount", _parse_beancount)):
        everything = parse(_export(cli, tmp_path, kind))
        alone = parse(_export(cli, tmp_path, kind, "-c", "Travel-2026"))

        debits = {uid: everything[uid]["accounts"][0] for uid in (spaced, dashed)}
        assert debits[spaced] != debits[dashed], (kind, debits)
        assert debits[spaced] == "Expenses:Travel-2026"
        # The mapping does not depend on which rows are exported.
        assert alone[dashed]["accounts"][0] == debits[dashed]


def test_each_category_has_one_account_shared_by_ledger_and_beancount(
    cli: Cli, tmp_path: Path
) -> None:
    uids = _one_per_category(cli)

    ledger = _parse_ledger(_export(cli, tmp_path, "ledger"))
    bean = _parse_beancount(_export(cli, tmp_path, "beancount"))

    accounts = {}
    for uid, name in uids.items():
        assert ledger[uid]["accounts"][0] == bean[uid]["accounts"][0], name
        accounts[name] = bean[uid]["accounts"][0]
        assert _valid_beancount_account(accounts[name]), accounts[name]
    assert len(set(accounts.values())) == len(uids), accounts
    assert accounts["home:office"] == "Expenses:Home:Office"
    assert accounts["Home office"] == "Expenses:Home-office"
    assert accounts["Café Équipement"] == "Expenses:Café-Équipement"


def test_category_accounts_load_in_the_tools_distinct_and_shared(cli: Cli, tmp_path: Path) -> None:
    uids = _one_per_category(cli)
    bean_journal = _export_file(cli, tmp_path, "beancount")
    ledger_journal = _export_file(cli, tmp_path, "ledger")

    checked = run_tool(tool("bean-check"), str(bean_journal))
    assert checked.returncode == 0 and checked.stdout + checked.stderr == "", checked.stdout
    bean = _beancount_loaded(bean_journal)
    hledger = _hledger_loaded(ledger_journal)

    assert bean["errors"] == []
    debits = {uid: bean["transactions"][uid]["accounts"][0] for uid in uids}
    assert len(set(debits.values())) == len(uids), debits
    assert all(hledger[uid]["accounts"][0] == debits[uid] for uid in uids)


# Metadata -------------------------------------------------------------------------------
def test_client_project_billable_invoice_label_and_notes_are_metadata(
    cli: Cli, tmp_path: Path
) -> None:
    expense = _full_expense(cli)
    plain = _add(cli, "Tea", "2.00", "-c", "Meals", "-d", "2026-01-10")

    ledger_text = _export(cli, tmp_path, "ledger")
    bean_text = _export(cli, tmp_path, "beancount")

    for text, parse in ((ledger_text, _parse_ledger), (bean_text, _parse_beancount)):
        entries = parse(text)
        meta = entries[expense["uid"]]["meta"]
        assert {k: meta[k] if k != "billable" else meta[k] in (True, "true")
                for k in EXPECTED_META} == EXPECTED_META  # fmt: skip
        assert set(entries[plain["uid"]]["meta"]) == {"uid"}  # unset fields are left out
    assert "\t" not in ledger_text and "\t" not in bean_text
    # ledger metadata values are single lines: each transaction's lines are its own.
    assert all(line.startswith(("    ", "2026-")) for line in ledger_text.splitlines() if line)


def test_metadata_reads_back_exactly_in_the_tools(cli: Cli, tmp_path: Path) -> None:
    expense = _full_expense(cli)
    uid = expense["uid"]
    ledger_journal = _export_file(cli, tmp_path, "ledger")
    bean_journal = _export_file(cli, tmp_path, "beancount")

    bean = _beancount_loaded(bean_journal)
    hledger = _hledger_loaded(ledger_journal)

    assert bean["errors"] == []
    bean_meta = bean["transactions"][uid]["meta"]
    assert {k: bean_meta[k] for k in EXPECTED_META} == EXPECTED_META
    assert bean["transactions"][uid]["payee"] == "Coworking; Friday, 2 days"
    hledger_meta = hledger[uid]["meta"]
    assert {k: hledger_meta[k] for k in EXPECTED_META if k != "billable"} == {
        k: v for k, v in EXPECTED_META.items() if k != "billable"
    }
    assert hledger_meta["billable"] == "true"
    assert hledger_meta["description"] == "Coworking; Friday, 2 days"
    assert _ledger_tag(ledger_journal, uid, "notes") == NOTES
    assert _ledger_tag(ledger_journal, uid, "client") == "Acme, Inc; (EU)"


# Control characters ---------------------------------------------------------------------
def test_control_and_bidi_characters_in_the_book_never_leave_raw(
    cli: Cli, book: Path, tmp_path: Path
) -> None:
    tampered = _tampered(cli, book)
    uid = tampered["uid"]

    ledger_text = _export(cli, tmp_path, "ledger")
    bean_text = _export(cli, tmp_path, "beancount")

    _no_raw_controls(ledger_text)
    _no_raw_controls(bean_text)
    assert "\u2028" not in ledger_text
    # The description is still whole, as metadata, in both formats.
    assert _parse_ledger(ledger_text)[uid]["meta"]["description"] == f"D {tampered['nasty']}"
    bean_meta = _parse_beancount(bean_text)[uid]["meta"]
    assert _ledger_value(bean_meta["description"]) == f"D {tampered['nasty']}"


def test_a_tampered_book_still_exports_journals_the_tools_load(
    cli: Cli, book: Path, tmp_path: Path
) -> None:
    tampered = _tampered(cli, book)
    expense = _full_expense(cli)
    ledger_journal = _export_file(cli, tmp_path, "ledger")
    bean_journal = _export_file(cli, tmp_path, "beancount")

    balance = run_tool(tool("ledger"), "-f", str(ledger_journal), "bal")
    hbalance = run_tool(tool("hledger"), "-f", str(ledger_journal), "bal")
    checked = run_tool(tool("bean-check"), str(bean_journal))

    assert balance.returncode == 0 and balance.stderr == "", balance.stderr
    assert balance.stdout.rstrip().splitlines()[-1].strip() == "0"
    assert hbalance.returncode == 0, hbalance.stderr
    assert checked.returncode == 0 and checked.stdout + checked.stderr == "", checked.stdout
    hledger = _hledger_loaded(ledger_journal)
    assert hledger[tampered["uid"]]["meta"]["description"] == f"D {tampered['nasty']}"
    assert hledger[expense["uid"]]["meta"]["notes"] == NOTES
