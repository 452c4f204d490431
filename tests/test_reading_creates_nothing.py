"""Reading creates nothing (reference §10.1 item 14): a read on a book that does not exist shows
an empty book and leaves no file or folder behind; `db check` says there is no book (exit
6); commands that write still create the book (and its folders) as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli, ok

READS = (
    ("list",),
    ("list", "--all"),
    ("report",),
    ("report", "--by", "month"),
    ("export",),
    ("export", "-f", "json"),
    ("categories",),
    ("clients",),
    ("projects",),
    ("config",),
    ("config", "date_order"),
)


@pytest.fixture
def missing(tmp_path: Path) -> Path:
    """A mistyped `--db`: a book two folders below a folder that does not exist."""
    return tmp_path / "typo" / "nested" / "book.db"


def _nothing_created(tmp_path: Path) -> None:
    assert not (tmp_path / "typo").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", READS, ids=" ".join)
def test_a_read_of_a_missing_book_shows_an_empty_book_and_creates_nothing(
    cli: Cli, missing: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    result = cli("--db", str(missing), *args)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    _nothing_created(tmp_path)


def test_the_json_of_a_missing_book_is_the_empty_result(cli: Cli, missing: Path) -> None:
    listed = cli("--db", str(missing), "list", "--json")
    assert listed.json == {"data": [], "pagination": {"limit": 50, "next_cursor": None}}
    assert cli("--db", str(missing), "report", "--json").data == []
    assert cli("--db", str(missing), "clients", "--json").data == []
    assert cli("--db", str(missing), "config", "date_order").stdout.strip() == "ymd"
    assert not missing.parent.parent.exists()


def test_show_of_a_missing_book_is_not_found(cli: Cli, missing: Path, tmp_path: Path) -> None:
    result = cli("--db", str(missing), "show", "1", "--json")
    assert result.exit_code == 3, result.stderr
    assert result.error["code"] == "not_found"
    _nothing_created(tmp_path)


def test_db_check_of_a_missing_book_is_exit_6_naming_the_path(
    cli: Cli, missing: Path, tmp_path: Path
) -> None:
    result = cli("--db", str(missing), "db", "check")
    assert result.exit_code == 6, result.stdout
    assert str(missing) in result.stderr
    assert "does not exist" in result.stderr
    _nothing_created(tmp_path)


def test_the_default_book_from_the_environment_is_not_created_by_a_read(
    cli: Cli, book: Path
) -> None:
    assert cli("list").exit_code == 0
    assert cli("categories").exit_code == 0
    assert not book.exists()


def test_config_creates_the_book_only_when_it_sets_a_value(cli: Cli, missing: Path) -> None:
    assert cli("--db", str(missing), "config", "date_order").exit_code == 0
    assert not missing.parent.exists()
    assert cli("--db", str(missing), "config", "date_order", "dmy").exit_code == 0
    assert missing.is_file()
    assert missing.stat().st_mode & 0o777 == 0o600
    assert ok(cli, "--db", str(missing), "config")["date_order"] == "dmy"


def test_an_add_after_reads_creates_the_book(cli: Cli, missing: Path) -> None:
    assert cli("--db", str(missing), "list").exit_code == 0
    assert not missing.parent.exists()
    added = ok(cli, "--db", str(missing), "add", "Train", "45.10", "-c", "Travel")
    assert [e["id"] for e in ok(cli, "--db", str(missing), "list")] == [added["id"]]
    assert ok(cli, "--db", str(missing), "db", "check")["ok"] is True
