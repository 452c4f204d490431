"""The columns an import reads (reference §3, §10.1 item 21, §10.10 item 4), in the order
`import --help` lists them. A module of its own, importing nothing, so the command line can
build that help from it without loading the importer at start-up."""

IMPORT_COLUMNS: tuple[str, ...] = (
    "uid", "date", "time", "description", "amount", "currency", "units", "unit_price",
    "category", "custom_category", "client", "project", "billable", "billing_status",
    "invoice_ref", "rebill_amount", "approval_status", "reimbursement_status", "notes", "tags",
    "created_at", "deleted_at", "account", "tax_rate", "tax_amount", "net_amount",
    "original_amount", "original_currency", "amount_from_rate",
)  # fmt: skip
