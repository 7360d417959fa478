"""Firehose PutRecordBatch that retries exactly the records Firehose reports as failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from audit_shared.retry import Backoff

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 4 * 1024 * 1024
# Whole-call errors worth another attempt; anything else (e.g. a missing stream) is a deployment fault.
RETRYABLE_CALL_ERRORS = frozenset({"ServiceUnavailableException", "ThrottlingException", "InternalFailure"})


@dataclass
class DeliveryReport:
    delivered: set[int] = field(default_factory=set)
    failed: dict[int, str] = field(default_factory=dict)  # position -> last error
    retries: int = 0


def _calls(records: list[bytes]) -> list[list[int]]:
    """Split record positions into calls within Firehose's count and size limits."""
    calls: list[list[int]] = []
    current: list[int] = []
    size = 0
    for position, record in enumerate(records):
        if current and (len(current) == MAX_RECORDS_PER_CALL or size + len(record) > MAX_BYTES_PER_CALL):
            calls.append(current)
            current, size = [], 0
        current.append(position)
        size += len(record)
    if current:
        calls.append(current)
    return calls


def put_records(client: Any, stream_name: str, records: list[bytes], backoff: Backoff) -> DeliveryReport:
    report = DeliveryReport()
    for call in _calls(records):
        pending = call
        for attempt in backoff.pauses():
            if attempt > 1:
                report.retries += 1
            try:
                response = client.put_record_batch(
                    DeliveryStreamName=stream_name,
                    Records=[{"Data": records[position]} for position in pending],
                )
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code not in RETRYABLE_CALL_ERRORS:
                    raise
                for position in pending:
                    report.failed[position] = code
                continue
            still_failing = []
            for position, result in zip(pending, response["RequestResponses"], strict=True):
                if result.get("ErrorCode"):
                    still_failing.append(position)
                    report.failed[position] = f"{result['ErrorCode']}: {result.get('ErrorMessage', '')}".strip()
                else:
                    report.delivered.add(position)
                    report.failed.pop(position, None)
            pending = still_failing
            if not pending:
                break
    return report
