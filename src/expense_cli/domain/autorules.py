"""Rules (reference §10.4): a pattern on the description and what it fills in. The first
matching rule by position fills each field an imported row or an `add` leaves empty; its
label only when the final category is Other, its client only when no project is given
(§10.10 item 8). §2 then validates the result as typed input."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from expense_cli.domain import catalog, text
from expense_cli.domain.models import Ref
from expense_cli.domain.validation import InvalidValue, Issues
from expense_cli.errors import ExpenseError, NotFoundError, ValidationError
from expense_cli.store import Store
from expense_cli.store import statements as sql

if TYPE_CHECKING:
    from expense_cli.domain.inputs import ExpenseInput
    from expense_cli.store.rows import ImportRuleRow

PATTERN_MAX = 200
# Matching looks at no more than this much of a description (descriptions hold at most
# 500 characters), so a regex's work stays bounded whatever the text.
MATCH_CAP = 500


def _matcher(pattern: str) -> Callable[[str], bool]:
    """`/regex/` (searched anywhere, ignoring case) or a case-insensitive substring."""
    if len(pattern) >= 2 and pattern.startswith("/") and pattern.endswith("/"):
        body = pattern[1:-1]
        if not body:
            raise InvalidValue("the regex between the slashes is empty")
        try:
            compiled = re.compile(body, re.IGNORECASE)
        except (re.error, RecursionError, OverflowError) as exc:
            raise InvalidValue(f"not a valid regex: {exc}") from None
        return lambda description: compiled.search(description[:MATCH_CAP]) is not None
    needle = pattern.casefold()
    return lambda description: needle in description[:MATCH_CAP].casefold()


def parse_pattern(value: str) -> str:
    pattern = text.clean_text(value, PATTERN_MAX, what="pattern")
    _matcher(pattern)
    return pattern


@dataclass(frozen=True)
class Rule:
    id: int
    position: int
    pattern: str
    category: Ref | None
    label: str | None
    client: Ref | None
    project: Ref | None
    billable: bool | None
    tags: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "position": self.position,
            "pattern": self.pattern,
            "category": None if self.category is None else self.category.name,
            "label": self.label,
            "client": None if self.client is None else self.client.name,
            "project": None if self.project is None else self.project.name,
            "billable": self.billable,
            "tags": list(self.tags),
        }

    @cached_property
    def matches(self) -> Callable[[str], bool]:
        """Whether a description meets the pattern (compiled once per rule)."""
        return _matcher(self.pattern)


def _ref(row_id: int | None, name: str | None) -> Ref | None:
    return None if row_id is None or name is None else Ref(row_id, name)


def _rule(row: ImportRuleRow) -> Rule:
    billable = row["billable"]
    return Rule(
        id=row["id"],
        position=row["position"],
        pattern=row["pattern"],
        category=_ref(row["category_id"], row["category_name"]),
        label=row["custom_category"],
        client=_ref(row["client_id"], row["client_name"]),
        project=_ref(row["project_id"], row["project_name"]),
        billable=None if billable is None else bool(billable),
        tags=tuple(json.loads(row["tags"])) if row["tags"] else (),
    )


def list_rules(store: Store) -> list[Rule]:
    return [_rule(row) for row in sql.rules(store)]


def _get(store: Store, rule_id: int) -> Rule:
    row = sql.rule(store, rule_id)
    if row is None:
        raise NotFoundError(f"no rule {rule_id} (see `expense rules list`)")
    return _rule(row)


def add_rule(
    store: Store,
    pattern: str,
    *,
    category: str | None = None,
    label: str | None = None,
    client: str | None = None,
    project: str | None = None,
    billable: bool | None = None,
    tags: Sequence[str] = (),
) -> Rule:
    """A new rule at the end of the list; every bad field reported at once (exit 4)."""
    with store.write():
        issues = Issues()
        values: dict[str, Any] = {"pattern": issues.check("pattern", parse_pattern, pattern)}
        found = issues.attempt(catalog.find_category, store, category) if category else None
        values["category_id"] = None if found is None else found.id
        values["custom_category"] = issues.check("label", text.label, label) if label else None
        owner = issues.attempt(catalog.find_client, store, client) if client else None
        values["client_id"] = None if owner is None else owner.id
        linked = (
            issues.attempt(
                catalog.find_project, store, project, client_id=None if owner is None else owner.id
            )
            if project
            else None
        )
        values["project_id"] = None if linked is None else linked.id
        if owner is not None and linked is not None and linked.client.id != owner.id:
            issues.add(
                "client", f"project {linked.name!r} belongs to client {linked.client.name!r}"
            )
        values["billable"] = None if billable is None else int(billable)
        normalised = issues.check("tags", text.normalize_tags, tuple(tags)) or ()
        values["tags"] = json.dumps(list(normalised)) if normalised else None
        issues.raise_if_any()
        return _get(store, sql.insert_rule(store, values))


def move_rule(store: Store, rule_id: int, position: int) -> list[Rule]:
    """Take the rule out and insert it at POSITION (1-based), shifting the others."""
    with store.write():
        rule = _get(store, rule_id)
        ordered = [r.id for r in list_rules(store) if r.id != rule.id]
        if not 1 <= position <= len(ordered) + 1:
            raise ValidationError(
                {"position": f"a position is 1–{len(ordered) + 1}, not {position}"}
            )
        ordered.insert(position - 1, rule.id)
        sql.set_rule_positions(store, ordered)
        return list_rules(store)


def delete_rule(store: Store, rule_id: int) -> Rule:
    with store.write():
        rule = _get(store, rule_id)
        sql.delete_rule(store, rule_id)
        sql.set_rule_positions(store, [r.id for r in list_rules(store)])
        return rule


def first_match(rules: Sequence[Rule], description: str | None) -> Rule | None:
    if not description:
        return None
    return next((rule for rule in rules if rule.matches(description)), None)


def _is_other(store: Store, category: str | None) -> bool:
    if category is None or not category.strip():
        return False
    try:
        return catalog.find_category(store, category).is_other
    except ExpenseError:
        return False  # §2 reports the unknown category


def fill(store: Store, rule: Rule | None, inp: ExpenseInput) -> ExpenseInput:
    """What `rule` sets in the fields `inp` leaves empty (None; no tags)."""
    if rule is None:
        return inp
    changes: dict[str, Any] = {}
    if inp.category is None and rule.category is not None:
        changes["category"] = str(rule.category.id)
    if inp.project is None and rule.project is not None:
        changes["project"] = str(rule.project.id)
    project = changes.get("project", inp.project)
    if inp.client is None and rule.client is not None and not (project and project.strip()):
        changes["client"] = str(rule.client.id)
    category = changes.get("category", inp.category)
    if inp.label is None and rule.label is not None and _is_other(store, category):
        changes["label"] = rule.label
    if inp.billable is None and rule.billable is not None:
        changes["billable"] = rule.billable
    if not inp.tags and rule.tags:
        changes["tags"] = rule.tags
    return replace(inp, **changes) if changes else inp


def apply_rules(store: Store, inp: ExpenseInput) -> ExpenseInput:
    """`add`: the first matching rule fills what was not given (§10.10 item 1)."""
    rules = list_rules(store)
    return fill(store, first_match(rules, inp.description), inp) if rules else inp


def try_rule(store: Store, description: str) -> tuple[Rule | None, dict[str, Any]]:
    """The rule `description` would meet and what it would set on an empty row."""
    rule = first_match(list_rules(store), description)
    if rule is None:
        return None, {}
    sets: dict[str, Any] = {}
    if rule.category is not None:
        sets["category"] = rule.category.name
    if (
        rule.label is not None
        and rule.category is not None
        and _is_other(store, str(rule.category.id))
    ):
        sets["label"] = rule.label
    if rule.project is not None:
        sets["project"] = rule.project.name
    elif rule.client is not None:
        sets["client"] = rule.client.name
    if rule.billable is not None:
        sets["billable"] = rule.billable
    if rule.tags:
        sets["tags"] = list(rule.tags)
    return rule, sets
