"""The reference §8 bars in one run: start-up, show, the year report, import and export, each
against its floor (a minimal Typer app, the `sqlite3` shell) and, for the report, hledger.

    python benchmarks/bench_suite.py [--rows N] [--runs K] [--no-hledger]

Builds (or reuses) the book of `bench_list.py` (benchmarks/_data/book-N.db), then times
whole processes; every figure is the median of K runs, every ratio is against a baseline
measured in the same run. Writes the table into docs/performance-tables.md (marker block
`bench-suite rows=N`). `list` with each filter and sort is `bench_list.py`'s job.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_list import DATA, TABLES, _expense_exe, _replace_block, ensure_book

MINIMAL_TYPER = """
from typing import Annotated
import typer
app = typer.Typer()
def version(value: bool) -> None:
    if value:
        print("0.0.0")
        raise typer.Exit()
@app.callback()
def main(v: Annotated[bool, typer.Option("--version", callback=version, is_eager=True)] = False):
    pass
@app.command()
def hello() -> None:
    pass
app()
"""
# The sqlite3 shell's own import into the same schema and indexes: a view shaped like
# the exported CSV whose INSTEAD OF trigger maps names to ids and inserts into expenses
# (the same FTS triggers and indexes fire), with no validation at all.
SHELL_IMPORT = """
CREATE TEMP VIEW csv_rows(id, uid, date, time, description, amount, currency, units,
  unit_price, category, custom_category, client, project, billable, billing_status,
  invoice_ref, approval_status, reimbursement_status, notes, tags, created_at, updated_at,
  deleted_at) AS SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL;
CREATE TEMP TRIGGER csv_rows_insert INSTEAD OF INSERT ON csv_rows BEGIN
  INSERT INTO expenses (uid, description, date, time, amount_minor, currency, scale,
    units, unit_price, category_id, custom_category, client_id, project_id, billable,
    billing_status, invoice_ref, approval_status, reimbursement_status, notes, created_at,
    updated_at)
  VALUES (new.uid, new.description, new.date, nullif(new.time, ''),
    CAST(replace(new.amount, '.', '') AS INTEGER), new.currency,
    CASE instr(new.amount, '.') WHEN 0 THEN 0
      ELSE length(new.amount) - instr(new.amount, '.') END,
    nullif(new.units, ''), nullif(new.unit_price, ''),
    (SELECT id FROM categories WHERE name = new.category),
    nullif(new.custom_category, ''),
    (SELECT id FROM clients WHERE name = new.client),
    (SELECT p.id FROM projects p JOIN clients c ON c.id = p.client_id
      WHERE p.name = new.project AND c.name = new.client),
    new.billable = 'true', new.billing_status, nullif(new.invoice_ref, ''),
    new.approval_status, new.reimbursement_status, nullif(new.notes, ''), new.created_at,
    new.updated_at);
END;
.import --csv --skip 1 {csv} csv_rows
"""
EXPORT_SQL = """SELECT e.id, e.uid, e.date, e.time, e.description, e.amount_minor, e.currency,
 e.units, e.unit_price, c.name, e.custom_category, cl.name, p.name, e.billable,
 e.billing_status, e.invoice_ref, e.approval_status, e.reimbursement_status, e.notes,
 (SELECT group_concat(tag, ';') FROM expense_tags t WHERE t.expense_id = e.id),
 e.created_at, e.updated_at, e.deleted_at
