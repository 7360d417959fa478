"""DuckDB over a copy of the archive: gzip NDJSON under data/, Hive partitions from the paths.

The view has the generated columns (reporting.columns) plus the partition columns as strings, so
``year || month || day`` compares like the zero-padded prefixes and filters on partition columns
prune files before they are read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from reporting.columns import PARTITION_COLUMNS, duckdb_columns

VIEW = "events"
# data/initiatorsystemcode=…/eventtype=…/year=…/month=…/day=…/<object>: exactly five levels.
DATA_GLOB = "data/" + "/".join("*" for _ in PARTITION_COLUMNS) + "/*"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _struct(mapping: dict[str, str]) -> str:
    return "{" + ", ".join(f"{_literal(name)}: {_literal(kind)}" for name, kind in mapping.items()) + "}"


def connect(archive_dir: Path) -> Any:
    """An in-memory DuckDB connection with the ``events`` view over archive_dir."""
    connection = duckdb.connect(":memory:")
    pattern = str(archive_dir.resolve() / DATA_GLOB)
    columns = duckdb_columns()
    if not list(archive_dir.glob(DATA_GLOB)):
        # No objects yet: an empty view with the same columns, so every report answers with no rows.
        typed = [f"CAST(NULL AS {kind}) AS {name}" for name, kind in columns.items()]
        typed += [f"CAST(NULL AS VARCHAR) AS {name}" for name, _ in PARTITION_COLUMNS]
        connection.execute(f"CREATE VIEW {VIEW} AS SELECT {', '.join(typed)} WHERE FALSE")
        return connection
    hive_types = {name: "VARCHAR" for name, _ in PARTITION_COLUMNS}
    # Every value below is a quoted literal (_literal) of our own path and column types.
    source = (
        f"read_json({_literal(pattern)}, format = 'newline_delimited', compression = 'gzip', "
        f"hive_partitioning = true, hive_types = {_struct(hive_types)}, columns = {_struct(columns)})"
    )
    connection.execute(f"CREATE VIEW {VIEW} AS SELECT * FROM {source}")  # noqa: S608
    return connection


def run(connection: Any, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(column names, rows) of one query."""
    result = connection.execute(sql)
    return [column[0] for column in result.description], result.fetchall()
