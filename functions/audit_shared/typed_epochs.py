"""Epoch fields of typed events (audit_shared.typed_events) made integers, as events.normalize does.

The contract takes epoch milliseconds as an integer or a digit string; the archive holds integers. The
typed decoder keeps a digit string a ``str`` (the union it decodes into), so the fast paths of
ingestion and the transformation turn those into integers here before the rules and the write. What
they share with the fast paths (the decode errors, the size slack) is here too, defined once.
"""

from __future__ import annotations

import re
from itertools import compress, repeat
from operator import attrgetter, is_, ne
from typing import Any

from audit_shared.events import EPOCH_MILLIS_FIELDS
from audit_shared.typed_events import UNSET, DecodeError

# What the typed decoder raises for a document it refuses (ValueError: invalid UTF-8 in a string).
DECODE_ERRORS = (DecodeError, ValueError)
# Making an epoch digit string an integer shortens the event by its two quotes: an event written
# within the size limit may have been sent up to this much longer.
NORMALIZE_SLACK = 2 * len(EPOCH_MILLIS_FIELDS)

OTHER_EPOCH_FIELDS = tuple(field for field in EPOCH_MILLIS_FIELDS if field != "timestamp")
other_epochs = attrgetter(*OTHER_EPOCH_FIELDS)
NO_OTHER_EPOCHS = (UNSET,) * len(OTHER_EPOCH_FIELDS)
_timestamp = attrgetter("timestamp")

# An epoch field holding a string: its key (the names of EPOCH_MILLIS_FIELDS all end so), then a string
# value. Keys are compared as written: the fast paths leave any text with a \u escape to the full path.
_STRING_EPOCH = re.compile(rb'time(?:stamp|old|new)?"[ \t\n\r]*:[ \t\n\r]*"')
# Should a new epoch field end otherwise, every text is taken to hold one: slower, never wrong.
_EVERY_EPOCH_KEY_FOUND = all(_STRING_EPOCH.search(f'"{name}":"'.encode()) for name in EPOCH_MILLIS_FIELDS)


def may_hold_digit_strings(text: bytes) -> bool:
    """False only when no epoch field in ``text`` (JSON without \\u escapes) holds a string."""
    return not _EVERY_EPOCH_KEY_FOUND or _STRING_EPOCH.search(text) is not None


def normalize_event(event: Any) -> None:
    """One typed event's epoch digit strings made integers."""
    if type(event.timestamp) is str:
        event.timestamp = int(event.timestamp)
    if other_epochs(event) != NO_OTHER_EPOCHS:  # most events carry only timestamp
        for field, value in zip(OTHER_EPOCH_FIELDS, other_epochs(event), strict=True):
            if type(value) is str:
                setattr(event, field, int(value))


def normalize_all(events: list[Any]) -> None:
    """``normalize_event`` for many: the events holding a digit string are found in C (map,
    compress), and only those looked at in Python."""
    stamps = list(map(_timestamp, events))
    for position in compress(range(len(stamps)), map(is_, map(type, stamps), repeat(str))):
        events[position].timestamp = int(stamps[position])
    for event in compress(events, map(ne, map(other_epochs, events), repeat(NO_OTHER_EPOCHS))):
        normalize_event(event)
