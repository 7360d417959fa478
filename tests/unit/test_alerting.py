"""The alerting function end to end on moto: S3 notification in, SNS messages (read back from SQS) out."""

from __future__ import annotations

import gzip
import importlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import boto3
import pytest
from botocore.exceptions import ClientError

from audit_shared.config import ConfigurationError
from audit_shared.events import enrich, ndjson_line
from audit_shared.index import KEY_ATTRIBUTE, index_item
from support import FakeLambdaContext, create_index_table, load_fixture

BUCKET = "aaas-dev-archive"  # the bucket the S3 event fixtures name
TABLE = "aaas-dev-index"
RETENTION_DAYS = 30
MINUTE = 60_000
T0 = 1_793_523_600_000  # 2026-11-01T09:00:00.000Z
NOW = T0 + 30 * MINUTE  # 2026-11-01T09:30:00.000Z, the function's clock in these tests
DEFAULT_ALWAYS_ALERT_TYPES = [
    "ACCOUNT_LOCKOUT",
    "MULTIPLE_LOGIN_FAILED",
    "UNUSUAL_LOGIN_LOCATION",
    "USER_ACCOUNT_PRIVILEGES_ESCALATED",
    "DOCUMENT_INTEGRITY_FAILED",
]
METRIC_NAMES = ("EventsScanned", "AlertsPublished", "AlertsSuppressed", "CorruptObjects", "CorruptLines")


@dataclass
class Message:
    subject: str
    body: dict[str, Any]
    attributes: dict[str, str]


def object_keys(event: dict[str, Any]) -> list[str]:
    """The keys as S3 stores them (notifications carry them URL-encoded)."""
    return [unquote_plus(record["s3"]["object"]["key"]) for record in event["Records"]]


def with_keys(event: dict[str, Any], *keys: str) -> dict[str, Any]:
    for record, key in zip(event["Records"], keys, strict=True):
        record["s3"]["object"]["key"] = quote_plus(key, safe="/")
    return event


class Stack:
    """The deployed pieces the function talks to, and ways to look at what it did."""

    def __init__(self, handler: ModuleType, context: FakeLambdaContext, capsys: pytest.CaptureFixture[str]) -> None:
        self.handler = handler
        self.context = context
        self.capsys = capsys
        self.s3 = boto3.client("s3")
        self.dynamodb = boto3.client("dynamodb")
        self.sqs = boto3.client("sqs")
        self.s3.create_bucket(Bucket=BUCKET)
        create_index_table(self.dynamodb, TABLE)
        sns = boto3.client("sns")
        self.topic_arn = sns.create_topic(Name="aaas-dev-alerts")["TopicArn"]
        self.queue_url = self.sqs.create_queue(QueueName="alert-subscriber")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(
            TopicArn=self.topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "false"},
        )

    def put(self, key: str, events: list[dict[str, Any]], *, compress: bool = True) -> None:
        self.put_raw(key, b"".join(ndjson_line(event) for event in events), compress=compress)

    def put_raw(self, key: str, body: bytes, *, compress: bool = True) -> None:
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(body) if compress else body)

    def index(self, events: list[dict[str, Any]]) -> None:
        """What the ingestion function does before Firehose delivers the object."""
        for event in events:
            self.dynamodb.put_item(TableName=TABLE, Item=index_item(event, event["timestamp"], RETENTION_DAYS))

    def invoke(self, event: dict[str, Any]) -> dict[str, float]:
        """Run the real handler; return the metrics it emitted (EMF on stdout)."""
        self.capsys.readouterr()
        self.handler.lambda_handler(event, self.context)
        return self.emitted_metrics()

    def emitted_metrics(self) -> dict[str, float]:
        blobs = []
        for line in self.capsys.readouterr().out.splitlines():
            try:
                document = json.loads(line)
            except ValueError:
                continue
            if isinstance(document, dict) and "_aws" in document:
                blobs.append(document)
        assert len(blobs) == 1, blobs
        [directive] = blobs[0]["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "AuditService"
        assert directive["Dimensions"] == [["service"]]
        return {item["Name"]: _single(blobs[0][item["Name"]]) for item in directive["Metrics"]}

    def messages(self) -> list[Message]:
        """Every message published since the last call, in subject order."""
        found = []
        while True:
            response = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            batch = response.get("Messages", [])
            if not batch:
                break
            for item in batch:
                envelope = json.loads(item["Body"])
                attributes = {name: value["Value"] for name, value in envelope.get("MessageAttributes", {}).items()}
                found.append(Message(envelope["Subject"], json.loads(envelope["Message"]), attributes))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=item["ReceiptHandle"])
        return sorted(found, key=lambda message: message.subject)

    def dedupe_item(self, key: str) -> dict[str, Any] | None:
        return self.dynamodb.get_item(TableName=TABLE, Key={KEY_ATTRIBUTE: {"S": key}}, ConsistentRead=True).get("Item")

    def use_rules(self, monkeypatch: pytest.MonkeyPatch, document: Any) -> None:
        monkeypatch.setenv("ALERT_RULES", document if isinstance(document, str) else json.dumps(document))
        self.handler.settings.cache_clear()


def _single(value: Any) -> float:
    return value[0] if isinstance(value, list) else value


