"""Every reference §8 bar at 1,000,000 expenses in one run (issue 20).

    python benchmarks/bench_1m.py [--rows N] [--runs K] [--only WORD] [--big-import]

Reuses (or builds, then migrates when schema steps were appended) the book of
`bench_list.py` (benchmarks/_data/book-N.db), seeds its release-2 data once through the
real commands (dated rates, rules, schedules not yet due, a few edits), then times whole
processes of the installed `expense`. Each case runs K times in turn with its baseline
(A B A B …, after one warm-up of each): the figure is the median wall time and the ratio
the median of the per-pair ratios, so both sides see the same machine load. Writes the
`bench-1m rows=N` block of docs/performance-tables.md and `_data/bench-1m-N.json`.

--big-import also imports the whole export into an empty book and `.import`s the same CSV
into a bare table with the `sqlite3` shell (tens of minutes at 1,000,000 rows).
"""

from __future__ import annotations

import argparse
import compileall
import csv
import io
import json
import os
import platform
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_list import DATA, ROOT, TABLES, _expense_exe, _meta_path, _replace_block, ensure_book
from bench_suite import MINIMAL_TYPER

SEED_VERSION = 1  # bump when seed_release2 changes: the seeded book is rebuilt
# The export's rows, joined and ordered as `export` reads them, formatted by SQLite.
EXPORT_SQL = """SELECT e.id, e.uid, e.date, e.time, e.description, e.amount_minor, e.currency,
 e.units, e.unit_price, c.name, e.custom_category, cl.name, p.name, e.billable,
 e.billing_status, e.invoice_ref, e.approval_status, e.reimbursement_status, e.notes,
 (SELECT group_concat(tag, ';') FROM expense_tags t WHERE t.expense_id = e.id),
 e.created_at, e.updated_at, e.deleted_at, e.account, e.rebill_minor, e.tax_rate,
 e.tax_minor, e.original_minor, e.original_currency
FROM expenses e JOIN categories c ON c.id = e.category_id
LEFT JOIN clients cl ON cl.id = e.client_id LEFT JOIN projects p ON p.id = e.project_id
WHERE e.deleted_at IS NULL ORDER BY e.date, e.id"""
RULES = ("deutsche bahn", "uber", "lufthansa", "github", "figma", "aws", "slack", "zoom",
         "hotel", "taxi", "coffee", "lunch", "dinner", "train", "flight", "parking",
         "electricity", "internet", "phone plan", "postage")  # fmt: skip


@dataclass
class Case:
    group: str
    name: str
    argv: list[str]
    bar: float | None  # the ratio the bar allows (None: a floor or information)
    baseline: str = "version"
    before: list[str] | None = None  # run (untimed) before each timed run: undo's edit
    runs: int | None = None
    wall: list[float] = field(default_factory=list)
    base_wall: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def _wall_cpu(
    argv: list[str], env: dict[str, str], stdin: str | None = None
) -> tuple[float, float]:
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True,
                          check=False)  # fmt: skip
    wall = time.perf_counter() - started
    after = os.times()
    if done.returncode not in (0,):
        raise SystemExit(f"`{' '.join(argv)}` exited {done.returncode}: {done.stderr[-800:]}")
    cpu = (after.children_user + after.children_system
           - before.children_user - before.children_system)  # fmt: skip
    return wall, cpu


def run_pairs(case: Case, argv_a: list[str], argv_b: list[str], env: dict[str, str],
              runs: int) -> None:  # fmt: skip
    """A B A B …: one warm-up each, then `runs` pairs; the ratio is taken pair by pair."""
    for attempt in range(runs + 1):
        if case.before:
            _wall_cpu(case.before, env)
        wall_a, cpu_a = _wall_cpu(argv_a, env)
        wall_b, _ = _wall_cpu(argv_b, env)
        if attempt:
            case.wall.append(wall_a)
            case.cpu.append(cpu_a)
            case.base_wall.append(wall_b)
            case.ratios.append(wall_a / wall_b)


def _book_copy(book: Path, name: str) -> Path:
    copy = DATA / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(book) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(book, copy)
    return copy


