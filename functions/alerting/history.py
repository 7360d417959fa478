"""Earlier events of one subject from the DynamoDB index, so thresholds count across delivery batches."""

from __future__ import annotations

from typing import Any

from alerting.events import AuditEvent
from alerting.rules import ThresholdRule
from audit_shared.index import GSI_HASH_KEYS, GSI_RANGE_KEY

# group_by attribute -> the GSI whose hash key it is (by-requestor, by-requestorip).
INDEX_FOR_ATTRIBUTE = {attribute: index for index, attribute in GSI_HASH_KEYS.items()}
_PROJECTION = "eventid, eventtype, #ts, requestorid, requestorip, initiatorsystemcode"


def indexed_events(
    client: Any, table: str, rule: ThresholdRule, subject: str, start_ms: int, end_ms: int
) -> list[AuditEvent]:
    """Events of rule.event_type for the subject with start_ms <= timestamp <= end_ms (all pages).

    GSIs are eventually consistent, which is why the caller also counts the object's own events.
    """
    request: dict[str, Any] = {
        "TableName": table,
        "IndexName": INDEX_FOR_ATTRIBUTE[rule.group_by],
        "KeyConditionExpression": "#subject = :subject AND #ts BETWEEN :start AND :end",
        # The type is not part of these GSIs' keys; filtering server side still saves the transfer.
        "FilterExpression": "eventtype = :type",
        "ProjectionExpression": _PROJECTION,
        "ExpressionAttributeNames": {"#subject": rule.group_by, "#ts": GSI_RANGE_KEY},
        "ExpressionAttributeValues": {
            ":subject": {"S": subject},
            ":start": {"N": str(start_ms)},
            ":end": {"N": str(end_ms)},
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
