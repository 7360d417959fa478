"""Indexer Lambda: S3 "Object Created" under data/ of the archive, delivered by EventBridge.

Each object is indexed with audit_shared.archive_index, the code `make reindex` uses as well.
Failures raise, so EventBridge's asynchronous invocation retries and then hands the event to the
function's on-failure queue (alarmed).
"""

from __future__ import annotations

from dataclasses import asdict
from functools import cache
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from audit_shared.clock import now_millis
from audit_shared.config import positive_int_env, required_env
from audit_shared.digests import UnreadableObjectError
from indexer.service import IndexReport, Settings, index_object

logger = Logger()
metrics = Metrics()
DATA_PREFIX = "data/"


@cache
def settings() -> Settings:
    return Settings(
        bucket=required_env("ARCHIVE_BUCKET_NAME"),
        table=required_env("INDEX_TABLE_NAME"),
        retention_days=positive_int_env("INDEX_RETENTION_DAYS"),
    )


@cache
def clients() -> SimpleNamespace:
    return SimpleNamespace(s3=boto3.client("s3"), dynamodb=boto3.client("dynamodb"))


def _created_key(event: dict[str, Any], bucket: str) -> str | None:
    """The data/ key of an "Object Created" event for the archive; None for anything else."""
    if event.get("source") != "aws.s3" or event.get("detail-type") != "Object Created":
        return None
    detail = event.get("detail", {})
    if detail.get("bucket", {}).get("name") != bucket:
        return None
    # URL-encoded like in S3 notifications ('=' as %3D); Firehose keys never hold '%' or '+'.
    key = unquote_plus(detail.get("object", {}).get("key", ""))
    return key if key.startswith(DATA_PREFIX) else None


def _record(report: IndexReport) -> None:
    metrics.add_metric("EventsIndexed", MetricUnit.Count, report.written)
    metrics.add_metric("EventsAlreadyIndexed", MetricUnit.Count, report.present)
    metrics.add_metric("EventsExpired", MetricUnit.Count, report.expired)
    metrics.add_metric("LinesNotIndexable", MetricUnit.Count, report.not_events)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config = settings()
    key = _created_key(event, config.bucket)
    if key is None:
        logger.info("not an Object Created event under data/ of the archive; ignored", extra={"event": event})
        return {"ignored": True}
    aws = clients()
    try:
        report = index_object(aws.s3, aws.dynamodb, config, key, now_millis())
    except UnreadableObjectError as exc:
        # Firehose writes every object whole and gzipped: retrying cannot make this one readable.
        metrics.add_metric("ObjectsUnreadable", MetricUnit.Count, 1)
        logger.error("archived object is not gzip NDJSON; not indexed", extra={"key": key, "reason": str(exc)})
        return {"key": key, "unreadable": str(exc)}
    _record(report)
    answer = {"key": key, **asdict(report)}
    logger.info("object indexed", extra=answer)
    return answer
