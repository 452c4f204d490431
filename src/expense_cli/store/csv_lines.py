"""`export -f csv` rendered by SQLite: each expense as one CSV line, the columns of
`models.CSV_COLUMNS` formatted in the SELECT (amounts from minor units, booleans, sorted
tags, receipt counts), so Python neither builds a record nor touches a cell per row.

What SQLite renders is what `render.write_csv_rows` writes for the same row when no cell
needs more than CSV quoting. The cells it cannot judge are left for Python to check on the
whole text (`domain.listing`): a control or bidi character anywhere (a NUL in a free-text
cell is turned into U+0001 first, since `printf` would stop at it), a cell starting with a
formula character. A row SQLite cannot format at all (an original amount in a currency
without minor digits) comes back as its bare id. Cells of fixed formats (dates, times,
timestamps, currency codes, statuses, canonical decimals, account names) are written as
stored: the schema's CHECKs and the validated writers keep commas and quotes out of them.
"""

from __future__ import annotations

from collections.abc import Mapping

# Scale → 10**scale: the CHECK on `expenses.scale` allows 0–4.
_POWER = "(CASE {s} WHEN 2 THEN 100 WHEN 3 THEN 1000 WHEN 1 THEN 10 WHEN 4 THEN 10000 END)"
# format_minor(0, scale), the tax of an untaxed expense
_ZERO = (
    "(CASE e.scale WHEN 2 THEN '0.00' WHEN 0 THEN '0' WHEN 3 THEN '0.000' WHEN 1 THEN '0.0' "
    "ELSE '0.0000' END)"
)


def _minor(x: str, scale: str = "e.scale") -> str:
    """`money.format_minor(x, scale)` for x ≥ 0 (NULL stays NULL)."""
    p = _POWER.format(s=scale)
    return (
        f"(CASE {scale} WHEN 0 THEN {x} ELSE ({x} / {p}) || '.' || substr({x} % {p} + {p}, 2) END)"
    )


def _signed_minor(x: str, scale: str = "e.scale") -> str:
    return f"(CASE WHEN {x} >= 0 THEN {_minor(x, scale)} ELSE '-' || {_minor(f'-{x}', scale)} END)"


def _text(x: str) -> str:
    """A free-text cell: quoted as the csv module quotes (a `,` or `"` inside; lines and
    controls are Python's to judge), a NUL shown as U+0001 so Python sees the cell."""
    # GLOB '*,*' scans with strcspn, faster than instr; GLOB stops at a NUL, instr does not.
    return (
        f"(CASE WHEN {x} GLOB '*,*' OR {x} GLOB '*\"*' OR instr({x}, char(0)) THEN "
        f"(CASE WHEN instr({x}, char(0)) THEN char(1) "
        f"ELSE '\"' || replace({x}, '\"', '\"\"') || '\"' END) ELSE {x} END)"
    )


def _bool(x: str) -> str:
    return f"(CASE WHEN {x} THEN 'true' ELSE 'false' END)"


# Tags in the records' order: by key (the casefolded tag), then the tag. The cell is
# formatted inside the subquery, which then runs once per row (not once per mention).
_TAGS = (
    f"(SELECT {_text('group_concat(tag, ' + repr(';') + ')')} FROM (SELECT t.tag "
    "FROM expense_tags t WHERE t.expense_id = e.id ORDER BY t.tag_key, t.tag))"
)
_RECEIPTS = (
    "(SELECT count(*) FROM receipts r JOIN blobs b ON b.sha256 = r.sha256 "
    "WHERE r.expense_id = e.id)"
)
_FROM = """
FROM expenses e
JOIN categories cat ON cat.id = e.category_id
LEFT JOIN clients cl ON cl.id = e.client_id
LEFT JOIN projects p ON p.id = e.project_id"""


def _codes(codes: list[str]) -> str:
    if not all(len(c) == 3 and c.isascii() and c.isalpha() and c.isupper() for c in codes):
        raise ValueError("currency codes must be three capital letters")  # never SQL text
    return ", ".join(f"'{c}'" for c in sorted(codes)) or "NULL"


def csv_cells(digits: Mapping[str, int], receipts: bool) -> tuple[tuple[str, str], ...]:
    """(column, SQL expression) in CSV order. `digits`: the minor digits of every currency
    an original amount may be in; `receipts`: whether the book holds any (else 0)."""
    by_digits = {d: [c for c, n in digits.items() if n == d] for d in sorted(set(digits.values()))}
    original_scale = (
        "(CASE "
        + " ".join(
            f"WHEN e.original_currency IN ({_codes(c)}) THEN {d}" for d, c in by_digits.items()
        )
        + " END)"
    )
    has_original = "e.original_minor IS NOT NULL AND e.original_currency IS NOT NULL"
    return (
        ("id", "e.id"), ("uid", _text("e.uid")), ("date", "e.date"), ("time", "e.time"),
        ("description", _text("e.description")), ("amount", _minor("e.amount_minor")),
        ("currency", "e.currency"), ("units", "e.units"), ("unit_price", "e.unit_price"),
        ("category", _text("cat.name")), ("custom_category", _text("e.custom_category")),
        ("client", _text("cl.name")), ("project", _text("p.name")),
        ("billable", _bool("e.billable")), ("billing_status", "e.billing_status"),
        ("invoice_ref", _text("e.invoice_ref")), ("rebill_amount", _minor("e.rebill_minor")),
        ("approval_status", "e.approval_status"),
        ("reimbursement_status", "e.reimbursement_status"), ("notes", _text("e.notes")),
        ("tags", _TAGS), ("created_at", "e.created_at"), ("updated_at", "e.updated_at"),
        ("deleted_at", "e.deleted_at"), ("account", "e.account"),
        ("tax_rate", "e.tax_rate"),
        ("tax_amount",
         f"(CASE WHEN e.tax_minor IS NULL THEN {_ZERO} ELSE {_minor('e.tax_minor')} END)"),
        ("net_amount", f"(CASE WHEN e.tax_minor IS NULL THEN {_minor('e.amount_minor')} "
                       f"ELSE {_signed_minor('(e.amount_minor - e.tax_minor)')} END)"),
        ("original_amount",
         f"(CASE WHEN {has_original} THEN {_minor('e.original_minor', original_scale)} END)"),
        ("original_currency",
         "(CASE WHEN e.original_minor IS NOT NULL THEN e.original_currency END)"),
        ("amount_from_rate", _bool("e.amount_from_rate")), ("recurring_id", "e.recurring_id"),
        ("receipts", _RECEIPTS if receipts else "0"),
    )  # fmt: skip


def csv_select(digits: Mapping[str, int], receipts: bool) -> str:
    """The SELECT (without WHERE and ORDER BY) of one column: the row's CSV line without
    its line end, or the row's id when an original amount's currency is not in `digits`."""
    cells = csv_cells(digits, receipts)
    line = f"printf('{','.join('%s' for _ in cells)}', {', '.join(e for _, e in cells)})"
    unknown = (
        "e.original_minor IS NOT NULL AND e.original_currency IS NOT NULL "
        f"AND e.original_currency NOT IN ({_codes(list(digits))})"
    )
    return f"SELECT CASE WHEN {unknown} THEN e.id ELSE {line} END AS line{_FROM}"
