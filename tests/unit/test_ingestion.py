"""Ingestion API: what a client sees for every kind of request, and what ends up stored."""

from __future__ import annotations

import base64
import copy
import http.server
import json
import threading
import uuid
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from audit_shared.clock import now_millis
from audit_shared.events import normalize
from audit_shared.partitions import partition_keys
from audit_shared.record_frames import TRAILER_TAG, unframe
from audit_shared.retry import Backoff
from support import TEST_CLIENTS, create_index_table, load_fixture

TABLE = "audit-index"
STREAM = "audit-delivery"
BUCKET = "audit-archive"
CRM_KEY_ID = "k1crmweb01"  # the apiKeyId in tests/fixtures/apigw_post_event.json
ERP_KEY_ID = "k2erpweb02"


@pytest.fixture
def handler(aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The ingestion handler wired to a moto Firehose stream, S3 bucket and index table."""
    return ingestion_on_moto(monkeypatch)


def ingestion_on_moto(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set up the ingestion handler's moto resources and environment (inside mock_aws); returns its module."""
    monkeypatch.setenv("ALLOWED_INITIATOR_CODES", json.dumps(["CRM_WEB", "CRM_MBL", "ERP_WEB"]))
    monkeypatch.setenv("API_CLIENTS", json.dumps(TEST_CLIENTS))
    monkeypatch.setenv("IDEMPOTENCY_CLAIM_SECONDS", "120")
    monkeypatch.setenv("DELIVERY_STREAM_NAME", STREAM)
    monkeypatch.setenv("INDEX_TABLE_NAME", TABLE)
    monkeypatch.setenv("INDEX_RETENTION_DAYS", "30")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "audit-ingestion")
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    boto3.client("firehose").create_delivery_stream(
        DeliveryStreamName=STREAM,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/audit-firehose",
            "BucketARN": f"arn:aws:s3:::{BUCKET}",
            "Prefix": "data/",
        },
    )
    create_index_table(boto3.client("dynamodb"), TABLE)
    mac_key = boto3.client("kms").create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    monkeypatch.setenv("RECORD_MAC_KEY_ID", mac_key["KeyMetadata"]["Arn"])
    from ingestion import handler as module

    module.settings.cache_clear()
    module.clients.cache_clear()
    module.record_key.cache_clear()
    monkeypatch.setattr(module, "BACKOFF", Backoff(attempts=4, sleep=lambda _: None))
    return module


def request(body: Any, *, path: str = "/v1/events", method: str = "POST", **overrides: Any) -> dict[str, Any]:
    event = load_fixture("apigw_post_event.json")
    event.update(path=path, resource=path, httpMethod=method)
    event["requestContext"].update(resourcePath=path, httpMethod=method)
    event["body"] = body if isinstance(body, str) or body is None else json.dumps(body)
    for key, value in overrides.items():
        event[key] = value
    return event


def call(handler: Any, event: dict[str, Any], context: Any) -> tuple[int, Any]:
    response = handler.lambda_handler(event, context)
    return response["statusCode"], json.loads(response["body"]) if response["body"] else None


def archived() -> list[dict[str, Any]]:
    """Every event line Firehose (moto) delivered to the archive bucket, as the transformation would
    archive it: moto has no processor, so its objects hold the ingestion's framed records, which are
    verified and unframed here with the same code."""
    s3 = boto3.client("s3")
    lines = []
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
        lines.extend(json.loads(line) for line in transformed(body).splitlines())
    return lines


def transformed(body: bytes) -> bytes:
    """What the transformation archives for an object of moto's: the lines of each verified record."""
    from ingestion.handler import record_key

    if TRAILER_TAG not in body:  # already rewritten by transform_archive
        return body
    frames = [unframe(record_key(), record) for record in framed_records(body)]
    assert all(frame is not None for frame in frames), body
    return b"".join(frame.lines for frame in frames if frame is not None)


def transform_archive() -> None:
    """Rewrite moto's objects as Firehose with the transformation would have written them."""
    s3 = boto3.client("s3")
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
        s3.put_object(Bucket=BUCKET, Key=item["Key"], Body=transformed(body))


def framed_records(body: bytes) -> list[bytes]:
    """Split concatenated records after each trailer line."""
    records, start = [], 0
    for line in body.splitlines(keepends=True):
        if line.startswith(TRAILER_TAG):
            end = body.index(line, start) + len(line)
            records.append(body[start:end])
            start = end
    assert start == len(body), "bytes after the last trailer"
    return records


def indexed() -> list[dict[str, Any]]:
    return boto3.client("dynamodb").scan(TableName=TABLE)["Items"]


