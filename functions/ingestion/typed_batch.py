"""The fast path of a posted body: every event decoded, checked, enriched and written natively.

msgspec decodes the whole body straight into the typed events generated from the schema
(audit_shared.typed_events), and writes all their canonical lines in one call. Python looks at each
event only for the few rules beyond the types (audit_shared.validation.typed_valid) and to set the
server fields. ``prepare`` answers None whenever anything is in doubt: an event the types refuse, one
the key may not post, a server field sent, a \\u escape, a possibly dropped duplicate key, an event
near the size limit. The general path (jsonio.loads, then validate_event per event) then gives the
answer, with every violation worded: doubt costs time here, never a different result.
tests/unit/test_fast_paths.py pins that both paths agree.
"""

from __future__ import annotations

import re
from hashlib import sha256
from itertools import compress, repeat
from operator import attrgetter, is_, ne
from typing import Any

import msgspec

from audit_shared.clock import iso_utc
from audit_shared.events import EPOCH_MILLIS_FIELDS
from audit_shared.ids import new_event_ids
from audit_shared.schema import SCHEMA_VERSION
from audit_shared.typed_events import UNSET, DecodeError, encode, encode_lines
from audit_shared.validation import TYPED, EventPolicy, typed_all_valid
from ingestion.candidates import Candidate

MAX_BATCH_EVENTS = 500
_DECODE_ERRORS = (DecodeError, ValueError)  # ValueError: invalid UTF-8 in a string
_timestamp = attrgetter("timestamp")
_OTHER_EPOCH_FIELDS = tuple(field for field in EPOCH_MILLIS_FIELDS if field != "timestamp")
_other_epochs = attrgetter(*_OTHER_EPOCH_FIELDS)
_NO_OTHER_EPOCH = (UNSET,) * len(_OTHER_EPOCH_FIELDS)
_initiator = attrgetter("initiatorsystemcode")
_eventid = attrgetter("eventid")
# An epoch field holding a string: its key (the names of EPOCH_MILLIS_FIELDS all end so), then a
# string value. A body without one (most) skips normalization; a stray hit only costs the look.
# Keys are never escaped here: a body with \\u escapes takes the general path.
_DIGIT_STRING_EPOCH = re.compile(rb'time(?:stamp|old|new)?"[ \t\n\r]*:[ \t\n\r]*"')
# Should a new epoch field end otherwise, every body is normalized: slower, never wrong.
_EPOCH_KEYS_FOUND = all(_DIGIT_STRING_EPOCH.search(f'"{name}":"'.encode()) for name in EPOCH_MILLIS_FIELDS)
# Normalizing an epoch digit string to an integer shortens the event by its two quotes.
_NORMALIZE_SLACK = 2 * len(EPOCH_MILLIS_FIELDS)

if TYPED is not None:
    _Batch = msgspec.defstruct("Batch", [("events", list[TYPED.event_type])], forbid_unknown_fields=True, gc=False)
    _decode_batch = msgspec.json.Decoder(_Batch).decode


def _added_colons(*values: str | None) -> int:
    """The colons a member adds to a line (its key's and its value's), for each value that is set."""
    return sum(1 + value.count(":") for value in values if value)


def prepare(
    raw: bytes,
    *,
    batch: bool,
    policy: EventPolicy,
    writable: frozenset[str],
    source_ip: str | None,
    api_key_id: str | None,
    now_ms: int,
) -> list[Candidate] | None:
    """The candidates of a body whose every event is surely valid and may be posted; else None.

    ``batch`` selects the envelope (``{"events": [...]}``) over a single event; ``writable`` holds the
    initiators the caller may post for.
    """
    if TYPED is None or (raw.find(b"\\") >= 0 and raw.find(b"\\u") >= 0):
        return None
    raw_colons = raw.count(b":")  # counted while the body is still in the cache
    try:
        events = _decode_batch(raw).events if batch else [TYPED.decode(raw)]
    except _DECODE_ERRORS:
        return None
    if not 1 <= len(events) <= MAX_BATCH_EVENTS:
        return None
    if not _EPOCH_KEYS_FOUND or _DIGIT_STRING_EPOCH.search(raw) is not None:
        _normalize_epochs(events)
    # The typed decoder has refused any server field sent (audit_shared.validation.TYPED).
    if not typed_all_valid(events, policy, now_ms, writable):
        return None
    # What the client sent, normalized, before the server fields: a repeat hashes the same.
    hashes = [None if event.eventid is UNSET else sha256(encode(event)).hexdigest() for event in events]
    generated = hashes.count(None)
    next_id = iter(new_event_ids(generated, now_ms)).__next__
    received = iso_utc(now_ms)
    # UNSET leaves a field out, as the general path does for a caller without a source IP or key id.
    sourceip, apikeyid = source_ip or UNSET, api_key_id or UNSET
    for event in events:
        if event.eventid is UNSET:
            event.eventid = next_id()
        event.receivedat = received
        event.schemaversion = SCHEMA_VERSION
        event.sourceip = sourceip
        event.apikeyid = apikeyid
    # A line per event, each written by one native call over the 1-tuples zip makes: as fast as
    # writing them all at once, without a pass over the whole text to split it again.
    lines = list(map(encode_lines, zip(events)))
    # No member was dropped as a duplicate key (see jsonio._no_duplicate_keys): the body has the
    # colons of the lines, less those of the fields added here, plus the envelope's one.
    per_event = _added_colons(received, SCHEMA_VERSION) + _added_colons(source_ip, api_key_id)
    line_colons = sum(map(bytes.count, lines, repeat(b":")))
    if raw_colons != line_colons - len(events) * per_event - generated + (1 if batch else 0):
        return None
    if max(map(len, lines)) - 1 + _NORMALIZE_SLACK > policy.max_event_bytes:
        return None
    # Built in C (map over the columns): a Python-level loop here would cost as much as the checks.
    return list(
        map(
            Candidate,
            range(len(events)),
            map(_initiator, events),
            map(_eventid, events),
            repeat(received),
            lines,
            hashes,
            events,
        )
    )


def _normalize_epochs(events: list[Any]) -> None:
    """Each epoch field sent as a digit string made an integer, as audit_shared.events.normalize does.

    The events holding one are found in C (map, compress); only those are looked at in Python.
    """
    stamps = list(map(_timestamp, events))
    for position in compress(range(len(stamps)), map(is_, map(type, stamps), repeat(str))):
        events[position].timestamp = int(stamps[position])
    others = list(map(_other_epochs, events))
    for event, values in compress(zip(events, others, strict=True), map(ne, others, repeat(_NO_OTHER_EPOCH))):
        for field, value in zip(_OTHER_EPOCH_FIELDS, values, strict=True):
            if type(value) is str:
                setattr(event, field, int(value))
