"""The DynamoDB hot index: one item per archived event, keyed for the documented access patterns.

Event identity belongs to a tenant: the table key is ``<initiatorsystemcode>#<eventid>``, so the same
client-chosen id under two initiators names two events. Every GSI is tenant-scoped the same way (its
hash key starts with the initiator) and sorted by ``<timestamp>#<eventid>``, so that a filter plus a
time range is one key condition and two events in the same millisecond never shadow each other.
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import Any

from audit_shared.events import canonical_json
from audit_shared.retry import Backoff, chunks

KEY_ATTRIBUTE = "pk"
SORT_ATTRIBUTE = "tsid"
TTL_ATTRIBUTE = "expiresat"
EVENT_ATTRIBUTE = "event"  # the canonical JSON; only complete event items carry it
CONTENT_HASH_ATTRIBUTE = "contenthash"
SECONDS_PER_DAY = 86_400
MAX_WRITE_BATCH = 25  # BatchWriteItem
# Epoch ms from 2000 (12 digits) to 2286 (13 digits): padded so that string order is time order.
TIMESTAMP_DIGITS = 13

# GSI name -> its hash key attribute. Every GSI's range key is SORT_ATTRIBUTE.
GSI_HASH_KEYS = {
    "by-initiator": "initiatorsystemcode",
    "by-requestor": "requestorkey",
    "by-eventtype": "eventtypekey",
    "by-requestorip": "requestoripkey",
}
# Search filter (an event field) -> the GSI that serves it. Without a filter: by-initiator.
FILTER_INDEXES = {
    "requestorid": "by-requestor",
    "eventtype": "by-eventtype",
    "requestorip": "by-requestorip",
}
INITIATOR_INDEX = "by-initiator"
# The event fields index_item reads: a caller holding the event in another form hands over only these.
ITEM_EVENT_FIELDS = ("initiatorsystemcode", "eventid", "timestamp", "eventtype", "receivedat", *FILTER_INDEXES)


def event_key(initiator: str, eventid: str) -> str:
    """The table key of an event: its id is unique per initiator, not globally."""
    return f"{initiator}#{eventid}"


def canonical_ip(value: str) -> str:
    """One spelling per address (2001:DB8:0::1 and 2001:db8::1 are the same requestor IP); unparsable input as is.

    The index keys and the alert watch-list both compare addresses in this form.
    """
    try:
        return ipaddress.ip_address(value).compressed
    except ValueError:
        return value


def filter_value(field: str, value: str) -> str:
    return canonical_ip(value) if field == "requestorip" else value


def gsi_hash_value(initiator: str, field: str | None, value: str | None) -> str:
    """The GSI hash key value for an initiator, optionally narrowed by one filter field."""
    if field is None or value is None:
        return initiator
    return f"{initiator}#{filter_value(field, value)}"


def sort_value(timestamp_ms: int, eventid: str) -> str:
    return f"{timestamp_ms:0{TIMESTAMP_DIGITS}d}#{eventid}"


def sort_range(from_ms: int, to_ms: int) -> tuple[str, str]:
    """Inclusive bounds on SORT_ATTRIBUTE for from_ms <= timestamp <= to_ms ('~' sorts after any id)."""
    return f"{from_ms:0{TIMESTAMP_DIGITS}d}#", f"{to_ms:0{TIMESTAMP_DIGITS}d}#~"


def content_hash(event: dict[str, Any]) -> str:
    """SHA-256 of the event as the client sent it (normalized): decides duplicate vs conflict."""
    return hashlib.sha256(canonical_json(event).encode("utf-8")).hexdigest()


def expires_at(received_ms: int, retention_days: int) -> int:
    """TTL value: a Number of epoch *seconds*, as DynamoDB TTL requires."""
    return received_ms // 1000 + retention_days * SECONDS_PER_DAY


def index_item(
    event: dict[str, Any],
    received_ms: int,
    retention_days: int,
    canonical: str | None = None,
    client_content_hash: str | None = None,
) -> dict[str, dict[str, str]]:
    """Low-level (AttributeValue) item for one enriched, normalized event.

    ``canonical`` is the event's canonical JSON when the caller has already serialized it;
    ``client_content_hash`` is set for client-chosen ids, so a later repeat can be told apart from a
    conflicting reuse of the id.
    """
    initiator = event["initiatorsystemcode"]
    item = {
        KEY_ATTRIBUTE: {"S": event_key(initiator, event["eventid"])},
        SORT_ATTRIBUTE: {"S": sort_value(event["timestamp"], event["eventid"])},
        "eventid": {"S": event["eventid"]},
        "initiatorsystemcode": {"S": initiator},
        "requestorid": {"S": event["requestorid"]},
        "requestorip": {"S": event["requestorip"]},
        "eventtype": {"S": event["eventtype"]},
        "timestamp": {"N": str(event["timestamp"])},
        "receivedat": {"S": event["receivedat"]},
        TTL_ATTRIBUTE: {"N": str(expires_at(received_ms, retention_days))},
        EVENT_ATTRIBUTE: {"S": canonical if canonical is not None else canonical_json(event)},
    }
    for field, index in FILTER_INDEXES.items():
        item[GSI_HASH_KEYS[index]] = {"S": gsi_hash_value(initiator, field, event[field])}
    if client_content_hash:
        item[CONTENT_HASH_ATTRIBUTE] = {"S": client_content_hash}
    return item


def item_position(item: dict[str, Any], index: str) -> dict[str, str]:
    """The keys that resume a GSI query right after this item (a DynamoDB ExclusiveStartKey, flattened)."""
    hash_attribute = GSI_HASH_KEYS[index]
    return {
        KEY_ATTRIBUTE: item[KEY_ATTRIBUTE]["S"],
        SORT_ATTRIBUTE: item[SORT_ATTRIBUTE]["S"],
        hash_attribute: item[hash_attribute]["S"],
    }


def start_key(position: dict[str, str]) -> dict[str, dict[str, str]]:
    return {name: {"S": value} for name, value in position.items()}


# The whole-call throttling errors of DynamoDB (the SDK's own retries already spent).
THROTTLING_ERRORS = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"})


def _error_code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


def write_batches(client: Any, table: str, items: list[dict[str, Any]], backoff: Backoff) -> list[dict[str, Any]]:
    """BatchWriteItem in chunks of 25, retrying UnprocessedItems; returns the items never written.

    The items must have distinct keys (BatchWriteItem refuses a key twice in one call). A call
    throttled as a whole is retried like unprocessed items: DynamoDB throttles the whole call when it
    can process none of the items, which leaves every item pending. Other errors are raised.
    """
    unwritten: list[dict[str, Any]] = []
    for batch in chunks(items, MAX_WRITE_BATCH):
        pending: list[dict[str, Any]] = [{"PutRequest": {"Item": item}} for item in batch]
        for _ in backoff.pauses():
            try:
                response = client.batch_write_item(RequestItems={table: pending})
            except Exception as exc:  # botocore's ClientError, named by duck type: the SDK ships this module too
                if _error_code(exc) not in THROTTLING_ERRORS:
                    raise
                continue
            pending = response.get("UnprocessedItems", {}).get(table, [])
            if not pending:
                break
        unwritten.extend(request["PutRequest"]["Item"] for request in pending)
    return unwritten
