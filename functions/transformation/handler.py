"""Transformation Lambda: validates, normalizes and partitions every record Firehose delivers.

Nothing is dropped: a record that cannot be archived is returned as ProcessingFailed, which makes
Firehose write it, unchanged, under the error prefix.
"""

from __future__ import annotations

import binascii
import gc
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import KinesisFirehoseEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from audit_shared.clock import now_millis
from audit_shared.config import required_env, string_list_env
from audit_shared.derived_keys import derive_key
from audit_shared.record_frames import KEY_PURPOSE
from audit_shared.validation import EventPolicy
from transformation.records import Failed, transform

logger = Logger()
metrics = Metrics()

# Lambda's synchronous response limit is 6 MB; keep clear of it. Firehose is configured to hand the
# processor at most 1 MB, so this only guards against a misconfigured buffer.
RESPONSE_BUDGET_BYTES = 5 * 1024 * 1024
RECORD_OVERHEAD_BYTES = 256  # JSON keys, record id and partition keys around each record's data


@cache
def policy() -> EventPolicy:
    return EventPolicy(allowed_initiators=string_list_env("ALLOWED_INITIATOR_CODES"))


@cache
def record_key() -> bytes:
    """The key that proves a record was framed by the ingestion API (audit_shared.record_frames)."""
    return derive_key(boto3.client("kms"), required_env("RECORD_MAC_KEY_ID"), KEY_PURPOSE)


def process(
    event: KinesisFirehoseEvent,
    event_policy: EventPolicy,
    now_ms: int,
    key: bytes,
    budget: int = RESPONSE_BUDGET_BYTES,
) -> dict[str, list[dict[str, Any]]]:
    """One result per input record, same ids, same order: the processor response Firehose expects.

    Results are plain dicts: Powertools' response classes cost more per record than the transform.
    The cyclic garbage collector is paused for the loop: it would otherwise walk the growing list of
    results again and again (a third of the time on a 3 MB batch), and nothing here makes a cycle.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _process(event.raw_event["records"], event_policy, now_ms, key, budget)
    finally:
        if collecting:
            gc.enable()


def _process(
    records: list[dict[str, Any]], event_policy: EventPolicy, now_ms: int, key: bytes, budget: int
) -> dict[str, list[dict[str, Any]]]:
    results = []
    used = 0
    for record in records:
        outcome = transform(record["data"], record["approximateArrivalTimestamp"], event_policy, now_ms, key)
        if not isinstance(outcome, Failed):
            data = binascii.b2a_base64(outcome.line, newline=False).decode("ascii")
            if used + len(data) + RECORD_OVERHEAD_BYTES <= budget:
                used += len(data) + RECORD_OVERHEAD_BYTES
                results.append(
                    {
                        "recordId": record["recordId"],
                        "result": "Ok",
                        "data": data,
                        "metadata": {"partitionKeys": outcome.partition_keys},
                    }
                )
                continue
            outcome = Failed(f"response size budget of {budget} bytes exhausted; Firehose buffer is too large")
        used += len(record["data"]) + RECORD_OVERHEAD_BYTES
        logger.warning(
            "record sent to the error prefix", extra={"recordId": record["recordId"], "reason": outcome.reason}
        )
        # The original data goes back so that the error prefix holds exactly what the producer sent.
        results.append({"recordId": record["recordId"], "result": "ProcessingFailed", "data": record["data"]})
    return {"records": results}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@event_source(data_class=KinesisFirehoseEvent)
def lambda_handler(event: KinesisFirehoseEvent, context: LambdaContext) -> dict[str, Any]:
    response = process(event, policy(), now_millis(), record_key())
    results = [record["result"] for record in response["records"]]
    metrics.add_metric("RecordsTransformed", MetricUnit.Count, results.count("Ok"))
    metrics.add_metric("RecordsFailed", MetricUnit.Count, results.count("ProcessingFailed"))
    return response