@pytest.fixture
def stack(
    aws: None, monkeypatch: pytest.MonkeyPatch, lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str]
) -> Iterator[Stack]:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "audit-alerting")
    monkeypatch.setenv("INDEX_TABLE_NAME", TABLE)
    monkeypatch.setenv("INDEX_RETENTION_DAYS", str(RETENTION_DAYS))
    monkeypatch.setenv("ALERT_RULES", json.dumps(load_fixture("alert_rules.json")))
    # Imported here, not at the top: Metrics reads its namespace from the environment when created.
    handler = importlib.import_module("alerting.handler")
    handler.settings.cache_clear()
    handler.clients.cache_clear()
    monkeypatch.setattr(handler, "now_millis", lambda: NOW)
    stack = Stack(handler, lambda_context, capsys)
    monkeypatch.setenv("ALERT_TOPIC_ARN", stack.topic_arn)
    yield stack
    handler.settings.cache_clear()
    handler.clients.cache_clear()


def audit_event(
    examples: dict[str, dict[str, Any]], eventtype: str, timestamp: int, *, received: int | None = None, **fields: Any
) -> dict[str, Any]:
    """An archived event: a shipped example, moved in time, enriched as the ingestion API does.

    Alert windows run on the receive time (``receivedat``), which is ``received`` if given and the
    client's ``timestamp`` otherwise (delivered at once).
    """
    raw = {**examples[eventtype], "timestamp": timestamp, **fields}
    received_ms = timestamp if received is None else received
    return enrich(raw, received_ms=received_ms, source_ip="198.51.100.23", api_key_id="k9x2ab7c1d")


def ids(events: list[dict[str, Any]]) -> list[str]:
    return sorted(event["eventid"] for event in events)


def metrics(**counts: int) -> dict[str, float]:
    return {name: counts.get(name, 0) for name in METRIC_NAMES}


# --- always_alert ------------------------------------------------------------------------------


@pytest.mark.parametrize("eventtype", DEFAULT_ALWAYS_ALERT_TYPES)
def test_each_default_always_alert_type_alerts(
    stack: Stack, examples: dict[str, dict[str, Any]], eventtype: str
) -> None:
    event_json = load_fixture("s3_object_created.json")
    [key] = object_keys(event_json)
    alerting = audit_event(examples, eventtype, T0 + MINUTE)
    quiet = audit_event(examples, "LOGIN_SUCCESSFUL", T0 + MINUTE)
    stack.put(key, [quiet, alerting])

    assert stack.invoke(event_json) == metrics(EventsScanned=2, AlertsPublished=1)

    example = examples[eventtype]
    [message] = stack.messages()
    initiator = example["initiatorsystemcode"]
    assert message.subject == f"[Audit alert] {initiator}: {eventtype} for requestor {example['requestorid']}"
    assert message.body == {
        "rule": f"always-alert:{eventtype}",
        "ruletype": "always_alert",
        "subject": {"type": "requestorid", "value": example["requestorid"]},
        "eventtype": eventtype,
        "eventtypes": [eventtype],
        "eventids": [alerting["eventid"]],
        "count": 1,
        "window": {"start": "2026-11-01T09:01:00.000Z", "end": "2026-11-01T10:01:00.000Z"},
        "initiatorsystemcode": initiator,
        "detectedat": "2026-11-01T09:30:00.000Z",
        "source": {"bucket": BUCKET, "key": key},
    }
    assert message.attributes == {
        "initiatorsystemcode": initiator,
        "rule": f"always-alert:{eventtype}",
        "ruletype": "always_alert",
        "eventtype": eventtype,
    }


