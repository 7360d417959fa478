"""Deduplicated delivery of alerts: claim the (rule, subject, window) in DynamoDB, then publish to SNS.

The claim is a conditional PutItem on the index table, keyed
``alert#<initiator>#<rule>#<subject type>#<value>`` and holding ``windowend`` (epoch ms, server time).
It succeeds when no alert exists yet or the previous window ended before this trigger, so the same
object delivered twice, or another object inside the window, stays silent. The initiator in the key
keeps tenants apart: one client's events cannot take the window of another client's alert. The item
carries no GSI attribute, so it never appears in the index's GSIs; its ``alert#`` prefix is what the
function's IAM policy limits its writes to (dynamodb:LeadingKeys).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from botocore.exceptions import ClientError

from alerting import message
from alerting.rules import Alert
from audit_shared.clock import iso_utc
from audit_shared.index import KEY_ATTRIBUTE, TTL_ATTRIBUTE, expires_at

# Every item the function writes starts with it (terraform/functions.tf: dynamodb:LeadingKeys).
DEDUPE_KEY_PREFIX = "alert#"


class Delivery(Enum):
    PUBLISHED = "published"
    SUPPRESSED = "suppressed"


@dataclass(frozen=True, slots=True)
class Destination:
    table: str
    topic_arn: str
    retention_days: int


def dedupe_key(alert: Alert) -> str:
    return f"{DEDUPE_KEY_PREFIX}{alert.initiator}#{alert.rule}#{alert.subject_type}#{alert.subject_value}"


def _claim(client: Any, destination: Destination, alert: Alert, detected_ms: int) -> dict[str, Any] | None:
    """Take the window; return the previous claim item ({} if none), or None if the alert is a repeat."""
    try:
        response = client.put_item(
            TableName=destination.table,
            Item={
                KEY_ATTRIBUTE: {"S": dedupe_key(alert)},
                "windowend": {"N": str(alert.dedupe_until_ms)},
                # The item must outlive its window; the retention keeps it in line with index items.
                TTL_ATTRIBUTE: {"N": str(expires_at(alert.dedupe_until_ms, destination.retention_days))},
                "detectedat": {"S": iso_utc(detected_ms)},
            },
            ConditionExpression=f"attribute_not_exists({KEY_ATTRIBUTE}) OR windowend < :eventtime",
            ExpressionAttributeValues={":eventtime": {"N": str(alert.trigger_ms)}},
            ReturnValues="ALL_OLD",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return None
        raise
    return response.get("Attributes", {})


def _release(client: Any, destination: Destination, alert: Alert, previous: dict[str, Any]) -> None:
    """Undo our claim after a failed publish, so that the retried invocation alerts instead of suppressing.

    Restores the previous window end (0 if there was none) only if the item is still ours; an
    UpdateItem rather than a DeleteItem keeps the function's IAM actions to Put/Update.
    """
    previous_end = previous.get("windowend", {}).get("N", "0")
    try:
        client.update_item(
            TableName=destination.table,
            Key={KEY_ATTRIBUTE: {"S": dedupe_key(alert)}},
            UpdateExpression="SET windowend = :previous",
            ConditionExpression="windowend = :ours",
            ExpressionAttributeValues={":previous": {"N": previous_end}, ":ours": {"N": str(alert.dedupe_until_ms)}},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise


def deliver(clients: Any, destination: Destination, alert: Alert, detected_ms: int, bucket: str, key: str) -> Delivery:
    """Publish the alert once per rule, subject and window. SNS errors propagate after the claim is undone."""
    previous = _claim(clients.dynamodb, destination, alert, detected_ms)
    if previous is None:
        return Delivery.SUPPRESSED
    try:
        clients.sns.publish(
            TopicArn=destination.topic_arn,
            Subject=message.subject(alert),
            Message=message.body_json(alert, detected_ms, bucket, key),
            MessageAttributes=message.attributes(alert),
        )
    except Exception:
        _release(clients.dynamodb, destination, alert, previous)
        raise
    return Delivery.PUBLISHED
