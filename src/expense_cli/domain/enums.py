"""The fixed choices of the model, in a module light enough for the CLI to import at start-up."""

from __future__ import annotations

from enum import StrEnum


class Basis(StrEnum):
    AMOUNT = "amount"
    UNIT = "unit"


class Approval(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Reimbursement(StrEnum):
    NOT_REIMBURSABLE = "not_reimbursable"
    PENDING = "pending"
    REIMBURSED = "reimbursed"
    REJECTED = "rejected"


class BillingStatus(StrEnum):
    NOT_INVOICED = "not_invoiced"
    INVOICED = "invoiced"
