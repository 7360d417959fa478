"""Index one archived object: every event in it gets the item ingestion would have written.

Serves the two ways an event can be archived without being indexed: an index write that failed
after ingestion's retries, and events from direct Firehose producers, which ingestion never sees.
For an event ingestion did index, the conditional put finds its item complete and leaves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from audit_shared.archive_index import items_from_object, put_unindexed

logger = Logger(child=True)
MAX_REPORTED_LINES = 10


@dataclass(frozen=True, slots=True)
class Settings:
    bucket: str
    table: str
    retention_days: int
    workers: int = 8  # parallel conditional puts per object


@dataclass(frozen=True, slots=True)
class IndexReport:
    events: int
    written: int
    present: int
    expired: int
    not_events: int


def index_object(s3: Any, dynamodb: Any, settings: Settings, key: str, now_ms: int) -> IndexReport:
    """Read data/<...>.gz and put every event item that is not indexed yet. S3 errors propagate (retried)."""
    raw = s3.get_object(Bucket=settings.bucket, Key=key)["Body"].read()
    found = items_from_object(raw, settings.retention_days, now_ms)
    if found.not_events:
        logger.error(
            "archived lines that are not indexable events",
            extra={"key": key, "lines": found.not_events[:MAX_REPORTED_LINES], "count": len(found.not_events)},
        )
    written = put_unindexed(dynamodb, settings.table, found.items, settings.workers)
    return IndexReport(found.events, written.written, written.present, found.expired, len(found.not_events))
