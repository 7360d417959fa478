"""The few fields of an archived audit event that alert rules look at."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
        if missing:
            raise MalformedEventError(f"missing or invalid field(s): {', '.join(missing)}")
        return cls(
            eventid=data["eventid"],
            eventtype=data["eventtype"],
            timestamp=timestamp,
            requestorid=data["requestorid"],
            requestorip=data["requestorip"],
            initiatorsystemcode=data["initiatorsystemcode"],
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
        )
