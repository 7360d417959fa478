"""What the CLI prints: events as a table, JSON or CSV, and a one-line progress bar on stderr."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import Any, TextIO

from audit_shared.clock import iso_utc

TABLE_COLUMNS = ("timestamp", "initiatorsystemcode", "eventtype", "requestorid", "requestorip", "eventid")


def _cell(event: dict[str, Any], column: str) -> str:
    value = event.get(column)
    if column == "timestamp" and isinstance(value, int):
        return iso_utc(value)
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))


def table(events: Sequence[dict[str, Any]], out: TextIO) -> None:
    rows = [[_cell(event, column) for column in TABLE_COLUMNS] for event in events]
    widths = [max([len(column), *(len(row[n]) for row in rows)]) for n, column in enumerate(TABLE_COLUMNS)]
    for row in [list(TABLE_COLUMNS), *rows]:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")


def as_csv(events: Sequence[dict[str, Any]], out: TextIO) -> None:
    """Every field any event has, as columns (sorted); nested objects as compact JSON."""
    columns = sorted({name for event in events for name in event})
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for event in events:
        writer.writerow(
            [_cell(event, column) if column != "timestamp" else event.get(column, "") for column in columns]
        )


def as_json(value: Any, out: TextIO) -> None:
    out.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


class Progress:
    """A one-line progress bar on stderr, drawn only for a terminal (or when forced)."""

    def __init__(self, total: int, stream: TextIO, enabled: bool, width: int = 30) -> None:
        self.total, self.done, self.stream, self.enabled, self.width = total, 0, stream, enabled, width

    def advance(self, count: int) -> None:
        self.done += count
        if not self.enabled:
            return
        filled = int(self.width * self.done / max(self.total, 1))
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}")
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()
