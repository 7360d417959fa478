"""An event ready for delivery: validated, enriched and written in its canonical form."""

from __future__ import annotations

from collections.abc import Mapping
from operator import attrgetter
from typing import Any

import msgspec

from audit_shared.index import ITEM_EVENT_FIELDS, event_key
from audit_shared.partitions import PARTITION_FIELDS, partition_keys

_item_values = attrgetter(*ITEM_EVENT_FIELDS)


# A msgspec struct rather than a named tuple: the fast path makes one per event, and msgspec builds
# it in C from positional arguments, at less than half the cost of tuple.__new__ through a partial.
# gc=False: it holds strings, bytes and the event, never a reference cycle.
class Candidate(msgspec.Struct, frozen=True, gc=False):
    index: int  # its position in the request
    initiator: str
    eventid: str
    receivedat: str
    line: bytes  # the canonical JSON plus a newline: what is archived, and indexed without the newline
    client_hash: str | None  # set when the client chose the eventid: tells a repeat from a conflict
    fields: Any  # the enriched event: a dict (general path) or a typed struct (fast path)

    @property
    def key(self) -> str:
        return event_key(self.initiator, self.eventid)

    def item_fields(self) -> Mapping[str, Any]:
        """What audit_shared.index.index_item reads of the enriched event (ITEM_EVENT_FIELDS), on delivery.

        A typed event hands over just those fields: the whole event as a dict would cost several times
        as much, and its canonical text is already in ``line``.
        """
        fields = self.fields
        if isinstance(fields, dict):
            return fields
        return dict(zip(ITEM_EVENT_FIELDS, _item_values(fields), strict=True))

    def partition(self) -> tuple[str, ...]:
        """The values of PARTITION_FIELDS: where Firehose archives the event."""
        fields = self.fields
        if isinstance(fields, dict):
            eventtype, timestamp = fields["eventtype"], fields["timestamp"]
        else:
            eventtype, timestamp = fields.eventtype, fields.timestamp
        keys = partition_keys({"initiatorsystemcode": self.initiator, "eventtype": eventtype, "timestamp": timestamp})
        return tuple(keys[name] for name in PARTITION_FIELDS)
