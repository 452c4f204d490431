"""The cli → domain boundary is typed: the cli imports its use cases lazily (for start-up)
but mypy sees the real modules, so a misspelt keyword argument fails `mypy --strict`."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "expense_cli"
CLI = SRC / "cli"


def _mypy(cwd: Path, cache: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), *targets],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy_cache")


# A command module's pattern: the use case module imported lazily, typed for mypy.
CALLER = """\
from typing import TYPE_CHECKING

from expense_cli.cli.lazy import lazy
from expense_cli.domain.models import Expense
from expense_cli.domain.inputs import ExpenseInput
from expense_cli.store import Store

if TYPE_CHECKING:
    from expense_cli.domain import expenses as use
else:
    use = lazy("expense_cli.domain.expenses")


def add(store: Store, inp: ExpenseInput) -> Expense:
    return use.add_expense(store, inp, {keyword}=None)
"""
RIGHT_CALL = "use.add_expense(store, inp, idempotency_key=idempotency_key)"


def test_mypy_catches_a_misspelt_keyword_between_cli_and_domain(
    tmp_path: Path, mypy_cache: Path
) -> None:
    (tmp_path / "right.py").write_text(CALLER.format(keyword="idempotency_key"), "utf-8")
    (tmp_path / "wrong.py").write_text(CALLER.format(keyword="idempotency_kye"), "utf-8")
    # The real `add` command, with its call to the use case misspelt.
    command = (CLI / "expenses.py").read_text(encoding="utf-8")
    assert command.count(RIGHT_CALL) == 1, "update RIGHT_CALL: `add` calls its use case so"
    misspelt = command.replace(RIGHT_CALL, RIGHT_CALL.replace("_key=", "_kye="))
    (tmp_path / "add_command.py").write_text(misspelt, encoding="utf-8")

    result = _mypy(tmp_path, mypy_cache, "right.py", "wrong.py", "add_command.py")

    errors = sorted(line for line in result.stdout.splitlines() if ": error:" in line)
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(errors) == 2, result.stdout  # right.py, with the right spelling, is clean
    assert errors[0].startswith("add_command.py:"), errors
    line = CALLER.splitlines().index("    return use.add_expense(store, inp, {keyword}=None)") + 1
    assert errors[1].startswith(f"wrong.py:{line}:"), errors
    for error in errors:
        assert 'Unexpected keyword argument "idempotency_kye"' in error, errors


def test_mypy_strict_is_clean_on_the_source(mypy_cache: Path) -> None:
    if not SRC.is_dir():
        pytest.skip("no source tree next to the tests")
    result = _mypy(ROOT, mypy_cache, str(SRC))
    assert result.returncode == 0, result.stdout + result.stderr


def _lazy_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names bound by `lazy(...)` anywhere in a module, and names imported under
    `if TYPE_CHECKING:`."""
    lazy: set[str] = set()
    typed: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "lazy"
        ):
            lazy.update(t.id for t in node.targets if isinstance(t, ast.Name))
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "TYPE_CHECKING"
        ):
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom | ast.Import):
                    typed.update(alias.asname or alias.name for alias in stmt.names)
    return lazy, typed


@pytest.mark.parametrize("module", sorted(p.name for p in CLI.glob("*.py")))
def test_every_lazy_module_has_a_typed_twin(module: str) -> None:
    """A `lazy(...)` name without its `if TYPE_CHECKING:` import would be `Any` to mypy."""
    lazy, typed = _lazy_names(ast.parse((CLI / module).read_text(encoding="utf-8")))
    assert lazy <= typed, f"{module}: lazy without a TYPE_CHECKING import: {lazy - typed}"
