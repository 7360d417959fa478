"""The records of one invocation at once: direct producers' events decoded and written in a few native calls.

A direct producer writes one event per Firehose record. ``transform_all`` gives every record the
answer ``records.transform`` gives it, a chunk of about ``CHUNK_BYTES`` of data at a time, and takes
those of a chunk that are each one JSON object on one line together: their data is joined with
newlines and decoded by one msgspec call (straight into the typed events generated from the schema),
checked a column at a time, enriched, and written by one call. Python looks at each event only to set
its server fields. The other records (the API's framed ones) take the per-record path.

Alignment: the chunk's values must be its records' events one to one, or a producer could move content
from one record into another. ``_aligned_join`` checks that each record starts with ``{``, ends with
``}`` and holds no newline, so the joined buffer has exactly one newline between records, each between a
``}`` and a ``{``. A JSON string cannot hold a raw newline (msgspec refuses control characters in
strings), so no token spans a separator; inside an object or an array, a ``}`` followed by a ``{`` is
malformed; so the decoder is between two values at every separator. Each record then holds at least
one whole value, and with as many values as records, exactly one.

The typed part of a chunk is taken as a whole or not at all: if any of its records is in doubt (refused
by the types or the rules, a \\u escape, a possibly dropped duplicate key, an event near the size limit),
each goes through ``records.transform_raw``, which gives the answer. Doubt costs time, never a different
result; tests/unit/test_fast_paths.py pins that both paths agree, hostile alignments included.
"""

from __future__ import annotations

import binascii
from binascii import a2b_base64
from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate, compress, repeat
from operator import attrgetter, is_, itemgetter

from audit_shared.byte_count import count_colons
from audit_shared.clock import MILLIS_PER_DAY, iso_utc_each, utc_date_parts
from audit_shared.ids import new_event_ids_at
from audit_shared.partitions import PARTITION_FIELDS
from audit_shared.schema import SCHEMA_VERSION
from audit_shared.typed_epochs import DECODE_ERRORS, NORMALIZE_SLACK, normalize_all
from audit_shared.typed_events import UNSET, encode_lines
from audit_shared.validation import TYPED, EventPolicy, typed_all_valid
from transformation.records import (
    EVENTID_COLONS,
    SCHEMAVERSION_COLONS,
    Outcome,
    transform,
    transform_raw,
)

# A chunk's records hold about this much base64 (at least one record): 512 direct producers' events of
# ~370 bytes, or ~40 of the API's framed records. Measured (make bench, 3 MB): 256 or 1024 such
# events cost 3-8% more per record than 512; as many framed records as that (2 MB) fall out of the
# processor's caches between their decoding and their use, 10% slower than one at a time.
# One record in doubt sends the others of its chunk through the per-record path (a third slower).
CHUNK_BYTES = 256 * 1024
_timestamp = attrgetter("timestamp")
_eventid = attrgetter("eventid")
_partition_of = attrgetter("initiatorsystemcode", "eventtype")
_day_of = MILLIS_PER_DAY.__rfloordiv__  # epoch milliseconds -> days since the epoch
_first_byte, _last_byte = itemgetter(0), itemgetter(-1)

if TYPED is not None:
    _decode_lines = TYPED.decoder(TYPED.event_type).decode_lines


class _DayPartitions(dict[tuple[str, str], dict[str, str]]):
    """(initiator, event type) -> the partition keys of its events of one UTC day.

    One dict is shared by all the events of a partition in a response: nothing may mutate it.
    """

    def __init__(self, day: int) -> None:
        super().__init__()
        self.date = utc_date_parts(day * MILLIS_PER_DAY)

    def __missing__(self, key: tuple[str, str]) -> dict[str, str]:
        value = self[key] = dict(zip(PARTITION_FIELDS, (*key, *self.date), strict=True))
        return value


class _Partitions(dict[int, _DayPartitions]):
    """UTC day (days since the epoch) -> its _DayPartitions: the partitions of one invocation."""

    def __missing__(self, day: int) -> _DayPartitions:
        value = self[day] = _DayPartitions(day)
        return value


def transform_all(
    datas: list[str], arrivals: list[int], policy: EventPolicy, now_ms: int, record_key: bytes
) -> list[Outcome]:
    """``records.transform`` of every record (base64 data, arrival milliseconds), in order."""
    outcomes: list[Outcome] = []
    for _, chunk in transform_chunks(datas, arrivals, policy, now_ms, record_key):
        outcomes += chunk
    return outcomes


def transform_chunks(
    datas: list[str], arrivals: list[int], policy: EventPolicy, now_ms: int, record_key: bytes
) -> Iterator[tuple[int, list[Outcome]]]:
    """``transform_all`` a chunk at a time: (index of the chunk's first record, its outcomes).

    From its base64 on, a chunk's bytes are all still in the processor's caches when they are
    decoded and written; a caller that writes the outcomes to base64 as they come keeps it so.
    """
    partitions = _Partitions()
    ends = list(accumulate(map(len, datas)))  # where each record's data ends, all of them end to end
    first = 0
    while first < len(datas):
        last = max(bisect_right(ends, (ends[first - 1] if first else 0) + CHUNK_BYTES), first + 1)
        yield first, _transform_chunk(datas[first:last], arrivals[first:last], policy, now_ms, record_key, partitions)
        first = last


