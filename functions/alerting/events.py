"""The few fields of an archived audit event that alert rules look at.

Alert windows run on ``receivedat``, the time the pipeline received the event (server time), never
on the client's ``timestamp``: a client can neither place an event inside a window it has not
reached nor pre-date it into one that has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audit_shared.clock import millis_from_iso

# Every archived event carries these (the schema requires them, enrichment adds eventid).
_STRING_FIELDS = ("eventid", "eventtype", "requestorid", "requestorip", "initiatorsystemcode")


class MalformedEventError(ValueError):
    """A decoded line is JSON but not an archived audit event."""


@dataclass(frozen=True, slots=True)
class AuditEvent:
    eventid: str
    eventtype: str
    timestamp: int  # epoch milliseconds
    requestorid: str
    requestorip: str
    initiatorsystemcode: str
    received_ms: int  # epoch milliseconds of receivedat (server time): what alert windows use

    @classmethod
    def from_archive(cls, data: Any) -> AuditEvent:
        """Build from one decoded NDJSON line; raise MalformedEventError naming what is wrong."""
        if not isinstance(data, dict):
            raise MalformedEventError("line is not a JSON object")
        missing = [name for name in _STRING_FIELDS if not isinstance(data.get(name), str) or not data[name]]
        timestamp = data.get("timestamp")
        # bool is an int subclass; the archive always stores epoch milliseconds as a JSON integer.
        if not isinstance(timestamp, int) or isinstance(timestamp, bool):
            missing.append("timestamp")
        received_ms = _received_ms(data.get("receivedat"))
        if received_ms is None:
            missing.append("receivedat")
        if missing:
            raise MalformedEventError(f"missing or invalid field(s): {', '.join(missing)}")
        return cls(
            eventid=data["eventid"],
            eventtype=data["eventtype"],
            timestamp=timestamp,
            requestorid=data["requestorid"],
            requestorip=data["requestorip"],
            initiatorsystemcode=data["initiatorsystemcode"],
            received_ms=received_ms,
        )

    @classmethod
    def from_index_item(cls, item: dict[str, dict[str, str]]) -> AuditEvent:
        """Build from a low-level DynamoDB index item (see audit_shared.index.index_item)."""
        return cls(
            eventid=item["eventid"]["S"],
            eventtype=item["eventtype"]["S"],
            timestamp=int(item["timestamp"]["N"]),
            requestorid=item["requestorid"]["S"],
            requestorip=item["requestorip"]["S"],
            initiatorsystemcode=item["initiatorsystemcode"]["S"],
            received_ms=millis_from_iso(item["receivedat"]["S"]),
        )


def _received_ms(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return millis_from_iso(value)
    except ValueError:
        return None
