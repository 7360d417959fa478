"""Helpers for talking to the pipeline applied to LocalStack, shared by the demo and the e2e tests."""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import os
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from aaas.config import localstack_boto3_client, localstack_endpoint

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "functions"))

from audit_shared.index import (  # noqa: E402
    EVENT_ATTRIBUTE,
    FILTER_INDEXES,
    GSI_HASH_KEYS,
    INITIATOR_INDEX,
    SORT_ATTRIBUTE,
    event_key,
    gsi_hash_value,
    sort_range,
)
from audit_shared.retry import Backoff  # noqa: E402 - after the path set-up
from query.reader import events_by_key  # noqa: E402

ENDPOINT = localstack_endpoint()
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")


def client(service: str) -> Any:
    return localstack_boto3_client(service)


def read_object(bucket: str, key: str) -> bytes:
    body = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body


def object_keys(bucket: str, prefix: str) -> list[str]:
    pages = client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def archived_lines(bucket: str) -> list[tuple[str, str]]:
    """(S3 key, line) for every line of every object under data/, as archived."""
    return [
        (key, line)
        for key in object_keys(bucket, "data/")
        for line in read_object(bucket, key).decode().splitlines()
        if line.strip()
    ]


def error_records(bucket: str) -> list[tuple[str, dict[str, Any]]]:
    """(S3 key, record) for every record Firehose wrote under errors/; record["rawData"] decoded to text."""
    records = []
    for key in object_keys(bucket, "errors/"):
        for line in read_object(bucket, key).decode().splitlines():
            if line.strip():
                record = json.loads(line)
                record["rawData"] = base64.b64decode(record["rawData"]).decode()
                records.append((key, record))
    return records


def archived_for_requestors(bucket: str, prefix: str, expected: int, timeout: float) -> list[tuple[str, str]]:
    """(key, line) of archived events whose requestorid starts with prefix, once `expected` are there."""

    def probe() -> list[tuple[str, str]]:
        return [
            (key, line) for key, line in archived_lines(bucket) if json.loads(line)["requestorid"].startswith(prefix)
        ]

    return wait_for(probe, lambda found: len(found) >= expected, timeout, interval=3)


def ledger_pending(table: str) -> int:
    """Object versions the digest ledger holds as pending (the sparse `pending` GSI)."""
    pages = client("dynamodb").get_paginator("scan").paginate(TableName=table, IndexName="pending", Select="COUNT")
    return sum(page["Count"] for page in pages)


def download(bucket: str, target: Path, prefixes: tuple[str, ...] = ("data/", "errors/", "digests/")) -> Path:
    """What `aws s3 sync` leaves: the current objects under prefixes, as files under target."""
    s3 = client("s3")
    for prefix in prefixes:
        for key in object_keys(bucket, prefix):
            path = target / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    return target


def archived_events(bucket: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """eventid -> (S3 key, event) for every archived event (ids are unique per initiator: see archived_lines)."""
    found = {}
    for key, line in archived_lines(bucket):
        event = json.loads(line)
        found[event["eventid"]] = (key, event)
    return found


def subscribe_queue(topic_arn: str, queue_name: str) -> str:
    """An SQS queue subscribed to the alert topic, to observe alerts as a subscriber would."""
    sqs = client("sqs")
    queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})
    client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return queue_url


