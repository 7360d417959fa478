"""Alerting Lambda: S3 ObjectCreated notifications for archived objects under data/ -> SNS alerts."""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from alerting.notifier import Destination
from alerting.rules import parse_rules
from alerting.service import Report, Settings, process_objects
from audit_shared.clock import now_millis
from audit_shared.config import json_env, positive_int_env, required_env

logger = Logger()
metrics = Metrics()


class AlertingIncompleteError(RuntimeError):
    """Some objects hit transient AWS errors; raising lets Lambda retry the event (dedupe makes it safe)."""


@cache
def settings() -> Settings:
    """Read and validate the configuration once per container; a bad ALERT_RULES fails loudly."""
    return Settings(
        rules=parse_rules(json_env("ALERT_RULES")),
        destination=Destination(
            table=required_env("INDEX_TABLE_NAME"),
            topic_arn=required_env("ALERT_TOPIC_ARN"),
            retention_days=positive_int_env("INDEX_RETENTION_DAYS"),
        ),
    )


@cache
def clients() -> SimpleNamespace:
    return SimpleNamespace(s3=boto3.client("s3"), dynamodb=boto3.client("dynamodb"), sns=boto3.client("sns"))


def _record(report: Report) -> None:
    metrics.add_metric("EventsScanned", MetricUnit.Count, report.events_scanned)
    metrics.add_metric("AlertsPublished", MetricUnit.Count, report.alerts_published)
    metrics.add_metric("AlertsSuppressed", MetricUnit.Count, report.alerts_suppressed)
    metrics.add_metric("CorruptObjects", MetricUnit.Count, report.corrupt_objects)
    metrics.add_metric("CorruptLines", MetricUnit.Count, report.corrupt_lines)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    config = settings()
    if "Records" not in event:
        # S3 sends an s3:TestEvent without records when the notification is configured.
        logger.info("notification without records ignored", extra={"event": event.get("Event")})
        return {"objects": 0}
    objects = []
    for record in event.records:
        # Keys arrive URL-encoded ('=' as %3D, ' ' as '+'); S3EventRecord does not decode them.
        key = unquote_plus(record.s3.get_object.key)
        if record.event_name.startswith("ObjectCreated:"):
            objects.append((record.s3.bucket.name, key))
        else:
            logger.info("not an ObjectCreated record; ignored", extra={"eventName": record.event_name, "key": key})
    report = process_objects(objects, config, clients(), now_millis())
    _record(report)
    if report.failed_objects:
        raise AlertingIncompleteError(f"{len(report.failed_objects)} object(s) failed: {report.failed_objects}")
    return {
        "objects": len(objects),
        "alertsPublished": report.alerts_published,
        "alertsSuppressed": report.alerts_suppressed,
    }