FROM expenses e JOIN categories c ON c.id = e.category_id
LEFT JOIN clients cl ON cl.id = e.client_id LEFT JOIN projects p ON p.id = e.project_id
WHERE e.deleted_at IS NULL ORDER BY e.date, e.id"""
REPORT_SQL = """SELECT substr(date, 1, 7), category_id, currency, count(*), sum(amount_minor)
FROM expenses WHERE deleted_at IS NULL AND date BETWEEN '{y}-01-01' AND '{y}-12-31'
GROUP BY 1, 2, 3"""


def timed(command: list[str], runs: int, env: dict[str, str], stdin: str | None = None) -> float:
    """Median wall seconds of `runs` runs (after one warm-up run)."""
    samples = []
    for attempt in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       input=stdin, text=True, check=False)  # fmt: skip
        if attempt:
            samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def once(command: list[str], env: dict[str, str], stdin: str | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          input=stdin, text=True, check=False)  # fmt: skip
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr[-500:]}")
    return time.perf_counter() - start


def fresh_book(exe: str, path: Path, env: dict[str, str], source: Path) -> None:
    """An empty book with the source book's clients and projects (what an import needs)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    subprocess.run(
        [exe, "--db", str(path), "config", "--json"], env=env, check=True, stdout=subprocess.DEVNULL
    )  # fmt: skip (opens, so creates the book)
    with sqlite3.connect(path) as conn:
        conn.execute("ATTACH ? AS src", [str(source)])
        conn.execute("DELETE FROM categories")
        for table in ("categories", "clients", "projects"):
            conn.execute(f"INSERT INTO {table} SELECT * FROM src.{table}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-hledger", action="store_true")
    args = parser.parse_args()
    exe, sqlite = _expense_exe(), shutil.which("sqlite3")
    book, _ = ensure_book(DATA / f"book-{args.rows}.db", args.rows)
    env = {**os.environ, "EXPENSE_DB": str(book), "NO_COLOR": "1"}
    work = Path(tempfile.mkdtemp(prefix="expense-bench-"))
    app = work / "minimal_typer.py"
    app.write_text(MINIMAL_TYPER)
    with sqlite3.connect(book) as conn:
        show_id = conn.execute("SELECT max(id) / 2 FROM expenses").fetchone()[0]
        live = conn.execute("SELECT count(*) FROM expenses WHERE deleted_at IS NULL").fetchone()[0]
        year = conn.execute("SELECT max(substr(date, 1, 4)) - 1 FROM expenses").fetchone()[0]
    rows: list[tuple[str, str, str, str]] = []
    py = sys.executable
    base = timed([exe, "--version"], args.runs * 3, env)
    floor = timed([py, str(app), "--version"], args.runs * 3, env)
    bare = timed([py, "-c", "import sqlite3"], args.runs * 3, env)
    rows.append(
        (
            "`expense --version`",
            f"{base * 1000:.0f} ms",
            f"{base / floor:.2f}× minimal Typer app ({floor * 1000:.0f} ms)",
            "≤ 1.3×",
        )
    )
    rows.append(
        (
            "`python -c 'import sqlite3'`",
            f"{bare * 1000:.0f} ms",
            f"{bare / base:.2f}× `expense --version`",
            "–",
        )
    )
    show = timed([exe, "show", str(show_id), "--json"], args.runs, env)
    rows.append(
        (f"`show {show_id} --json`", f"{show * 1000:.0f} ms", f"{show / base:.2f}×", "≤ 1.5×")
    )
    listed = timed([exe, "list", "--json"], args.runs, env)
    rows.append(("`list --json`", f"{listed * 1000:.0f} ms", f"{listed / base:.2f}×", "≤ 1.5×"))
    report = [exe, "report", "--by", "month", "--by", "category", "--from", f"{year}-01-01",
              "--to", f"{year}-12-31", "--json"]  # fmt: skip
    rep = timed(report, args.runs, env)
    rows.append(
        (
            f"`report --by month --by category` ({year})",
            f"{rep * 1000:.0f} ms",
            f"{rep / base:.2f}×",
            "≤ 2×",
        )
    )
    if sqlite:
        shell = timed([sqlite, str(book), REPORT_SQL.format(y=year)], args.runs, env)
        rows.append(
            (
                "  the same GROUP BY in the `sqlite3` shell",
                f"{shell * 1000:.0f} ms",
                f"expense is {rep / shell:.2f}× it",
                "floor",
            )
        )
    csv_file, journal = work / "export.csv", work / "export.journal"
    exported = once([exe, "export", "-f", "csv", "-o", str(csv_file)], env)
    rows.append(
        (
            "`export -f csv` (all rows)",
            f"{live / exported:,.0f} rows/s",
            f"{exported:.1f} s",
            "≥ 50 % of sqlite3",
        )
    )
    if sqlite:
        shell_export = once([sqlite, "-csv", str(book), EXPORT_SQL], env)
        rows.append(
            (
                "  `sqlite3 -csv` of the same rows",
                f"{live / shell_export:,.0f} rows/s",
                f"expense at {shell_export / exported:.0%} of it",
                "floor",
            )
        )
    target = work / "import.db"
    fresh_book(exe, target, env, book)
    imported = once([exe, "--db", str(target), "import", str(csv_file)], env)
    rows.append(
        (
            "`import` of that CSV (full validation)",
            f"{live / imported:,.0f} rows/s",
            f"{imported:.1f} s",
            "≥ sqlite3 .import",
        )
    )
    if sqlite:
        fresh_book(exe, target, env, book)
        shell_import = once([sqlite, str(target)], env, SHELL_IMPORT.format(csv=csv_file))
        rows.append(
            (
                "  `sqlite3` `.import` into the same schema",
                f"{live / shell_import:,.0f} rows/s",
                f"expense at {shell_import / imported:.0%} of its rate",
                "floor",
            )
        )
    hledger = shutil.which("hledger")
    if hledger and not args.no_hledger:
        once([exe, "export", "-f", "ledger", "-o", str(journal)], env)
        hl = [
            hledger,
            "-f",
            str(journal),
            "bal",
            "-M",
            "--depth",
            "2",
            "-b",
            f"{year}-01-01",
            "-e",
            f"{int(year) + 1}-01-01",
        ]
        hl_time = once(hl, env)
        rows.append(
            (
                "  hledger, the same report on the exported journal",
                f"{hl_time * 1000:.0f} ms",
                f"expense is {hl_time / rep:.1f}× faster",
                "what users would use",
            )
        )
    shutil.rmtree(work, ignore_errors=True)
    header = (
        f"Measured {date.today().isoformat()} on {os.cpu_count()} cores ({platform.machine()}), "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; book of "
        f"{args.rows:,} expenses ({live:,} live); medians of {args.runs} runs "
        f"({args.runs * 3} for start-up); load average at the end "
        f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())}.\n\n"
        "| what | measured | ratio | bar |\n|---|---:|---|---|\n"
    )
    table = header + "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
    print(table)
    text = TABLES.read_text() if TABLES.exists() else "# Performance tables\n"
    TABLES.write_text(_replace_block(text, f"bench-suite rows={args.rows}",
                                  f"reference §8 bars at {args.rows:,} rows", table))  # fmt: skip
    print(f"updated {TABLES}")


if __name__ == "__main__":
    main()
