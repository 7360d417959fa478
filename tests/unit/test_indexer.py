"""Archived but not indexed: the indexer (and make reindex) rebuild exactly the items ingestion writes."""

from __future__ import annotations

import gzip
import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from test_ingestion import (
    BUCKET,
    TABLE,
    archived,
    call,
    fresh,
    indexed,
    ingestion_on_moto,
    request,
    transform_archive,
    use_clients,
)

from audit_shared.archive_index import (
    client_content_hash,
    items_from_object,
    put_unindexed,
    server_assigned_id,
    write_unindexed,
)
from audit_shared.clock import iso_utc, now_millis
from audit_shared.ids import new_event_id
from audit_shared.index import content_hash, event_key
from audit_shared.retry import Backoff
from support import FakeLambdaContext

NO_SLEEP = Backoff(attempts=4, sleep=lambda _: None)


@pytest.fixture
def handler(aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The ingestion handler on moto, as in test_ingestion."""
    return ingestion_on_moto(monkeypatch)


def archive_objects() -> list[tuple[str, bytes]]:
    s3 = boto3.client("s3")
    return [
        (item["Key"], s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read())
        for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    ]


def by_key(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["pk"]["S"]: item for item in items}


def delete_all(client: Any) -> None:
    for item in indexed():
        client.delete_item(TableName=TABLE, Key={"pk": item["pk"]})


def mixed_events(examples: dict) -> list[dict[str, Any]]:
    """Client-chosen and server-assigned ids, a digit-string timestamp, an IPv6 address in long form."""
    return [
        fresh(examples["LOGIN_FAILED"], eventid=str(uuid.uuid4()), initiatorsystemcode="CRM_WEB"),
        fresh(examples["DOCUMENT_DOWNLOADED"], initiatorsystemcode="CRM_MBL"),
        fresh(examples["LOGIN_SUCCESSFUL"], eventid=new_event_id(now_millis() - 5000), requestorip="2001:DB8:0:0::42"),
        dict(fresh(examples["PASSWORD_CHANGED"], eventid=str(uuid.uuid4())), timestamp=str(now_millis() - 1234)),
    ]


# --- the archive gives back ingestion's items -----------------------------------------------------


def test_items_from_the_archive_equal_what_ingestion_wrote(handler: Any, lambda_context: Any, examples: dict) -> None:
    events = mixed_events(examples)
    status, body = call(handler, request({"events": events}, path="/v1/events/batch"), lambda_context)
    assert status == 200 and len(body["successful"]) == 4
    written_by_ingestion = by_key(indexed())
    rebuilt = [item for _, raw in archive_objects() for item in items_from_object(raw, 30, now_millis()).items]
    assert by_key(rebuilt) == written_by_ingestion
    # contenthash only for the ids the clients chose, with ingestion's value.
    hashes = {item["eventid"]["S"]: item.get("contenthash", {}).get("S") for item in rebuilt}
    for event, answer in zip(events, body["successful"], strict=True):
        expected = content_hash(dict(event, timestamp=int(event["timestamp"]))) if "eventid" in event else None
        assert hashes[answer["eventid"]] == expected


def test_server_assigned_ids_are_told_from_client_chosen_ones() -> None:
    received = now_millis()
    assert server_assigned_id(new_event_id(received), received)
    assert not server_assigned_id(new_event_id(received - 1), received)  # a client's UUIDv7, minted earlier
    assert not server_assigned_id(str(uuid.uuid4()), received)
    assert not server_assigned_id("order-4711", received)
    event = {"eventid": new_event_id(received), "receivedat": iso_utc(received), "requestorid": "u-1"}
    assert client_content_hash(event, received) is None
    chosen = dict(event, eventid="order-4711", apikeyid="k1", sourceip="198.51.100.7", schemaversion="1")
    assert client_content_hash(chosen, received) == content_hash({"eventid": "order-4711", "requestorid": "u-1"})


def test_expired_and_malformed_lines_are_left_out_and_counted(examples: dict) -> None:
    now = now_millis()
    live = fresh(examples["LOGIN_FAILED"], eventid=str(uuid.uuid4()), receivedat=iso_utc(now), schemaversion="1")
    old = dict(live, eventid=str(uuid.uuid4()), receivedat=iso_utc(now - 31 * 86_400_000))
    lines = [json.dumps(live), json.dumps(old), "not json", json.dumps({"eventid": "x"}), ""]
    found = items_from_object(gzip.compress("\n".join(lines).encode()), 30, now)
    assert [item["eventid"]["S"] for item in found.items] == [live["eventid"]]
    assert (found.events, found.expired) == (2, 1)
    assert [number for number, _ in found.not_events] == [3, 4]
    assert found.not_events[1][1].startswith("missing or mistyped: initiatorsystemcode")


# --- writes never downgrade or clobber -----------------------------------------------------------


def archived_items(handler: Any, lambda_context: Any, examples: dict) -> list[dict[str, Any]]:
    call(handler, request({"events": mixed_events(examples)}, path="/v1/events/batch"), lambda_context)
    return [item for _, raw in archive_objects() for item in items_from_object(raw, 30, now_millis()).items]


@pytest.mark.parametrize("writer", ["put_unindexed", "write_unindexed"])
def test_writes_fill_gaps_replace_claims_and_keep_complete_items(
    handler: Any, lambda_context: Any, examples: dict, writer: str
) -> None:
    dynamodb = boto3.client("dynamodb")
    items = archived_items(handler, lambda_context, examples)
    expected = by_key(indexed())
    delete_all(dynamodb)
    first, second, third, fourth = items
    # A complete item that differs (another writer's content) stays; a claim is replaced by the event.
    dynamodb.put_item(TableName=TABLE, Item=dict(first, contenthash={"S": "someone-elses"}))
    dynamodb.put_item(
        TableName=TABLE,
        Item={"pk": third["pk"], "contenthash": {"S": "h"}, "claimexpires": {"N": "1"}, "expiresat": {"N": "2"}},
    )

    def write(batch: list[dict[str, Any]]) -> Any:
        if writer == "put_unindexed":
            return put_unindexed(dynamodb, TABLE, batch)
        return write_unindexed(dynamodb, TABLE, batch, NO_SLEEP)

    report = write([*items, second])  # the second item twice, as an at-least-once archive can hold it
    assert (report.written, report.present) == (3, 2)
    now = by_key(indexed())
    assert now[first["pk"]["S"]]["contenthash"] == {"S": "someone-elses"}
    for item in (second, third, fourth):
        assert now[item["pk"]["S"]] == expected[item["pk"]["S"]]
    again = write(items)
    assert (again.written, again.present) == (0, 4)
    assert by_key(indexed()) == now


class UnprocessedOnce:
    """Moto's DynamoDB, except that the first BatchGetItem and BatchWriteItem each leave half undone."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.calls.append("get")
        [(table, request)] = RequestItems.items()
        if self.calls.count("get") > 1:
            return self.real.batch_get_item(RequestItems=RequestItems)
        half = len(request["Keys"]) // 2
        answer = self.real.batch_get_item(RequestItems={table: dict(request, Keys=request["Keys"][:half])})
        return dict(answer, UnprocessedKeys={table: dict(request, Keys=request["Keys"][half:])})

    def batch_write_item(self, RequestItems: dict[str, list]) -> dict[str, Any]:
        self.calls.append("write")
        [(table, requests)] = RequestItems.items()
        if self.calls.count("write") > 1:
            return self.real.batch_write_item(RequestItems=RequestItems)
        half = len(requests) // 2
        self.real.batch_write_item(RequestItems={table: requests[:half]})
        return {"UnprocessedItems": {table: requests[half:]}}


def test_batched_writes_retry_what_dynamodb_left_unprocessed(handler: Any, lambda_context: Any, examples: dict) -> None:
    dynamodb = boto3.client("dynamodb")
    items = archived_items(handler, lambda_context, examples)
    expected = by_key(indexed())
    delete_all(dynamodb)
    dynamodb.put_item(TableName=TABLE, Item=items[0])
    flaky = UnprocessedOnce(dynamodb)
    report = write_unindexed(flaky, TABLE, items, NO_SLEEP)
    assert (report.written, report.present) == (3, 1)
    assert flaky.calls == ["get", "get", "write", "write"]
    assert by_key(indexed()) == expected


# --- ingestion: a failed index write is counted, and the indexer makes the event queryable ----------


class FailingIndexWrites:
    """Moto's DynamoDB, except that every BatchWriteItem is throttled past the SDK's retries."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def batch_write_item(self, **_: Any) -> dict[str, Any]:
        error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded"}}
        raise ClientError(error, "BatchWriteItem")


@pytest.fixture
def indexer(aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("ARCHIVE_BUCKET_NAME", BUCKET)
    monkeypatch.setenv("INDEX_TABLE_NAME", TABLE)
    monkeypatch.setenv("INDEX_RETENTION_DAYS", "30")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "audit-indexer")
    from indexer import handler as module

    module.settings.cache_clear()
    module.clients.cache_clear()
    return module


def object_created(key: str, bucket: str = BUCKET) -> dict[str, Any]:
    """S3's "Object Created" event as EventBridge delivers it (the key URL-encoded, as LocalStack sends it)."""
    return {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2026-11-28T19:30:10Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key.replace("=", "%3D"), "size": 1, "etag": "e", "sequencer": "1"},
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": "123456789012",
            "reason": "PutObject",
        },
    }