def _transform_chunk(
    datas: list[str], arrivals: list[int], policy: EventPolicy, now_ms: int, record_key: bytes, partitions: _Partitions
) -> list[Outcome]:
    try:
        # What base64.b64decode(data, validate=True) does, without its Python-level wrapping.
        raws = [a2b_base64(data, strict_mode=True) for data in datas]
    except (binascii.Error, ValueError):  # Firehose itself encodes the data: only a broken test event gets here
        return [
            transform(data, arrival, policy, now_ms, record_key) for data, arrival in zip(datas, arrivals, strict=True)
        ]
    if TYPED is not None:
        picked, joined = _single_lines(raws)
        if picked is None:  # the usual case: every record is one event on one line
            typed = _typed_batch(joined, arrivals, policy, now_ms, partitions)
            if typed is not None:
                return typed
        elif picked:
            typed = _typed_batch(joined, [arrivals[index] for index in picked], policy, now_ms, partitions)
            if typed is not None:
                merged: list[Outcome | None] = [None] * len(raws)
                for index, outcome in zip(picked, typed, strict=True):
                    merged[index] = outcome
                return [
                    transform_raw(raw, arrival, policy, now_ms, record_key) if outcome is None else outcome
                    for raw, arrival, outcome in zip(raws, arrivals, merged, strict=True)
                ]
    return [
        transform_raw(raw, arrival, policy, now_ms, record_key) for raw, arrival in zip(raws, arrivals, strict=True)
    ]


def _keys_of(partitions: _Partitions, pair: tuple[str, str], day: int) -> dict[str, str]:
    return partitions[day][pair]


def _single_lines(raws: list[bytes]) -> tuple[list[int] | None, bytes]:
    """The records that are one object on one line (a trailing newline taken off), joined aligned.

    Returns their indices (None: all of them) and their bodies joined by newlines (``_aligned_join``).
    Such a record is never API-framed (a frame ends in a trailer line after its events), so
    ``record_frames.unframe`` would answer None for it.
    """
    joined = _aligned_join(raws)
    if joined is not None:  # the usual case: every record is one, without a newline
        return None, joined
    picked, bodies = [], []
    for index, raw in enumerate(raws):
        end = len(raw) - 1 if raw.endswith(b"\n") else len(raw)
        # Looked at in place: an API-framed record is large, and only a direct one is copied (if at all).
        if raw.startswith(b"{") and raw.endswith(b"}", 0, end) and raw.find(b"\n", 0, end) < 0:
            picked.append(index)
            bodies.append(raw[:end])
    joined = _aligned_join(bodies)
    # None cannot happen (the bodies were picked so); checked all the same, as the proof rests on it.
    return (picked, joined) if joined is not None else ([], b"")


def _aligned_join(bodies: list[bytes]) -> bytes | None:
    """The bodies joined by newlines, if each is a "{…}" without a newline (the alignment guard); else None."""
    try:
        opening, closing = bytes(map(_first_byte, bodies)), bytes(map(_last_byte, bodies))
    except IndexError:  # an empty body
        return None
    # Before the join: records of another kind (the API's, a few large ones) are told apart at once.
    if not bodies or opening.count(b"{") != len(bodies) or closing.count(b"}") != len(bodies):
        return None
    joined = b"\n".join(bodies)
    return joined if joined.count(b"\n") == len(bodies) - 1 else None


def _typed_batch(
    joined: bytes,
    arrivals: list[int],
    policy: EventPolicy,
    now_ms: int,
    partitions: _Partitions,
) -> list[Outcome] | None:
    """The outcomes of the records in ``joined`` (aligned), or None if any one is in doubt."""
    # The same checks as records._typed_transform, a chunk at a time.
    # A backslash is rare in events; find() of one byte is a memchr, ten times faster than of two.
    if joined.find(b"\\") >= 0 and joined.find(b"\\u") >= 0:
        return None
    try:
        events = _decode_lines(joined)
    except DECODE_ERRORS:
        return None
    count = len(arrivals)
    if len(events) != count:
        return None
    latest = normalize_all(events)
    # Every initiator allowed (policy.allowed_initiators: no narrower key here), as typed_valid checks.
    if not typed_all_valid(events, policy, now_ms, policy.allowed_initiators, latest):
        return None
    stamps = list(map(_timestamp, events))
    unset = list(map(is_, map(_eventid, events), repeat(UNSET)))
    anonymous = list(compress(events, unset))
    for event, eventid in zip(anonymous, new_event_ids_at(list(compress(arrivals, unset))), strict=True):
        event.eventid = eventid
    received = iso_utc_each(arrivals)
    for event, ms in zip(events, arrivals, strict=True):
        event.receivedat = received[ms]
        event.schemaversion = SCHEMA_VERSION
    blob = encode_lines(events)
    # No member was dropped as a duplicate key: records._typed_transform's argument, summed. In each
    # record the colons sent are at least those written less those added, so the sums agree only if
    # every record's do.
    added = EVENTID_COLONS * len(anonymous) + SCHEMAVERSION_COLONS * count
    received_colons = set(map(str.count, received.values(), repeat(":")))
    if len(received_colons) == 1:  # every receipt time has as many colons: the usual case
        added += count * (1 + received_colons.pop())
    else:
        added += sum(1 + received[ms].count(":") for ms in arrivals)
    if count_colons(joined) != count_colons(blob) - added:
        return None
    # JSON escapes every line break inside a string, so each line is one event.
    lines = blob.splitlines(keepends=True)
    if len(lines) != count or max(map(len, lines)) - 1 + NORMALIZE_SLACK > policy.max_event_bytes:
        return None
    day = _day_of(min(stamps))
    if day == _day_of(max(stamps)):  # the usual case: a Firehose buffer spans minutes
        keys = map(partitions[day].__getitem__, map(_partition_of, events))
    else:
        keys = map(_keys_of, repeat(partitions), map(_partition_of, events), map(_day_of, stamps))
    # Plain (line, keys) pairs, as zip makes them: a Transformed copy of each would cost more.
    return list(zip(lines, keys, strict=True))
