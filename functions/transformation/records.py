"""Turning one Firehose record into the archived form, or a reason why it cannot be archived."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from audit_shared import jsonio
from audit_shared.events import enrich, ndjson_line
from audit_shared.partitions import partition_keys
from audit_shared.validation import EventPolicy, validate_event


@dataclass(frozen=True, slots=True)
class Transformed:
    line: bytes  # canonical JSON plus a newline, so S3 objects are NDJSON
    partition_keys: dict[str, str]
    eventid: str


@dataclass(frozen=True, slots=True)
class Failed:
    reason: str


def decode(data: str) -> Any:
    """Base64 data -> exactly one strict JSON value (a direct producer may add a trailing newline)."""
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"record data is not base64: {exc}") from exc
    try:
        return jsonio.loads(raw)
    except jsonio.JSONError as exc:
        raise ValueError(f"record is not a single strict JSON document: {exc.reason}") from exc


def transform(data: str, arrival_ms: int, policy: EventPolicy, now_ms: int) -> Transformed | Failed:
    try:
        event = decode(data)
    except ValueError as exc:
        return Failed(str(exc))
    errors = validate_event(event, policy, now_ms)
    if errors:
        return Failed("; ".join(f"{error.field or '(event)'}: {error.message}" for error in errors))
    # Direct producers may leave out what the API would have added; arrival time stands in for receipt.
    enriched = enrich(event, received_ms=arrival_ms)
    return Transformed(ndjson_line(enriched), partition_keys(enriched), enriched["eventid"])
