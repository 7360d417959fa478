"""Epoch fields of typed events (audit_shared.typed_events) made integers, as events.normalize does.

The contract takes epoch milliseconds as an integer or a digit string; the archive holds integers. The
typed decoder makes the epoch fields most events lack integers itself (typed_events.EpochMillis); a
timestamp, which every event has, it keeps as sent (a decoder hook for each event would cost more than
this look), so the fast paths of ingestion and the transformation turn a digit-string timestamp into an
integer here, before the rules and the write. What those paths share besides is here too, defined once.
"""

from __future__ import annotations

from itertools import compress, repeat
from operator import attrgetter, is_
from typing import Any

from audit_shared.events import EPOCH_MILLIS_FIELDS
from audit_shared.typed_events import DecodeError

# What the typed decoder raises for a document it refuses (ValueError: invalid UTF-8 in a string).
DECODE_ERRORS = (DecodeError, ValueError)
# Making an epoch digit string an integer shortens the event by its two quotes: an event written
# within the size limit may have been sent up to this much longer.
NORMALIZE_SLACK = 2 * len(EPOCH_MILLIS_FIELDS)
_timestamp = attrgetter("timestamp")


def normalize_event(event: Any) -> None:
    """One typed event's digit-string timestamp made an integer."""
    if type(event.timestamp) is str:
        event.timestamp = int(event.timestamp)


def normalize_all(events: list[Any]) -> int:
    """``normalize_event`` for many, answering the latest timestamp (the future-skew rule reads it).

    Timestamps are nearly always integers, which ``max`` alone shows: digit strings make it fail
    (beside integers) or answer a string (all strings). Only then are they found, in C (map, compress).
    """
    stamps = list(map(_timestamp, events))
    try:
        latest = max(stamps, default=0)
    except TypeError:  # integers and digit strings
        latest = None
    if type(latest) is int:
        return latest
    for position in compress(range(len(stamps)), map(is_, map(type, stamps), repeat(str))):
        events[position].timestamp = int(stamps[position])
    return max(map(_timestamp, events), default=0)
