"""What the user typed for an expense (add, edit, clone, import, rules, recurring), before
any rule has read it. Its own module: a read, even `list -c NAME`, never generates this
20-field dataclass (reference §8 start-up bar)."""

from __future__ import annotations

from dataclasses import dataclass

from expense_cli.domain.enums import Approval, Reimbursement


@dataclass(frozen=True)
class ExpenseInput:
    """What the user typed for add/edit/clone: None is "not given", "" clears a field."""

    description: str | None = None
    amount: str | None = None
    units: str | None = None
    date: str | None = None
    time: str | None = None
    category: str | None = None
    label: str | None = None
    client: str | None = None
    project: str | None = None
    billable: bool | None = None
    notes: str | None = None
    approval: Approval | None = None
    reimbursement: Reimbursement | None = None
    tags: tuple[str, ...] = ()
    unit_price: str | None = None  # import only: the unit price the row was created with
    account: str | None = None  # payment account (reference §10.9); None: kept or default
    # Tax (reference §10.6) and what was paid in another currency (§10.7); "" removes.
    tax: str | None = None
    tax_amount: str | None = None
    original: str | None = None
    original_currency: str | None = None
