"""Turning one Firehose record into the archived form, or a reason why it cannot be archived."""

from __future__ import annotations

import binascii
from typing import Any, NamedTuple

from audit_shared import jsonio, typed_events
from audit_shared.byte_count import count_colons
from audit_shared.clock import iso_utc, utc_date_parts
from audit_shared.events import enrich, ndjson_line
from audit_shared.ids import new_event_id
from audit_shared.partitions import PARTITION_FIELDS, partition_keys
from audit_shared.record_frames import FrameError, unframe
from audit_shared.schema import SCHEMA_VERSION, SERVER_FIELDS
from audit_shared.typed_epochs import DECODE_ERRORS, NORMALIZE_SLACK, normalize_event
from audit_shared.validation import TYPED, EventPolicy, FieldError, typed_valid, validate_event


# Named tuples rather than frozen dataclasses: built once per record, they cost a third as much.
class Transformed(NamedTuple):
    line: bytes  # canonical JSON lines, each with its newline, so S3 objects are NDJSON
    partition_keys: dict[str, str]


class Failed(NamedTuple):
    reason: str


# What a record comes to: Failed, or its (line, partition keys), a Transformed or a plain pair of the
# same shape (the batch path's, built by zip: read it by position). The partition keys dict may be
# shared by many records: nothing may mutate it.
Outcome = tuple[bytes, dict[str, str]] | Failed


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


def transform(data: str, arrival_ms: int, policy: EventPolicy, now_ms: int, record_key: bytes) -> Transformed | Failed:
    """One record: framed by the ingestion API (archived as framed), or from a direct producer (checked)."""
    try:
        # What base64.b64decode(data, validate=True) does, without its Python-level wrapping.
        raw = binascii.a2b_base64(data, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        return Failed(f"record data is not base64: {exc}")
    return transform_raw(raw, arrival_ms, policy, now_ms, record_key)


def transform_raw(
    raw: bytes, arrival_ms: int, policy: EventPolicy, now_ms: int, record_key: bytes
) -> Transformed | Failed:
    """``transform`` of a record whose data is already decoded from base64."""
    try:
        framed = unframe(record_key, raw)
    except FrameError as exc:
        return Failed(str(exc))
    if framed is not None:
        # The API validated, enriched and canonicalized these events; the MAC proves nobody else did.
        return _new_tuple(Transformed, (framed.lines, dict(zip(PARTITION_FIELDS, framed.partition, strict=True))))
    return _typed_transform(raw, arrival_ms, policy, now_ms) or _transform(raw, arrival_ms, policy, now_ms)


_UNSET = typed_events.UNSET
# The colons each server-set field adds to the line: its key's, and those in its value.
EVENTID_COLONS = 1
SCHEMAVERSION_COLONS = 1 + SCHEMA_VERSION.count(":")


def _typed_transform(raw: bytes, arrival_ms: int, policy: EventPolicy, now_ms: int) -> Transformed | None:
    """The happy path: decode straight into the generated typed event, enrich it, write it once.

    None sends the record through ``_transform`` (the full checks), which then gives the answer:
    any doubt here (a \\u escape, a possibly dropped duplicate key, an event near the size limit)
    costs time, never a different result. tests/unit/test_fast_paths.py pins that both agree.
    """
    if TYPED is None:
        return None
    try:
        event = TYPED.decode(raw)
    except DECODE_ERRORS:
        return None
    normalize_event(event)
    if not typed_valid(event, policy, now_ms):
        return None
    added_colons = 0
    if event.eventid is _UNSET:
        event.eventid = new_event_id(arrival_ms)
        added_colons += EVENTID_COLONS
    received = event.receivedat = iso_utc(arrival_ms)
    added_colons += 1 + received.count(":")
    event.schemaversion = SCHEMA_VERSION
    added_colons += SCHEMAVERSION_COLONS
    timestamp = event.timestamp
    line = typed_events.encode(event) + b"\n"
    # No member was dropped as a duplicate key (see jsonio._no_duplicate_keys: the same argument,
    # with the colons of the added fields taken off), and the event as sent is within the size limit:
    # it is at most the line without its newline, less nothing added, plus the quotes normalized away.
    if raw.find(b"\\") >= 0 and raw.find(b"\\u") >= 0:
        return None
    if count_colons(raw) != count_colons(line) - added_colons:
        return None
    if len(line) - 1 + NORMALIZE_SLACK > policy.max_event_bytes:
        return None
    year, month, day = utc_date_parts(timestamp)
    keys = {
        "initiatorsystemcode": event.initiatorsystemcode,
        "eventtype": event.eventtype,
        "year": year,
        "month": month,
        "day": day,
    }
    # tuple.__new__ directly: a named tuple's own __new__ is Python code, a measurable part here.
    return _new_tuple(Transformed, (line, keys))


_new_tuple = tuple.__new__


def _transform(raw: bytes, arrival_ms: int, policy: EventPolicy, now_ms: int) -> Transformed | Failed:
    try:
        event, canonical = jsonio.loads_canonical(raw)
    except jsonio.JSONError as exc:
        return Failed(f"record is not a single strict JSON document: {exc.reason}")
    errors = validate_event(event, policy, now_ms, canonical=canonical)
    if not errors and isinstance(event, dict):
        errors = [
            FieldError(name, "is set by the server: only records framed by the ingestion API may carry it")
            for name in sorted(SERVER_FIELDS & event.keys())
        ]
    if errors:
        return Failed("; ".join(f"{error.field or '(event)'}: {error.message}" for error in errors))
    # A direct producer's event: the arrival time stands in for the receipt the API would have added.
    enriched = enrich(event, received_ms=arrival_ms)
    return Transformed(ndjson_line(enriched), partition_keys(enriched))
