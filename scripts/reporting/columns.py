"""The archive's table columns, derived from the event JSON Schema (never written by hand).

Athena's Glue table (terraform/modules/analytics) and DuckDB's view (make report) both use them:
every schema property becomes a column, except the partition fields, which come from the S3 path.
A schema shape this mapping does not know raises, so a schema change cannot drift silently.
"""

from __future__ import annotations

from typing import Any

from audit_shared.partitions import PARTITION_FIELDS
from audit_shared.schema import load_schema

# All partition values are strings in the path (year=2026/month=03/day=07: zero-padded).
PARTITION_COLUMNS = tuple((name, "string") for name in PARTITION_FIELDS)
_SCALARS = {"string": "string", "integer": "bigint", "number": "double", "boolean": "boolean"}
_DUCKDB = {"string": "VARCHAR", "bigint": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN"}


class UnmappedSchemaError(ValueError):
    """A schema property whose JSON shape has no column type here."""


def _resolve(node: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = definitions[node["$ref"].rsplit("/", 1)[1]]
    return node


def glue_type(name: str, node: dict[str, Any], definitions: dict[str, Any]) -> str:
    """The Hive/Glue type of one schema node."""
    node = _resolve(node, definitions)
    if "anyOf" in node and "type" not in node:
        kinds = {_resolve(option, definitions).get("type") for option in node["anyOf"]}
        if kinds == {"integer", "string"}:  # epoch milliseconds: the archive always stores integers
            return "bigint"
        raise UnmappedSchemaError(f"{name}: anyOf of {sorted(map(str, kinds))}")
    kind = node.get("type")
    if kind in _SCALARS:
        return _SCALARS[kind]
    if kind == "object" and "properties" in node and node.get("additionalProperties") is False:
        fields = ",".join(
            f"{field}:{glue_type(f'{name}.{field}', child, definitions)}"
            for field, child in sorted(node["properties"].items())
        )
        return f"struct<{fields}>"
    if kind == "object" and "properties" not in node:
        return "string"  # free-form (details): the JSON text, read with json_extract
    raise UnmappedSchemaError(f"{name}: type {kind!r}")


def data_columns() -> list[tuple[str, str]]:
    """(name, Glue type) of every event field stored in the objects, in name order."""
    schema = load_schema()
    definitions = schema.get("definitions", {})
    return [
        (name, glue_type(name, node, definitions))
        for name, node in sorted(schema["properties"].items())
        if name not in PARTITION_FIELDS
    ]


def duckdb_type(glue: str) -> str:
    """The DuckDB type of a Glue type; the free-form object is JSON."""
    if glue.startswith("struct<"):
        fields = []
        for field in glue[len("struct<") : -1].split(","):
            name, kind = field.split(":", 1)
            fields.append(f"{name} {duckdb_type(kind)}")
        return f"STRUCT({', '.join(fields)})"
    return _DUCKDB[glue]


def duckdb_columns() -> dict[str, str]:
    columns = {name: duckdb_type(kind) for name, kind in data_columns()}
    columns["details"] = "JSON"  # a free-form object stays JSON text, like the Glue string column
    return columns


def event_types() -> list[str]:
    return list(load_schema()["definitions"]["eventtype"]["enum"])
