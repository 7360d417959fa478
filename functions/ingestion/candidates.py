"""An event ready for delivery: validated, enriched and written in its canonical form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from audit_shared.index import event_key
from audit_shared.partitions import PARTITION_FIELDS, partition_keys


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

    def event(self) -> Mapping[str, Any]:
        """The enriched event as a mapping, for the index item and the partition (only on delivery)."""
        return self.fields if isinstance(self.fields, dict) else msgspec.to_builtins(self.fields)

    def partition(self) -> tuple[str, ...]:
        """The values of PARTITION_FIELDS: where Firehose archives the event."""
        fields = self.fields
        if isinstance(fields, dict):
            eventtype, timestamp = fields["eventtype"], fields["timestamp"]
        else:
            eventtype, timestamp = fields.eventtype, fields.timestamp
        keys = partition_keys({"initiatorsystemcode": self.initiator, "eventtype": eventtype, "timestamp": timestamp})
        return tuple(keys[name] for name in PARTITION_FIELDS)
