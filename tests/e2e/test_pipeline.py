"""End to end on LocalStack: HTTP API -> ingestion -> Firehose -> transformation -> S3, index, alerts."""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import time
import uuid
from typing import Any

import pytest

import local_stack
import rest
from audit_shared.clock import millis_from_iso
from support import ROOT, example_events

pytestmark = [pytest.mark.localstack, pytest.mark.e2e]

CRM, ERP = "crm", "erp"


def unique_event(eventtype: str = "LOGIN_SUCCESSFUL", **changes: Any) -> dict[str, Any]:
    """An example event with a requestor no other test uses, so assertions see only this test's data."""
    event = copy.deepcopy(example_events()[eventtype])
    event.pop("eventid", None)
    event.pop("relatedeventid", None)
    event.update(requestorid=f"e2e-{uuid.uuid4().hex[:12]}", timestamp=int(time.time() * 1000) - 30_000)
    if event["initiatorsystemcode"] == "ERP_WEB":
        event["initiatorsystemcode"] = "CRM_WEB"
    event.update(changes)
    return event


def post(endpoint: str, path: str, body: Any, api_key: str | None) -> tuple[int, Any]:
    reply = rest.call(endpoint, "POST", path, api_key, body)
    return reply.status, reply.body or {}


INITIATORS = ("CRM_WEB", "CRM_MBL", "ERP_WEB")  # initiator_system_codes of environments/local.tfvars


def index_query(stack: dict[str, Any], field: str, value: str, since_ms: int) -> list[str]:
    """Event ids found through the GSI of one field, under every initiator (the index itself, not the API)."""
    table = stack["index_table_name"]
    texts = [
        text
        for initiator in INITIATORS
        for text in local_stack.index_query(table, initiator, field, value, since_ms, 10**13 - 1)
    ]
    return [json.loads(text)["eventid"] for text in texts]


def archived_for(stack: dict[str, Any], requestorid: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (key, event)
        for key, event in local_stack.archived_events(stack["archive_bucket_name"]).values()
        if event["requestorid"] == requestorid
    ]


def test_post_without_api_key_is_403(endpoint: str) -> None:
    status, _ = post(endpoint, "/v1/events", unique_event(), api_key=None)
    assert status == 403


