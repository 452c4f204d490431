"""Every test gets its own book: `EXPENSE_DB` points at a temp file, so no test can touch
a real one. Rich renders at a fixed width without colour."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from expense_cli.cli.app import app


@pytest.fixture(autouse=True)
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "book.db"
    monkeypatch.setenv("EXPENSE_DB", str(path))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return path


class Result:
    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.exit_code: int = raw.exit_code
        self.stdout: str = raw.stdout
        self.stderr: str = raw.stderr

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def data(self) -> Any:
        return self.json["data"]

    @property
    def error(self) -> dict[str, Any]:
        return json.loads(self.stderr)["error"]


Cli = Callable[..., Result]


@pytest.fixture
def cli() -> Cli:
    """Run `expense ARGS…` in-process; returns exit code, stdout, stderr."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return Result(runner.invoke(app, list(args), input=input))

    return run
