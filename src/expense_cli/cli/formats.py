"""Output format choices, light enough to import at start-up."""

from __future__ import annotations

from enum import StrEnum


class RecordFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


class ListFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    NDJSON = "ndjson"
    CSV = "csv"
    TSV = "tsv"


def chosen(fmt: StrEnum, as_json: bool) -> str:
    return "json" if as_json else fmt.value
