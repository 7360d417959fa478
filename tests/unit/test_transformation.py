"""Firehose transformation: every record comes back, valid ones canonical and partitioned."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import KinesisFirehoseEvent

from audit_shared.events import canonical_json
from audit_shared.validation import EventPolicy
from support import load_fixture

POLICY = EventPolicy(allowed_initiators=frozenset({"CRM_WEB", "CRM_MBL", "ERP_WEB"}))
NOW_MS = 1_800_000_000_000


@pytest.fixture
def transformation(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("ALLOWED_INITIATOR_CODES", json.dumps(["CRM_WEB", "CRM_MBL", "ERP_WEB"]))
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "audit-transformation")
    from transformation import handler

    handler.policy.cache_clear()
    return handler


def decoded(record: dict[str, Any]) -> str:
    return base64.b64decode(record["data"]).decode()


def test_every_record_comes_back_with_its_id_in_order(transformation: Any, lambda_context: Any) -> None:
    event = load_fixture("firehose_transformation_event.json")
    response = transformation.lambda_handler(event, lambda_context)
    assert [record["recordId"] for record in response["records"]] == [record["recordId"] for record in event["records"]]
    assert [record["result"] for record in response["records"]] == ["Ok", "Ok", "ProcessingFailed", "ProcessingFailed"]


def test_valid_records_become_canonical_ndjson_with_zero_padded_partition_keys(
    transformation: Any, lambda_context: Any
) -> None:
    event = load_fixture("firehose_transformation_event.json")
    first, second, *_ = transformation.lambda_handler(event, lambda_context)["records"]

    original = json.loads(base64.b64decode(event["records"][0]["data"]))
    assert decoded(first) == canonical_json(original) + "\n"
    assert first["metadata"] == {
        "partitionKeys": {
            "initiatorsystemcode": "CRM_WEB",
            "eventtype": "LOGIN_FAILED",
            "year": "2026",
            "month": "03",
            "day": "05",
        }
    }

    direct = json.loads(decoded(second))
    assert decoded(second).endswith("}\n") and decoded(second).count("\n") == 1
    assert direct["timestamp"] == 1_772_704_800_000  # the digit string became a number
    assert uuid.UUID(direct["eventid"]).version == 7
    assert direct["receivedat"] == "2026-03-05T10:00:01.000Z"  # Firehose arrival time
    assert direct["schemaversion"] == "1"
    assert second["metadata"]["partitionKeys"]["initiatorsystemcode"] == "ERP_WEB"


def test_failed_records_return_their_original_data(transformation: Any, lambda_context: Any) -> None:
    event = load_fixture("firehose_transformation_event.json")
    response = transformation.lambda_handler(event, lambda_context)
    for sent, returned in zip(event["records"][2:], response["records"][2:], strict=True):
        assert returned == {"recordId": sent["recordId"], "result": "ProcessingFailed", "data": sent["data"]}


def test_metrics_count_transformed_and_failed(transformation: Any, lambda_context: Any, capsys: Any) -> None:
    transformation.lambda_handler(load_fixture("firehose_transformation_event.json"), lambda_context)
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [(metrics["RecordsTransformed"], metrics["RecordsFailed"]) for metrics in emf] == [([2.0], [2.0])]


def record(data: bytes, record_id: str = "r-1") -> dict[str, Any]:
    return {
        "recordId": record_id,
        "approximateArrivalTimestamp": 1_772_704_801_000,
        "data": base64.b64encode(data).decode(),
    }


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1}\n{"b": 2}\n',  # two documents in one record
        b"\xff\xfe not utf-8",
        b"[]",
        json.dumps(
            {
                "initiatorsystemcode": "HR_WEB",
                "requestorid": "u",
                "requestorip": "10.0.0.1",
                "eventtype": "LOGIN_SUCCESSFUL",
                "timestamp": 1_772_704_800_000,
            }
        ).encode(),
    ],
)
def test_unarchivable_records_are_processing_failed_never_dropped(transformation: Any, data: bytes) -> None:
    event = KinesisFirehoseEvent(
        {"invocationId": "i", "deliveryStreamArn": "arn", "region": "us-east-1", "records": [record(data)]}
    )
    [result] = transformation.process(event, POLICY, NOW_MS)["records"]
    assert result["result"] == "ProcessingFailed"
    assert base64.b64decode(result["data"]) == data


def test_records_beyond_the_response_budget_fail_instead_of_breaking_the_invocation(transformation: Any) -> None:
    line = json.dumps(
        {
            "initiatorsystemcode": "CRM_WEB",
            "requestorid": "u-1",
            "requestorip": "10.0.0.1",
            "eventtype": "LOGIN_SUCCESSFUL",
            "timestamp": 1_772_704_800_000,
        }
    ).encode()
    records = [record(line, f"r-{n}") for n in range(10)]
    event = KinesisFirehoseEvent(
        {"invocationId": "i", "deliveryStreamArn": "arn", "region": "us-east-1", "records": records}
    )
    results = transformation.process(event, POLICY, NOW_MS, budget=2_000)["records"]
    assert [result["recordId"] for result in results] == [f"r-{n}" for n in range(10)]
    outcomes = [result["result"] for result in results]
    assert outcomes[:3] == ["Ok"] * 3 and set(outcomes[3:]) == {"ProcessingFailed"}
    assert sum(len(json.dumps(result)) for result in results) < 4_000
