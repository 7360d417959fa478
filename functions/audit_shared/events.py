"""Canonical form of an audit event: what is archived in S3 and indexed in DynamoDB."""

from __future__ import annotations

from typing import Any

from audit_shared import jsonio
from audit_shared.clock import iso_utc
from audit_shared.ids import new_event_id
from audit_shared.schema import SCHEMA_VERSION

# Fields that hold epoch milliseconds. Clients may send digit strings (as the original design did);
# the archive always stores integers so that consumers never have to guess.
EPOCH_MILLIS_FIELDS = (
    "timestamp",
    "otpexpirationtime",
    "sessionstarttime",
    "sessionexpirationtime",
    "sessionstarttimeold",
    "sessionexpirationtimeold",
    "sessionstarttimenew",
    "sessionexpirationtimenew",
)
_EPOCH_MILLIS_SET = frozenset(EPOCH_MILLIS_FIELDS)


def normalize(event: dict[str, Any]) -> dict[str, Any]:
    """Return a copy with epoch-millisecond fields as integers. The event must already be valid."""
    normalized = dict(event)
    # Most events carry only timestamp; intersecting the keys skips the absent fields in C.
    for field in _EPOCH_MILLIS_SET.intersection(event):
        # Digit strings, and floats such as 1.5e12 that JSON Schema counts as integers.
        if type(normalized[field]) is not int:
            normalized[field] = int(normalized[field])
    return normalized


def enrich(
    event: dict[str, Any],
    *,
    received_ms: int,
    source_ip: str | None = None,
    api_key_id: str | None = None,
) -> dict[str, Any]:
    """Add the server-set fields. A client-chosen eventid is kept; otherwise a UUIDv7 is assigned."""
    enriched = normalize(event)
    if "eventid" not in enriched:
        enriched["eventid"] = new_event_id(received_ms)
    if "receivedat" not in enriched:
        enriched["receivedat"] = iso_utc(received_ms)
    if "schemaversion" not in enriched:
        enriched["schemaversion"] = SCHEMA_VERSION
    if source_ip:
        enriched["sourceip"] = source_ip
    if api_key_id:
        enriched["apikeyid"] = api_key_id
    return enriched


def canonical_json(event: dict[str, Any]) -> str:
    """Sorted keys, no insignificant white space, UTF-8 kept as is: one stable text per event.

    Always valid JSON (see audit_shared.jsonio); raises jsonio.JSONError for what JSON cannot hold.
    """
    return jsonio.canonical_text(event)


def canonical_bytes(event: dict[str, Any]) -> bytes:
    return jsonio.canonical(event)


def ndjson_line(event: dict[str, Any]) -> bytes:
    return jsonio.canonical_line(event)


def as_ndjson_line(canonical: str) -> bytes:
    """One line of an archived S3 object, from an event's canonical JSON."""
    return canonical.encode("utf-8") + b"\n"
