"""Text fields and tags (rules 1, 12, 17): trimming, length limits, forbidden characters."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from expense_cli.domain.text import (
    apply_tag_edits,
    clean_text,
    description,
    label,
    name,
    normalize_tags,
    notes,
    tag,
)
from expense_cli.domain.validation import InvalidValue

TextRule = Callable[[str], str]
FIELDS: list[tuple[TextRule, int]] = [
    (description, 500),
    (notes, 2000),
    (name, 100),
    (label, 100),
]
SINGLE_LINE: list[TextRule] = [description, name, label]
ALL_FIELDS: list[TextRule] = [description, notes, name, label]

# Unicode Cc: C0 (U+0000–U+001F), DEL (U+007F), C1 (U+0080–U+009F)
C0 = [chr(c) for c in range(0x00, 0x20)]
C1 = [chr(c) for c in range(0x80, 0xA0)]
CONTROLS = [*C0, "\x7f", *C1]
CONTROLS_BUT_NL_TAB = [c for c in CONTROLS if c not in "\n\t"]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


def _id(value: object) -> str:
    if callable(value):
        return getattr(value, "__name__", "rule")
    if isinstance(value, str):
        return f"U+{ord(value):04X}" if len(value) == 1 else value
    return str(value)


# --- trimming, blanks, lengths (rules 1, 17) --------------------------------------------


@pytest.mark.parametrize("rule", ALL_FIELDS, ids=_id)
def test_text_is_trimmed(rule: TextRule) -> None:
    assert rule("  Train to Berlin  ") == "Train to Berlin"


@pytest.mark.parametrize("rule", ALL_FIELDS, ids=_id)
@pytest.mark.parametrize("blank", ["", " ", "     ", "\u00a0", "\u3000 "], ids=repr)
def test_blank_text_is_rejected(rule: TextRule, blank: str) -> None:
    with pytest.raises(InvalidValue):
        rule(blank)


@pytest.mark.parametrize(("rule", "limit"), FIELDS, ids=_id)
def test_text_at_the_length_limit_is_accepted(rule: TextRule, limit: int) -> None:
    assert rule("x" * limit) == "x" * limit


@pytest.mark.parametrize(("rule", "limit"), FIELDS, ids=_id)
def test_text_over_the_length_limit_is_rejected(rule: TextRule, limit: int) -> None:
    with pytest.raises(InvalidValue):
        rule("x" * (limit + 1))


@pytest.mark.parametrize(("rule", "limit"), FIELDS, ids=_id)
def test_length_is_counted_after_trimming(rule: TextRule, limit: int) -> None:
    assert rule("  " + "x" * limit + "  ") == "x" * limit


@pytest.mark.parametrize(("rule", "limit"), FIELDS, ids=_id)
def test_length_counts_characters_not_bytes(rule: TextRule, limit: int) -> None:
    text = ("é€😀" * limit)[:limit]  # 2-4 bytes each in UTF-8
    assert rule(text) == text


@pytest.mark.parametrize("rule", ALL_FIELDS, ids=_id)
@pytest.mark.parametrize(
    # A zero-width joiner is kept in free text but not in names (test_invisible_text.py).
    "text",
    ["[bold]x[/]", "=SUM(A1)", "Café — 東京 😀", "a, b; c", "x\u00a0y"],
    ids=repr,
)
def test_ordinary_unicode_and_markup_text_is_kept_as_typed(rule: TextRule, text: str) -> None:
    assert rule(text) == text


# --- control characters and bidi overrides (rule 17) ------------------------------------


def _accepting(rules: list[TextRule], text: str) -> list[str]:
    """The names of the rules that accept `text` (each should reject it)."""
    accepted: list[str] = []
    for rule in rules:
        try:
            rule(text)
        except InvalidValue:
            continue
        accepted.append(rule.__name__)
    return accepted


@pytest.mark.parametrize("char", CONTROLS, ids=_id)
def test_single_line_fields_reject_every_control_character_inside(char: str) -> None:
    assert _accepting(SINGLE_LINE, f"Lunch{char}with client") == []


@pytest.mark.parametrize("char", BIDI, ids=_id)
def test_every_field_rejects_bidi_overrides(char: str) -> None:
    assert _accepting(ALL_FIELDS, f"invoice{char}fdp.exe") == []
    assert _accepting(ALL_FIELDS, f"{char}invoice") == []


@pytest.mark.parametrize("char", CONTROLS_BUT_NL_TAB, ids=_id)
def test_notes_reject_control_characters_other_than_newline_and_tab(char: str) -> None:
    with pytest.raises(InvalidValue):
        notes(f"line one{char}line two")


@pytest.mark.parametrize("text", ["line one\nline two", "col\tcol", "a\n\tb\n\nc"], ids=repr)
def test_notes_alone_may_hold_newlines_and_tabs(text: str) -> None:
    assert notes(text) == text


def test_notes_accept_windows_line_endings() -> None:
    assert notes("line one\r\nline two").splitlines() == ["line one", "line two"]


@pytest.mark.parametrize(
    "char",
    # C0 controls that are not whitespace to Unicode (White_Space is only U+0009–U+000D among
    # them), plus NUL/ESC/DEL/C1: none may be silently trimmed away; each must be rejected.
    ["\x00", "\x07", "\x1b", "\x1c", "\x1d", "\x1e", "\x1f", "\x7f", "\x80", "\x9b", "\x9f"],
    ids=_id,
)
def test_control_characters_at_the_edges_are_rejected_not_trimmed(char: str) -> None:
    assert _accepting(ALL_FIELDS, f"{char}Lunch") == []
    assert _accepting(ALL_FIELDS, f"Lunch{char}") == []


def test_clean_text_allows_newlines_only_when_multiline() -> None:
    assert clean_text("a\nb", 10, multiline=True) == "a\nb"
    with pytest.raises(InvalidValue):
        clean_text("a\nb", 10)


# --- tag (rule 12) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("work", "work"),
        ("  work  ", "work"),
        ("client   visit", "client visit"),
        (" client \u00a0 visit ", "client visit"),
        ("Q1 2025", "Q1 2025"),
        ("x" * 50, "x" * 50),
        ("  " + "x" * 50 + "  ", "x" * 50),
        ("a" + " " * 60 + "b", "a b"),  # the limit applies after collapsing
        ("café", "café"),
        ("#hashtag", "#hashtag"),
    ],
)
def test_tag_is_trimmed_and_inner_whitespace_collapsed(raw: str, cleaned: str) -> None:
    assert tag(raw) == cleaned


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "a,b",
        "a;b",
        ",",
        ";",
        "work,",
        ";work",
        "x" * 51,
        "a " + "x" * 49,
        "work\n",
        "a\nb",
        "a\tb",
        "a\x00b",
        "a\x1bb",
        "a\x7fb",
        "a\x85b",
        "a\u202eb",
        "a\u2066b",
    ],
    ids=repr,
)
def test_invalid_tags_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidValue):
        tag(raw)


# --- normalize_tags ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ([], ()),
        (["b", "a", "c"], ("a", "b", "c")),
        (["banana", "Apple", "cherry"], ("Apple", "banana", "cherry")),
        (["Zeta", "alpha", "Beta"], ("alpha", "Beta", "Zeta")),
        (["Work", "work", "WORK"], ("Work",)),
        (["work", "Work"], ("work",)),
        (["  client  visit ", "Client Visit"], ("client visit",)),
        (["b", "B", "a", "A"], ("a", "b")),
        (["x", "x", "x"], ("x",)),
    ],
)
def test_normalize_tags_collapses_case_duplicates_to_the_first_and_sorts(
    given: list[str], expected: tuple[str, ...]
) -> None:
    assert normalize_tags(given) == expected


@pytest.mark.parametrize("bad", ["a,b", "a;b", "", "x" * 51, "a\x00"], ids=repr)
def test_normalize_tags_rejects_the_set_when_one_tag_is_invalid(bad: str) -> None:
    with pytest.raises(InvalidValue):
        normalize_tags(["ok", bad, "fine"])


# --- apply_tag_edits: replacement, then --add, then --remove ----------------------------


@pytest.mark.parametrize(
    ("current", "replace", "add", "remove", "expected"),
    [
        # nothing asked: the set stays
        (["a", "b"], None, [], [], ("a", "b")),
        # positional tags replace the whole set
        (["a", "b"], ["x", "y"], [], [], ("x", "y")),
        # an empty replacement clears it (--clear)
        (["a", "b"], [], [], [], ()),
        # --add adds to the current set
        (["a"], None, ["c", "b"], [], ("a", "b", "c")),
        # --add adds to the replacement, not the old set
        (["a"], ["x"], ["y"], [], ("x", "y")),
        # --remove applies after the replacement and --add
        (["a", "b"], ["x", "y"], [], ["x"], ("y",)),
        (["a"], None, ["b"], ["b"], ("a",)),
        (["a"], ["x"], ["y"], ["x", "y"], ()),
        # --remove is case-insensitive and normalised like any tag
        (["Work", "home"], None, [], ["WORK"], ("home",)),
        (["client visit"], None, [], ["  Client   Visit "], ()),
        # removing a tag that is not there changes nothing
        (["a"], None, [], ["zzz"], ("a",)),
        # a case-duplicate added keeps the spelling already in the set (first given)
        (["Work"], None, ["work"], [], ("Work",)),
        (["Work"], ["work"], ["WORK"], [], ("work",)),
        # the result is sorted case-insensitively
        (["b"], None, ["A", "c"], [], ("A", "b", "c")),
    ],
)
def test_apply_tag_edits_replaces_then_adds_then_removes(
    current: list[str],
    replace: list[str] | None,
    add: list[str],
    remove: list[str],
    expected: tuple[str, ...],
) -> None:
    assert apply_tag_edits(current, replace, add, remove) == expected


@pytest.mark.parametrize(
    ("replace", "add", "remove"),
    [(["a,b"], [], []), (None, ["a;b"], []), (None, [], ["a\x00b"]), (None, ["x" * 51], [])],
)
def test_apply_tag_edits_rejects_invalid_tags_in_any_position(
    replace: list[str] | None, add: list[str], remove: list[str]
) -> None:
    with pytest.raises(InvalidValue):
        apply_tag_edits(["ok"], replace, add, remove)
