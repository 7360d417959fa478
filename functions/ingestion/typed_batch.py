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

from functools import partial
from hashlib import sha256
from itertools import repeat
from operator import attrgetter

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
_INT = {int}
_timestamp = attrgetter("timestamp")
_OTHER_EPOCH_FIELDS = tuple(field for field in EPOCH_MILLIS_FIELDS if field != "timestamp")
_other_epochs = attrgetter(*_OTHER_EPOCH_FIELDS)
_NO_OTHER_EPOCH = (UNSET,) * len(_OTHER_EPOCH_FIELDS)
_initiator = attrgetter("initiatorsystemcode")
_eventid = attrgetter("eventid")
_new_candidate = partial(tuple.__new__, Candidate)
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
    try:
        events = _decode_batch(raw).events if batch else [TYPED.decode(raw)]
    except _DECODE_ERRORS:
        return None
    if not 1 <= len(events) <= MAX_BATCH_EVENTS:
        return None
    stamps = list(map(_timestamp, events))
    if set(map(type, stamps)) != _INT:  # digit strings: made integers first, so the checks see numbers
        for event in events:
            event.timestamp = int(event.timestamp)
    # The typed decoder has refused any server field sent (audit_shared.validation.TYPED).
    if not typed_all_valid(events, policy, now_ms, writable):
        return None
    # Most bodies hold no other epoch field: their names are the only keys ending in time, timeold and
    # timenew. A hit elsewhere (a value, a details key) only costs the look below.
    if raw.find(b'time"') >= 0 or raw.find(b'timeold"') >= 0 or raw.find(b'timenew"') >= 0:
        for event in events:
            if _other_epochs(event) != _NO_OTHER_EPOCH:
                for field in _OTHER_EPOCH_FIELDS:
                    value = getattr(event, field)
                    if type(value) is str:
                        setattr(event, field, int(value))
    # What the client sent, normalized, before the server fields: a repeat hashes the same.
    hashes = [None if event.eventid is UNSET else sha256(encode(event)).hexdigest() for event in events]
    anonymous = [event for event in events if event.eventid is UNSET]
    for event, eventid in zip(anonymous, new_event_ids(len(anonymous), now_ms), strict=True):
        event.eventid = eventid
    generated = len(anonymous)
    received = iso_utc(now_ms)
    for event in events:
        event.receivedat = received
        event.schemaversion = SCHEMA_VERSION
    if source_ip:
        for event in events:
            event.sourceip = source_ip
    if api_key_id:
        for event in events:
            event.apikeyid = api_key_id
    blob = encode_lines(events)
    # No member was dropped as a duplicate key (see jsonio._no_duplicate_keys): the body has the
    # colons of the lines, less those of the fields added here, plus the envelope's one.
    per_event = _added_colons(received, SCHEMA_VERSION) + _added_colons(source_ip, api_key_id)
    if raw.count(b":") != blob.count(b":") - len(events) * per_event - generated + (1 if batch else 0):
        return None
    # JSON escapes every line break inside a string, so each line is one event.
    lines = blob.splitlines(keepends=True)
    if max(map(len, lines)) - 1 + _NORMALIZE_SLACK > policy.max_event_bytes:
        return None
    # Built in C (map over zipped columns): a Python-level loop here would cost as much as the checks.
    return list(
        map(
            _new_candidate,
            zip(
                range(len(events)),
                map(_initiator, events),
                map(_eventid, events),
                repeat(received),
                lines,
                hashes,
                events,
            ),
        )
    )