def test_events_of_one_type_and_requestor_in_one_object_make_one_alert(
    stack: Stack, examples: dict[str, dict[str, Any]]
) -> None:
    event_json = load_fixture("s3_object_created.json")
    [key] = object_keys(event_json)
    lockouts = [audit_event(examples, "ACCOUNT_LOCKOUT", T0 + n * MINUTE) for n in (3, 1, 2)]
    other = audit_event(examples, "ACCOUNT_LOCKOUT", T0 + MINUTE, requestorid="u-20001", initiatorsystemcode="CRM_WEB")
    stack.put(key, [*lockouts, other])

    assert stack.invoke(event_json) == metrics(EventsScanned=4, AlertsPublished=2)

    first, second = stack.messages()
    assert first.subject == "[Audit alert] CRM_MBL: 3 ACCOUNT_LOCKOUT for requestor u-10185"
    assert first.body["eventids"] == ids(lockouts)
    assert first.body["count"] == 3
    assert first.body["window"] == {"start": "2026-11-01T09:01:00.000Z", "end": "2026-11-01T10:01:00.000Z"}
    assert second.subject == "[Audit alert] CRM_WEB: ACCOUNT_LOCKOUT for requestor u-20001"
    assert second.body["eventids"] == [other["eventid"]]
    # The dedupe item: the window ends an hour after the first lockout; no GSI attribute, TTL in seconds.
    item = stack.dedupe_item("alert#CRM_MBL#always-alert:ACCOUNT_LOCKOUT#requestorid#u-10185")
    assert item is not None
    assert item["windowend"] == {"N": str(T0 + 61 * MINUTE)}
    assert item["expiresat"] == {"N": str((T0 + 61 * MINUTE) // 1000 + RETENTION_DAYS * 86_400)}
    assert not {"requestorid", "requestorip", "eventtype", "timestamp"} & item.keys()
    by_requestor = stack.dynamodb.scan(TableName=TABLE, IndexName="by-requestor")["Items"]
    assert by_requestor == []


# --- thresholds ----------------------------------------------------------------------------------


def test_threshold_counts_across_delivery_batches(stack: Stack, examples: dict[str, dict[str, Any]]) -> None:
    first_batch = [audit_event(examples, "LOGIN_FAILED", T0 + n * MINUTE, requestorid="u-10442") for n in (0, 1, 2)]
    # Another requestor with 4 failures in total over both batches: one short of the threshold.
    first_batch += [audit_event(examples, "LOGIN_FAILED", T0 + n * MINUTE, requestorid="u-10500") for n in (0, 1)]
    key_one = "data/initiatorsystemcode=CRM_WEB/eventtype=LOGIN_FAILED/year=2026/month=11/day=01/audit-stream-1-2026-11-01-09-00-00-aaaa.gz"
    stack.index(first_batch)
    stack.put(key_one, first_batch)
    assert stack.invoke(with_keys(load_fixture("s3_object_created.json"), key_one)) == metrics(EventsScanned=5)
    assert stack.messages() == []

    # The second object arrives before the index write of its events is visible: they still count.
    second_batch = [audit_event(examples, "LOGIN_FAILED", T0 + n * MINUTE, requestorid="u-10442") for n in (4, 6)]
    second_batch += [audit_event(examples, "LOGIN_FAILED", T0 + n * MINUTE, requestorid="u-10500") for n in (4, 6)]
    key_two = key_one.replace("aaaa", "bbbb")
    stack.put(key_two, second_batch)
    assert stack.invoke(with_keys(load_fixture("s3_object_created.json"), key_two)) == metrics(
        EventsScanned=4, AlertsPublished=1
    )

    [message] = stack.messages()
    assert (
        message.subject == "[Audit alert] CRM_WEB: login-failed-burst: 5 LOGIN_FAILED for requestor u-10442 in 10 min"
    )
    alerted = [event for event in first_batch + second_batch if event["requestorid"] == "u-10442"]
    assert message.body == {
        "rule": "login-failed-burst",
        "ruletype": "threshold",
        "subject": {"type": "requestorid", "value": "u-10442"},
        "eventtype": "LOGIN_FAILED",
        "eventtypes": ["LOGIN_FAILED"],
        "eventids": ids(alerted),
        "count": 5,
        "window": {"start": "2026-11-01T08:56:00.000Z", "end": "2026-11-01T09:06:00.000Z"},
        "initiatorsystemcode": "CRM_WEB",
        "detectedat": "2026-11-01T09:30:00.000Z",
        "source": {"bucket": BUCKET, "key": key_two},
    }
    assert message.attributes == {
        "initiatorsystemcode": "CRM_WEB",
        "rule": "login-failed-burst",
        "ruletype": "threshold",
        "eventtype": "LOGIN_FAILED",
    }
    assert stack.dedupe_item("alert#CRM_WEB#login-failed-burst#requestorid#u-10442")["windowend"] == {
        "N": str(T0 + 16 * MINUTE)
    }

    # A sixth failure inside the alert's window is the same burst: no second message.
    third_batch = [audit_event(examples, "LOGIN_FAILED", T0 + 8 * MINUTE, requestorid="u-10442")]
    stack.index(second_batch)
    key_three = key_one.replace("aaaa", "cccc")
    stack.put(key_three, third_batch)
    assert stack.invoke(with_keys(load_fixture("s3_object_created.json"), key_three)) == metrics(
        EventsScanned=1, AlertsSuppressed=1
    )
    assert stack.messages() == []


def test_events_outside_the_window_do_not_count(stack: Stack, examples: dict[str, dict[str, Any]]) -> None:
    end = T0 + 20 * MINUTE

    def failed(timestamp: int, eventtype: str = "LOGIN_FAILED") -> dict[str, Any]:
        return audit_event(examples, eventtype, timestamp, requestorid="u-10442")

    outside = [failed(end - 10 * MINUTE - 1), failed(end - 15 * MINUTE), failed(end - 30 * MINUTE)]
    inside = [failed(end - 10 * MINUTE), failed(end - 2 * MINUTE), failed(end - MINUTE)]  # the first: exactly W
    other_type = [failed(end - 2 * MINUTE, "LOGIN_SUCCESSFUL"), failed(end - MINUTE, "LOGIN_SUCCESSFUL")]
    stack.index([*outside, *inside, *other_type])
    event_json = load_fixture("s3_object_created.json")
    [key] = object_keys(event_json)
    latest = failed(end)
    stack.put(key, [latest])

    # 3 indexed + 1 fresh in [end - 10 min, end]; the one just older and the other type do not count.
    assert stack.invoke(event_json)["AlertsPublished"] == 0
    assert stack.messages() == []

    # One more failure at the same instant reaches the threshold; the older events are still not listed.
    another = failed(end)
    stack.put(key, [latest, another])
    assert stack.invoke(event_json)["AlertsPublished"] == 1
    [message] = stack.messages()
    assert message.body["eventids"] == ids([*inside, latest, another])
    assert message.body["window"] == {"start": "2026-11-01T09:10:00.000Z", "end": "2026-11-01T09:20:00.000Z"}


def test_threshold_grouped_by_ip_uses_the_ip_index(stack: Stack, examples: dict[str, dict[str, Any]]) -> None:
    ip = "192.0.2.141"
    indexed = [
        audit_event(
            examples, "OTP_VALIDATION_FAILED", T0, requestorid="u-1", requestorip=ip, initiatorsystemcode="CRM_WEB"
        ),
        audit_event(
            examples,
            "OTP_VALIDATION_FAILED",
            T0 + MINUTE,
            requestorid="u-2",
            requestorip=ip,
            initiatorsystemcode="CRM_WEB",
        ),
        audit_event(
            examples,
            "OTP_VALIDATION_FAILED",
            T0 + MINUTE,
            requestorid="u-3",
            requestorip="192.0.2.142",
            initiatorsystemcode="CRM_WEB",
        ),
        # The same IP under another initiator is another tenant's subject: never counted here.
        audit_event(
            examples,
            "OTP_VALIDATION_FAILED",
            T0 + MINUTE,
            requestorid="u-4",
            requestorip=ip,
            initiatorsystemcode="ERP_WEB",
        ),
    ]
    stack.index(indexed)
    fresh = audit_event(
        examples,
        "OTP_VALIDATION_FAILED",
        T0 + 14 * MINUTE,
        requestorid="u-3",
        requestorip=ip,
        initiatorsystemcode="CRM_WEB",
    )
    event_json = load_fixture("s3_object_created.json")
    [key] = object_keys(event_json)
    stack.put(key, [fresh])

    assert stack.invoke(event_json)["AlertsPublished"] == 1
    [message] = stack.messages()
    assert (
        message.subject
        == "[Audit alert] CRM_WEB: otp-failures-by-ip: 3 OTP_VALIDATION_FAILED for IP 192.0.2.141 in 15 min"
    )
    assert message.body["subject"] == {"type": "requestorip", "value": ip}
    assert message.body["eventids"] == ids([indexed[0], indexed[1], fresh])
    assert message.body["initiatorsystemcode"] == "CRM_WEB"


def test_index_history_is_read_page_by_page(
    stack: Stack, examples: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DynamoDB pages a Query (1 MB, or Limit); every page must count, including filtered-out pages."""
    real = stack.handler.clients().dynamodb
    calls: list[dict[str, Any]] = []

    def two_per_page(**request: Any) -> dict[str, Any]:
        calls.append(request)
        return real.__class__.query(real, Limit=2, **request)

    monkeypatch.setattr(real, "query", two_per_page)
    indexed = [audit_event(examples, "LOGIN_FAILED", T0 + n * MINUTE, requestorid="u-10442") for n in range(4)]
    initiator = examples["LOGIN_FAILED"]["initiatorsystemcode"]
    noise = [
        audit_event(examples, "LOGIN_SUCCESSFUL", T0 + n * MINUTE, requestorid="u-10442", initiatorsystemcode=initiator)
        for n in range(3)
    ]
    stack.index([*noise, *indexed])
    fresh = audit_event(examples, "LOGIN_FAILED", T0 + 5 * MINUTE, requestorid="u-10442")
    event_json = load_fixture("s3_object_created.json")
    [key] = object_keys(event_json)
    stack.put(key, [fresh])

    assert stack.invoke(event_json)["AlertsPublished"] == 1
    [message] = stack.messages()
    assert message.body["eventids"] == ids([*indexed, fresh])
    assert len(calls) == 4  # 7 items in the key range, 2 per page
    assert calls[0]["IndexName"] == "by-requestor"
    assert calls[0]["ExpressionAttributeValues"] == {
        ":subject": {"S": f"{initiator}#u-10442"},
        # Received from T0 - 5 min to T0 + 15 min: client timestamps up to a day earlier (late
        # delivery) and up to the 5 minutes of allowed clock skew later.
        ":low": {"S": f"{T0 - 5 * MINUTE - 24 * 60 * MINUTE:013d}#"},
        ":high": {"S": f"{T0 + 20 * MINUTE:013d}#~"},
        ":type": {"S": "LOGIN_FAILED"},
    }
    assert "ExclusiveStartKey" in calls[1]


# --- watchlist -----------------------------------------------------------------------------------


def test_watchlist_by_requestor_id_and_by_ip(stack: Stack, examples: dict[str, dict[str, Any]]) -> None:
    by_id = audit_event(examples, "LOGIN_SUCCESSFUL", T0 + MINUTE, requestorid="u-66666")
    # Listed as 2001:db8::bad; the same address spelled differently still matches.
    by_ip = [
        audit_event(examples, "DOCUMENT_DOWNLOADED", T0 + 2 * MINUTE, requestorip="2001:DB8:0::BAD"),
        audit_event(
            examples, "LOGIN_SUCCESSFUL", T0 + 3 * MINUTE, requestorip="2001:db8::bad", initiatorsystemcode="ERP_WEB"
        ),
    ]
    unlisted = audit_event(
        examples, "LOGIN_SUCCESSFUL", T0 + MINUTE, requestorid="u-66667", requestorip="2001:db8::bae"
    )
    event_json = load_fixture("s3_object_created.json")
    [key] = object_keys(event_json)
    stack.put(key, [by_id, *by_ip, unlisted])

    assert stack.invoke(event_json) == metrics(EventsScanned=4, AlertsPublished=2)

    id_message, ip_message = stack.messages()
    assert id_message.subject == "[Audit alert] CRM_MBL: watchlist: LOGIN_SUCCESSFUL for requestor u-66666"
    assert id_message.body["rule"] == "watchlist"
    assert id_message.body["subject"] == {"type": "requestorid", "value": "u-66666"}
    assert id_message.body["eventids"] == [by_id["eventid"]]
    assert ip_message.subject == "[Audit alert] ERP_WEB: watchlist: 2 events for IP 2001:db8::bad"
    assert ip_message.body["subject"] == {"type": "requestorip", "value": "2001:db8::bad"}
    assert ip_message.body["eventtype"] is None
    assert ip_message.body["eventtypes"] == ["DOCUMENT_DOWNLOADED", "LOGIN_SUCCESSFUL"]
    assert ip_message.body["eventids"] == ids(by_ip)
    assert ip_message.attributes == {"initiatorsystemcode": "ERP_WEB", "rule": "watchlist", "ruletype": "watchlist"}


# --- dedupe --------------------------------------------------------------------------------------


def test_alert_is_sent_once_per_window_across_invocations(stack: Stack, examples: dict[str, dict[str, Any]]) -> None:
    event_json = load_fixture("s3_object_created.json")
    [key] = object_keys(event_json)
    stack.put(key, [audit_event(examples, "ACCOUNT_LOCKOUT", T0)])
    assert stack.invoke(event_json)["AlertsPublished"] == 1
    assert [message.subject for message in stack.messages()] == [
        "[Audit alert] CRM_MBL: ACCOUNT_LOCKOUT for requestor u-10185"
    ]

    # The same object delivered again: suppressed.
    assert stack.invoke(event_json) == metrics(EventsScanned=1, AlertsSuppressed=1)
    # Another object inside the hour: suppressed.
    stack.put(key, [audit_event(examples, "ACCOUNT_LOCKOUT", T0 + 60 * MINUTE)])
    assert stack.invoke(event_json) == metrics(EventsScanned=1, AlertsSuppressed=1)
    assert stack.messages() == []
    assert stack.dedupe_item("alert#CRM_MBL#always-alert:ACCOUNT_LOCKOUT#requestorid#u-10185")["windowend"] == {
        "N": str(T0 + 60 * MINUTE)
    }

    # After the window: a new alert, and the window moves on.
    later = audit_event(examples, "ACCOUNT_LOCKOUT", T0 + 60 * MINUTE + 1)
    stack.put(key, [later])
    assert stack.invoke(event_json) == metrics(EventsScanned=1, AlertsPublished=1)
    [message] = stack.messages()
    assert message.body["eventids"] == [later["eventid"]]
    assert stack.dedupe_item("alert#CRM_MBL#always-alert:ACCOUNT_LOCKOUT#requestorid#u-10185")["windowend"] == {
        "N": str(T0 + 120 * MINUTE + 1)
    }


def test_failed_publish_releases_the_window_so_the_retry_alerts(
    stack: Stack, examples: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    event_json = load_fixture("s3_object_created.json")
    [key] = object_keys(event_json)
    stack.put(key, [audit_event(examples, "ACCOUNT_LOCKOUT", T0)])
    sns = stack.handler.clients().sns

    def throttled(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "Publish")

    with monkeypatch.context() as patch:
        patch.setattr(sns, "publish", throttled)
        with pytest.raises(stack.handler.AlertingIncompleteError, match="1 object"):
            stack.handler.lambda_handler(event_json, stack.context)
    assert stack.messages() == []
    assert stack.dedupe_item("alert#CRM_MBL#always-alert:ACCOUNT_LOCKOUT#requestorid#u-10185")["windowend"] == {
        "N": "0"
    }

    # The asynchronous retry of the same notification.
    assert stack.invoke(event_json)["AlertsPublished"] == 1
    assert len(stack.messages()) == 1


# --- tenants and server time ---------------------------------------------------------------------


def test_a_foreign_lockout_for_my_user_does_not_suppress_my_alert(
    stack: Stack, examples: dict[str, dict[str, Any]]
) -> None:
    """Client A (CRM_WEB) posts an ACCOUNT_LOCKOUT for client B's (CRM_MBL) user u-10185, future-dated
    as far as the API allows; B's real lockout of that user, a minute later, still alerts B."""
    event_json = load_fixture("s3_object_created.json")
    [key] = object_keys(event_json)
    forged = audit_event(
        examples, "ACCOUNT_LOCKOUT", T0 + 5 * MINUTE, received=T0, requestorid="u-10185", initiatorsystemcode="CRM_WEB"
    )
    stack.put(key, [forged])
    assert stack.invoke(event_json) == metrics(EventsScanned=1, AlertsPublished=1)
    [foreign] = stack.messages()
    assert foreign.subject == "[Audit alert] CRM_WEB: ACCOUNT_LOCKOUT for requestor u-10185"
    assert foreign.body["initiatorsystemcode"] == "CRM_WEB"

    real = audit_event(examples, "ACCOUNT_LOCKOUT", T0 + MINUTE)
    assert real["initiatorsystemcode"] == "CRM_MBL" and real["requestorid"] == "u-10185"
    stack.put(key, [real])
    assert stack.invoke(event_json) == metrics(EventsScanned=1, AlertsPublished=1)
    [mine] = stack.messages()
    assert mine.subject == "[Audit alert] CRM_MBL: ACCOUNT_LOCKOUT for requestor u-10185"
    assert mine.body["initiatorsystemcode"] == "CRM_MBL"
    assert mine.body["eventids"] == [real["eventid"]]
    assert mine.attributes["initiatorsystemcode"] == "CRM_MBL"
    # Two windows, one per tenant; A's is measured from when its event arrived, not from its timestamp.
    assert stack.dedupe_item("alert#CRM_WEB#always-alert:ACCOUNT_LOCKOUT#requestorid#u-10185")["windowend"] == {
        "N": str(T0 + 60 * MINUTE)
    }
    assert stack.dedupe_item("alert#CRM_MBL#always-alert:ACCOUNT_LOCKOUT#requestorid#u-10185")["windowend"] == {
        "N": str(T0 + 61 * MINUTE)
    }


def test_alert_windows_run_on_the_receive_time_not_the_client_timestamp(
    stack: Stack, examples: dict[str, dict[str, Any]]
) -> None:
    event_json = load_fixture("s3_object_created.json")
    [key] = object_keys(event_json)
    # Dated 5 minutes ahead: the window still starts when the event arrived.
    ahead = audit_event(examples, "ACCOUNT_LOCKOUT", T0 + 5 * MINUTE, received=T0)
    stack.put(key, [ahead])
    assert stack.invoke(event_json)["AlertsPublished"] == 1
    [message] = stack.messages()
    assert message.body["window"] == {"start": "2026-11-01T09:00:00.000Z", "end": "2026-11-01T10:00:00.000Z"}

    # Received after that window, but dated a day earlier: a pre-dated event is a new alert, not a
    # repeat hidden inside (or before) the old window.
    predated = audit_event(examples, "ACCOUNT_LOCKOUT", T0 - 24 * 60 * MINUTE, received=T0 + 61 * MINUTE)
    stack.put(key, [predated])
    assert stack.invoke(event_json)["AlertsPublished"] == 1
    [message] = stack.messages()
    assert message.body["eventids"] == [predated["eventid"]]
    assert message.body["window"]["start"] == "2026-11-01T10:01:00.000Z"


def test_thresholds_count_events_by_receive_time(stack: Stack, examples: dict[str, dict[str, Any]]) -> None:
    def failed(received: int, timestamp: int, **fields: Any) -> dict[str, Any]:
        return audit_event(examples, "LOGIN_FAILED", timestamp, received=received, requestorid="u-10442", **fields)

    end = T0 + 20 * MINUTE
    # Delivered late (dated two hours before they arrived) but received within the 10 minutes: they count.
    late = [failed(end - n * MINUTE, end - n * MINUTE - 120 * MINUTE) for n in (1, 2, 3)]
    # Dated inside the window but received before it: they do not.
    early = [failed(end - 11 * MINUTE, end - n * MINUTE) for n in (1, 2)]
    # Another tenant's failures of the same requestor id: never counted.
    foreign = [failed(end - n * MINUTE, end - n * MINUTE, initiatorsystemcode="CRM_MBL") for n in (1, 2)]
    stack.index([*late, *early, *foreign])
    fresh = failed(end, end)
    event_json = load_fixture("s3_object_created.json")
    [key] = object_keys(event_json)
    stack.put(key, [fresh])
    assert stack.invoke(event_json)["AlertsPublished"] == 0  # 3 indexed + 1 fresh

    another = failed(end, end)
    stack.put(key, [fresh, another])
    assert stack.invoke(event_json)["AlertsPublished"] == 1
    [message] = stack.messages()
    assert message.body["eventids"] == ids([*late, fresh, another])
    assert message.body["initiatorsystemcode"] == "CRM_WEB"


def test_an_archived_line_without_receivedat_is_corrupt() -> None:
    from alerting.events import AuditEvent, MalformedEventError

    line = {"eventid": "e", "eventtype": "ACCOUNT_LOCKOUT", "timestamp": T0, "requestorid": "u", "requestorip": "ip"}
    line["initiatorsystemcode"] = "CRM_WEB"
    with pytest.raises(MalformedEventError, match="receivedat"):
        AuditEvent.from_archive(line)
    with pytest.raises(MalformedEventError, match="receivedat"):
        AuditEvent.from_archive({**line, "receivedat": "yesterday"})
    assert AuditEvent.from_archive({**line, "receivedat": "2026-11-01T09:00:00.000Z"}).received_ms == T0


def test_the_lookup_bound_matches_the_allowed_clock_skew() -> None:
    from alerting.history import MAX_FUTURE_SKEW_MS
    from audit_shared.validation import MAX_FUTURE_SKEW_MS as VALIDATION_SKEW

    assert MAX_FUTURE_SKEW_MS == VALIDATION_SKEW


# --- bad input -----------------------------------------------------------------------------------


def test_corrupt_object_does_not_stop_the_other_record(stack: Stack, examples: dict[str, dict[str, Any]]) -> None:
    event_json = load_fixture("s3_object_created_two_records.json")
    corrupt_key, good_key = object_keys(event_json)
    stack.put_raw(corrupt_key, b"\x1f\x8b\x08\x00 this is not deflate data", compress=False)
    lockout = audit_event(examples, "UNUSUAL_LOGIN_LOCATION", T0)
    stack.put(good_key, [lockout])

    assert stack.invoke(event_json) == metrics(EventsScanned=1, AlertsPublished=1, CorruptObjects=1)
    [message] = stack.messages()
    assert message.body["eventids"] == [lockout["eventid"]]
    assert message.body["source"] == {"bucket": BUCKET, "key": good_key}


def test_missing_object_does_not_stop_the_other_record(stack: Stack, examples: dict[str, dict[str, Any]]) -> None:
    event_json = load_fixture("s3_object_created_two_records.json")
    _, good_key = object_keys(event_json)  # the first object was never written (NoSuchKey)
    stack.put(good_key, [audit_event(examples, "UNUSUAL_LOGIN_LOCATION", T0)])

    assert stack.invoke(event_json) == metrics(EventsScanned=1, AlertsPublished=1, CorruptObjects=1)
    assert len(stack.messages()) == 1


def test_object_that_is_not_ndjson_is_corrupt(stack: Stack) -> None:
    event_json = load_fixture("s3_object_created.json")
    [key] = object_keys(event_json)
    stack.put_raw(key, b"<html>\n<body>not events</body>\n</html>\n")

    assert stack.invoke(event_json) == metrics(CorruptObjects=1)
    assert stack.messages() == []


def test_corrupt_lines_are_skipped_and_counted(stack: Stack, examples: dict[str, dict[str, Any]]) -> None:
    event_json = load_fixture("s3_object_created.json")
    [key] = object_keys(event_json)
    first = audit_event(examples, "ACCOUNT_LOCKOUT", T0)
    last = audit_event(examples, "ACCOUNT_LOCKOUT", T0 + MINUTE)
    no_requestor = audit_event(examples, "ACCOUNT_LOCKOUT", T0)
    del no_requestor["requestorid"]
    body = b"".join(
        [
            ndjson_line(first),
            b'{"eventtype": "ACCOUNT_LOCKOUT", "truncated\n',
            b"\n",
            ndjson_line(no_requestor),
            b"\xff\xfe not utf-8\n",
            b"[1, 2, 3]\n",
            ndjson_line(last),
        ]
    )
    stack.put_raw(key, body)

    assert stack.invoke(event_json) == metrics(EventsScanned=2, AlertsPublished=1, CorruptLines=4)
    [message] = stack.messages()
    assert message.body["eventids"] == ids([first, last])


def test_uncompressed_object_is_read_too(stack: Stack, examples: dict[str, dict[str, Any]]) -> None:
    event_json = load_fixture("s3_object_created.json")
    [key] = object_keys(event_json)
    stack.put(key, [audit_event(examples, "DOCUMENT_INTEGRITY_FAILED", T0)], compress=False)

    assert stack.invoke(event_json)["AlertsPublished"] == 1
    assert [message.subject for message in stack.messages()] == [
        "[Audit alert] ERP_WEB: DOCUMENT_INTEGRITY_FAILED for requestor u-10814"
    ]


def test_objects_outside_data_are_ignored(stack: Stack, examples: dict[str, dict[str, Any]]) -> None:
    key = "errors/processing-failed/year=2026/month=11/day=01/hour=09/audit-stream-1-2026-11-01-09-00-00-x.gz"
    stack.put(key, [audit_event(examples, "ACCOUNT_LOCKOUT", T0)])
    event_json = with_keys(load_fixture("s3_object_created.json"), key)

    assert stack.invoke(event_json) == metrics()
    assert stack.messages() == []


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_s3_test_event_is_ignored(stack: Stack) -> None:
    test_event = {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2026-11-01T09:00:00.000Z",
        "Bucket": BUCKET,
        "RequestId": "5582815E1AEA5ADF",
        "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
    }
    assert stack.handler.lambda_handler(test_event, stack.context) == {"objects": 0}
    assert stack.messages() == []


def test_unprintable_and_long_requestor_ids_give_a_valid_sns_subject(
    stack: Stack, examples: dict[str, dict[str, Any]]
) -> None:
    event_json = load_fixture("s3_object_created.json")
    [key] = object_keys(event_json)
    requestor = "jürgen.müller@example.com/" + "x" * 200
    stack.put(key, [audit_event(examples, "ACCOUNT_LOCKOUT", T0, requestorid=requestor)])

    assert stack.invoke(event_json)["AlertsPublished"] == 1
    [message] = stack.messages()
    assert (
        message.subject
        == "[Audit alert] CRM_MBL: ACCOUNT_LOCKOUT for requestor j?rgen.m?ller@example.com/" + "x" * 18 + "..."
    )
    assert len(message.subject) == 100
    assert message.body["subject"]["value"] == requestor  # the body keeps the real id


# --- configuration -------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
@pytest.mark.parametrize(
    "document, problem",
    [
        ("not json", "environment variable ALERT_RULES is not valid JSON"),
        ("[]", "ALERT_RULES must be a JSON object"),
        ('{"thresold": []}', "ALERT_RULES: unknown key 'thresold'"),
        ('{"always_alert": {"event_types": ["ACCOUNT_LOCKED"]}}', "'ACCOUNT_LOCKED' is not a known event type"),
        (
            '{"thresholds": [{"name": "burst", "event_type": "LOGIN_FAILED", "group_by": "requestorid", "count": 0, "window_minutes": 10}]}',
            "thresholds[0].count: must be a positive integer, got 0",
        ),
        (
            '{"thresholds": [{"name": "burst", "event_type": "LOGIN_FAILED", "group_by": "sessionid", "count": 5, "window_minutes": 10}]}',
            "thresholds[0].group_by: must be one of ['requestorid', 'requestorip'], got 'sessionid'",
        ),
        (
            '{"thresholds": [{"name": "burst", "event_type": "LOGIN_FAILED", "count": 5}]}',
            "thresholds[0]: missing required key 'group_by'; thresholds[0]: missing required key 'window_minutes'",
        ),
        ('{"watchlist": {"requestorips": ["10.0.0.300"]}}', "watchlist.requestorips[0]: '10.0.0.300' is not an IPv4"),
        ('{"watchlist": {"requestorids": "u-1"}}', "watchlist.requestorids: must be an array of non-empty strings"),
        ('{"dedupe_window_minutes": true}', "dedupe_window_minutes: must be a positive integer, got True"),
    ],
)
def test_malformed_rules_fail_with_a_clear_message(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, document: str, problem: str
) -> None:
    stack.use_rules(monkeypatch, document)
    with pytest.raises(ConfigurationError) as raised:
        stack.handler.lambda_handler(load_fixture("s3_object_created.json"), stack.context)
    assert problem in str(raised.value)


def test_every_problem_of_the_rules_is_listed_at_once() -> None:
    from alerting.rules import parse_rules

    document = {
        "thresholds": [
            {"name": "a b", "event_type": "LOGIN_FAILED", "group_by": "requestorid", "count": 5, "window_minutes": -1},
            {"name": "ok", "event_type": "LOGIN_FAILED", "group_by": "requestorid", "count": 5, "window_minutes": 1},
            {"name": "ok", "event_type": "LOGIN_FAILED", "group_by": "requestorid", "count": 2, "window_minutes": 1},
        ],
        "watchlist": {"requestorids": ["u-1"], "extra": []},
    }
    with pytest.raises(ConfigurationError) as raised:
        parse_rules(document)
    assert str(raised.value) == (
        "ALERT_RULES is invalid: "
        "thresholds[0].name: 'a b' must be 1-64 letters, digits, '_', '.' or '-' (and not 'watchlist'); "
        "thresholds[0].window_minutes: must be a positive integer, got -1; "
        "thresholds: duplicate rule name 'ok'; "
        "watchlist: unknown key 'extra'"
    )


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_missing_rules_variable_fails(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALERT_RULES")
    stack.handler.settings.cache_clear()
    with pytest.raises(ConfigurationError, match="environment variable ALERT_RULES is not set"):
        stack.handler.lambda_handler(load_fixture("s3_object_created.json"), stack.context)


def test_custom_rules_override_the_defaults(
    stack: Stack, examples: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack.use_rules(monkeypatch, {"always_alert": {"event_types": ["FORCED_LOGOUT"]}, "dedupe_window_minutes": 5})
    event_json = load_fixture("s3_object_created.json")
    [key] = object_keys(event_json)
    logouts = [audit_event(examples, "FORCED_LOGOUT", T0 + n * MINUTE) for n in (0, 5, 6)]
    lockout = audit_event(examples, "ACCOUNT_LOCKOUT", T0)
    failures = [audit_event(examples, "LOGIN_FAILED", T0 + n, requestorid="u-10442") for n in range(6)]
    stack.put(key, [*logouts, lockout, *failures])

    # No default lockout alert, no threshold (the document has none); a 5-minute dedupe window.
    assert stack.invoke(event_json) == metrics(EventsScanned=10, AlertsPublished=2)
    first, second = sorted(stack.messages(), key=lambda message: message.body["window"]["start"])
    assert first.subject == "[Audit alert] CRM_MBL: 2 FORCED_LOGOUT for requestor u-10333"
    assert first.body["eventids"] == ids(logouts[:2])
    assert first.body["window"] == {"start": "2026-11-01T09:00:00.000Z", "end": "2026-11-01T09:05:00.000Z"}
    assert second.subject == "[Audit alert] CRM_MBL: FORCED_LOGOUT for requestor u-10333"
    assert second.body["eventids"] == [logouts[2]["eventid"]]


def test_empty_rules_document_means_the_default_always_alert_types(
    stack: Stack, examples: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack.use_rules(monkeypatch, {})
    rules = stack.handler.settings().rules
    assert sorted(rules.always_alert_types) == sorted(DEFAULT_ALWAYS_ALERT_TYPES)
    assert (rules.thresholds, rules.watched_requestorids, rules.dedupe_window_minutes) == ((), frozenset(), 60)


# --- threshold evaluation inside one object ------------------------------------------------------


def test_a_long_burst_in_one_object_alerts_once_per_window() -> None:
    from alerting.events import AuditEvent
    from alerting.rules import ThresholdRule, subject_threshold_alerts

    rule = ThresholdRule("burst", "LOGIN_FAILED", "requestorid", count=5, window_minutes=10)

    def failure(minute: int) -> AuditEvent:
        at = T0 + minute * MINUTE
        return AuditEvent(f"id-{minute:02d}", "LOGIN_FAILED", at, "u-1", "192.0.2.1", "CRM_WEB", received_ms=at)

    # One failure a minute for 12 minutes, then five more from minute 20: two bursts.
    fresh = [failure(minute) for minute in [*range(12), *range(20, 25)]]
    alerts = subject_threshold_alerts(rule, "CRM_WEB", "u-1", fresh, indexed=[])
    assert [(alert.trigger_ms - T0) // MINUTE for alert in alerts] == [4, 24]
    assert [event.eventid for event in alerts[0].events] == ["id-00", "id-01", "id-02", "id-03", "id-04"]
    assert [event.eventid for event in alerts[1].events] == ["id-20", "id-21", "id-22", "id-23", "id-24"]
    # A window made only of already indexed events is not this object's alert.
    assert subject_threshold_alerts(rule, "CRM_WEB", "u-1", [failure(30)], indexed=fresh[:5]) == []
    # ...but an indexed burst that this object's event joins is.
    [joined] = subject_threshold_alerts(rule, "CRM_WEB", "u-1", [failure(30)], indexed=fresh[-5:])
    assert [event.eventid for event in joined.events] == ["id-20", "id-21", "id-22", "id-23", "id-24", "id-30"]
