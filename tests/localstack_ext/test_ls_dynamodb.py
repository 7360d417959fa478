"""DynamoDB served by moto (dynamodb:aaas_moto), shaped like the design's index table."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError

from local_stack import client as aws_client

pytestmark = pytest.mark.localstack


def _gsi(name: str, hash_key: str) -> dict:
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": hash_key, "KeyType": "HASH"},
            {"AttributeName": "timestamp", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }


def test_index_table_with_gsis_ttl_pitr_sse_and_deletion_protection(localstack: str) -> None:
    ddb = aws_client("dynamodb")
    key_arn = aws_client("kms").create_key(Description="index table")["KeyMetadata"]["Arn"]
    name = f"audit-index-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "eventid", "AttributeType": "S"},
            {"AttributeName": "requestorid", "AttributeType": "S"},
            {"AttributeName": "eventtype", "AttributeType": "S"},
            {"AttributeName": "requestorip", "AttributeType": "S"},
            {"AttributeName": "timestamp", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "eventid", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            _gsi("by-requestor", "requestorid"),
            _gsi("by-eventtype", "eventtype"),
            _gsi("by-requestorip", "requestorip"),
        ],
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn},
        DeletionProtectionEnabled=True,
        Tags=[{"Key": "project", "Value": "aaas"}],
    )
    ddb.get_waiter("table_exists").wait(TableName=name)
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresat"})
    ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})

    table = ddb.describe_table(TableName=name)["Table"]
    arn = table["TableArn"]
    assert table["TableStatus"] == "ACTIVE"
    assert sorted(i["IndexName"] for i in table["GlobalSecondaryIndexes"]) == [
        "by-eventtype",
        "by-requestor",
        "by-requestorip",
    ]
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert table["SSEDescription"]["KMSMasterKeyArn"] == key_arn
    assert table["DeletionProtectionEnabled"] is True
    ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresat"}
    pitr = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    assert {"Key": "project", "Value": "aaas"} in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "local"}])
    assert {"Key": "env", "Value": "local"} in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]

    now_ms = int(time.time() * 1000)
    for offset, event_type in enumerate(["LOGIN", "LOGOUT", "LOGIN"]):
        ddb.put_item(
            TableName=name,
            Item={
                "eventid": {"S": str(uuid.uuid4())},
                "requestorid": {"S": "user-1"},
                "requestorip": {"S": "10.0.0.1"},
                "eventtype": {"S": event_type},
                "timestamp": {"N": str(now_ms + offset)},
                "expiresat": {"N": str(int(time.time()) + 86400)},
            },
        )
    # an alert dedupe item without GSI attributes stays out of the GSIs
    ddb.put_item(TableName=name, Item={"eventid": {"S": "alert#rule#user-1"}})

    logins = ddb.query(
        TableName=name,
        IndexName="by-eventtype",
        KeyConditionExpression="eventtype = :t AND #ts >= :from",
        ExpressionAttributeNames={"#ts": "timestamp"},
        ExpressionAttributeValues={":t": {"S": "LOGIN"}, ":from": {"N": str(now_ms)}},
    )["Items"]
    assert len(logins) == 2
    by_user = ddb.query(
        TableName=name,
        IndexName="by-requestor",
        KeyConditionExpression="requestorid = :r",
        ExpressionAttributeValues={":r": {"S": "user-1"}},
        ScanIndexForward=False,
    )["Items"]
    assert [i["eventtype"]["S"] for i in by_user] == ["LOGIN", "LOGOUT", "LOGIN"]
    assert ddb.scan(TableName=name)["Count"] == 4

    with pytest.raises(ClientError):
        ddb.delete_table(TableName=name)  # deletion protection
    ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
    ddb.delete_table(TableName=name)
