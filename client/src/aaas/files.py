"""Reading events from files: a JSON object, a JSON array, NDJSON (one event per line) or CSV.

CSV has a header row of field names; `location.city` or `details.ticket` columns fill the nested
objects, and empty cells are left out. Cells become the types the event schema gives their fields
(integers, epoch milliseconds, and numbers inside `location`); everything else stays a string.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from aaas.errors import AuditError
from aaas.models import Event
from audit_shared.events import EPOCH_MILLIS_FIELDS
from audit_shared.schema import load_schema


class FileError(AuditError):
    """A file that cannot be read, or a line that is not an event."""


def _text(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise FileError(f"cannot read {source}: No such file or directory") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise FileError(f"cannot read {source}: {getattr(exc, 'strerror', None) or exc}") from exc


def read_events(source: str, file_format: str = "auto") -> list[Event]:
    """Every event of a file ('-' for standard input); format auto, json, ndjson or csv."""
    text = _text(source)
    kind = file_format
    if kind == "auto":
        kind = "csv" if source.lower().endswith(".csv") else "json"
    if kind == "csv":
        return list(_csv_events(text, source))
    if kind == "json":
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError:
            return list(_ndjson_events(text, source))  # several lines of JSON: NDJSON
        return document if isinstance(document, list) else [document]
    return list(_ndjson_events(text, source))


def _ndjson_events(text: str, source: str) -> Iterator[Event]:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise FileError(f"{source}:{number}: not JSON: {exc}") from exc


@cache
def _column_types() -> dict[str, str]:
    """Dotted field name -> 'integer' or 'number', from the event schema."""
    schema = load_schema()
    types: dict[str, str] = {}
    for name, spec in schema["properties"].items():
        if spec.get("type") in ("integer", "number"):
            types[name] = spec["type"]
    # The API takes digit strings for these too, but the archive holds integers.
    types.update(dict.fromkeys(EPOCH_MILLIS_FIELDS, "integer"))
    for name, spec in schema["definitions"]["location"]["properties"].items():
        if spec.get("type") in ("integer", "number"):
            types[f"location.{name}"] = spec["type"]
    return types


def _cell(column: str, value: str, source: str, row: int) -> Any:
    kind = _column_types().get(column)
    if kind is None:
        return value
    try:
        return int(value) if kind == "integer" else float(value)
    except ValueError as exc:
        raise FileError(f"{source}:{row}: {column} must be a number, not {value!r}") from exc


def _csv_events(text: str, source: str) -> Iterator[Event]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        return
    for row_number, row in enumerate(reader, start=2):
        if None in row:
            raise FileError(f"{source}:{row_number}: more cells than header columns")
        event: dict[str, Any] = {}
        for column, value in row.items():
            if value is None or value == "":
                continue
            parent, dot, child = column.partition(".")
            converted = _cell(column, value, source, row_number)
            if dot:
                event.setdefault(parent, {})[child] = converted
            else:
                event[column] = converted
        yield event
