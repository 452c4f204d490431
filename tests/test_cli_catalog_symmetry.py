"""The catalogue's symmetry (reference §10.1 items 15 and 22): `unarchive` beside `archive` for
categories, clients and projects, `-q` on every command that creates or changes one, and
names that can never be mistaken for ids."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cli, ok, refused

KINDS = ("categories", "clients", "projects")


def _make(cli: Cli, kind: str, name: str) -> dict[str, Any]:
    """One record of `kind`; a project gets a client of its own."""
    extra: tuple[str, ...] = ()
    if kind == "projects":
        ok(cli, "clients", "add", f"Client of {name}")
        extra = ("--client", f"Client of {name}")
    data: dict[str, Any] = ok(cli, kind, "add", name, *extra)
    return data


def _listed(cli: Cli, kind: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = {r["name"]: r for r in ok(cli, kind)}[name]
    return found


# unarchive ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_unarchive_undoes_archive(cli: Cli, kind: str) -> None:
    made = _make(cli, kind, "Alpha")
    assert ok(cli, kind, "archive", "Alpha")["archived"] is True
    back = ok(cli, kind, "unarchive", "Alpha")
    assert back == made
    assert _listed(cli, kind, "Alpha")["archived"] is False


@pytest.mark.parametrize("kind", KINDS)
def test_unarchive_of_a_live_record_changes_nothing(cli: Cli, kind: str) -> None:
    made = _make(cli, kind, "Alpha")
    assert ok(cli, kind, "unarchive", str(made["id"])) == made
    assert _listed(cli, kind, "Alpha") == made


@pytest.mark.parametrize("kind", KINDS)
def test_unarchive_of_an_unknown_record_is_not_found(cli: Cli, kind: str) -> None:
    assert refused(cli, 3, kind, "unarchive", "Nobody")["code"] == "not_found"


def test_an_unarchived_category_client_and_project_take_expenses_again(cli: Cli) -> None:
    ok(cli, "categories", "add", "Training")
    _make(cli, "projects", "Website")
    for kind, name in (("categories", "Training"), ("projects", "Website"),
                       ("clients", "Client of Website")):  # fmt: skip
        ok(cli, kind, "archive", name)
    args = ("add", "Course", "10.00", "-c", "Training", "-p", "Website")
    assert cli(*args, "--json").exit_code == 4
    for kind, name in (("categories", "Training"), ("projects", "Website"),
                       ("clients", "Client of Website")):  # fmt: skip
        ok(cli, kind, "unarchive", name)
    added = ok(cli, *args)
    assert added["client"]["name"] == "Client of Website"


@pytest.mark.parametrize("kind", KINDS)
def test_unarchive_help_has_an_example(cli: Cli, kind: str) -> None:
    result = cli(kind, "unarchive", "--help")
    assert result.exit_code == 0, result.stderr
    assert f"expense {kind} unarchive" in result.stdout
    assert "--json" in result.stdout and "-q" in result.stdout


# -q ------------------------------------------------------------------------------------
def _quiet(cli: Cli, *args: str) -> str:
    result = cli(*args, "-q")
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("kind", KINDS)
def test_quiet_prints_only_the_id_on_every_change(cli: Cli, kind: str) -> None:
    extra: tuple[str, ...] = ()
    if kind == "projects":
        ok(cli, "clients", "add", "Acme")
        extra = ("--client", "Acme")
    made = _quiet(cli, kind, "add", "Alpha", *extra)
    assert made.strip().isdigit()
    assert made == f"{made.strip()}\n"
    ref = made.strip()
    assert _quiet(cli, kind, "edit", ref, "--name", "Beta") == made
    assert _quiet(cli, kind, "archive", ref) == made
    assert _quiet(cli, kind, "unarchive", ref) == made
    assert _listed(cli, kind, "Beta")["id"] == int(ref)


def test_quiet_categories_delete_prints_the_id(cli: Cli) -> None:
    made = ok(cli, "categories", "add", "Training")
    assert _quiet(cli, "categories", "delete", "Training") == f"{made['id']}\n"


def test_quiet_failure_prints_nothing_on_stdout(cli: Cli) -> None:
    result = cli("clients", "unarchive", "Nobody", "-q")
    assert result.exit_code == 3
    assert result.stdout == ""


# all-digit names ------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["2024", " 42 ", "0"])
def test_an_all_digit_name_is_refused_on_add(cli: Cli, kind: str, name: str) -> None:
    extra: tuple[str, ...] = ()
    if kind == "projects":
        ok(cli, "clients", "add", "Acme")
        extra = ("--client", "Acme")
    before = ok(cli, kind)
    error = refused(cli, 4, kind, "add", name, *extra)
    assert "name" in error["fields"]
    assert ok(cli, kind) == before


@pytest.mark.parametrize("kind", KINDS)
def test_an_all_digit_name_is_refused_on_edit(cli: Cli, kind: str) -> None:
    made = _make(cli, kind, "Alpha")
    error = refused(cli, 4, kind, "edit", "Alpha", "--name", "2024")
    assert "name" in error["fields"]
    assert _listed(cli, kind, "Alpha") == made


def test_an_all_digit_category_can_no_longer_shadow_an_id(cli: Cli) -> None:
    """Issue 11's reproduction: `categories add 2024` then `add -c 2024` failed."""
    assert "name" in refused(cli, 4, "categories", "add", "2024")["fields"]
    travel = {c["name"]: c for c in ok(cli, "categories")}["Travel"]
    added = ok(cli, "add", "Train", "9.00", "-c", str(travel["id"]))
    assert added["category"] == {"id": travel["id"], "name": "Travel"}
    # Only ASCII 0-9 throughout is refused: digits beside letters, or other scripts' digits,
    # can never read as an id.
    for name in ("FY2024", "2024 Q1", "٢٠٢٤"):
        assert ok(cli, "categories", "add", name)["name"] == name
        assert ok(cli, "add", "X", "1.00", "-c", name)["category"]["name"] == name