def fresh(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(event)
    event["timestamp"] = now_millis() - 60_000
    event.update(changes)
    return event


def test_single_event_is_archived_and_indexed(handler: Any, lambda_context: Any, examples: dict) -> None:
    event = fresh(examples["LOGIN_SUCCESSFUL"])
    status, body = call(handler, request(event), lambda_context)
    assert status == 201
    assert set(body) == {"eventid", "receivedat", "duplicate"}
    assert body["duplicate"] is False
    assert uuid.UUID(body["eventid"]).version == 7

    [stored] = archived()
    assert stored["eventid"] == body["eventid"]
    assert stored["receivedat"] == body["receivedat"]
    assert (stored["sourceip"], stored["apikeyid"], stored["schemaversion"]) == ("198.51.100.23", CRM_KEY_ID, "1")
    assert stored["timestamp"] == event["timestamp"]

    [item] = indexed()
    assert item["eventid"] == {"S": body["eventid"]}
    assert item["requestorid"] == {"S": event["requestorid"]}
    assert item["timestamp"] == {"N": str(event["timestamp"])}
    ttl = int(item["expiresat"]["N"])
    assert abs(ttl - (now_millis() // 1000 + 30 * 86_400)) < 60
    assert json.loads(item["event"]["S"]) == stored


def test_digit_string_timestamp_is_stored_as_a_number(handler: Any, lambda_context: Any, examples: dict) -> None:
    event = fresh(examples["LOGIN_SUCCESSFUL"])
    event["timestamp"] = str(event["timestamp"])
    status, _ = call(handler, request(event), lambda_context)
    assert status == 201
    assert archived()[0]["timestamp"] == int(event["timestamp"])


def test_invalid_event_lists_every_violation_and_stores_nothing(
    handler: Any, lambda_context: Any, examples: dict
) -> None:
    event = fresh(examples["LOGIN_FAILED"], requestorip="10.0.0.300", receivedat="2026-11-01T00:00:00Z")
    del event["loginfailurecode"]
    status, body = call(handler, request(event), lambda_context)
    assert status == 400
    assert body == {
        "status": 400,
        "errorcode": "ValidationError",
        "message": "event failed validation",
        "retryable": False,
        "errors": [
            {"field": "loginfailurecode", "message": "is required for eventtype LOGIN_FAILED"},
            {"field": "requestorip", "message": "must be an IPv4 or IPv6 address"},
            {"field": "receivedat", "message": "is set by the server and must not be sent"},
        ],
    }
    assert archived() == []
    assert indexed() == []


@pytest.mark.parametrize(
    "body, message",
    [
        ('{"eventtype": ', "request body is not valid JSON: Expecting value: line 1 column 15 (char 14)"),
        ("", "request body is empty"),
        ("   ", "request body is empty"),
    ],
)
def test_malformed_body_is_a_400(handler: Any, lambda_context: Any, body: str, message: str) -> None:
    assert call(handler, request(body), lambda_context) == (400, {"message": message})


def test_base64_encoded_body_is_accepted(handler: Any, lambda_context: Any, examples: dict) -> None:
    payload = base64.b64encode(json.dumps(fresh(examples["LOGOUT_SUCCESSFUL"])).encode()).decode()
    status, _ = call(handler, request(payload, isBase64Encoded=True), lambda_context)
    assert status == 201
    assert len(archived()) == 1


@pytest.mark.parametrize(
    "content_type, shown",
    [
        ("text/plain", "'text/plain'"),
        ("application/x-www-form-urlencoded", "'application/x-www-form-urlencoded'"),
        (None, "'none'"),
    ],
)
def test_wrong_content_type_is_a_415(
    handler: Any, lambda_context: Any, examples: dict, content_type: str | None, shown: str
) -> None:
    event = request(fresh(examples["LOGIN_SUCCESSFUL"]))
    del event["headers"]["Content-Type"]
    if content_type:
        event["headers"]["content-type"] = content_type
    assert call(handler, event, lambda_context) == (
        415,
        {"message": f"Content-Type must be application/json, got {shown}"},
    )
    assert archived() == []


def test_content_type_with_charset_is_accepted(handler: Any, lambda_context: Any, examples: dict) -> None:
    event = request(fresh(examples["LOGIN_SUCCESSFUL"]))
    event["headers"]["Content-Type"] = "application/json; charset=utf-8"
    assert call(handler, event, lambda_context)[0] == 201


def test_oversize_bodies_are_a_413(handler: Any, lambda_context: Any, examples: dict) -> None:
    single = json.dumps(fresh(examples["LOGIN_SUCCESSFUL"])) + " " * (128 * 1024)
    status, body = call(handler, request(single), lambda_context)
    assert status == 413
    assert body == {"message": f"request body is {len(single)} bytes; the limit is 131072"}

    batch = json.dumps({"events": [fresh(examples["LOGIN_SUCCESSFUL"])]}) + " " * (4 * 1024 * 1024)
    status, body = call(handler, request(batch, path="/v1/events/batch"), lambda_context)
    assert status == 413
    assert body == {"message": f"request body is {len(batch)} bytes; the limit is 4194304"}
    assert archived() == []


def test_unknown_route_is_404_and_wrong_method_is_405(handler: Any, lambda_context: Any) -> None:
    assert call(handler, request(None, path="/v1/nothing"), lambda_context) == (
        404,
        {"message": "no route for /v1/nothing"},
    )
    response = handler.lambda_handler(request(None, method="GET"), lambda_context)
    assert response["statusCode"] == 405
    assert json.loads(response["body"]) == {"message": "method GET is not allowed on /v1/events"}
    assert response["multiValueHeaders"]["Allow"] == ["POST"]


def test_cross_tenant_post_is_refused_with_403(handler: Any, lambda_context: Any, examples: dict) -> None:
    event = fresh(examples["DOCUMENT_DOWNLOADED"], initiatorsystemcode="ERP_WEB")
    status, body = call(handler, request(event), lambda_context)  # the fixture's key is CRM's
    message = "this API key may not post events for initiator system 'ERP_WEB'"
    assert status == 403
    assert body == {
        "status": 403,
        "errorcode": "Forbidden",
        "message": message,
        "retryable": False,
        "errors": [{"field": "initiatorsystemcode", "message": message}],
    }
    assert archived() == []
    assert indexed() == []


def test_request_without_api_key_id_is_refused(handler: Any, lambda_context: Any, examples: dict) -> None:
    event = request(fresh(examples["LOGIN_SUCCESSFUL"]))
    event["requestContext"]["identity"]["apiKeyId"] = None
    assert call(handler, event, lambda_context) == (403, {"message": "an API key is required"})


def test_batch_reports_each_item(handler: Any, lambda_context: Any, examples: dict) -> None:
    good = fresh(examples["LOGIN_SUCCESSFUL"])
    invalid = fresh(examples["LOGIN_SUCCESSFUL"], eventtype="LOGIN_MAYBE")
    foreign = fresh(examples["DOCUMENT_ARCHIVED"], initiatorsystemcode="ERP_WEB")
    status, body = call(handler, request({"events": [good, invalid, foreign]}, path="/v1/events/batch"), lambda_context)
    assert status == 200
    [accepted] = body["successful"]
    assert accepted["index"] == 0 and accepted["duplicate"] is False
    assert body["failed"] == [
        {
            "index": 1,
            "status": 400,
            "errorcode": "ValidationError",
            "message": "event failed validation",
            "retryable": False,
            "errors": [{"field": "eventtype", "message": "must be one of the allowed values; got 'LOGIN_MAYBE'"}],
        },
        {
            "index": 2,
            "status": 403,
            "errorcode": "Forbidden",
            "message": "this API key may not post events for initiator system 'ERP_WEB'",
            "retryable": False,
            "errors": [
                {
                    "field": "initiatorsystemcode",
                    "message": "this API key may not post events for initiator system 'ERP_WEB'",
                }
            ],
        },
    ]
    assert [event["eventid"] for event in archived()] == [accepted["eventid"]]
    assert len(indexed()) == 1


def test_entirely_invalid_batch_is_a_400_and_entirely_foreign_is_a_403(
    handler: Any, lambda_context: Any, examples: dict
) -> None:
    invalid = [fresh(examples["LOGIN_SUCCESSFUL"], requestorid=""), "not an event"]
    status, body = call(handler, request({"events": invalid}, path="/v1/events/batch"), lambda_context)
    assert status == 400
    assert body["successful"] == []
    assert [item["errors"] for item in body["failed"]] == [
        [{"field": "requestorid", "message": "must be longer than or equal to 1 characters"}],
        [{"field": "", "message": "event must be a JSON object"}],
    ]
    foreign = [fresh(examples["DOCUMENT_ARCHIVED"], initiatorsystemcode="ERP_WEB")]
    status, body = call(handler, request({"events": foreign}, path="/v1/events/batch"), lambda_context)
    assert status == 403
    assert archived() == []


@pytest.mark.parametrize(
    "body, errors",
    [
        ({"events": []}, [{"field": "events", "message": "must hold 1 to 500 events; got 0"}]),
        ({"events": [{}] * 501}, [{"field": "events", "message": "must hold 1 to 500 events; got 501"}]),
        ({"items": []}, [{"field": "events", "message": "is required and must be an array"}]),
        ([{"eventtype": "LOGIN_SUCCESSFUL"}], [{"field": "events", "message": "is required and must be an array"}]),
        ({"events": [{}], "extra": 1}, [{"field": "extra", "message": "is not an allowed field"}]),
    ],
)
def test_malformed_batch_envelope(handler: Any, lambda_context: Any, body: Any, errors: list) -> None:
    status, response = call(handler, request(body, path="/v1/events/batch"), lambda_context)
    assert status == 400
    assert response["errors"] == errors


def test_full_batch_of_500_is_archived_and_indexed_in_chunks(handler: Any, lambda_context: Any, examples: dict) -> None:
    events = [fresh(examples["DOCUMENT_CONTENT_VIEWED"], requestorid=f"u-{n}") for n in range(500)]
    status, body = call(handler, request({"events": events}, path="/v1/events/batch"), lambda_context)
    assert status == 200
    assert len(body["successful"]) == 500 and body["failed"] == []
    assert len(archived()) == 500
    scanned = boto3.client("dynamodb").get_paginator("scan").paginate(TableName=TABLE, Select="COUNT")
    assert sum(page["Count"] for page in scanned) == 500


def test_duplicate_event_id_is_stored_once(handler: Any, lambda_context: Any, examples: dict) -> None:
    event = fresh(examples["PASSWORD_CHANGED"], eventid="5b0f3c1e-9d2a-4e7b-8c6f-0a1b2c3d4e5f")
    first_status, first = call(handler, request(event), lambda_context)
    second_status, second = call(handler, request(event), lambda_context)
    assert (first_status, first["duplicate"]) == (201, False)
    assert (second_status, second["duplicate"]) == (200, True)
    assert first["eventid"] == second["eventid"] == event["eventid"]
    assert len(archived()) == 1
    assert len(indexed()) == 1


def test_repeated_event_id_inside_one_batch_is_stored_once(handler: Any, lambda_context: Any, examples: dict) -> None:
    event = fresh(examples["ROLE_ASSIGNED"], eventid="0d9c8b7a-6f5e-4d3c-8b2a-190817263544")
    status, body = call(handler, request({"events": [event, event]}, path="/v1/events/batch"), lambda_context)
    assert status == 200
    assert [(item["index"], item["duplicate"]) for item in body["successful"]] == [(0, False), (1, True)]
    assert len(archived()) == 1


class FlakyFirehose:
    """Moto's Firehose, except that the records at given positions fail on given calls."""

    def __init__(self, real: Any, failures_per_call: list[set[int]]) -> None:
        self.real = real
        self.failures_per_call = failures_per_call
        self.calls: list[int] = []

    def put_record_batch(self, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> dict[str, Any]:
        failing = self.failures_per_call[len(self.calls)] if len(self.calls) < len(self.failures_per_call) else set()
        self.calls.append(len(Records))
        passing = [record for position, record in enumerate(Records) if position not in failing]
        if passing:
            self.real.put_record_batch(DeliveryStreamName=DeliveryStreamName, Records=passing)
        responses = [
            {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."}
            if position in failing
            else {"RecordId": f"record-{position}"}
            for position in range(len(Records))
        ]
        return {"FailedPutCount": len(failing), "Encrypted": False, "RequestResponses": responses}


def use_clients(handler: Any, monkeypatch: pytest.MonkeyPatch, **clients: Any) -> None:
    real = SimpleNamespace(
        firehose=boto3.client("firehose"), dynamodb=boto3.client("dynamodb"), kms=boto3.client("kms")
    )
    for name, client in clients.items():
        setattr(real, name, client)
    monkeypatch.setattr(handler, "clients", lambda: real)


def one_day_each(event: dict[str, Any], n: int, **changes: Any) -> dict[str, Any]:
    """The event n days back: in a partition of its own, so in a Firehose record of its own."""
    return fresh(event, timestamp=now_millis() - 60_000 - n * 86_400_000, **changes)


def test_firehose_partial_failure_is_retried_for_the_failed_records_only(
    handler: Any, lambda_context: Any, examples: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky = FlakyFirehose(boto3.client("firehose"), [{1, 3}])
    use_clients(handler, monkeypatch, firehose=flaky)
    events = [one_day_each(examples["LOGIN_SUCCESSFUL"], n, requestorid=f"u-{n}") for n in range(5)]
    status, body = call(handler, request({"events": events}, path="/v1/events/batch"), lambda_context)
    assert status == 200
    assert len(body["successful"]) == 5 and body["failed"] == []
    assert flaky.calls == [5, 2]
    assert sorted(event["requestorid"] for event in archived()) == [f"u-{n}" for n in range(5)]
    assert len(indexed()) == 5


def test_record_that_keeps_failing_is_reported_retryable_and_not_indexed(
    handler: Any, lambda_context: Any, examples: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Positions are within each call: the retries carry only the one failing record.
    flaky = FlakyFirehose(boto3.client("firehose"), [{2}, {0}, {0}, {0}])
    use_clients(handler, monkeypatch, firehose=flaky)
    events = [one_day_each(examples["LOGIN_SUCCESSFUL"], n, requestorid=f"u-{n}") for n in range(3)]
    status, body = call(handler, request({"events": events}, path="/v1/events/batch"), lambda_context)
    assert status == 200
    assert [item["index"] for item in body["successful"]] == [0, 1]
    [failed] = body["failed"]
    assert failed["index"] == 2 and failed["status"] == 503 and failed["retryable"] is True
    assert failed["errorcode"] == "DeliveryFailed"
    assert failed["message"] == "delivery failed after retries (ServiceUnavailableException: Slow down.); retry later"
    assert flaky.calls == [3, 1, 1, 1]
    assert sorted(event["requestorid"] for event in archived()) == ["u-0", "u-1"]
    assert sorted(item["requestorid"]["S"] for item in indexed()) == ["u-0", "u-1"]


def test_single_event_that_cannot_be_delivered_is_a_503(
    handler: Any, lambda_context: Any, examples: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_clients(handler, monkeypatch, firehose=FlakyFirehose(boto3.client("firehose"), [{0}] * 4))
    status, body = call(handler, request(fresh(examples["LOGIN_SUCCESSFUL"])), lambda_context)
    assert status == 503
    assert body["retryable"] is True and body["errorcode"] == "DeliveryFailed"
    assert archived() == [] and indexed() == []


class FlakyDynamoDB:
    """Moto's DynamoDB, except that the first BatchWriteItem leaves half its items unprocessed."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.write_calls: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def batch_write_item(self, RequestItems: dict[str, list]) -> dict[str, Any]:
        [(table, requests)] = RequestItems.items()
        self.write_calls.append(len(requests))
        if len(self.write_calls) > 1:
            return self.real.batch_write_item(RequestItems=RequestItems)
        half = len(requests) // 2
        self.real.batch_write_item(RequestItems={table: requests[:half]})
        return {"UnprocessedItems": {table: requests[half:]}}


def test_unprocessed_index_items_are_retried(
    handler: Any, lambda_context: Any, examples: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky = FlakyDynamoDB(boto3.client("dynamodb"))
    use_clients(handler, monkeypatch, dynamodb=flaky)
    events = [
        fresh(examples["DOCUMENT_DOWNLOADED"], requestorid=f"u-{n}", initiatorsystemcode="CRM_WEB") for n in range(30)
    ]
    status, body = call(handler, request({"events": events}, path="/v1/events/batch"), lambda_context)
    assert status == 200 and len(body["successful"]) == 30
    assert flaky.write_calls == [25, 13, 5]
    assert len(indexed()) == 30


class ThrottledBatchWrites:
    """Moto's DynamoDB, except that the first `throttled` BatchWriteItem calls fail whole, as DynamoDB does
    when it can process none of the items."""

    def __init__(self, real: Any, throttled: int) -> None:
        self.real, self.throttled, self.write_calls = real, throttled, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def batch_write_item(self, RequestItems: dict[str, list]) -> dict[str, Any]:
        self.write_calls += 1
        if self.write_calls <= self.throttled:
            error = {"Code": "ProvisionedThroughputExceededException", "Message": "throughput exceeded"}
            raise ClientError({"Error": error}, "BatchWriteItem")
        return self.real.batch_write_item(RequestItems=RequestItems)


def test_a_throttled_index_write_is_retried(
    handler: Any, lambda_context: Any, examples: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    throttled = ThrottledBatchWrites(boto3.client("dynamodb"), throttled=2)
    use_clients(handler, monkeypatch, dynamodb=throttled)
    events = [fresh(examples["LOGIN_SUCCESSFUL"], requestorid=f"u-{n}") for n in range(5)]
    status, body = call(handler, request({"events": events}, path="/v1/events/batch"), lambda_context)
    assert status == 200 and len(body["successful"]) == 5
    assert throttled.write_calls == 3
    assert len(indexed()) == 5


def test_index_writes_throttled_on_every_attempt_leave_the_delivered_events_accepted_and_counted(
    handler: Any,
    lambda_context: Any,
    examples: dict,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Delivered events are stored: the client is told so (no 500, whose retry could archive them twice),
    and the unindexed ones are counted in IndexWriteFailures and logged by eventid."""
    throttled = ThrottledBatchWrites(boto3.client("dynamodb"), throttled=10**6)
    use_clients(handler, monkeypatch, dynamodb=throttled)
    events = [fresh(examples["LOGIN_SUCCESSFUL"], requestorid=f"u-{n}") for n in range(3)]
    status, body = call(handler, request({"events": events}, path="/v1/events/batch"), lambda_context)
    assert status == 200 and [item["duplicate"] for item in body["successful"]] == [False] * 3
    assert throttled.write_calls == 4  # the fixture's Backoff(attempts=4)
    assert len(archived()) == 3 and indexed() == []
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [entry["IndexWriteFailures"] for entry in metrics if "IndexWriteFailures" in entry] == [[3.0]]
    [unindexed] = [
        record.eventids for record in caplog.records if record.getMessage() == "events archived but not indexed"
    ]
    assert sorted(unindexed) == sorted(item["eventid"] for item in body["successful"])


class _AlwaysThrottled(http.server.BaseHTTPRequestHandler):
    """A DynamoDB endpoint that throttles every request, counting them."""

    requests = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).requests += 1
        body = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "The level of configured provisioned throughput for the table was exceeded.",
            }
        ).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_throttled_claim_is_answered_unavailable_after_three_attempts(
    handler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ingestion DynamoDB client gives up on a throttled claim in 3 attempts (not the SDK's 10, ~25 s,
    which outlast the function's timeout): the item is answered as a retryable 503 instead of a timeout."""
    from ingestion.claims import ClaimRequest, ClaimState, claim_one

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    _AlwaysThrottled.requests = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AlwaysThrottled)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = boto3.client(
            "dynamodb", endpoint_url=f"http://127.0.0.1:{server.server_port}", config=handler.DYNAMODB_CONFIG
        )
        result = claim_one(client, TABLE, ClaimRequest("CRM_WEB#e-1", "hash"), now_millis(), 60_000)
    finally:
        server.shutdown()
    assert (result.state, result.error) == (ClaimState.UNAVAILABLE, "ProvisionedThroughputExceededException")
    assert _AlwaysThrottled.requests == 3


def test_unexpected_aws_fault_is_a_json_500_and_nothing_is_lost_silently(
    handler: Any, lambda_context: Any, examples: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DELIVERY_STREAM_NAME", "no-such-stream")
    handler.settings.cache_clear()
    status, body = call(handler, request(fresh(examples["LOGIN_SUCCESSFUL"])), lambda_context)
    assert (status, body) == (500, {"message": "internal error; retry later", "retryable": True})
    assert archived() == [] and indexed() == []


# --- tenant-scoped identity and exactly-once ingest ----------------------------------------------


def as_key(event: dict[str, Any], key_id: str) -> dict[str, Any]:
    event["requestContext"]["identity"]["apiKeyId"] = key_id
    return event


def test_same_eventid_under_two_initiators_is_two_events(handler: Any, lambda_context: Any, examples: dict) -> None:
    eventid = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    crm = fresh(examples["LOGIN_SUCCESSFUL"], eventid=eventid, initiatorsystemcode="CRM_WEB", requestorid="u-crm")
    erp = fresh(examples["LOGIN_SUCCESSFUL"], eventid=eventid, initiatorsystemcode="ERP_WEB", requestorid="u-erp")
    assert call(handler, request(crm), lambda_context)[0] == 201
    status, body = call(handler, as_key(request(erp), ERP_KEY_ID), lambda_context)
    assert (status, body["duplicate"]) == (201, False)
    assert sorted(event["requestorid"] for event in archived()) == ["u-crm", "u-erp"]
    assert sorted(item["pk"]["S"] for item in indexed()) == [f"CRM_WEB#{eventid}", f"ERP_WEB#{eventid}"]


def test_reused_eventid_with_other_content_is_a_409_and_the_first_event_stays(
    handler: Any, lambda_context: Any, examples: dict
) -> None:
    eventid = "9a1e2f3c-4b5d-4e6f-8a7b-0c1d2e3f4a5b"
    first = fresh(examples["LOGIN_SUCCESSFUL"], eventid=eventid, requestorid="u-first")
    assert call(handler, request(first), lambda_context)[0] == 201
    status, body = call(handler, request(dict(first, requestorid="u-second")), lambda_context)
    assert status == 409
    assert body == {
        "status": 409,
        "errorcode": "IdempotencyConflict",
        "message": f"eventid {eventid} was already used by this initiator for an event with different content",
        "retryable": False,
        "eventid": eventid,
    }
    assert [event["requestorid"] for event in archived()] == ["u-first"]
    [item] = indexed()
    assert json.loads(item["event"]["S"])["requestorid"] == "u-first"


def test_repeat_inside_a_batch_with_other_content_is_a_409_item(
    handler: Any, lambda_context: Any, examples: dict
) -> None:
    event = fresh(examples["ROLE_ASSIGNED"], eventid="1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b")
    changed = dict(event, requestorid="u-other")
    status, body = call(handler, request({"events": [event, changed]}, path="/v1/events/batch"), lambda_context)
    assert status == 200
    assert [item["index"] for item in body["successful"]] == [0]
    [failed] = body["failed"]
    assert (failed["index"], failed["status"], failed["errorcode"]) == (1, 409, "IdempotencyConflict")
    assert len(archived()) == 1


def claim_item(key: str, content_hash: str, expires_ms: int) -> dict[str, Any]:
    return {
        "pk": {"S": key},
        "contenthash": {"S": content_hash},
        "claimexpires": {"N": str(expires_ms)},
        "expiresat": {"N": str(expires_ms // 1000 + 3600)},
    }


def test_id_claimed_by_a_request_in_flight_is_a_retryable_409(
    handler: Any, lambda_context: Any, examples: dict
) -> None:
    from audit_shared.events import normalize
    from audit_shared.index import content_hash

    event = fresh(examples["LOGIN_SUCCESSFUL"], eventid="2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f")
    key = f"{event['initiatorsystemcode']}#{event['eventid']}"
    boto3.client("dynamodb").put_item(
        TableName=TABLE, Item=claim_item(key, content_hash(normalize(event)), now_millis() + 60_000)
    )
    status, body = call(handler, request(event), lambda_context)
    assert status == 409
    assert body["errorcode"] == "IdempotencyInProgress" and body["retryable"] is True
    assert archived() == []


def test_expired_claim_of_a_dead_request_is_taken_over(handler: Any, lambda_context: Any, examples: dict) -> None:
    event = fresh(examples["LOGIN_SUCCESSFUL"], eventid="3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f6a")
    key = f"{event['initiatorsystemcode']}#{event['eventid']}"
    boto3.client("dynamodb").put_item(TableName=TABLE, Item=claim_item(key, "stale", now_millis() - 1))
    status, body = call(handler, request(event), lambda_context)
    assert (status, body["duplicate"]) == (201, False)
    assert len(archived()) == 1
    [item] = indexed()
    assert "event" in item and "claimexpires" not in item


def test_failed_delivery_releases_the_claim_so_the_retry_succeeds(
    handler: Any, lambda_context: Any, examples: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = fresh(examples["LOGIN_SUCCESSFUL"], eventid="4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b")
    use_clients(handler, monkeypatch, firehose=FlakyFirehose(boto3.client("firehose"), [{0}] * 4))
    assert call(handler, request(event), lambda_context)[0] == 503
    assert indexed() == []  # the claim is gone
    use_clients(handler, monkeypatch)
    status, body = call(handler, request(event), lambda_context)
    assert (status, body["duplicate"]) == (201, False)
    assert len(archived()) == 1 and len(indexed()) == 1


class CountingDynamoDB:
    """Moto's DynamoDB, counting the calls by operation."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.real, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            return method(*args, **kwargs)

        return counted


def test_server_generated_ids_need_no_claim_and_client_ids_one_put_each(
    handler: Any, lambda_context: Any, examples: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingDynamoDB(boto3.client("dynamodb"))
    use_clients(handler, monkeypatch, dynamodb=counting)
    events = [fresh(examples["LOGIN_SUCCESSFUL"], requestorid=f"u-{n}") for n in range(10)]
    assert call(handler, request({"events": events}, path="/v1/events/batch"), lambda_context)[0] == 200
    assert counting.calls == {"batch_write_item": 1}
    counting.calls.clear()
    with_ids = [dict(event, eventid=str(uuid.uuid4())) for event in events]
    assert call(handler, request({"events": with_ids}, path="/v1/events/batch"), lambda_context)[0] == 200
    assert counting.calls == {"put_item": 10, "batch_write_item": 1}
    assert len(indexed()) == 20


def test_concurrent_posts_of_the_same_batch_archive_each_event_once(
    handler: Any, lambda_context: Any, examples: dict
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    events = [fresh(examples["LOGIN_SUCCESSFUL"], requestorid=f"u-{n}", eventid=str(uuid.uuid4())) for n in range(50)]
    body = request({"events": events}, path="/v1/events/batch")
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: call(handler, copy.deepcopy(body), lambda_context), range(4)))
    outcomes = [item for _, response in results for item in response["successful"] + response["failed"]]
    assert len(outcomes) == 200
    assert all(item.get("errorcode") in (None, "IdempotencyInProgress") for item in outcomes)
    assert sorted(event["eventid"] for event in archived()) == sorted(event["eventid"] for event in events)
    assert len(indexed()) == 50


def test_key_without_write_scope_is_refused_before_anything_is_stored(
    handler: Any, lambda_context: Any, examples: dict
) -> None:
    status, body = call(handler, as_key(request(fresh(examples["LOGIN_SUCCESSFUL"])), "k3auditor3"), lambda_context)
    assert (status, body) == (403, {"message": "this API key lacks the 'write' scope: it may not post events"})
    assert archived() == [] and indexed() == []


def _body_with(examples: dict, **replacements: str) -> str:
    """A valid single-event body whose JSON text has some values replaced verbatim."""
    text = json.dumps(fresh(examples["LOGIN_SUCCESSFUL"]))
    for field, raw in replacements.items():
        text = text[:-1] + f', "{field}": {raw}}}'
    return text


DEEP = "[" * 5000 + "]" * 5000
HUGE = "1" * 5000


@pytest.mark.parametrize(
    "make_body, reason",
    [
        (lambda ex: _body_with(ex, details='{"score": NaN}'), "NaN, Infinity and -Infinity are not JSON numbers"),
        (lambda ex: _body_with(ex, details='{"limit": Infinity}'), "NaN, Infinity and -Infinity are not JSON numbers"),
        (lambda ex: _body_with(ex, details='{"floor": -Infinity}'), "NaN, Infinity and -Infinity are not JSON numbers"),
        (lambda ex: _body_with(ex, details=f'{{"n": {HUGE}}}'), f"integer {HUGE[:20]}... (5000 characters) does not fit in 64 bits"),
        (lambda ex: _body_with(ex, details='{"n": 18446744073709551616}'), "integer 18446744073709551616 does not fit in 64 bits"),
        (lambda ex: _body_with(ex, details='{"n": 1e400}'), "number 1e400 is out of range"),
        (lambda ex: _body_with(ex, details=f'{{"n": {DEEP}}}'), "nesting is deeper than 8 levels"),
        (lambda ex: DEEP, "nesting is deeper than 8 levels"),
        (lambda ex: _body_with(ex, eventtype='"LOGIN_FAILED"'), "duplicate key 'eventtype'"),
        (lambda ex: '{"eventtype": "x", "eventtype"', "Expecting ':' delimiter: line 1 column 31 (char 30)"),
    ],
    ids=["nan", "infinity", "minus-infinity", "5000-digits", "u64-plus-one", "float-overflow", "deep-details",
         "deep-body", "duplicate-key", "broken"],
)  # fmt: skip
def test_hostile_json_is_a_400_naming_the_reason_and_stores_nothing(
    handler: Any, lambda_context: Any, examples: dict, make_body: Any, reason: str
) -> None:
    body = make_body(examples)
    assert call(handler, request(body), lambda_context) == (
        400,
        {"message": f"request body is not valid JSON: {reason}"},
    )
    batch = '{"events": [' + body + "]}"
    status, response = call(handler, request(batch, path="/v1/events/batch"), lambda_context)
    assert status == 400 and response["message"].startswith("request body is not valid JSON: ")
    assert archived() == [] and indexed() == []


@pytest.mark.parametrize(
    "encode, reason",
    [
        (lambda text: text.encode()[:-2] + b'\xff"}', "invalid UTF-8 byte at position"),
        (lambda text: text.encode().replace(b'"u-', b'"\xc3\x28-', 1), "invalid UTF-8 byte at position"),
        (lambda text: text.encode("utf-16"), "text is UTF-16 or UTF-32, not UTF-8"),
        (lambda text: text.encode("utf-16-le"), "text is UTF-16 or UTF-32, not UTF-8"),
        (lambda text: text.encode("utf-32"), "text is UTF-16 or UTF-32, not UTF-8"),
    ],
    ids=["utf8-truncated", "utf8-bad-continuation", "utf16-bom", "utf16-le", "utf32"],
)
def test_body_that_is_not_utf8_is_a_400(
    handler: Any, lambda_context: Any, examples: dict, encode: Any, reason: str
) -> None:
    raw = encode(json.dumps(fresh(examples["LOGIN_SUCCESSFUL"], requestorid="u-1")))
    event = request(base64.b64encode(raw).decode(), isBase64Encoded=True)
    status, body = call(handler, event, lambda_context)
    assert status == 400
    assert body["message"].startswith(f"request body is not valid JSON: {reason}")
    assert archived() == [] and indexed() == []


def test_body_with_lone_surrogates_is_a_400(handler: Any, lambda_context: Any, examples: dict) -> None:
    text = json.dumps(fresh(examples["LOGIN_SUCCESSFUL"]))[:-1] + ', "details": {"note": "\ud800"}}'
    status, body = call(handler, request(text), lambda_context)
    assert status == 400
    assert body["message"].startswith("request body is not valid JSON: ")
    assert archived() == [] and indexed() == []


@pytest.mark.parametrize("content_type", ["text/json", "application/json-seq", "multipart/form-data; boundary=x"])
def test_other_json_like_content_types_are_a_415(
    handler: Any, lambda_context: Any, examples: dict, content_type: str
) -> None:
    event = request(fresh(examples["LOGIN_SUCCESSFUL"]))
    event["headers"]["Content-Type"] = content_type
    shown = content_type.split(";")[0]
    assert call(handler, event, lambda_context) == (
        415,
        {"message": f"Content-Type must be application/json, got {shown!r}"},
    )
    assert archived() == []


class RecordingFirehose:
    """Moto's Firehose, keeping a copy of every record put."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.records: list[bytes] = []

    def put_record_batch(self, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> dict[str, Any]:
        self.records.extend(record["Data"] for record in Records)
        return self.real.put_record_batch(DeliveryStreamName=DeliveryStreamName, Records=Records)


def test_events_go_to_firehose_one_framed_record_per_partition_that_the_transformation_archives(
    handler: Any, lambda_context: Any, examples: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = RecordingFirehose(boto3.client("firehose"))
    use_clients(handler, monkeypatch, firehose=recording)
    events = [
        *(fresh(examples["LOGIN_FAILED"], requestorid=f"u-{n}") for n in range(4)),
        *(
            fresh(examples["DOCUMENT_DOWNLOADED"], requestorid=f"d-{n}", initiatorsystemcode="CRM_WEB")
            for n in range(3)
        ),
        one_day_each(examples["LOGIN_FAILED"], 1, requestorid="yesterday"),
    ]
    status, body = call(handler, request({"events": events}, path="/v1/events/batch"), lambda_context)
    assert status == 200 and len(body["successful"]) == 8
    assert len(recording.records) == 3  # login today, download today, login yesterday

    # The transformation, deriving its key from the same KMS key, archives each record as framed.
    from transformation import handler as transformation

    transformation.record_key.cache_clear()
    firehose_event = {
        "invocationId": "i",
        "deliveryStreamArn": "arn",
        "region": "us-east-1",
        "records": [
            {"recordId": f"r-{n}", "approximateArrivalTimestamp": 0, "data": base64.b64encode(data).decode()}
            for n, data in enumerate(recording.records)
        ],
    }
    response = transformation.lambda_handler(firehose_event, lambda_context)
    assert [result["result"] for result in response["records"]] == ["Ok"] * 3
    lines = [line for result in response["records"] for line in base64.b64decode(result["data"]).splitlines()]
    # Byte for byte what the index holds, and nothing else: the trailers are gone.
    assert sorted(line.decode() for line in lines) == sorted(item["event"]["S"] for item in indexed())
    partitions = sorted(tuple(result["metadata"]["partitionKeys"].values()) for result in response["records"])
    expected = {tuple(partition_keys(normalize(event)).values()) for event in events}
    assert partitions == sorted(expected) and len(expected) == 3


def test_a_repost_with_the_clients_next_key_is_a_duplicate_not_a_second_event(
    handler: Any, lambda_context: Any, examples: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    next_key = "k5crmnext5"  # crm's next key generation: the same client in API_CLIENTS
    monkeypatch.setenv("API_CLIENTS", json.dumps({**TEST_CLIENTS, next_key: TEST_CLIENTS[CRM_KEY_ID]}))
    handler.settings.cache_clear()
    event = fresh(examples["ROLE_ASSIGNED"], eventid="3f0e4c5b-1a2d-4e8f-9b7c-6d5e4f3a2b1c")
    assert call(handler, request(event), lambda_context)[0] == 201
    status, body = call(handler, as_key(request(event), next_key), lambda_context)
    assert (status, body["duplicate"]) == (200, True)
    status, body = call(handler, as_key(request(dict(event, requestorid="u-other")), next_key), lambda_context)
    assert (status, body["errorcode"]) == (409, "IdempotencyConflict")
    [stored] = archived()
    assert stored["apikeyid"] == CRM_KEY_ID  # the archive records which generation posted it
    assert len(indexed()) == 1