def test_single_event_is_archived_partitioned_and_indexed(
    stack: dict[str, Any], endpoint: str, api_keys: dict[str, str]
) -> None:
    event = unique_event("LOGIN_FAILED", requestorip="2001:db8::e2e")
    status, body = post(endpoint, "/v1/events", event, api_keys[CRM])
    assert status == 201, body
    [(key, stored)] = archived_for(stack, event["requestorid"])
    year, month, day = time.strftime("%Y %m %d", time.gmtime(event["timestamp"] / 1000)).split()
    assert key.startswith(
        f"data/initiatorsystemcode=CRM_WEB/eventtype=LOGIN_FAILED/year={year}/month={month}/day={day}/"
    )
    assert stored["eventid"] == body["eventid"] and stored["timestamp"] == event["timestamp"]
    raw = local_stack.read_object(stack["archive_bucket_name"], key).decode()
    line = next(line for line in raw.splitlines() if body["eventid"] in line)
    assert line == json.dumps(stored, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    dynamodb = local_stack.client("dynamodb")
    key = {"pk": {"S": f"CRM_WEB#{body['eventid']}"}}
    item = dynamodb.get_item(TableName=stack["index_table_name"], Key=key)["Item"]
    assert json.loads(item["event"]["S"]) == stored
    assert int(item["expiresat"]["N"]) > time.time()
    since = event["timestamp"] - 1
    for field in ("requestorid", "eventtype", "requestorip"):
        assert body["eventid"] in index_query(stack, field, event[field], since), field


def test_batch_is_accepted_and_every_event_stored(
    stack: dict[str, Any], endpoint: str, api_keys: dict[str, str]
) -> None:
    requestor = f"e2e-batch-{uuid.uuid4().hex[:8]}"
    events = [
        unique_event(eventtype, requestorid=requestor)
        for eventtype in ("LOGIN_SUCCESSFUL", "LOGOUT_SUCCESSFUL", "SESSION_CREATED")
    ]
    status, body = post(endpoint, "/v1/events/batch", {"events": events}, api_keys[CRM])
    assert status == 200 and body["failed"] == []
    ids = {item["eventid"] for item in body["successful"]}
    assert {event["eventid"] for _, event in archived_for(stack, requestor)} == ids
    assert set(index_query(stack, "requestorid", requestor, 0)) == ids


def test_invalid_event_is_400_with_every_error_and_nothing_stored(
    stack: dict[str, Any], endpoint: str, api_keys: dict[str, str]
) -> None:
    event = unique_event(requestorip="10.0.0.256", colour="blue")
    status, body = post(endpoint, "/v1/events", event, api_keys[CRM])
    assert status == 400
    assert body["errors"] == [
        {"field": "colour", "message": "is not an allowed field"},
        {"field": "requestorip", "message": "must be an IPv4 or IPv6 address"},
    ]
    assert archived_for(stack, event["requestorid"]) == []
    assert index_query(stack, "requestorid", event["requestorid"], 0) == []


def test_cross_tenant_event_is_403_and_nothing_stored(
    stack: dict[str, Any], endpoint: str, api_keys: dict[str, str]
) -> None:
    event = unique_event("DOCUMENT_DOWNLOADED", initiatorsystemcode="ERP_WEB")
    status, body = post(endpoint, "/v1/events", event, api_keys[CRM])
    assert status == 403
    assert body["errorcode"] == "Forbidden"
    assert archived_for(stack, event["requestorid"]) == []
    status, _ = post(endpoint, "/v1/events", event, api_keys[ERP])
    assert status == 201


def test_duplicate_event_id_is_stored_once(stack: dict[str, Any], endpoint: str, api_keys: dict[str, str]) -> None:
    event = unique_event(eventid=str(uuid.uuid4()))
    first = post(endpoint, "/v1/events", event, api_keys[CRM])
    second = post(endpoint, "/v1/events", event, api_keys[CRM])
    assert (first[0], first[1]["duplicate"]) == (201, False)
    assert (second[0], second[1]["duplicate"]) == (200, True)
    assert len(archived_for(stack, event["requestorid"])) == 1
    assert len(index_query(stack, "requestorid", event["requestorid"], 0)) == 1


def test_record_failing_transformation_lands_under_the_error_prefix(stack: dict[str, Any]) -> None:
    bucket = stack["archive_bucket_name"]
    marker = f"e2e-broken-{uuid.uuid4().hex[:8]}"
    before = set(local_stack.object_keys(bucket, "errors/"))
    local_stack.client("firehose").put_record(
        DeliveryStreamName=stack["delivery_stream_name"], Record={"Data": f'{{"requestorid": "{marker}", '.encode()}
    )
    new_keys = local_stack.wait_for(
        lambda: set(local_stack.object_keys(bucket, "errors/")) - before, bool, timeout=60, interval=1
    )
    [key] = new_keys
    assert key.startswith("errors/processing-failed/")
    [line] = local_stack.read_object(bucket, key).decode().splitlines()
    record = json.loads(line)
    assert record["errorCode"] and marker.encode() in base64.b64decode(record["rawData"])


def test_a_direct_producer_can_neither_forge_server_fields_nor_a_record_frame(stack: dict[str, Any]) -> None:
    """Only the API sets receivedat/sourceip/apikeyid: records it did not MAC carry none of them."""
    bucket = stack["archive_bucket_name"]
    forged = unique_event(receivedat="2020-01-01T00:00:00.000Z", apikeyid="someone-elses-key")
    framed = unique_event()
    fake_trailer = "#aaas/1 CRM_WEB LOGIN_SUCCESSFUL 2026 01 01 " + "0" * 64
    plain = unique_event()
    before = set(local_stack.object_keys(bucket, "errors/"))
    records = [
        json.dumps(forged).encode(),
        (json.dumps(framed, separators=(",", ":")) + "\n" + fake_trailer + "\n").encode(),
        json.dumps(plain).encode(),
    ]
    sent_ms = int(time.time() * 1000)
    local_stack.client("firehose").put_record_batch(
        DeliveryStreamName=stack["delivery_stream_name"], Records=[{"Data": data} for data in records]
    )
    markers = [event["requestorid"].encode() for event in (forged, framed)]

    def refused() -> list[bytes]:
        raw = [
            base64.b64decode(json.loads(line)["rawData"])
            for key in set(local_stack.object_keys(bucket, "errors/")) - before
            for line in local_stack.read_object(bucket, key).decode().splitlines()
        ]
        return [data for data in raw if any(marker in data for marker in markers)]

    assert sorted(local_stack.wait_for(refused, lambda found: len(found) == 2, timeout=90, interval=2)) == sorted(
        records[:2]
    )
    [(_, archived)] = local_stack.wait_for(
        lambda: archived_for(stack, plain["requestorid"]), bool, timeout=90, interval=2
    )
    # The plain record is archived with the arrival time as its receipt, and no API key or source IP.
    assert "apikeyid" not in archived and "sourceip" not in archived
    assert abs(millis_from_iso(archived["receivedat"]) - sent_ms) < 120_000
    assert archived_for(stack, forged["requestorid"]) == [] and archived_for(stack, framed["requestorid"]) == []


def test_archived_object_version_cannot_be_deleted(
    stack: dict[str, Any], endpoint: str, api_keys: dict[str, str]
) -> None:
    event = unique_event()
    assert post(endpoint, "/v1/events", event, api_keys[CRM])[0] == 201
    [(key, _)] = archived_for(stack, event["requestorid"])
    s3 = local_stack.client("s3")
    version = s3.head_object(Bucket=stack["archive_bucket_name"], Key=key)["VersionId"]
    with pytest.raises(s3.exceptions.ClientError) as denied:
        s3.delete_object(Bucket=stack["archive_bucket_name"], Key=key, VersionId=version)
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert s3.head_object(Bucket=stack["archive_bucket_name"], Key=key, VersionId=version)["VersionId"] == version


def alerts_matching(queue_url: str, predicate: Any, timeout: float = 90) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def probe() -> list[dict[str, Any]]:
        # The topic also carries CloudWatch alarm notifications (e.g. the transformation errors the fault
        # tests cause); only audit alerts have a rule type.
        seen.extend(alert for alert in local_stack.drain_alerts(queue_url) if "ruletype" in alert["body"])
        return [alert for alert in seen if predicate(alert)]

    return local_stack.wait_for(probe, bool, timeout=timeout, interval=1)


def test_always_alert_rule_publishes_to_sns(alerts_queue: str, endpoint: str, api_keys: dict[str, str]) -> None:
    event = unique_event("ACCOUNT_LOCKOUT")
    status, body = post(endpoint, "/v1/events", event, api_keys[CRM])
    assert status == 201
    [alert] = alerts_matching(alerts_queue, lambda alert: body["eventid"] in alert["body"]["eventids"])
    initiator = event["initiatorsystemcode"]
    assert alert["subject"] == f"[Audit alert] {initiator}: ACCOUNT_LOCKOUT for requestor {event['requestorid']}"
    assert alert["body"]["initiatorsystemcode"] == initiator
    assert alert["body"]["ruletype"] == "always_alert"


def test_threshold_rule_counts_across_deliveries(alerts_queue: str, endpoint: str, api_keys: dict[str, str]) -> None:
    requestor = f"e2e-burst-{uuid.uuid4().hex[:8]}"
    now = int(time.time() * 1000)
    ids = []
    for n in range(5):  # five separate posts, so five separate S3 objects: the index must be consulted
        event = unique_event("LOGIN_FAILED", requestorid=requestor, timestamp=now - 60_000 + n * 1000)
        status, body = post(endpoint, "/v1/events", event, api_keys[CRM])
        assert status == 201
        ids.append(body["eventid"])
    [alert] = alerts_matching(
        alerts_queue, lambda alert: alert["body"]["ruletype"] == "threshold" and requestor in alert["subject"]
    )
    assert alert["subject"] == (
        f"[Audit alert] {event['initiatorsystemcode']}: login-failed-burst: 5 LOGIN_FAILED for requestor {requestor} in 10 min"
    )
    assert alert["body"]["eventids"] == sorted(ids)


def test_watchlist_rule_publishes_to_sns(alerts_queue: str, endpoint: str, api_keys: dict[str, str]) -> None:
    event = unique_event("DOCUMENT_DOWNLOADED", requestorip="203.0.113.66")
    status, body = post(endpoint, "/v1/events", event, api_keys[CRM])
    assert status == 201
    [alert] = alerts_matching(alerts_queue, lambda alert: body["eventid"] in alert["body"]["eventids"])
    assert alert["body"]["ruletype"] == "watchlist"
    assert (
        alert["subject"]
        == f"[Audit alert] {event['initiatorsystemcode']}: watchlist: DOCUMENT_DOWNLOADED for IP 203.0.113.66"
    )


def test_second_plan_after_apply_is_clean(stack: dict[str, Any]) -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / "local-apply.sh"), "plan", "-detailed-exitcode"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
