"""The DynamoDB hot index: one item per archived event, keyed for the documented access patterns."""

from __future__ import annotations

from typing import Any

from audit_shared.events import canonical_json

KEY_ATTRIBUTE = "eventid"
TTL_ATTRIBUTE = "expiresat"
SECONDS_PER_DAY = 86_400

# GSI name -> hash key; every GSI uses "timestamp" (epoch ms) as its range key.
GSI_HASH_KEYS = {
    "by-requestor": "requestorid",
    "by-eventtype": "eventtype",
    "by-requestorip": "requestorip",
}
GSI_RANGE_KEY = "timestamp"


def expires_at(received_ms: int, retention_days: int) -> int:
    """TTL value: a Number of epoch *seconds*, as DynamoDB TTL requires."""
    return received_ms // 1000 + retention_days * SECONDS_PER_DAY


def index_item(
    event: dict[str, Any], received_ms: int, retention_days: int, canonical: str | None = None
) -> dict[str, dict[str, str]]:
    """Low-level (AttributeValue) item for one enriched, normalized event.

    ``canonical`` is the event's canonical JSON when the caller has already serialized it.
    """
    return {
        KEY_ATTRIBUTE: {"S": event["eventid"]},
        "requestorid": {"S": event["requestorid"]},
        "requestorip": {"S": event["requestorip"]},
        "eventtype": {"S": event["eventtype"]},
        GSI_RANGE_KEY: {"N": str(event["timestamp"])},
        "initiatorsystemcode": {"S": event["initiatorsystemcode"]},
        "receivedat": {"S": event["receivedat"]},
        TTL_ATTRIBUTE: {"N": str(expires_at(received_ms, retention_days))},
        "event": {"S": canonical if canonical is not None else canonical_json(event)},
    }
