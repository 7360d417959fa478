"""DynamoDB index access for ingestion: duplicate look-up and batched, retried writes."""

from __future__ import annotations

from typing import Any

from audit_shared.index import KEY_ATTRIBUTE
from audit_shared.retry import Backoff, chunks

MAX_WRITE_BATCH = 25
MAX_GET_BATCH = 100


class IndexUnavailableError(RuntimeError):
    """DynamoDB kept throttling the duplicate look-up; the caller should retry later."""


def existing_event_ids(client: Any, table: str, event_ids: list[str], backoff: Backoff) -> set[str]:
    """Which of these ids are already indexed (BatchGetItem, retrying UnprocessedKeys)."""
    found: set[str] = set()
    for batch in chunks(sorted(set(event_ids)), MAX_GET_BATCH):
        request: dict[str, Any] = {
            table: {
                "Keys": [{KEY_ATTRIBUTE: {"S": event_id}} for event_id in batch],
                "ProjectionExpression": KEY_ATTRIBUTE,
                "ConsistentRead": True,
            }
        }
        for _ in backoff.pauses():
            response = client.batch_get_item(RequestItems=request)
            found.update(item[KEY_ATTRIBUTE]["S"] for item in response.get("Responses", {}).get(table, []))
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise IndexUnavailableError(f"DynamoDB left {len(request[table]['Keys'])} keys unprocessed")
    return found


def write_items(client: Any, table: str, items: list[dict[str, Any]], backoff: Backoff) -> list[dict[str, Any]]:
    """BatchWriteItem in chunks of 25, retrying UnprocessedItems; returns the items never written."""
    unwritten: list[dict[str, Any]] = []
    for batch in chunks(items, MAX_WRITE_BATCH):
        pending: list[dict[str, Any]] = [{"PutRequest": {"Item": item}} for item in batch]
        for _ in backoff.pauses():
            response = client.batch_write_item(RequestItems={table: pending})
            pending = response.get("UnprocessedItems", {}).get(table, [])
            if not pending:
                break
        unwritten.extend(request["PutRequest"]["Item"] for request in pending)
    return unwritten
