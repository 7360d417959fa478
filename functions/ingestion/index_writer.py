"""DynamoDB index writes for ingestion: batched and retried, never failing the request.

The events are already archived when their items are written, so an index failure must not turn
into an error answer (the client would post them again). The items that stay unwritten are
returned; the handler counts them in the IndexWriteFailures metric (alarmed) and logs their ids,
and the indexer function indexes them again from the archive.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from audit_shared.index import MAX_WRITE_BATCH, write_batches
from audit_shared.retry import Backoff, chunks

logger = Logger(child=True)


def write_items(client: Any, table: str, items: list[dict[str, Any]], backoff: Backoff) -> list[dict[str, Any]]:
    """BatchWriteItem in chunks of 25, retrying UnprocessedItems; returns the items never written.

    A call that fails outright (throttled past the SDK's retries, DynamoDB unavailable) costs that
    chunk only: the next chunks are still tried.
    """
    unwritten: list[dict[str, Any]] = []
    for batch in chunks(items, MAX_WRITE_BATCH):
        try:
            unwritten.extend(write_batches(client, table, batch, backoff))
        except (BotoCoreError, ClientError) as exc:
            logger.warning("index write failed", extra={"error": str(exc), "items": len(batch)})
            unwritten.extend(batch)
    return unwritten
