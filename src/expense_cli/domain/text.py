"""Text fields and tags (rules 1, 12, 17): trimming, lengths, forbidden characters."""

from __future__ import annotations

import re
from collections.abc import Iterable

from expense_cli.domain.issues import InvalidValue

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


def _first_forbidden(value: str, multiline: bool) -> str | None:
    found = (_FORBIDDEN_MULTILINE if multiline else _FORBIDDEN).search(value)
    return None if found is None else found.group()


def clean_text(value: str, max_len: int, *, multiline: bool = False, what: str = "text") -> str:
    """Trimmed text of 1–`max_len` characters, without control characters or bidi overrides."""
    if multiline:
        value = value.replace("\r\n", "\n")
    # Checked before trimming: str.strip() would silently drop some controls (U+001C–1F).
    bad = _first_forbidden(value, multiline)
    if bad is not None:
        allowed = " (newlines and tabs are allowed)" if multiline else ""
        raise InvalidValue(f"{what} contains the control character U+{ord(bad):04X}{allowed}")
    cleaned = value.strip()
    if not cleaned:
        raise InvalidValue(f"{what} must not be blank")
    if len(cleaned) > max_len:
        raise InvalidValue(f"{what} is {len(cleaned)} characters; the limit is {max_len}")
    return cleaned


def parse_bool(value: str) -> bool:
    """true/false, 1/0, yes/no, any case (SPEC §3)."""
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
    return clean_text(value, NAME_MAX, what="name")


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