def seed_release2(exe: str, book: Path, env: dict[str, str]) -> None:
    """Release-2 data through the real commands, once per book (recorded in book-N.json)."""
    meta_file = _meta_path(book)
    meta = json.loads(meta_file.read_text())
    if meta.get("seed") == SEED_VERSION:
        return
    started = time.perf_counter()
    print("seeding release-2 data (rates, rules, schedules, edits)", flush=True)
    work = Path(tempfile.mkdtemp(prefix="expense-seed-"))
    rates = work / "rates.csv"
    with rates.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["date", "base", "quote", "rate"])
        day = date(2020, 12, 1)
        while day <= date(2026, 1, 31):  # daily rates over the book's five years
            for quote, value in (("EUR", 0.9), ("JPY", 150), ("GBP", 0.8)):
                writer.writerow([day.isoformat(), "USD", quote, f"{value:.4f}"])
            day += timedelta(days=1)
    env = {**env, "EXPENSE_DB": str(book)}

    def cli(*args: str) -> None:
        subprocess.run([exe, *args], env=env, check=True, stdout=subprocess.DEVNULL)

    cli("rates", "import", str(rates))
    for pattern in RULES:
        cli("rules", "add", pattern, "-c", "Travel", "-t", "auto")
    for expense_id in (10, 20, 30):
        cli("recurring", "add", str(expense_id), "--every", "month", "--start", "2099-01-01")
    for expense_id in range(500_000, 500_040, 2):
        cli("edit", str(expense_id), "--notes", f"checked {expense_id}")
    shutil.rmtree(work, ignore_errors=True)
    meta["seed"] = SEED_VERSION
    meta_file.write_text(json.dumps(meta, indent=1))
    print(f"  seeded in {time.perf_counter() - started:.1f} s", flush=True)


def _first_rows_csv(full: Path, rows: int) -> str:
    """The first `rows` exported rows with fresh uids (import skips known uids)."""
    with full.open(newline="") as source:
        reader = csv.reader(source)
        header = next(reader)
        uid = header.index("uid")
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        for number, row in enumerate(reader):
            if number == rows:
                break
            row[uid] = str(uuid.uuid4())
            writer.writerow(row)
    return out.getvalue()


