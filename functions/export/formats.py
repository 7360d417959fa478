"""How an export writes its rows: NDJSON (each event byte for byte as archived) or CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from functools import cache
from typing import Any

from audit_shared import jsonio
from audit_shared.schema import field_names

CONTENT_TYPES = {"ndjson": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}
EXTENSIONS = {"ndjson": "ndjson", "csv": "csv"}


@cache
def csv_columns() -> tuple[str, ...]:
    """Every field of the event contract, in name order: the same header for every CSV export."""
    return tuple(sorted(field_names()))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    # Numbers, booleans and the nested objects (location, details) as canonical JSON text.
    return jsonio.canonical_text(value)


class CsvRows:
    """CSV rows (RFC 4180, CRLF line ends, fields quoted when needed) for the contract's columns."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")
        self._columns = csv_columns()

    def _take(self) -> bytes:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text.encode("utf-8")

    def header(self) -> bytes:
        self._writer.writerow(self._columns)
        return self._take()

    def row(self, line: bytes, event: dict[str, Any]) -> bytes:
        self._writer.writerow([_cell(event.get(column)) for column in self._columns])
        return self._take()


def row_encoder(export_format: str) -> tuple[bytes, Callable[[bytes, dict[str, Any]], bytes]]:
    """The header and the function that turns one archived line (and its parsed event) into a row."""
    if export_format == "csv":
        rows = CsvRows()
        return rows.header(), rows.row
    return b"", lambda line, _event: line + b"\n"
