"""DynamoDB index writes for ingestion: batched and retried."""

from __future__ import annotations

from typing import Any

from audit_shared.retry import Backoff, chunks

MAX_WRITE_BATCH = 25


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