def drain_alerts(queue_url: str, wait_seconds: int = 1) -> list[dict[str, Any]]:
    """Every alert waiting on the queue, as {'subject', 'body'} dicts."""
    sqs = client("sqs")
    alerts = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds)
        if not messages.get("Messages"):
            return alerts
        for message in messages["Messages"]:
            envelope = json.loads(message["Body"])
            alerts.append({"subject": envelope.get("Subject"), "body": json.loads(envelope["Message"])})
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def wait_for[T](probe: Callable[[], T], done: Callable[[T], bool], timeout: float, interval: float = 2.0) -> T:
    """Poll until done(probe()) or the timeout; returns the last probe either way."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value) or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def count_indexed_events(table: str) -> int:
    """Event items only: alert dedupe items share the table but carry no event."""
    pages = (
        client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=table,
            Select="COUNT",
            FilterExpression="attribute_exists(#event)",
            ExpressionAttributeNames={"#event": "event"},
        )
    )
    return sum(page["Count"] for page in pages)


def indexed_event_ids(table: str, initiators_by_id: dict[str, str]) -> set[str]:
    """Which of these events (eventid -> initiator) have an item in the index: the query function's look-up."""
    keys = {event_key(initiator, eventid): eventid for eventid, initiator in initiators_by_id.items()}
    found = events_by_key(client("dynamodb"), table, list(keys), Backoff()) if keys else {}
    return {keys[key] for key in found}


def index_query(
    table: str, initiator: str, field: str | None, value: str | None, since_ms: int, until_ms: int
) -> list[str]:
    """Canonical texts of the initiator's indexed events (narrowed by one field's GSI), since_ms <= timestamp <= until_ms."""
    index = FILTER_INDEXES[field] if field else INITIATOR_INDEX
    low, high = sort_range(since_ms, until_ms)
    pages = (
        client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=table,
            IndexName=index,
            KeyConditionExpression="#h = :v AND #s BETWEEN :low AND :high",
            ExpressionAttributeNames={"#h": GSI_HASH_KEYS[index], "#s": SORT_ATTRIBUTE},
            ExpressionAttributeValues={
                ":v": {"S": gsi_hash_value(initiator, field, value)},
                ":low": {"S": low},
                ":high": {"S": high},
            },
        )
    )
    return [item[EVENT_ATTRIBUTE]["S"] for page in pages for item in page["Items"]]


def sealed_event(outputs: dict[str, Any]) -> tuple[str, str]:
    """(eventid, initiator) of a new event whose proof answers 200: post it, wait for delivery, seal."""
    import seal
    from aaas import AuditClient

    requestor = f"sealed-{int(time.time())}"
    event = json.loads((ROOT / "examples" / "events" / "LOGIN_FAILED.json").read_text())
    event.update(requestorid=requestor, timestamp=int(time.time() * 1000) - 60_000)
    with AuditClient(outputs["api_local_url"], outputs["api_keys"]["crm"]) as api:
        eventid = api.post_event(event)["eventid"]
    archived_for_requestors(outputs["archive_bucket_name"], requestor, 1, 300)
    for _ in range(30):  # the object reaches the ledger through S3 -> EventBridge -> the digest function
        succeeded, _answer = seal.seal(client("lambda"), outputs["function_names"]["digest"])
        if succeeded and _proof_ready(outputs, eventid):
            return eventid, event["initiatorsystemcode"]
        time.sleep(5)
    raise RuntimeError(f"event {eventid} was not sealed in time")


def _proof_ready(outputs: dict[str, Any], eventid: str) -> bool:
    from aaas import ApiError, AuditClient

    with AuditClient(outputs["api_local_url"], outputs["api_keys"]["crm"]) as api:
        try:
            api.get_proof(eventid)
        except ApiError:
            return False
    return True


# --- injected faults: the aaas LocalStack extension's /_aaas/faults switch (see its faults.py) -----


def _faults_call(method: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - LocalStack on the loopback interface
        f"{ENDPOINT}/_aaas/faults",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as response:
        return json.load(response)


def fault_state() -> dict[str, Any]:
    """The faults switched on, and how many records, items and invocations they failed so far."""
    return _faults_call("GET")


def clear_faults() -> dict[str, Any]:
    """Switch every fault off; returns the final counters."""
    return _faults_call("DELETE")


@contextlib.contextmanager
def injected_faults(config: dict[str, Any]) -> Iterator[Callable[[], dict[str, Any]]]:
    """Faults on for the block (yields fault_state), and off again afterwards, whatever happens."""
    _faults_call("PUT", config)
    try:
        yield fault_state
    finally:
        clear_faults()
