"""What the alerting function does with the objects of one S3 notification, independent of Lambda.

Each record ends in one of: ignored (not a data object), corrupt (counted and skipped: retrying would
not help), processed (alerts published or suppressed) or failed (a transient AWS error; the handler
raises after the other records are done, so the asynchronous retry processes the event again and the
dedupe keeps alerts already sent from repeating).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aws_lambda_powertools import Logger

from alerting import history, reader
from alerting.notifier import Delivery, Destination, deliver
from alerting.rules import AlertRules, evaluate

DATA_PREFIX = "data/"

logger = Logger(child=True)


@dataclass(frozen=True, slots=True)
class Settings:
    rules: AlertRules
    destination: Destination


@dataclass
class Report:
    events_scanned: int = 0
    alerts_published: int = 0
    alerts_suppressed: int = 0
    corrupt_objects: int = 0
    corrupt_lines: int = 0
    ignored_objects: int = 0
    failed_objects: list[str] = field(default_factory=list)


def process_objects(objects: Iterable[tuple[str, str]], settings: Settings, clients: Any, now_ms: int) -> Report:
    report = Report()
    for bucket, key in objects:
        if not key.startswith(DATA_PREFIX):
            report.ignored_objects += 1
            logger.info("object outside data/ ignored", extra={"bucket": bucket, "key": key})
            continue
        try:
            _process_object(bucket, key, settings, clients, now_ms, report)
        except reader.UnreadableObjectError as exc:
            report.corrupt_objects += 1
            logger.error(
                "corrupt or unreadable object skipped", extra={"bucket": bucket, "key": key, "reason": str(exc)}
            )
        except Exception:
            # Anything else is AWS being unavailable or throttling: keep going, fail the invocation later.
            report.failed_objects.append(f"s3://{bucket}/{key}")
            logger.exception("object could not be processed", extra={"bucket": bucket, "key": key})
    return report


def _process_object(bucket: str, key: str, settings: Settings, clients: Any, now_ms: int, report: Report) -> None:
    contents = reader.decode(reader.fetch(clients.s3, bucket, key), settings.rules.is_relevant)
    report.events_scanned += contents.scanned
    if contents.corrupt_lines:
        report.corrupt_lines += len(contents.corrupt_lines)
        logger.warning(
            "corrupt lines skipped",
            extra={
                "bucket": bucket,
                "key": key,
                "count": len(contents.corrupt_lines),
                "lines": [
                    {"line": number, "reason": reason}
                    for number, reason in contents.corrupt_lines[: reader.MAX_REPORTED_LINES]
                ],
            },
        )
    lookup = partial(history.indexed_events, clients.dynamodb, settings.destination.table)
    for alert in evaluate(contents.events, settings.rules, lookup):
        outcome = deliver(clients, settings.destination, alert, now_ms, bucket, key)
        if outcome is Delivery.PUBLISHED:
            report.alerts_published += 1
        else:
            report.alerts_suppressed += 1
        logger.info(
            f"alert {outcome.value}",
            extra={
                "rule": alert.rule,
                "subject": {"type": alert.subject_type, "value": alert.subject_value},
                "count": len(alert.events),
                "key": key,
            },
        )
