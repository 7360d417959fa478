"""Earlier events of one subject from the DynamoDB index, so thresholds count across delivery batches."""

from __future__ import annotations

from typing import Any

from alerting.events import AuditEvent
from alerting.rules import ThresholdRule
from audit_shared.index import FILTER_INDEXES, GSI_HASH_KEYS, SORT_ATTRIBUTE, gsi_hash_value, sort_range

_PROJECTION = "eventid, eventtype, #ts, requestorid, requestorip, initiatorsystemcode"


def indexed_events(
    client: Any, table: str, rule: ThresholdRule, initiator: str, subject: str, start_ms: int, end_ms: int
) -> list[AuditEvent]:
    """Events of rule.event_type for the initiator's subject with start_ms <= timestamp <= end_ms (all pages).

    GSIs are eventually consistent, which is why the caller also counts the object's own events.
    """
    index = FILTER_INDEXES[rule.group_by]
    low, high = sort_range(start_ms, end_ms)
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
                events.append(AuditEvent.from_index_item(item))
            except (KeyError, ValueError):
                continue  # not an event item (index_item always writes these attributes): cannot count it
        if not response.get("LastEvaluatedKey"):
            return events
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
