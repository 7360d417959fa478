"""Firehose delivery with the firehose:aaas provider: AWS-shaped processor events, dynamic
partitioning from the Lambda, GZIP, SSE-KMS and the processing-failed error output."""

from __future__ import annotations

import base64
import gzip
import json
import re
import uuid
from datetime import UTC, datetime

import pytest
from localstack_fixture import zip_source

from local_stack import client as aws_client

pytestmark = pytest.mark.localstack

ROLE = "arn:aws:iam::000000000000:role/firehose-role"
PREFIX = (
    "data/initiatorsystemcode=!{partitionKeyFromLambda:initiatorsystemcode}/"
    "eventtype=!{partitionKeyFromLambda:eventtype}/year=!{partitionKeyFromLambda:year}/"
    "month=!{partitionKeyFromLambda:month}/day=!{partitionKeyFromLambda:day}/"
)
ERROR_PREFIX = (
    "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/"
    "day=!{timestamp:dd}/hour=!{timestamp:HH}/"
)

PROCESSOR = """
import base64, json

def handler(event, context):
    out = []
    for record in event["records"]:
        doc = json.loads(base64.b64decode(record["data"]))
        if doc.get("drop"):
            out.append({"recordId": record["recordId"], "result": "Dropped", "data": record["data"]})
            continue
        if doc.get("bad"):
            out.append({"recordId": record["recordId"], "result": "ProcessingFailed", "data": record["data"]})
            continue
        doc["seen"] = {"invocationId": event["invocationId"], "deliveryStreamArn": event["deliveryStreamArn"],
                       "region": event["region"], "arrival": record["approximateArrivalTimestamp"]}
        line = json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\\n"
        out.append({"recordId": record["recordId"], "result": "Ok",
                    "data": base64.b64encode(line.encode()).decode(),
                    "metadata": {"partitionKeys": {"initiatorsystemcode": doc["system"], "eventtype": doc["type"],
                                                   "year": "2026", "month": "01", "day": "02"}}})
    return {"records": out}
"""

FAILING_PROCESSOR = """
def handler(event, context):
    raise RuntimeError("processor exploded")
"""


def _function(source: str) -> str:
    name = f"processor-{uuid.uuid4().hex[:8]}"
    lam = aws_client("lambda")
    arn = lam.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=ROLE,
        Handler="app.handler",
        Timeout=10,
        Code={"ZipFile": zip_source({"app.py": source})},
    )["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return arn


def _stream(bucket: str, processor_arn: str, key_arn: str) -> str:
    aws_client("s3").create_bucket(Bucket=bucket)
    name = f"audit-{uuid.uuid4().hex[:8]}"
    aws_client("firehose").create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE,
            "BucketARN": f"arn:aws:s3:::{bucket}",
            "Prefix": PREFIX,
            "ErrorOutputPrefix": ERROR_PREFIX,
            "CompressionFormat": "GZIP",
            "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},
            "EncryptionConfiguration": {"KMSEncryptionConfig": {"AWSKMSKeyARN": key_arn}},
            "DynamicPartitioningConfiguration": {"Enabled": True},
            "ProcessingConfiguration": {
                "Enabled": True,
                "Processors": [
                    {
                        "Type": "Lambda",
                        "Parameters": [
                            {"ParameterName": "LambdaArn", "ParameterValue": processor_arn},
                            {"ParameterName": "NumberOfRetries", "ParameterValue": "1"},
                        ],
                    }
                ],
            },
        },
    )
    return name


def _objects(bucket: str) -> dict[str, bytes]:
    s3 = aws_client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def _put(stream: str, docs: list[dict]) -> None:
    response = aws_client("firehose").put_record_batch(
        DeliveryStreamName=stream, Records=[{"Data": json.dumps(d).encode()} for d in docs]
    )
    assert response["FailedPutCount"] == 0


