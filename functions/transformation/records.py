"""Turning one Firehose record into the archived form, or a reason why it cannot be archived."""

from __future__ import annotations

import binascii
from typing import Any, NamedTuple

from audit_shared import jsonio
from audit_shared.events import enriched_line
from audit_shared.partitions import partition_keys
from audit_shared.validation import EventPolicy, validate_event


# Named tuples rather than frozen dataclasses: built once per record, they cost a third as much.
class Transformed(NamedTuple):
    line: bytes  # canonical JSON plus a newline, so S3 objects are NDJSON
    partition_keys: dict[str, str]
    eventid: str


class Failed(NamedTuple):
    reason: str


def decode_canonical(data: str) -> tuple[Any, bytes]:
    """Base64 data -> one strict JSON value and its canonical form (a producer may add a trailing newline)."""
    try:
        # What base64.b64decode(data, validate=True) does, without its Python-level wrapping.
        raw = binascii.a2b_base64(data, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"record data is not base64: {exc}") from exc
    try:
        return jsonio.loads_canonical(raw)
    except jsonio.JSONError as exc:
        raise ValueError(f"record is not a single strict JSON document: {exc.reason}") from exc


def decode(data: str) -> Any:
    """Base64 data -> exactly one strict JSON value (a direct producer may add a trailing newline)."""
    return decode_canonical(data)[0]


def transform(data: str, arrival_ms: int, policy: EventPolicy, now_ms: int) -> Transformed | Failed:
    try:
        event, canonical = decode_canonical(data)
    except ValueError as exc:
        return Failed(str(exc))
    errors = validate_event(event, policy, now_ms, canonical=canonical)
    if errors:
        return Failed("; ".join(f"{error.field or '(event)'}: {error.message}" for error in errors))
    # Direct producers may leave out what the API would have added; arrival time stands in for receipt.
    enriched, line = enriched_line(event, canonical, received_ms=arrival_ms)
    return Transformed(line, partition_keys(enriched), enriched["eventid"])
