"""The fast path of a posted body: every event decoded, checked, enriched and written natively.

msgspec decodes the whole body straight into the typed events generated from the schema
(audit_shared.typed_events), and writes each event's canonical line in one native call. The rules
beyond the types are checked a column at a time (audit_shared.validation.typed_all_valid); Python
looks at each event only to set the server fields. ``prepare`` answers None whenever anything is in doubt: an event the types refuse, one
the key may not post, a server field sent, a \\u escape, a possibly dropped duplicate key, an event
near the size limit. The general path (jsonio.loads, then validate_event per event) then gives the
answer, with every violation worded: doubt costs time here, never a different result.
tests/unit/test_fast_paths.py pins that both paths agree.
"""

from __future__ import annotations

from hashlib import sha256
from itertools import repeat
from operator import attrgetter

import msgspec

from audit_shared.byte_count import count_colons
from audit_shared.clock import iso_utc
from audit_shared.ids import new_event_ids
from audit_shared.schema import SCHEMA_VERSION
from audit_shared.typed_epochs import DECODE_ERRORS, NORMALIZE_SLACK, normalize_all
from audit_shared.typed_events import UNSET, encode, encode_lines
from audit_shared.validation import TYPED, EventPolicy, typed_all_valid
from ingestion.candidates import Candidate

MAX_BATCH_EVENTS = 500
_initiator = attrgetter("initiatorsystemcode")
_eventid = attrgetter("eventid")

if TYPED is not None:
    _Batch = msgspec.defstruct("Batch", [("events", list[TYPED.event_type])], forbid_unknown_fields=True, gc=False)
    _decode_batch = TYPED.decoder(_Batch).decode


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
    raw_colons = count_colons(raw)  # counted while the body is still in the cache
    try:
        events = _decode_batch(raw).events if batch else [TYPED.decode(raw)]
    except DECODE_ERRORS:
        return None
    if not 1 <= len(events) <= MAX_BATCH_EVENTS:
        return None
    latest = normalize_all(events)
    # The typed decoder has refused any server field sent (audit_shared.validation.TYPED).
    if not typed_all_valid(events, policy, now_ms, writable, latest):
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
    line_colons = count_colons(b"".join(lines))  # one native count beats one bytes.count per line
    if raw_colons != line_colons - len(events) * per_event - generated + (1 if batch else 0):
        return None
    if max(map(len, lines)) - 1 + NORMALIZE_SLACK > policy.max_event_bytes:
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
