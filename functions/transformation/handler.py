"""Transformation Lambda: validates, normalizes and partitions every record Firehose delivers.

Nothing is dropped: a record that cannot be archived is returned as ProcessingFailed, which makes
Firehose write it, unchanged, under the error prefix.
"""

from __future__ import annotations

import binascii
import gc
from functools import cache
from operator import itemgetter
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
from transformation.direct_batch import transform_chunks
from transformation.records import Failed

logger = Logger()
metrics = Metrics()

# Lambda's synchronous response limit is 6 MB; keep clear of it. Firehose is configured to hand the
# processor at most 1 MB, so this only guards against a misconfigured buffer.
RESPONSE_BUDGET_BYTES = 5 * 1024 * 1024
RECORD_OVERHEAD_BYTES = 256  # JSON keys, record id and partition keys around each record's data
_data = itemgetter("data")
_arrival = itemgetter("approximateArrivalTimestamp")


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
    results: list[dict[str, Any]] = []
    b2a = binascii.b2a_base64
    # A chunk at a time: its lines are written to base64 while still in the processor's caches.
    for first, outcomes in transform_chunks(
        list(map(_data, records)), list(map(_arrival, records)), event_policy, now_ms, key
    ):
        results += [
            {
                "recordId": record["recordId"],
                "result": "Ok",
                "data": b2a(outcome[0], newline=False).decode("ascii"),
                "metadata": {"partitionKeys": outcome[1]},
            }
            if type(outcome) is not Failed
            else _failed(record, outcome.reason)
            for record, outcome in zip(records[first : first + len(outcomes)], outcomes, strict=True)
        ]
    # A failed record returns its data as sent, so every result's size is its data's plus the overhead.
    if sum(map(len, map(_data, results))) + RECORD_OVERHEAD_BYTES * len(results) > budget:
        _within_budget(results, records, budget)
    return {"records": results}


def _within_budget(results: list[dict[str, Any]], records: list[dict[str, Any]], budget: int) -> None:
    """Fail, in order, each transformed record that no longer fits in the response: it goes to the error prefix."""
    used = 0
    for index, result in enumerate(results):
        size = len(result["data"]) + RECORD_OVERHEAD_BYTES
        if result["result"] == "Ok" and used + size > budget:
            reason = f"response size budget of {budget} bytes exhausted; Firehose buffer is too large"
            result = results[index] = _failed(records[index], reason)
            size = len(result["data"]) + RECORD_OVERHEAD_BYTES
        used += size


def _failed(record: dict[str, Any], reason: str) -> dict[str, Any]:
    logger.warning("record sent to the error prefix", extra={"recordId": record["recordId"], "reason": reason})
    # The original data goes back so that the error prefix holds exactly what the producer sent.
    return {"recordId": record["recordId"], "result": "ProcessingFailed", "data": record["data"]}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@event_source(data_class=KinesisFirehoseEvent)
def lambda_handler(event: KinesisFirehoseEvent, context: LambdaContext) -> dict[str, Any]:
    response = process(event, policy(), now_millis(), record_key())
    results = [record["result"] for record in response["records"]]
    metrics.add_metric("RecordsTransformed", MetricUnit.Count, results.count("Ok"))
    metrics.add_metric("RecordsFailed", MetricUnit.Count, results.count("ProcessingFailed"))
    return response