def emitted_metrics(output: str) -> dict[str, float]:
    """Metric name -> value from the EMF lines Powertools printed."""
    values = {}
    for line in output.splitlines():
        if '"_aws"' in line:
            document = json.loads(line)
            for metric in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                value = document[metric["Name"]]
                values[metric["Name"]] = sum(value) if isinstance(value, list) else value
    return values


def test_failed_index_write_is_a_metric_and_the_indexer_makes_the_event_queryable(
    handler: Any, indexer: Any, lambda_context: Any, examples: dict, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    use_clients(handler, monkeypatch, dynamodb=FailingIndexWrites(boto3.client("dynamodb")))
    event = fresh(examples["LOGIN_FAILED"], eventid=str(uuid.uuid4()), initiatorsystemcode="CRM_WEB")
    status, body = call(handler, request(event), lambda_context)
    # Archived, so the client hears success; the index has only the claim, which reads never see.
    assert status == 201 and body["eventid"] == event["eventid"]
    assert [line["eventid"] for line in archived()] == [event["eventid"]]
    assert [set(item) for item in indexed()] == [{"pk", "contenthash", "claimexpires", "expiresat"}]
    assert emitted_metrics(capsys.readouterr().out)["IndexWriteFailures"] == 1

    transform_archive()
    [(key, _)] = archive_objects()
    answer = indexer.lambda_handler(object_created(key), FakeLambdaContext())
    assert answer == {"key": key, "events": 1, "written": 1, "present": 0, "expired": 0, "not_events": 0}
    [item] = indexed()
    assert item["pk"] == {"S": event_key("CRM_WEB", event["eventid"])}
    assert json.loads(item["event"]["S"]) == archived()[0]
    assert item["contenthash"] == {"S": content_hash(event)}
    assert emitted_metrics(capsys.readouterr().out)["EventsIndexed"] == 1

    # The client's retry is now a duplicate, exactly as if ingestion had indexed it itself.
    use_clients(handler, monkeypatch)
    assert call(handler, request(event), lambda_context)[0] == 200
    # A second delivery of the notification changes nothing.
    again = indexer.lambda_handler(object_created(key), FakeLambdaContext())
    assert (again["written"], again["present"]) == (0, 1)


def test_indexer_ignores_other_buckets_prefixes_and_events(indexer: Any) -> None:
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    assert indexer.lambda_handler(object_created("data/x.gz", "other-bucket"), FakeLambdaContext()) == {"ignored": True}
    assert indexer.lambda_handler(object_created("digests/000000000001.json"), FakeLambdaContext()) == {"ignored": True}
    assert indexer.lambda_handler({"source": "aws.events"}, FakeLambdaContext()) == {"ignored": True}


def test_unreadable_object_is_reported_not_retried(indexer: Any, capsys: Any) -> None:
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    boto3.client("s3").put_object(Bucket=BUCKET, Key="data/broken.gz", Body=b"\x1f\x8b not gzip")
    answer = indexer.lambda_handler(object_created("data/broken.gz"), FakeLambdaContext())
    assert answer["key"] == "data/broken.gz" and answer["unreadable"].startswith("not a valid gzip stream")
    assert emitted_metrics(capsys.readouterr().out)["ObjectsUnreadable"] == 1


def test_missing_object_raises_so_the_invocation_is_retried(indexer: Any) -> None:
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    with pytest.raises(ClientError):
        indexer.lambda_handler(object_created("data/gone.gz"), FakeLambdaContext())
