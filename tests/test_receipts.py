"""Receipts (reference §10.2): bytes in the book, content-addressed, streamed in and out."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import stat
import subprocess
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from expense_cli.domain.receipts import clean_filename, numbered, safe_filename
from expense_cli.store import Store, schema
from tests.books import frozen_book, old_expense, step_index
from tests.conftest import EXPENSE, Cli, installed_env, ok


def _file(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _add(cli: Cli, description: str = "Train", *extra: str) -> int:
    return int(ok(cli, "add", description, "45.10", "-c", "Travel", *extra)["id"])


def _count(book: Path, sql: str) -> Any:
    with closing(sqlite3.connect(book)) as conn:
        return conn.execute(sql).fetchone()[0]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# add, get: exact bytes ----------------------------------------------------------------
def test_a_3_mib_random_file_round_trips_exactly(cli: Cli, tmp_path: Path, book: Path) -> None:
    data = os.urandom(3 * 1024 * 1024)
    src = _file(tmp_path, "scan.pdf", data)
    expense_id = _add(cli)
    added = cli("receipt", "add", str(expense_id), str(src), "--json")
    assert added.exit_code == 0, added.stderr
    [receipt] = added.data["receipts"]
    assert receipt["filename"] == "scan.pdf"
    assert receipt["sha256"] == _sha(data)
    assert receipt["size"] == len(data)
    assert receipt["media_type"] == "application/pdf"
    assert ok(cli, "show", str(expense_id))["receipts"] == [receipt]

    out = tmp_path / "out" / "copy.pdf"
    out.parent.mkdir()
    got = cli("receipt", "get", str(receipt["id"]), "-o", str(out))
    assert got.exit_code == 0, got.stderr
    assert out.read_bytes() == data
    assert stat.S_IMODE(out.stat().st_mode) == 0o600

    piped = cli("receipt", "get", str(receipt["id"]))
    assert piped.exit_code == 0
    assert piped.raw.stdout_bytes == data


def test_expenses_without_receipts_show_an_empty_list_and_a_zero_count(cli: Cli) -> None:
    expense_id = _add(cli)
    assert ok(cli, "show", str(expense_id))["receipts"] == []
    listed = cli("list", "-f", "csv")
    assert listed.exit_code == 0
    header, row = listed.stdout.splitlines()[:2]
    assert header.split(",")[-1] == "receipts"
    assert row.split(",")[-1] == "0"


def test_csv_and_tsv_count_the_receipts(cli: Cli, tmp_path: Path) -> None:
    expense_id = _add(cli)
    a, b = _file(tmp_path, "a.png", b"a"), _file(tmp_path, "b.png", b"b")
    ok(cli, "receipt", "add", str(expense_id), str(a), str(b))
    for fmt, sep in (("csv", ","), ("tsv", "\t")):
        listed = cli("list", "-f", fmt)
        assert listed.exit_code == 0
        assert listed.stdout.splitlines()[1].split(sep)[-1] == "2"
    exported = cli("export")
    assert exported.exit_code == 0
    assert exported.stdout.splitlines()[1].split(",")[-1] == "2"


def test_same_bytes_are_stored_once_and_relinking_adds_nothing(
    cli: Cli, tmp_path: Path, book: Path
) -> None:
    data = b"%PDF-1.4 same bytes"
    first, second = _add(cli, "One"), _add(cli, "Two")
    src = _file(tmp_path, "r.pdf", data)
    copy = _file(tmp_path, "copy.pdf", data)
    ok(cli, "receipt", "add", str(first), str(src))
    again = ok(cli, "receipt", "add", str(first), str(copy), str(src))
    assert [r["filename"] for r in again["receipts"]] == ["r.pdf"]  # nothing new linked
    ok(cli, "receipt", "add", str(second), str(copy))
    assert _count(book, "SELECT count(*) FROM blobs") == 1
    assert _count(book, "SELECT count(*) FROM receipts") == 2
    listed = ok(cli, "receipt", "list")
    assert [(r["expense_id"], r["filename"]) for r in listed] == [
        (first, "r.pdf"),
        (second, "copy.pdf"),
    ]
    assert set(listed[0]) == {"id", "expense_id", "filename", "sha256", "size", "media_type"}


def test_receipt_add_prints_ids_only_with_q(cli: Cli, tmp_path: Path) -> None:
    expense_id = _add(cli)
    result = cli("receipt", "add", str(expense_id), str(_file(tmp_path, "x.txt", b"x")), "-q")
    assert result.exit_code == 0
    assert result.stdout == f"{expense_id}\n"
    listed = cli("receipt", "list", "-q")
    assert listed.exit_code == 0
    assert listed.stdout.split() == ["1"]


# bad input: exit 4, nothing written ----------------------------------------------------
@pytest.mark.parametrize("problem", ["missing", "directory", "too_big", "unreadable"])
def test_a_bad_file_adds_nothing(cli: Cli, tmp_path: Path, book: Path, problem: str) -> None:
    expense_id = _add(cli)
    good = _file(tmp_path, "good.pdf", b"good")
    bad = tmp_path / "bad.pdf"
    if problem == "directory":
        bad.mkdir()
    elif problem == "too_big":
        with bad.open("wb") as f:
            f.truncate(25 * 1024 * 1024 + 1)
    elif problem == "unreadable":
        if os.geteuid() == 0:
            pytest.skip("root reads every file")
        bad.write_bytes(b"secret")
        bad.chmod(0)
    result = cli("receipt", "add", str(expense_id), str(good), str(bad), "--json")
    assert result.exit_code == 4
    assert "file" in result.error["fields"]
    assert "bad.pdf" in result.error["fields"]["file"]
    assert _count(book, "SELECT count(*) FROM receipts") == 0
    assert _count(book, "SELECT count(*) FROM blobs") == 0


def test_exactly_25_mib_is_accepted(cli: Cli, tmp_path: Path, book: Path) -> None:
    expense_id = _add(cli)
    edge = tmp_path / "edge.bin"
    with edge.open("wb") as f:
        f.truncate(25 * 1024 * 1024)
    added = ok(cli, "receipt", "add", str(expense_id), str(edge))
    assert added["receipts"][0]["size"] == 25 * 1024 * 1024


def test_unknown_expense_and_receipt_are_not_found(cli: Cli, tmp_path: Path) -> None:
    src = _file(tmp_path, "a.pdf", b"a")
    assert cli("receipt", "add", "99", str(src), "--json").exit_code == 3
    assert cli("receipt", "get", "99").exit_code == 3
    assert cli("receipt", "remove", "99", "--json").error["code"] == "not_found"
    assert cli("receipt", "list", "99").exit_code == 3


def test_path_parts_control_and_bidi_characters_are_dropped_from_names(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expense_id = _add(cli)
    _file(tmp_path, "etc/x.pdf", b"x")
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    added = ok(cli, "receipt", "add", str(expense_id), "../../etc/x.pdf")
    assert added["receipts"][0]["filename"] == "x.pdf"
    hostile = _file(tmp_path, "in\u202evoice\x1b[31m.pdf", b"y")
    added = ok(cli, "receipt", "add", str(expense_id), str(hostile))
    assert added["receipts"][1]["filename"] == "invoice[31m.pdf"


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("../../etc/x.pdf", "x.pdf"),
        ("a\\b\\c.png", "c.png"),
        ("re\u202eceipt\x00.pdf", "receipt.pdf"),
        ("  spaced.pdf  ", "spaced.pdf"),
        ("..", ".."),
        ("dir/", ""),
    ],
)
def test_clean_filename(raw: str, cleaned: str) -> None:
    assert clean_filename(raw) == cleaned


@pytest.mark.parametrize(
    ("raw", "safe"),
    [("", "receipt-7"), (".", "receipt-7"), ("..", "receipt-7"), ("/", "receipt-7"),
     ("../a.pdf", "a.pdf")],
)  # fmt: skip
def test_safe_filename(raw: str, safe: str) -> None:
    assert safe_filename(raw, 7) == safe


@pytest.mark.parametrize(
    ("name", "n", "expected"),
    [("a.pdf", 2, "a (2).pdf"), ("a.tar.gz", 3, "a.tar (3).gz"), ("noext", 2, "noext (2)"),
     (".hidden", 2, ".hidden (2)")],
)  # fmt: skip
def test_numbered(name: str, n: int, expected: str) -> None:
    assert numbered(name, n) == expected


# deleted and invoiced expenses ---------------------------------------------------------
def test_deleted_expenses_keep_receipts_for_restore(cli: Cli, tmp_path: Path) -> None:
    expense_id = _add(cli)
    src = _file(tmp_path, "a.pdf", b"a")
    [receipt] = ok(cli, "receipt", "add", str(expense_id), str(src))["receipts"]
    ok(cli, "delete", str(expense_id))
    assert cli("receipt", "add", str(expense_id), str(src)).exit_code == 3
    assert cli("receipt", "remove", str(receipt["id"])).exit_code == 3
    assert cli("receipt", "get", str(receipt["id"])).exit_code == 3
    assert cli("receipt", "list", str(expense_id)).exit_code == 3
    assert ok(cli, "receipt", "list") == []
    assert [r["id"] for r in ok(cli, "receipt", "list", "--deleted")] == [receipt["id"]]
    assert ok(cli, "receipt", "list", str(expense_id), "--deleted")[0]["filename"] == "a.pdf"
    got = cli("receipt", "get", str(receipt["id"]), "--deleted")
    assert got.exit_code == 0
    assert got.raw.stdout_bytes == b"a"
    [restored] = ok(cli, "restore", str(expense_id))
    assert restored["receipts"] == [receipt]


def test_receipts_work_on_invoiced_expenses(cli: Cli, tmp_path: Path) -> None:
    client = ok(cli, "clients", "add", "Acme")
    expense_id = _add(cli, "Train", "--billable", "--client", str(client["id"]))
    ok(cli, "invoice", str(expense_id), "--ref", "INV-1")
    added = ok(cli, "receipt", "add", str(expense_id), str(_file(tmp_path, "a.pdf", b"a")))
    assert added["billing_status"] == "invoiced"
    assert len(added["receipts"]) == 1
    assert len(ok(cli, "receipt", "remove", str(added["receipts"][0]["id"]))) == 1


# get -o --------------------------------------------------------------------------------
def test_get_never_overwrites_without_force_nor_writes_the_book(
    cli: Cli, tmp_path: Path, book: Path
) -> None:
    expense_id = _add(cli)
    ok(cli, "receipt", "add", str(expense_id), str(_file(tmp_path, "a.pdf", b"new")))
    existing = _file(tmp_path, "existing.pdf", b"old")
    refused = cli("receipt", "get", "1", "-o", str(existing), "--json")
    assert refused.exit_code == 5
    assert refused.error["code"] == "conflict"
    assert existing.read_bytes() == b"old"
    replaced = cli("receipt", "get", "1", "-o", str(existing), "--force", "--json")
    assert replaced.exit_code == 0
    assert replaced.data["path"] == str(existing)
    assert existing.read_bytes() == b"new"
    assert cli("receipt", "get", "1", "-o", str(book), "--force").exit_code == 2
    assert _count(book, "SELECT count(*) FROM receipts") == 1


# remove, vacuum, check, backup ---------------------------------------------------------
def test_remove_unlinks_and_vacuum_frees_the_bytes(cli: Cli, tmp_path: Path, book: Path) -> None:
    expense_id = _add(cli)
    data = os.urandom(200_000)
    added = ok(cli, "receipt", "add", str(expense_id), str(_file(tmp_path, "a.bin", data)),
               str(_file(tmp_path, "b.txt", b"keep")))  # fmt: skip
    first, second = (r["id"] for r in added["receipts"])
    removed = ok(cli, "receipt", "remove", str(first))
    assert [r["id"] for r in removed] == [first]
    assert [r["id"] for r in ok(cli, "show", str(expense_id))["receipts"]] == [second]
    assert _count(book, "SELECT count(*) FROM blobs") == 2  # kept for undo until vacuum
    assert ok(cli, "db", "vacuum") == {"blobs": 1, "bytes": len(data)}
    assert _count(book, "SELECT count(*) FROM blobs") == 1
    assert ok(cli, "db", "vacuum") == {"blobs": 0, "bytes": 0}
    assert cli("receipt", "get", str(second)).raw.stdout_bytes == b"keep"


def test_remove_is_all_or_nothing(cli: Cli, tmp_path: Path, book: Path) -> None:
    expense_id = _add(cli)
    ok(cli, "receipt", "add", str(expense_id), str(_file(tmp_path, "a.pdf", b"a")))
    assert cli("receipt", "remove", "1", "2").exit_code == 3
    assert _count(book, "SELECT count(*) FROM receipts") == 1


def test_db_check_catches_tampered_bytes(cli: Cli, tmp_path: Path, book: Path) -> None:
    expense_id = _add(cli)
    data = os.urandom(100_000)
    ok(cli, "receipt", "add", str(expense_id), str(_file(tmp_path, "a.bin", data)))
    assert ok(cli, "db", "check")["receipt_blobs_checked"] == 1
    with closing(sqlite3.connect(book)) as conn:
        conn.execute("UPDATE blobs SET data = ?", [data[:-1] + b"!"])
        conn.commit()
    checked = cli("db", "check", "--json")
    assert checked.exit_code == 4
    assert checked.error["fields"] == {
        f"receipt bytes {_sha(data)}": "bytes do not match their SHA-256"
    }


def test_db_backup_carries_receipts(cli: Cli, tmp_path: Path) -> None:
    expense_id = _add(cli)
    data = os.urandom(50_000)
    ok(cli, "receipt", "add", str(expense_id), str(_file(tmp_path, "a.bin", data)))
    copy = tmp_path / "backup.db"
    assert cli("db", "backup", str(copy)).exit_code == 0
    got = cli("--db", str(copy), "receipt", "get", "1")
    assert got.exit_code == 0
    assert got.raw.stdout_bytes == data


# filters -------------------------------------------------------------------------------
def test_receipt_filters_on_list_report_and_export(cli: Cli, tmp_path: Path) -> None:
    with_one = _add(cli, "With")
    without = _add(cli, "Without")
    ok(cli, "receipt", "add", str(with_one), str(_file(tmp_path, "a.pdf", b"a")))
    assert [e["id"] for e in ok(cli, "list", "--receipt")] == [with_one]
    assert [e["id"] for e in ok(cli, "list", "--no-receipt")] == [without]
    assert [e["id"] for e in ok(cli, "list", "--receipt", "--all")] == [with_one]
    [row] = ok(cli, "report", "--receipt")
    assert row["count"] == 1
    exported = cli("export", "-f", "json", "--no-receipt")
    assert exported.exit_code == 0
    assert [e["id"] for e in exported.data] == [without]


def test_receipt_filter_starts_from_the_receipts_when_they_are_few(
    cli: Cli, tmp_path: Path, book: Path
) -> None:
    from expense_cli.domain.listing import Filters, build_query

    expense_id = _add(cli)
    ok(cli, "receipt", "add", str(expense_id), str(_file(tmp_path, "a.pdf", b"a")))
    store = Store.open(book)
    try:
        query = build_query(store, Filters(receipt=True))
        assert store.plan(query).source == "receipts"
        assert not any("SCAN e" in line for line in store.explain(query))
    finally:
        store.close()


# export --receipts DIR -----------------------------------------------------------------
def test_export_pack(cli: Cli, tmp_path: Path) -> None:
    first, second = _add(cli, "One"), _add(cli, "Two")
    _add(cli, "None")
    ok(cli, "receipt", "add", str(first), str(_file(tmp_path, "a/scan.pdf", b"one")),
       str(_file(tmp_path, "b/scan.pdf", b"two")))  # fmt: skip
    ok(cli, "receipt", "add", str(second), str(_file(tmp_path, "c/ticket.png", b"three")))
    pack = tmp_path / "pack" / "2026"
    result = cli("export", "--receipts", str(pack), "-o", str(tmp_path / "x.csv"))
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(pack.stat().st_mode) == 0o700
    written = sorted(str(p.relative_to(pack)) for p in pack.rglob("*") if p.is_file())
    assert written == [f"{first}/scan (2).pdf", f"{first}/scan.pdf", f"{second}/ticket.png"]
    assert (pack / str(first) / "scan.pdf").read_bytes() == b"one"
    assert (pack / str(first) / "scan (2).pdf").read_bytes() == b"two"

    refused = cli("export", "--receipts", str(pack), "-f", "json")
    assert refused.exit_code == 5
    assert refused.error["code"] == "conflict"
    assert refused.stdout == ""  # refused before the export was written
    forced = cli("export", "--receipts", str(pack), "--force", "--receipt")
    assert forced.exit_code == 0, forced.stderr
    assert (pack / str(second) / "ticket.png").read_bytes() == b"three"


def test_export_pack_writes_nothing_outside_dir_whatever_the_names(
    cli: Cli, tmp_path: Path, book: Path
) -> None:
    expense_id = _add(cli)
    sources = [_file(tmp_path, f"src/{n}.bin", bytes([n])) for n in range(6)]
    ok(cli, "receipt", "add", str(expense_id), *map(str, sources))
    hostile = ["../../escaped.txt", "/etc/passwd", "..", "", "a/../../b.txt", ".\x00."]
    with closing(sqlite3.connect(book)) as conn:
        for receipt_id, name in enumerate(hostile, start=1):
            conn.execute("UPDATE receipts SET filename = ? WHERE id = ?", [name, receipt_id])
        conn.commit()
    pack = tmp_path / "deep" / "pack"
    before = {p for p in tmp_path.rglob("*")}
    result = cli("export", "--receipts", str(pack), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 0, result.stderr
    new = {p for p in tmp_path.rglob("*")} - before
    outside = [p for p in new if pack not in p.parents and p not in (pack, pack.parent)]
    assert outside == [tmp_path / "out.csv"]
    names = sorted(p.name for p in (pack / str(expense_id)).iterdir())
    assert names == sorted(
        ["escaped.txt", "passwd", "receipt-3", "receipt-4", "b.txt", "receipt-6"]
    )


def test_export_pack_refuses_a_file_as_dir(cli: Cli, tmp_path: Path) -> None:
    _add(cli)
    target = _file(tmp_path, "file", b"x")
    assert cli("export", "--receipts", str(target)).exit_code == 2


# idempotency ---------------------------------------------------------------------------
def test_idempotency_key_replays_and_shares_the_key_space(
    cli: Cli, tmp_path: Path, book: Path
) -> None:
    expense_id = _add(cli)
    src, other = _file(tmp_path, "a.pdf", b"a"), _file(tmp_path, "b.pdf", b"b")
    first = ok(cli, "receipt", "add", str(expense_id), str(src), "--idempotency-key", "k1")
    ok(cli, "receipt", "remove", str(first["receipts"][0]["id"]))
    again = ok(cli, "receipt", "add", str(expense_id), str(src), "--idempotency-key", "k1")
    assert again["receipts"] == []  # replayed: nothing linked anew
    clash = cli("receipt", "add", str(expense_id), str(other), "--idempotency-key", "k1", "--json")
    assert clash.exit_code == 5
    assert clash.error["code"] == "idempotency_conflict"
    ok(cli, "add", "Taxi", "12.00", "-c", "Travel", "--idempotency-key", "k2")
    shared = cli("receipt", "add", str(expense_id), str(src), "--idempotency-key", "k2", "--json")
    assert shared.exit_code == 5
    assert _count(book, "SELECT count(*) FROM receipts") == 0


# migration -----------------------------------------------------------------------------
def _frozen_book(path: Path) -> int:
    """A book as the release before receipts left it, with one expense."""
    with frozen_book(path, schema._m_receipts) as conn:
        old_expense(conn, amount_minor=6960)
    return step_index(schema._m_receipts)


def test_a_book_from_before_receipts_upgrades_with_its_rows(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _frozen_book(path)
    with closing(sqlite3.connect(path)) as conn:
        cursor = conn.execute("SELECT * FROM expenses")
        columns = ", ".join(d[0] for d in cursor.description)
        rows = cursor.fetchall()
    store = Store.open(path)
    store.close()
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute(f"SELECT {columns} FROM expenses").fetchall() == rows
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST
    shown = ok(cli, "--db", str(path), "show", "1")
    assert (shown["description"], shown["receipts"]) == ("Old", [])
    added = ok(cli, "--db", str(path), "receipt", "add", "1", str(_file(tmp_path, "a.pdf", b"a")))
    assert len(added["receipts"]) == 1


# kill -9 -------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.skipif(EXPENSE is None, reason="needs the installed command")
def test_kill_9_during_a_large_add_leaves_all_or_nothing(
    tmp_path: Path, book: Path, cli: Cli
) -> None:
    expense_id = _add(cli)
    data = os.urandom(24 * 1024 * 1024)
    big = _file(tmp_path, "big.bin", data)
    outcomes = set()
    for delay in (0.15, 0.3, 0.45, 0.6, 0.8):
        proc = subprocess.Popen(
            [str(EXPENSE), "receipt", "add", str(expense_id), str(big)],
            env=installed_env(book), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        receipts = ok(cli, "show", str(expense_id))["receipts"]
        blobs = _count(book, "SELECT count(*) FROM blobs")
        outcomes.add(len(receipts))
        assert (len(receipts), blobs) in ((0, 0), (1, 1))
        assert ok(cli, "db", "check")["receipt_blobs_checked"] == blobs
        if receipts:
            assert cli("receipt", "get", str(receipts[0]["id"])).raw.stdout_bytes == data
            ok(cli, "receipt", "remove", str(receipts[0]["id"]))
            ok(cli, "db", "vacuum")
    assert outcomes  # at least one run was observed


def test_tables_show_receipts_by_name_and_size(cli: Cli, tmp_path: Path) -> None:
    expense = ok(cli, "add", "x", "1.00", "-c", "Travel")["id"]
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%" * 3000)
    ok(cli, "receipt", "add", str(expense), str(scan))

    shown = cli("show", str(expense))

    assert shown.exit_code == 0, shown.stderr
    assert "scan.pdf (2.9 KiB, #1)" in shown.stdout
    assert "sha256" not in shown.stdout
