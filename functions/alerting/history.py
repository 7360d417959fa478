"""Earlier events of one subject from the DynamoDB index, so thresholds count across delivery batches."""

from __future__ import annotations

from typing import Any

from alerting.events import AuditEvent
from alerting.rules import ThresholdRule
from audit_shared.index import FILTER_INDEXES, GSI_HASH_KEYS, SORT_ATTRIBUTE, gsi_hash_value, sort_range

_PROJECTION = "eventid, eventtype, #ts, requestorid, requestorip, initiatorsystemcode, receivedat"
# The GSIs sort by the client's timestamp, windows run on the receive time. A timestamp is at most
# MAX_FUTURE_SKEW_MS after its receipt (ingestion and transformation refuse later ones; the value is
# audit_shared.validation's, not imported so that alerting does not load the schema validators); an event
# delivered more than LATE_ARRIVAL_MS after its timestamp is not found here, but still counts from
# the object that carries it (the caller adds the object's own events).
LATE_ARRIVAL_MS = 24 * 60 * 60 * 1000
MAX_FUTURE_SKEW_MS = 5 * 60 * 1000


def indexed_events(
    client: Any, table: str, rule: ThresholdRule, initiator: str, subject: str, start_ms: int, end_ms: int
) -> list[AuditEvent]:
    """Events of rule.event_type for the initiator's subject received from start_ms to end_ms (all pages).

    The GSI hash key is ``<initiator>#<subject>``: another tenant's events never come back.
    GSIs are eventually consistent, which is why the caller also counts the object's own events.
    """
    index = FILTER_INDEXES[rule.group_by]
    low, high = sort_range(max(0, start_ms - LATE_ARRIVAL_MS), end_ms + MAX_FUTURE_SKEW_MS)
    request: dict[str, Any] = {
        "TableName": table,
        "IndexName": index,
        "KeyConditionExpression": "#subject = :subject AND #sort BETWEEN :low AND :high",
        # The type is not part of these GSIs' keys; filtering server side still saves the transfer.
        "FilterExpression": "eventtype = :type",
        "ProjectionExpression": _PROJECTION,
        "ExpressionAttributeNames": {"#subject": GSI_HASH_KEYS[index], "#sort": SORT_ATTRIBUTE, "#ts": "timestamp"},
        "ExpressionAttributeValues": {
            ":subject": {"S": gsi_hash_value(initiator, rule.group_by, subject)},
            ":low": {"S": low},
            ":high": {"S": high},
            ":type": {"S": rule.event_type},
        },
    }
    events = []
    while True:
        response = client.query(**request)
        for item in response.get("Items", []):
            try:
                event = AuditEvent.from_index_item(item)
            except (KeyError, ValueError):
                continue  # not an event item (index_item always writes these attributes): cannot count it
            if start_ms <= event.received_ms <= end_ms and event.initiatorsystemcode == initiator:
                events.append(event)
        if not response.get("LastEvaluatedKey"):
            return events
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
