"""Firehose transformation: every record comes back, valid ones canonical and partitioned."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import KinesisFirehoseEvent

from audit_shared.events import canonical_json
from audit_shared.ids import new_event_id
from audit_shared.record_frames import frame
from audit_shared.validation import EventPolicy
from support import RECORD_KEY, load_fixture

POLICY = EventPolicy(allowed_initiators=frozenset({"CRM_WEB", "CRM_MBL", "ERP_WEB"}))
NOW_MS = 1_800_000_000_000


@pytest.fixture
def transformation(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("ALLOWED_INITIATOR_CODES", json.dumps(["CRM_WEB", "CRM_MBL", "ERP_WEB"]))
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "audit-transformation")
    from transformation import handler

    handler.policy.cache_clear()
    monkeypatch.setattr(handler, "record_key", lambda: RECORD_KEY)
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

    # The first record is framed by the API (audit_shared.record_frames): its event line is archived as is.
    framed_line = base64.b64decode(event["records"][0]["data"]).decode().split("\n")[0]
    assert decoded(first) == canonical_json(json.loads(framed_line)) + "\n" == framed_line + "\n"
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
    [result] = transformation.process(event, POLICY, NOW_MS, RECORD_KEY)["records"]
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
    results = transformation.process(event, POLICY, NOW_MS, RECORD_KEY, budget=2_000)["records"]
    assert [result["recordId"] for result in results] == [f"r-{n}" for n in range(10)]
    outcomes = [result["result"] for result in results]
    assert outcomes[:3] == ["Ok"] * 3 and set(outcomes[3:]) == {"ProcessingFailed"}
    assert sum(len(json.dumps(result)) for result in results) < 4_000


LOGIN = {
    "initiatorsystemcode": "CRM_WEB",
    "requestorid": "u-1",
    "requestorip": "10.0.0.1",
    "eventtype": "LOGIN_SUCCESSFUL",
    "timestamp": 1_772_704_800_000,
}
SERVER_SET = {"receivedat": "2026-03-05T10:00:00.000Z", "sourceip": "10.9.9.9", "apikeyid": "k1crmweb01"}
PARTITION = ("CRM_WEB", "LOGIN_SUCCESSFUL", "2026", "03", "05")


def one(transformation: Any, data: bytes) -> dict[str, Any]:
    event = KinesisFirehoseEvent(
        {"invocationId": "i", "deliveryStreamArn": "arn", "region": "us-east-1", "records": [record(data)]}
    )
    [result] = transformation.process(event, POLICY, NOW_MS, RECORD_KEY)["records"]
    return result


def test_a_record_framed_by_the_api_is_archived_as_framed(transformation: Any) -> None:
    lines = b"".join(
        canonical_json(dict(LOGIN, eventid=new_event_id(NOW_MS), schemaversion="1", **SERVER_SET)).encode() + b"\n"
        for n in range(3)
    )
    result = one(transformation, frame(RECORD_KEY, lines, PARTITION))
    assert result["result"] == "Ok"
    assert base64.b64decode(result["data"]) == lines
    assert result["metadata"]["partitionKeys"] == dict(
        zip(["initiatorsystemcode", "eventtype", "year", "month", "day"], PARTITION, strict=True)
    )


@pytest.mark.parametrize(
    "tamper",
    [
        lambda record: record.replace(b"u-1", b"u-2", 1),  # an edited event
        lambda record: record.replace(b" 05 ", b" 06 ", 1),  # another partition
        lambda record: record[:-2] + (b"1" if record[-2:-1] == b"0" else b"0") + b"\n",  # a changed MAC
        lambda record: frame(b"another key " * 3, record[: record.index(b"#aaas/1")], PARTITION),
        lambda record: record[record.index(b"#aaas/1") :],  # the trailer alone
    ],
    ids=["edited", "partition", "mac", "other-key", "trailer-only"],
)
def test_a_framed_record_that_does_not_verify_goes_to_the_error_prefix(transformation: Any, tamper: Any) -> None:
    line = canonical_json(dict(LOGIN, eventid=new_event_id(NOW_MS), schemaversion="1", **SERVER_SET))
    data = tamper(frame(RECORD_KEY, line.encode() + b"\n", PARTITION))
    result = one(transformation, data)
    assert result["result"] == "ProcessingFailed"
    assert base64.b64decode(result["data"]) == data


@pytest.mark.parametrize("field", sorted(SERVER_SET))
def test_a_direct_producer_cannot_set_server_fields(transformation: Any, field: str) -> None:
    data = json.dumps(dict(LOGIN, **{field: SERVER_SET[field]})).encode()
    result = one(transformation, data)
    assert result["result"] == "ProcessingFailed"
    assert base64.b64decode(result["data"]) == data
    # Without it the same event is archived, with the arrival time as its receipt.
    assert one(transformation, json.dumps(LOGIN).encode())["result"] == "Ok"
