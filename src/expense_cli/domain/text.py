"""Text fields and tags (rules 1, 12, 17; §10.1 item 24): trimming, lengths, forbidden
and invisible characters."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from expense_cli.domain.validation import InvalidValue

BIDI_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
DESCRIPTION_MAX = 500
LABEL_MAX = 100
NOTES_MAX = 2000
NAME_MAX = 100
TAG_MAX = 50
REF_MAX = 100
SEARCH_MAX = 200
KEY_MAX = 255
BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


# Unicode Cc is exactly U+0000–001F and U+007F–009F; Cs (lone surrogates) is how Python
# passes undecodable argv bytes. One compiled class: rule 17 checked at C speed.
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_FORBIDDEN = re.compile(f"[\t\n{_CONTROLS}]")
_FORBIDDEN_MULTILINE = re.compile(f"[{_CONTROLS}]")
# The same classes for output writers (§10.1 item 25): what may never leave raw.
CONTROL_CHARS = _FORBIDDEN
CONTROL_CHARS_BUT_LINES = _FORBIDDEN_MULTILINE

# §10.1 item 24. Hidden in a name or tag: format characters (Cf: U+200B, U+FEFF, U+00AD,
# U+200D, …) and line/paragraph separators. For blankness spaces (Zs) are invisible too.
_HIDDEN = frozenset({"Cf", "Zl", "Zp"})
_INVISIBLE = frozenset({"Cf", "Zs", "Zl", "Zp"})


def first_hidden(value: str) -> str | None:
    """The first format character or line/paragraph separator in `value`, if any."""
    # str.isprintable() is False for every Cc, Cf, Zl, Zp and non-ASCII Zs character: one
    # C-speed pass lets ordinary text skip the per-character category look-up.
    if value.isprintable():
        return None
    return next((c for c in value if unicodedata.category(c) in _HIDDEN), None)


def is_invisible(value: str) -> bool:
    """Nothing would show: empty, or only format characters, spaces, separators and the
    newlines and tabs notes may hold."""
    if value.isprintable():  # printable text is invisible only when it is all ASCII spaces
        return not value.strip(" ")
    return all(c.isspace() or unicodedata.category(c) in _INVISIBLE for c in value)


def codepoint(char: str) -> str:
    """`U+200B (ZERO WIDTH SPACE)`: how messages name a character nobody can see."""
    label = unicodedata.name(char, "")
    return f"U+{ord(char):04X} ({label})" if label else f"U+{ord(char):04X}"


def stored_text_problem(value: str, *, multiline: bool = False, hidden: bool = False) -> str | None:
    """What is wrong with text already in the book (`db check`): a control character or
    bidi override (rule 17), or with `hidden`, an invisible character (item 24)."""
    bad = _first_forbidden(value, multiline)
    if bad is not None:
        return f"contains the control character {codepoint(bad)}"
    bad = first_hidden(value) if hidden else None
    return None if bad is None else f"contains the invisible character {codepoint(bad)}"


def _first_forbidden(value: str, multiline: bool) -> str | None:
    found = (_FORBIDDEN_MULTILINE if multiline else _FORBIDDEN).search(value)
    return None if found is None else found.group()


def clean_text(
    value: str, max_len: int, *, multiline: bool = False, hidden: bool = False, what: str = "text"
) -> str:
    """Trimmed text of 1–`max_len` characters, without control characters or bidi overrides;
    with `hidden` (names), without format characters or line/paragraph separators either.
    Text that would show nothing (only invisible characters) is blank."""
    if multiline:
        value = value.replace("\r\n", "\n")
    # Checked before trimming: str.strip() would silently drop some controls (U+001C–1F).
    bad = _first_forbidden(value, multiline)
    if bad is not None:
        allowed = " (newlines and tabs are allowed)" if multiline else ""
        raise InvalidValue(f"{what} contains the control character U+{ord(bad):04X}{allowed}")
    # Also before trimming: strip() drops U+2028/2029, so `Acme\u2028` would pass as `Acme`.
    bad = first_hidden(value) if hidden else None
    if bad is not None:
        raise InvalidValue(f"{what} contains the invisible character {codepoint(bad)}")
    cleaned = value.strip()
    if is_invisible(cleaned):
        raise InvalidValue(f"{what} must not be blank")
    if len(cleaned) > max_len:
        raise InvalidValue(f"{what} is {len(cleaned)} characters; the limit is {max_len}")
    return cleaned


def parse_bool(value: str) -> bool:
    """true/false, 1/0, yes/no, any case (reference §3)."""
    try:
        return BOOLEANS[value.strip().lower()]
    except KeyError:
        raise InvalidValue(f"{value!r} is not one of true, false, 1, 0, yes, no") from None


def description(value: str) -> str:
    return clean_text(value, DESCRIPTION_MAX, what="description")


def label(value: str) -> str:
    return clean_text(value, LABEL_MAX, what="custom category")


def notes(value: str) -> str:
    return clean_text(value, NOTES_MAX, multiline=True, what="notes")


def name(value: str) -> str:
    return clean_text(value, NAME_MAX, hidden=True, what="name")


def invoice_ref(value: str) -> str:
    return clean_text(value, REF_MAX, what="invoice reference")


def idempotency_key(value: str) -> str:
    if not 1 <= len(value) <= KEY_MAX:
        raise InvalidValue(f"an idempotency key is 1–{KEY_MAX} characters")
    return clean_text(value, KEY_MAX, what="idempotency key")


def tag(value: str) -> str:
    """One tag: trimmed, inner whitespace collapsed, 1–50 chars, no `,` `;` or controls."""
    bad = _first_forbidden(value, multiline=False)
    if bad is not None:
        raise InvalidValue(f"tag {value!r} contains the control character U+{ord(bad):04X}")
    bad = first_hidden(value)
    if bad is not None:
        raise InvalidValue(f"tag {value!r} contains the invisible character {codepoint(bad)}")
    collapsed = " ".join(value.split())
    if not collapsed:
        raise InvalidValue("a tag must not be blank")
    if "," in collapsed or ";" in collapsed:
        raise InvalidValue(f"tag {collapsed!r} contains ',' or ';'")
    if len(collapsed) > TAG_MAX:
        raise InvalidValue(f"tag {collapsed[:20]!r}… is longer than {TAG_MAX} characters")
    return collapsed


def tag_key(value: str) -> str:
    return value.casefold()


def normalize_tags(values: Iterable[str]) -> tuple[str, ...]:
    """A tag set: each tag cleaned, case-insensitive duplicates collapsed to the first
    spelling, sorted case-insensitively."""
    seen: dict[str, str] = {}
    for value in values:
        cleaned = tag(value)
        seen.setdefault(tag_key(cleaned), cleaned)
    return tuple(sorted(seen.values(), key=lambda t: (tag_key(t), t)))


def apply_tag_edits(
    current: Iterable[str],
    replace: Iterable[str] | None,
    add: Iterable[str],
    remove: Iterable[str],
) -> tuple[str, ...]:
    """Rule 12's order: the positional replacement first, then `--add`, then `--remove`."""
    base = list(current) if replace is None else list(replace)
    merged = normalize_tags([*base, *add])
    gone = {tag_key(tag(value)) for value in remove}
    return tuple(t for t in merged if tag_key(t) not in gone)
