"""/_aaas/faults: injected Firehose, DynamoDB and Lambda failures, shaped as AWS reports them, off by default."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from localstack_fixture import python_function

import local_stack
from local_stack import ENDPOINT, clear_faults, fault_state, injected_faults
from local_stack import client as aws_client

pytestmark = pytest.mark.localstack

ROLE = "arn:aws:iam::000000000000:role/faults-test"


@pytest.fixture(autouse=True)
def _faults_off(localstack: str) -> Iterator[None]:
    clear_faults()
    yield
    clear_faults()


def _put(body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(f"{ENDPOINT}/_aaas/faults", data=body, method="PUT")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def test_no_fault_is_on_by_default_and_a_bad_configuration_is_refused_with_every_reason() -> None:
    assert fault_state() == {"faults": {}, "seed": None, "considered": {}, "injected": {}}

    status, body = _put(
        json.dumps(
            {
                "firehose": {"rate": 1.5, "operations": ["PutItem"]},
                "dynamodb": {"rate": 0.1, "operations": ["Scan"], "limit": 0},
                "lambda": {"rate": 0.5, "resources": "f"},
                "kinesis": {},
                "seed": "x",
            }
        ).encode()
    )
    assert status == 400
    assert body == {
        "errors": [
            "unknown fault kinds ['kinesis']; known: firehose, dynamodb, lambda",
            "seed: must be an integer",
            "firehose.operations: only dynamodb faults select operations",
            "firehose.rate: must be a number from 0 to 1",
            "dynamodb.operations: must be a list of PutItem, UpdateItem, DeleteItem, BatchWriteItem",
            "dynamodb.limit: must be a positive integer",
            "lambda.resources: must be a list of names",
        ]
    }
    assert _put(b"not json")[0] == 400
    assert fault_state()["faults"] == {}  # a refused configuration changes nothing


def _bucket_and_stream() -> tuple[str, str]:
    bucket, stream = f"faults-{uuid.uuid4().hex[:8]}", f"faults-{uuid.uuid4().hex[:8]}"
    aws_client("s3").create_bucket(Bucket=bucket)
    aws_client("firehose").create_delivery_stream(
        DeliveryStreamName=stream,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": "data/"},
    )
    return bucket, stream


def _delivered(bucket: str) -> list[int]:
    lines = b"".join(local_stack.read_object(bucket, key) for key in local_stack.object_keys(bucket, "data/"))
    return sorted(json.loads(line)["n"] for line in lines.decode().splitlines())


def test_firehose_fails_the_picked_records_per_record_and_delivers_the_rest() -> None:
    bucket, stream = _bucket_and_stream()
    firehose = aws_client("firehose")
    records = [{"Data": json.dumps({"n": n}).encode() + b"\n"} for n in range(5)]

    # rate 1 with limit 2: exactly the first two records fail.
    with injected_faults({"firehose": {"rate": 1.0, "resources": [stream], "limit": 2}}) as state:
        response = firehose.put_record_batch(DeliveryStreamName=stream, Records=records)
        counters = state()
    assert response["FailedPutCount"] == 2
    entries = response["RequestResponses"]
    assert [entry.get("ErrorCode") for entry in entries] == ["ServiceUnavailableException"] * 2 + [None] * 3
    assert all(entry.get("RecordId") for entry in entries[2:])
    assert _delivered(bucket) == [2, 3, 4]
    assert counters["injected"] == {"firehose": {"PutRecordBatch": 2}}
    assert counters["considered"] == {"firehose": 5}

    with injected_faults({"firehose": {"rate": 1.0}}), pytest.raises(ClientError) as refused:
        aws_client("firehose").put_record(DeliveryStreamName=stream, Record=records[0])
    assert refused.value.response["Error"]["Code"] == "ServiceUnavailableException"

    # Off again: everything is delivered, and a stream a fault names does not affect another.
    assert firehose.put_record_batch(DeliveryStreamName=stream, Records=records[:1])["FailedPutCount"] == 0
    with injected_faults({"firehose": {"rate": 1.0, "resources": ["another-stream"]}}):
        assert firehose.put_record_batch(DeliveryStreamName=stream, Records=records[1:2])["FailedPutCount"] == 0
    assert _delivered(bucket) == [0, 1, 2, 3, 4]


def test_dynamodb_throttles_single_writes_and_leaves_batch_writes_unprocessed() -> None:
    table = f"faults-{uuid.uuid4().hex[:8]}"
    dynamodb = aws_client("dynamodb")
    dynamodb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    single_attempt = boto3.client(  # no SDK retry, so the throttle itself is seen
        "dynamodb",
        endpoint_url=ENDPOINT,
        region_name=local_stack.REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )

    with injected_faults({"dynamodb": {"rate": 1.0, "resources": [table], "operations": ["PutItem"]}}) as state:
        with pytest.raises(ClientError) as throttled:
            single_attempt.put_item(TableName=table, Item={"pk": {"S": "a"}})
        dynamodb.update_item(  # not a selected operation: served
            TableName=table,
            Key={"pk": {"S": "u"}},
            UpdateExpression="SET v = :v",
            ExpressionAttributeValues={":v": {"N": "1"}},
        )
        counters = state()
    assert throttled.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert counters["injected"] == {"dynamodb": {"PutItem": 1}}
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"pk": {"S": "a"}})

    requests = [{"PutRequest": {"Item": {"pk": {"S": f"b{n}"}}}} for n in range(4)]
    with injected_faults({"dynamodb": {"rate": 1.0, "resources": [table], "limit": 3}}):
        response = dynamodb.batch_write_item(RequestItems={table: requests})
    assert response["UnprocessedItems"] == {table: requests[:3]}
    stored = {item["pk"]["S"] for item in dynamodb.scan(TableName=table)["Items"]}
    assert stored == {"u", "b3"}

    # When the fault picks every request, DynamoDB's answer is a throttled call, not an all-unprocessed one.
    with injected_faults({"dynamodb": {"rate": 1.0, "resources": [table]}}), pytest.raises(ClientError) as all_picked:
        single_attempt.batch_write_item(RequestItems={table: requests[:2]})
    assert all_picked.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"

    # Off again: the retry of exactly the unprocessed requests writes them.
    assert dynamodb.batch_write_item(RequestItems=response["UnprocessedItems"])["UnprocessedItems"] == {}
    stored = {item["pk"]["S"] for item in dynamodb.scan(TableName=table)["Items"]}
    assert stored == {"u", "b0", "b1", "b2", "b3"}


def test_lambda_invocation_fails_as_an_unhandled_error_without_running_the_handler() -> None:
    lam = aws_client("lambda")
    name = python_function("faults", "def handler(event, context):\n    return {'ran': True}\n")

    with injected_faults({"lambda": {"rate": 1.0, "resources": [name], "limit": 1}}) as state:
        failed = lam.invoke(FunctionName=name, Payload=b"{}")
        succeeded = lam.invoke(FunctionName=name, Payload=b"{}")
        counters = state()
    assert failed["FunctionError"] == "Unhandled"
    error = json.loads(failed["Payload"].read())
    assert error["errorType"] == "InjectedFault"
    assert "fault injected" in error["errorMessage"]
    assert "FunctionError" not in succeeded
    assert json.loads(succeeded["Payload"].read()) == {"ran": True}
    assert counters["injected"] == {"lambda": {"Invoke": 1}}