def _fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7, help="timed pairs per case")
    parser.add_argument("--only", help="run only the cases whose group contains this word")
    parser.add_argument("--big-import", action="store_true",
                        help="also import every row into an empty book (slow)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=TABLES)
    args = parser.parse_args()
    exe, py, sqlite = _expense_exe(), sys.executable, shutil.which("sqlite3")
    if not sqlite:
        raise SystemExit("the sqlite3 shell is needed for the floors (apt-get install sqlite3)")
    # The installed command runs from bytecode (installing a wheel compiles its modules); an
    # editable checkout under PYTHONDONTWRITEBYTECODE would compile every module on every run.
    compileall.compile_dir(ROOT / "src", quiet=1)
    book, _ = ensure_book(DATA / f"book-{args.rows}.db", args.rows)
    env = {**os.environ, "EXPENSE_DB": str(book), "NO_COLOR": "1"}
    seed_release2(exe, book, env)
    work = Path(tempfile.mkdtemp(prefix="expense-bench-"))
    typer_app = work / "minimal_typer.py"
    typer_app.write_text(MINIMAL_TYPER)
    with sqlite3.connect(book) as conn:
        show_id = conn.execute("SELECT min(id) FROM expenses WHERE id >= ? AND deleted_at IS NULL",
                               [args.rows // 2]).fetchone()[0]  # fmt: skip
        live = conn.execute("SELECT count(*) FROM expenses WHERE deleted_at IS NULL").fetchone()[0]
        year = conn.execute("SELECT max(substr(date, 1, 4)) - 1 FROM expenses").fetchone()[0]
        edited = conn.execute("SELECT max(expense_id) FROM change_expenses").fetchone()[0]
    year_range = ["--from", f"{year}-01-01", "--to", f"{year}-12-31"]
    deep = str(max(2, round(args.rows * 0.9 / 200)))
    cases = [
        Case(
            "start-up",
            "`expense --version` vs a minimal Typer app",
            [exe, "--version"],
            1.3,
            baseline="typer",
        ),
        Case("list", "`list` (default, first page)", [exe, "list", "--json"], 1.5),
        Case("list", "`list -c Meals`", [exe, "list", "--json", "-c", "Meals"], 1.5),
        Case(
            "list",
            "`list --client-name northwind --sort -amount`",
            [exe, "list", "--json", "--client-name", "northwind", "--sort", "-amount"],
            1.5,
        ),
        Case(
            "list",
            "`list --from/--to 2021` (old year)",
            [exe, "list", "--json", "--from", "2021-01-01", "--to", "2021-12-31"],
            1.5,
        ),
        Case(
            "list",
            "`list --currency JPY --sort date`",
            [exe, "list", "--json", "--currency", "JPY", "--sort", "date"],
            1.5,
        ),
        Case(
            "list",
            "`list --status invoiced --sort -updated`",
            [exe, "list", "--json", "--status", "invoiced", "--sort", "-updated"],
            1.5,
        ),
        Case("list", "`list -t recurring`", [exe, "list", "--json", "-t", "recurring"], 1.5),
        Case(
            "list",
            f"`list --limit 200 --page {deep}` (90 % deep)",
            [exe, "list", "--json", "--limit", "200", "--page", deep],
            1.5,
        ),
        Case(
            "list", "`list -s lunch` (search, common)", [exe, "list", "--json", "-s", "lunch"], 1.5
        ),
        Case(
            "list",
            "`list -s zeppelin` (search, rare)",
            [exe, "list", "--json", "-s", "zeppelin"],
            1.5,
        ),
        Case("list", "`list -s ze` (search, 2 chars)", [exe, "list", "--json", "-s", "ze"], 1.5),
        Case("show", f"`show {show_id}`", [exe, "show", str(show_id), "--json"], 1.5),
        Case(
            "report",
            f"`report --by month --by category` ({year})",
            [exe, "report", "--by", "month", "--by", "category", *year_range, "--json"],
            2.0,
        ),
        Case(
            "release-2",
            f"`report --by month --convert EUR` ({year})",
            [exe, "report", "--by", "month", "--convert", "EUR", *year_range, "--json"],
            2.0,
        ),
        Case(
            "release-2",
            f"`report --by category --tax` ({year})",
            [exe, "report", "--by", "category", "--tax", *year_range, "--json"],
            2.0,
        ),
        Case(
            "release-2",
            f"`report --by ref` ({year})",
            [exe, "report", "--by", "ref", *year_range, "--json"],
            2.0,
        ),
        Case("release-2", "`invoices`", [exe, "invoices", "--json"], 2.0),
        Case("release-2", f"`history {edited}`", [exe, "history", str(edited), "--json"], 2.0),
        Case("release-2", "`log`", [exe, "log", "--json"], 2.0),
        Case(
            "release-2", "`recurring run` (nothing due)", [exe, "recurring", "run", "--json"], 2.0
        ),
        Case(
            "release-2",
            "`rules test`",
            [exe, "rules", "test", "Taxi to Berlin airport", "--json"],
            2.0,
        ),
    ]
    undo_book = None
    if not args.only or args.only in "release-2 undo":
        undo_book = _book_copy(book, f"undo-{args.rows}.db")
        undo_env = ["env", f"EXPENSE_DB={undo_book}"]
        cases.append(
            Case(
                "release-2",
                "`undo` of one edit (on a copy of the book)",
                [*undo_env, exe, "undo", "--json"],
                2.0,
                before=[*undo_env, exe, "edit", str(show_id), "--notes", "undo me"],
            )
        )
    version = [exe, "--version"]
    results = []
    for case in cases:
        if args.only and args.only not in f"{case.group} {case.name}":
            continue
        baseline = [py, str(typer_app), "--version"] if case.baseline == "typer" else version
        started = time.perf_counter()
        run_pairs(case, case.argv, baseline, env, case.runs or args.runs)
        ratio = statistics.median(case.ratios)
        verdict = "–" if case.bar is None else "meets" if ratio <= case.bar else "**misses**"
        line = (case.group, case.name, _fmt_ms(statistics.median(case.wall)),
                f"{ratio:.2f}× ({_fmt_ms(statistics.median(case.base_wall))})",
                f"{statistics.median(case.cpu) * 1000:.0f} ms",
                f"≤ {case.bar}×" if case.bar else "–", verdict)  # fmt: skip
        results.append(line)
        print(" | ".join(line), f"[{time.perf_counter() - started:.0f} s]", flush=True)
    extra: list[tuple[str, ...]] = []
    if not args.only or args.only in "export import size":
        extra = bulk(args, exe, sqlite, book, env, work, live)
    shutil.rmtree(work, ignore_errors=True)
    if undo_book:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{undo_book}{suffix}").unlink(missing_ok=True)
    write(args, results, extra, live)


def bulk(args: argparse.Namespace, exe: str, sqlite: str, book: Path, env: dict[str, str],
         work: Path, live: int) -> list[tuple[str, ...]]:  # fmt: skip
    """Export vs `sqlite3 -csv`, 1,000 rows into the full book, size, and the big import."""
    lines: list[tuple[str, ...]] = []
    exported, shell = [], []
    csv_file = work / "export.csv"
    for _ in range(max(1, args.runs // 3)):  # seconds each: a few interleaved pairs
        exported.append(_wall_cpu([exe, "export", "-f", "csv", "-o", str(csv_file)], env)[0])
        to_null = f"{sqlite} -csv {shlex.quote(str(book))} {shlex.quote(EXPORT_SQL)} > /dev/null"
        shell.append(_wall_cpu(["sh", "-c", to_null], env)[0])
    ratio = statistics.median(s / e for s, e in zip(shell, exported, strict=True))
    lines.append(("export", "`export -f csv` (all live rows) vs `sqlite3 -csv` of the same rows",
                  f"{live / statistics.median(exported):,.0f} rows/s "
                  f"({statistics.median(exported):.1f} s)",
                  f"{ratio:.0%} of {live / statistics.median(shell):,.0f} rows/s "
                  f"({statistics.median(shell):.1f} s)", "–", "≥ 50 %",
                  "meets" if ratio >= 0.5 else "**misses**"))  # fmt: skip
    print(" | ".join(lines[-1]), flush=True)
    # 1,000 rows into the full book (a copy): fresh uids each run; start-up measured beside
    target = _book_copy(book, f"import-{args.rows}.db")
    target_env = {**env, "EXPENSE_DB": str(target)}
    small = work / "small.csv"
    walls, starts = [], []
    for attempt in range(args.runs + 1):
        small.write_text(_first_rows_csv(csv_file, 1000))
        wall = _wall_cpu([exe, "import", str(small), "-q"], target_env)[0]
        start = _wall_cpu([exe, "--version"], target_env)[0]
        if attempt:
            walls.append(wall)
            starts.append(start)
    allowed = 2 * statistics.median(starts) + 1
    lines.append(("import", "`import` of 1,000 rows into the 1,000,000-row book",
                  _fmt_ms(statistics.median(walls)),
                  f"bar {_fmt_ms(allowed)} (2 × {_fmt_ms(statistics.median(starts))} + 1 s)",
                  "–", "≤ 2× start-up + 1 s",
                  "meets" if statistics.median(walls) <= allowed else "**misses**"))  # fmt: skip
    print(" | ".join(lines[-1]), flush=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(book) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        rows = conn.execute("SELECT count(*) FROM expenses").fetchone()[0]
    size = book.stat().st_size
    lines.append(("size", f"book size, {rows:,} expenses, no receipts",
                  f"{size / 2**20:,.0f} MiB", f"{size / rows:,.0f} bytes per expense", "–",
                  "≤ 800 bytes", "meets" if size / rows <= 800 else "**misses**"))  # fmt: skip
    print(" | ".join(lines[-1]), flush=True)
    if args.big_import:
        lines += big_import(exe, sqlite, csv_file, work, env, live)
    return lines


BARE_IMPORT = ".mode csv\n.import {csv} bare\nSELECT count(*) FROM bare;\n"


def big_import(exe: str, sqlite: str, csv_file: Path, work: Path, env: dict[str, str],
               live: int) -> list[tuple[str, ...]]:  # fmt: skip
    empty = work / "big.db"
    bare = work / "bare.db"
    shell = _wall_cpu([sqlite, str(bare)], env, BARE_IMPORT.format(csv=csv_file))[0]
    started = time.perf_counter()
    print("importing every row into an empty book …", flush=True)
    _wall_cpu([exe, "--db", str(empty), "import", str(csv_file), "--create-missing", "-q"], env)
    wall = time.perf_counter() - started
    ratio = shell / wall
    what = f"`import` of {live:,} rows into an empty book vs `.import` into a bare table"
    line = ("import", what,
            f"{live / wall:,.0f} rows/s ({wall:.0f} s)",
            f"{ratio:.1%} of {live / shell:,.0f} rows/s ({shell:.1f} s)", "–", "≥ 10 %",
            "meets" if ratio >= 0.1 else "**misses**")  # fmt: skip
    print(" | ".join(line), flush=True)
    return [line]


def write(args: argparse.Namespace, results: list[tuple[str, ...]],
          extra: list[tuple[str, ...]], live: int) -> None:  # fmt: skip
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    header = (
        f"Measured {date.today().isoformat()} on {os.cpu_count()} cores ({platform.machine()}), "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; book of "
        f"{args.rows:,} expenses ({live:,} live); {args.runs} interleaved pairs per case "
        f"(median wall, median of per-pair ratios; cpu is the command's own user + system); "
        f"load average at the end {load}.\n\n"
        "| group | what | median wall | ratio (baseline median) | cpu | bar | verdict |\n"
        "|---|---|---:|---|---:|---|---|\n"
    )
    table = header + "\n".join("| " + " | ".join(line) + " |" for line in [*results, *extra])
    print(table)
    (DATA / f"bench-1m-{args.rows}.json").write_text(json.dumps(
        {"rows": args.rows, "lines": [*results, *extra]}, indent=1))  # fmt: skip
    if args.only:
        print("(--only: the tables file is left as it is)")
        return
    text = args.out.read_text() if args.out.exists() else "# Performance tables\n"
    args.out.write_text(_replace_block(text, f"bench-1m rows={args.rows}",
                                       f"every §8 bar at {args.rows:,} rows", table))  # fmt: skip
    print(f"updated {args.out}")


if __name__ == "__main__":
    main()
