"""DynamoDB index writes for ingestion: batched and retried."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from audit_shared.retry import Backoff, chunks

MAX_WRITE_BATCH = 25
# DynamoDB fails the whole BatchWriteItem with these when it can process none of the items: then every
# item is still pending, exactly as if all came back unprocessed.
THROTTLING_ERRORS = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"})


def write_items(client: Any, table: str, items: list[dict[str, Any]], backoff: Backoff) -> list[dict[str, Any]]:
    """BatchWriteItem in chunks of 25, retrying UnprocessedItems; returns the items never written.

    A throttled call is retried like unprocessed items rather than raised: the events are already
    delivered, so the caller must learn which ones are unindexed, not fail the request."""
    unwritten: list[dict[str, Any]] = []
    for batch in chunks(items, MAX_WRITE_BATCH):
        pending: list[dict[str, Any]] = [{"PutRequest": {"Item": item}} for item in batch]
        for _ in backoff.pauses():
            try:
                response = client.batch_write_item(RequestItems={table: pending})
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in THROTTLING_ERRORS:
                    raise
                continue
            pending = response.get("UnprocessedItems", {}).get(table, [])
            if not pending:
                break
        unwritten.extend(request["PutRequest"]["Item"] for request in pending)
    return unwritten
