"""Every command explains itself: a help text with a real example, and a mention in the
README, so a new command cannot ship undocumented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer

from expense_cli.cli.app import COMMANDS, app, invoked_command

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []

    def walk(prefix: str, command: Any) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            found.append((f"{prefix} {name}".strip(), sub))
            walk(f"{prefix} {name}", sub)

    walk("", typer.main.get_command(app))
    return found


COMMAND_LIST = _commands()


@pytest.mark.parametrize(("name", "command"), COMMAND_LIST, ids=[n for n, _ in COMMAND_LIST])
def test_every_command_has_help_with_an_example(name: str, command: Any) -> None:
    help_text = command.help or ""
    assert help_text.strip(), f"{name} has no help"
    assert "Example: expense " in help_text, f"{name} help has no example"


def test_every_top_level_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in COMMANDS if f"expense {name}" not in readme]
    assert not missing, f"README does not show: {missing}"


def test_the_start_up_index_names_every_registered_command() -> None:
    registered = {name for name, _ in COMMAND_LIST if " " not in name}
    assert registered == set(COMMANDS)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["add", "x", "5"], "add"),
        (["--db", "/tmp/x.db", "list", "--json"], "list"),
        (["--db=/tmp/x.db", "--debug", "show", "1"], "show"),
        (["--version"], ""),
        (["--help"], None),
        ([], None),
        (["nosuch"], None),
    ],
)
def test_main_builds_only_the_command_it_runs(args: list[str], expected: str | None) -> None:
    assert invoked_command(args) == expected
