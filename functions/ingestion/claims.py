"""Exactly-once ingest of client-chosen event ids: an atomic claim in the index before delivery.

A claim is a conditional PutItem of the event's table key, made *before* the event goes to Firehose.
Of two concurrent posts of the same (initiator, eventid), exactly one wins the claim and delivers; the
other sees the winner's item and answers duplicate, conflict or "in progress". The claim item carries
no event and no GSI attributes, so reads never see it; the complete index item overwrites it after
delivery, and a failed delivery deletes it so that the client's retry can claim again. A claim whose
holder died (a Lambda timeout) expires after ``claim_ms`` and may then be taken over.
"""

from __future__ import annotations

import enum
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from audit_shared.index import CONTENT_HASH_ATTRIBUTE, EVENT_ATTRIBUTE, KEY_ATTRIBUTE, TTL_ATTRIBUTE

CLAIM_EXPIRY_ATTRIBUTE = "claimexpires"  # epoch ms
MAX_PARALLEL_CLAIMS = 16


class ClaimState(enum.Enum):
    CLAIMED = "claimed"  # ours: deliver, then index (or release)
    DUPLICATE = "duplicate"  # stored before with the same content
    CONFLICT = "conflict"  # the id is taken by different content
    IN_PROGRESS = "in_progress"  # another request holds the claim for the same content right now
    UNAVAILABLE = "unavailable"  # DynamoDB refused after the SDK's retries


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    key: str
    content_hash: str


@dataclass(frozen=True, slots=True)
class ClaimResult:
    state: ClaimState
    token: int = 0  # the claim's expiry: identifies our claim when releasing it
    error: str = ""


def _judge(existing: dict[str, Any], content_hash: str) -> ClaimState:
    same = existing.get(CONTENT_HASH_ATTRIBUTE, {}).get("S") == content_hash
    if EVENT_ATTRIBUTE in existing:
        return ClaimState.DUPLICATE if same else ClaimState.CONFLICT
    return ClaimState.IN_PROGRESS if same else ClaimState.CONFLICT


def claim_one(client: Any, table: str, request: ClaimRequest, now_ms: int, claim_ms: int) -> ClaimResult:
    expires = now_ms + claim_ms
    try:
        client.put_item(
            TableName=table,
            Item={
                KEY_ATTRIBUTE: {"S": request.key},
                CONTENT_HASH_ATTRIBUTE: {"S": request.content_hash},
                CLAIM_EXPIRY_ATTRIBUTE: {"N": str(expires)},
                # An abandoned claim disappears by itself; the complete item replaces the TTL.
                TTL_ATTRIBUTE: {"N": str(expires // 1000 + 3600)},
            },
            ConditionExpression="attribute_not_exists(#pk) OR (attribute_not_exists(#event) AND #claim < :now)",
            ExpressionAttributeNames={
                "#pk": KEY_ATTRIBUTE,
                "#event": EVENT_ATTRIBUTE,
                "#claim": CLAIM_EXPIRY_ATTRIBUTE,
            },
            ExpressionAttributeValues={":now": {"N": str(now_ms)}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code != "ConditionalCheckFailedException":
            return ClaimResult(ClaimState.UNAVAILABLE, error=code or str(exc))
        existing = exc.response.get("Item")
        if existing is None:  # an emulator that does not return the old item: read it
            existing = client.get_item(TableName=table, Key={KEY_ATTRIBUTE: {"S": request.key}}, ConsistentRead=True)
            existing = existing.get("Item", {})
        return ClaimResult(_judge(existing, request.content_hash))
    return ClaimResult(ClaimState.CLAIMED, token=expires)


def claim_all(client: Any, table: str, requests: list[ClaimRequest], now_ms: int, claim_ms: int) -> list[ClaimResult]:
    """One conditional put per id, in parallel (boto3 clients are thread-safe); results in order."""
    if len(requests) <= 1:
        return [claim_one(client, table, request, now_ms, claim_ms) for request in requests]
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_CLAIMS, len(requests))) as pool:
        return list(pool.map(lambda request: claim_one(client, table, request, now_ms, claim_ms), requests))


def release(client: Any, table: str, key: str, token: int) -> None:
    """Give up our claim after a failed delivery, unless it was taken over meanwhile."""
    try:
        client.delete_item(
            TableName=table,
            Key={KEY_ATTRIBUTE: {"S": key}},
            ConditionExpression="attribute_not_exists(#event) AND #claim = :token",
            ExpressionAttributeNames={"#event": EVENT_ATTRIBUTE, "#claim": CLAIM_EXPIRY_ATTRIBUTE},
            ExpressionAttributeValues={":token": {"N": str(token)}},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
