"""The v1 audit event contract: the JSON Schema file and the facts other modules derive from it."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from audit_shared import jsonio

SCHEMA_VERSION = "1"
SCHEMA_PATH = Path(__file__).parent / "schemas" / f"audit-event.v{SCHEMA_VERSION}.json"

# Fields the pipeline sets itself. The API refuses them from clients so that nobody can forge
# where an event came from or when it arrived.
SERVER_FIELDS: frozenset[str] = frozenset({"receivedat", "sourceip", "apikeyid", "schemaversion"})


@cache
def load_schema() -> dict[str, Any]:
    return jsonio.loads(SCHEMA_PATH.read_bytes())


def event_types() -> list[str]:
    return list(load_schema()["definitions"]["eventtype"]["enum"])


def event_type_categories() -> dict[str, list[str]]:
    return dict(load_schema()["definitions"]["eventtype"]["x-categories"])


def field_names() -> frozenset[str]:
    return frozenset(load_schema()["properties"])
