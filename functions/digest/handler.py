"""Digest Lambda: S3 ObjectCreated (data/, errors/) -> ledger; EventBridge schedule -> seal a digest.

Invocations:
- an S3 notification with ``Records``, or S3's "Object Created" event through EventBridge (which
  lets data/ notify both this function and the alerting one): each version is recorded as pending;
- an EventBridge scheduled event (``source`` ``aws.events``), or ``{"action": "seal"}`` for
  ``make seal``: the pending versions are sealed into the next signed digest.
"""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.typing import LambdaContext

from audit_shared.clock import now_millis
from audit_shared.config import positive_int_env, required_env
from audit_shared.ledger import LedgerObject
from audit_shared.retry import Backoff
from audit_shared.signing import KmsSigner
from digest.service import Settings, record_objects, seal

logger = Logger()
metrics = Metrics()


@cache
def settings() -> Settings:
    return Settings(
        bucket=required_env("ARCHIVE_BUCKET_NAME"),
        table=required_env("LEDGER_TABLE_NAME"),
        archive_kms_key_id=required_env("ARCHIVE_KMS_KEY_ID"),
        interval_minutes=positive_int_env("DIGEST_INTERVAL_MINUTES", 60),
        # At least the function timeout, so a lease never expires under a running seal.
        lease_seconds=positive_int_env("SEAL_LEASE_SECONDS", 900),
    )


@cache
def signing_key_id() -> str:
    return required_env("DIGEST_SIGNING_KEY_ID")


@cache
def clients() -> SimpleNamespace:
    return SimpleNamespace(s3=boto3.client("s3"), dynamodb=boto3.client("dynamodb"), kms=boto3.client("kms"))


def _created_objects(event: S3Event) -> list[LedgerObject]:
    objects = []
    for record in event.records:
        # Keys arrive URL-encoded ('=' as %3D); S3EventRecord does not decode them.
        key = unquote_plus(record.s3.get_object.key)
        if not record.event_name.startswith("ObjectCreated:"):
            logger.info("not an ObjectCreated record; ignored", extra={"eventName": record.event_name, "key": key})
            continue
        source = record.s3.get_object
        objects.append(
            LedgerObject(
                key=key,
                versionid=source.version_id or "null",
                size=int(source.get("size", 0)),
                etag=source.get("eTag", ""),
                eventtime=record.event_time,
            )
        )
    return objects


def _bridged_object(event: dict[str, Any]) -> LedgerObject:
    """An S3 "Object Created" event delivered by EventBridge.

    Its key is URL-encoded like in S3 notifications ('=' as %3D; LocalStack does so, and decoding is
    harmless either way: archive keys, written by Firehose and the digest function, never hold '%'
    or '+').
    """
    detail = event["detail"]["object"]
    return LedgerObject(
        key=unquote_plus(detail["key"]),
        versionid=detail.get("version-id") or "null",
        size=int(detail.get("size", 0)),
        etag=detail.get("etag", ""),
        eventtime=event["time"],
    )


def _is_seal_request(event: dict[str, Any]) -> bool:
    return event.get("source") == "aws.events" or event.get("action") == "seal"


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config = settings()
    created = None
    if "Records" in event:
        created = _created_objects(S3Event(event))
    elif event.get("source") == "aws.s3" and event.get("detail-type") == "Object Created":
        created = [_bridged_object(event)]
    if created is not None:
        report = record_objects(clients().dynamodb, config.table, created, now_millis())
        metrics.add_metric("ObjectsRecorded", MetricUnit.Count, report.recorded)
        metrics.add_metric("DuplicateNotifications", MetricUnit.Count, report.duplicates)
        return {"recorded": report.recorded, "duplicates": report.duplicates, "ignored": report.ignored}
    if _is_seal_request(event):
        aws = clients()
        signer = KmsSigner(aws.kms, signing_key_id())
        sealed = seal(aws, config, signer, now_millis(), context.aws_request_id, Backoff())
        if sealed.skipped:
            metrics.add_metric("SealsSkipped", MetricUnit.Count, 1)
            return {"skipped": True}
        metrics.add_metric("ObjectsSealed", MetricUnit.Count, sealed.objects)
        metrics.add_metric("EventsSealed", MetricUnit.Count, sealed.events)
        metrics.add_metric("ObjectsMissingAtSeal", MetricUnit.Count, len(sealed.missing))
        if sealed.missing:
            logger.error("object versions deleted before they were sealed", extra={"objects": sealed.missing})
        return {"digest": sealed.digest_key, "sequence": sealed.sequence, "objects": sealed.objects,
                "events": sealed.events}  # fmt: skip
    # S3 sends an s3:TestEvent without records when a notification is configured.
    logger.info("event is neither an S3 notification nor a seal request; ignored", extra={"event": event})
    return {"ignored": True}