def test_partitioned_gzip_delivery_and_processing_failed_error_output(localstack: str) -> None:
    key_arn = aws_client("kms").create_key()["KeyMetadata"]["Arn"]
    bucket = f"archive-{uuid.uuid4().hex[:8]}"
    stream = _stream(bucket, _function(PROCESSOR), key_arn)
    stream_arn = aws_client("firehose").describe_delivery_stream(DeliveryStreamName=stream)[
        "DeliveryStreamDescription"
    ]["DeliveryStreamARN"]

    docs = [
        {"id": 1, "system": "CRM_WEB", "type": "LOGIN"},
        {"id": 2, "system": "CRM_WEB", "type": "LOGIN"},
        {"id": 3, "system": "ERP_WEB", "type": "LOGOUT"},
        {"id": 4, "bad": True},
        {"id": 5, "drop": True},
    ]
    before = datetime.now(UTC)
    _put(stream, docs)

    objects = _objects(bucket)  # delivery is synchronous with PutRecordBatch
    data = {k: v for k, v in objects.items() if k.startswith("data/")}
    errors = {k: v for k, v in objects.items() if k.startswith("errors/")}
    name_re = rf"{stream}-1-\d{{4}}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9a-f-]{{36}}\.gz"
    assert sorted(k.rsplit("/", 1)[0] for k in data) == [
        "data/initiatorsystemcode=CRM_WEB/eventtype=LOGIN/year=2026/month=01/day=02",
        "data/initiatorsystemcode=ERP_WEB/eventtype=LOGOUT/year=2026/month=01/day=02",
    ]
    for key, body in data.items():
        assert re.fullmatch(name_re, key.rsplit("/", 1)[1]), key
        lines = gzip.decompress(body).decode().splitlines()
        ids = sorted(json.loads(line)["id"] for line in lines)
        assert ids == ([1, 2] if "CRM_WEB" in key else [3])
        seen = json.loads(lines[0])["seen"]
        assert seen["deliveryStreamArn"] == stream_arn
        assert seen["region"] == "us-east-1"
        assert seen["invocationId"]
        assert seen["arrival"] >= int(before.timestamp() * 1000) - 1000
        head = aws_client("s3").head_object(Bucket=bucket, Key=key)
        assert head["ServerSideEncryption"] == "aws:kms"
        assert head["SSEKMSKeyId"] == key_arn

    assert len(errors) == 1
    ((error_key, error_body),) = errors.items()
    hour = datetime.now(UTC)
    assert error_key.startswith(f"errors/processing-failed/year={hour:%Y}/month={hour:%m}/day={hour:%d}/hour=")
    assert re.fullmatch(name_re, error_key.rsplit("/", 1)[1]), error_key
    records = [json.loads(line) for line in gzip.decompress(error_body).decode().splitlines()]
    assert len(records) == 1
    record = records[0]
    assert set(record) == {
        "attemptsMade",
        "arrivalTimestamp",
        "errorCode",
        "errorMessage",
        "attemptEndingTimestamp",
        "rawData",
        "lambdaArn",
    }
    assert record["errorCode"] == "Lambda.ProcessingFailedStatus"
    assert json.loads(base64.b64decode(record["rawData"])) == {"id": 4, "bad": True}
    assert record["lambdaArn"].split(":function:")[1].startswith("processor-")


def test_failing_processor_sends_every_record_to_the_error_output(localstack: str) -> None:
    key_arn = aws_client("kms").create_key()["KeyMetadata"]["Arn"]
    bucket = f"archive-{uuid.uuid4().hex[:8]}"
    processor_arn = _function(FAILING_PROCESSOR)
    stream = _stream(bucket, processor_arn, key_arn)

    docs = [{"id": i, "system": "CRM_WEB", "type": "LOGIN"} for i in range(3)]
    _put(stream, docs)

    objects = _objects(bucket)
    assert not [k for k in objects if k.startswith("data/")]
    error_keys = [k for k in objects if k.startswith("errors/processing-failed/")]
    assert len(error_keys) == 1
    records = [json.loads(line) for line in gzip.decompress(objects[error_keys[0]]).decode().splitlines()]
    assert sorted(json.loads(base64.b64decode(r["rawData"]))["id"] for r in records) == [0, 1, 2]
    for record in records:
        assert record["errorCode"] == "Lambda.FunctionError"
        assert record["attemptsMade"] == 2  # NumberOfRetries=1
        assert record["lambdaArn"] == processor_arn
        assert record["attemptEndingTimestamp"] >= record["arrivalTimestamp"]
