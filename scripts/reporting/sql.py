"""The report SQL: one template per report in reports/sql/, rendered for DuckDB or Athena (Trino).

The two dialects differ only in three macros, kept here and tested:

- ``{{events}}``: the table (a DuckDB view over the archive files; the Glue table in Athena);
- ``{{where}}``: the period and initiator. DuckDB gets literals from ``make report FROM= TO=
  INITIATOR=``; Athena's named queries take three execution parameters (initiator, first and last
  day as YYYYMMDD). Both restrict the partition columns, so both prune by partition;
- ``{{iso_time(expr)}}``: epoch milliseconds as an ISO 8601 UTC string with milliseconds.

Everything else is the common subset of both engines (``||``, ``count(DISTINCT)``, window
functions, struct field access).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from audit_shared.clock import utc_date_parts

SQL_DIR = Path(__file__).resolve().parents[2] / "reports" / "sql"
DIALECTS = ("duckdb", "athena")
_ISO_TIME = re.compile(r"\{\{iso_time\((.+?)\)\}\}")
_INITIATOR = re.compile(r"[A-Z][A-Z0-9_]{1,31}")  # the schema's pattern: safe as a SQL literal
_MACRO = re.compile(r"\{\{[^}]*\}\}")
ATHENA_PARAMETERS = ("initiatorsystemcode", "first day (YYYYMMDD)", "last day (YYYYMMDD)")


@dataclass(frozen=True, slots=True)
class Report:
    name: str
    description: str
    template: str


@dataclass(frozen=True, slots=True)
class Window:
    """The period (inclusive epoch ms bounds on the event timestamp) and the initiator of a report."""

    from_ms: int | None = None
    to_ms: int | None = None
    initiator: str | None = None

    def __post_init__(self) -> None:
        if self.initiator is not None and not _INITIATOR.fullmatch(self.initiator):
            raise ValueError(f"initiator {self.initiator!r} is not an initiator system code")
        if self.from_ms is not None and self.to_ms is not None and self.from_ms > self.to_ms:
            raise ValueError("FROM is after TO")


def reports() -> dict[str, Report]:
    """Every report, by name (the file name): its first comment line is its description."""
    found = {}
    for path in sorted(SQL_DIR.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        first = text.splitlines()[0]
        if not first.startswith("-- "):
            raise ValueError(f"{path} must start with a '-- description' line")
        found[path.stem] = Report(path.stem, first[3:].strip(), text)
    return found


def _day(millis: int) -> str:
    return "".join(utc_date_parts(millis))


def duckdb_where(window: Window) -> str:
    predicates = []
    if window.initiator is not None:
        predicates.append(f"initiatorsystemcode = '{window.initiator}'")
    if window.from_ms is not None:
        predicates += [f"year || month || day >= '{_day(window.from_ms)}'", f'"timestamp" >= {window.from_ms}']
    if window.to_ms is not None:
        predicates += [f"year || month || day <= '{_day(window.to_ms)}'", f'"timestamp" <= {window.to_ms}']
    return " AND ".join(predicates) if predicates else "TRUE"


ATHENA_WHERE = "initiatorsystemcode = ? AND year || month || day BETWEEN ? AND ?"
ISO_TIME = {
    "duckdb": "strftime(epoch_ms(CAST({0} AS BIGINT)), '%Y-%m-%dT%H:%M:%S.%gZ')",
    "athena": "format_datetime(from_unixtime(CAST({0} AS DOUBLE) / 1000) AT TIME ZONE 'UTC', "
    "'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''')",
}


def render(template: str, dialect: str, table: str, window: Window | None = None) -> str:
    """The template in one dialect; raises ValueError for an unknown dialect or macro."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}")
    where = duckdb_where(window or Window()) if dialect == "duckdb" else ATHENA_WHERE
    text = _ISO_TIME.sub(lambda match: ISO_TIME[dialect].format(match.group(1)), template)
    text = text.replace("{{where}}", f"({where})")
    if leftover := _MACRO.search(text.replace("{{events}}", "")):
        raise ValueError(f"unknown macro {leftover.group(0)}")
    return text.replace("{{events}}", table)
