"""Exports: POST /v1/exports and GET /v1/exports/{exportid}, the worker over the archive, and verify-export, on moto."""

from __future__ import annotations

import copy
import csv
import io
import json
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from archive_fixture import archive_objects, upload_archive
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_der_public_key

from aaas.verifier.export import verify_export
from audit_shared.events import enrich, ndjson_line
from support import TEST_CLIENTS, create_index_table, load_fixture

TABLE = "audit-index"
BUCKET = "audit-archive"
CRM, ERP, AUDITOR = "k1crmweb01", "k2erpweb02", "k3auditor3"
DAY = 86_400_000
T0 = 1_790_000_000_000  # 2026-09-21T14:13:20Z
NOW_MS = T0 + 30 * DAY


class FakeLambda:
    """Records the asynchronous invocations; a test runs the worker as Lambda would, when it chooses."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.fail = False

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs["InvocationType"] == "Event"
        if self.fail:
            raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}}, "Invoke")
        self.payloads.append(json.loads(kwargs["Payload"]))
        return {"StatusCode": 202}


class CountingS3:
    """The moto S3 client, counting calls and failing GetObject on demand."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail_get = False
        self.fail_upload_part = False

    def upload_part(self, **kwargs: Any) -> Any:
        self.calls.append(("upload_part", {"PartNumber": kwargs["PartNumber"]}))
        if self.fail_upload_part:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "try again"}}, "UploadPart")
        return self._client.upload_part(**kwargs)

    def get_object(self, **kwargs: Any) -> Any:
        self.calls.append(("get_object", kwargs))
        if self.fail_get:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetObject")
        return self._client.get_object(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture
def env(aws: None, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    kms = boto3.client("kms")
    data_key = kms.create_key()["KeyMetadata"]["Arn"]
    signing_key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    der = kms.get_public_key(KeyId=signing_key)["PublicKey"]
    pem = load_der_public_key(der).public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    create_index_table(boto3.client("dynamodb"), TABLE)
    for name, value in {
        "INDEX_TABLE_NAME": TABLE,
        "INDEX_RETENTION_DAYS": "30",
        "API_CLIENTS": json.dumps(TEST_CLIENTS),
        "ARCHIVE_BUCKET_NAME": BUCKET,
        "ARCHIVE_KMS_KEY_ID": data_key,
        "EXPORT_SIGNING_KEY_ID": signing_key,
        "EXPORT_URL_EXPIRY_SECONDS": "900",
        "EXPORT_DEADLINE_SECONDS": "3000",
        "EXPORT_PART_MEGABYTES": "5",
        "AWS_LAMBDA_FUNCTION_NAME": "aaas-export",
        "POWERTOOLS_SERVICE_NAME": "audit-export",
    }.items():
        monkeypatch.setenv(name, value)
    from export import handler as module

    for cached in (module.settings, module.worker_settings, module.clients, module.signer):
        cached.cache_clear()
    clients = module.clients()
    fake_lambda, counting = FakeLambda(), CountingS3(clients.s3)
    clients.lambda_, clients.s3 = fake_lambda, counting
    now = [NOW_MS]
    monkeypatch.setattr(module, "now_millis", lambda: now[0])
    yield SimpleNamespace(
        handler=module, s3=counting, raw_s3=s3, lambda_=fake_lambda, pem=pem, now=now, data_key=data_key
    )
    for cached in (module.settings, module.worker_settings, module.clients, module.signer):
        cached.cache_clear()


def make_event(examples: dict, eventtype: str, n: int, **changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(examples[eventtype])
    raw.pop("relatedeventid", None)
    raw.update({"eventid": str(uuid.UUID(int=n + 1)), "timestamp": T0 + n * 60_000, **changes})
    return enrich(raw, received_ms=raw["timestamp"] + 5, source_ip="198.51.100.23", api_key_id="k1crmweb01")


def request(env: SimpleNamespace, context: Any, method: str, path: str, key_id: str = CRM, body: Any = None,
            content_type: str = "application/json") -> tuple[int, Any]:  # fmt: skip
    event = load_fixture("apigw_post_event.json")
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    event.update(path=path, httpMethod=method, body=text, headers={"Content-Type": content_type})
    event["multiValueHeaders"] = {"Content-Type": [content_type]}
    event["multiValueQueryStringParameters"] = None
    event["queryStringParameters"] = None
    event["requestContext"].update(resourcePath=path, httpMethod=method)
    event["requestContext"]["identity"]["apiKeyId"] = key_id
    response = env.handler.lambda_handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def run_worker(env: SimpleNamespace, context: Any) -> list[dict[str, Any]]:
    results = [env.handler.lambda_handler(payload, context) for payload in env.lambda_.payloads]
    env.lambda_.payloads.clear()
    return results


def export_now(env: SimpleNamespace, context: Any, body: dict[str, Any], key_id: str = CRM) -> dict[str, Any]:
    status, started = request(env, context, "POST", "/v1/exports", key_id, body)
    assert status == 202, started
    run_worker(env, context)
    status, described = request(env, context, "GET", f"/v1/exports/{started['exportid']}", key_id)
    assert status == 200
    return described


def stored(env: SimpleNamespace, described: dict[str, Any], tmp_path: Path) -> tuple[Path, Path]:
    """The export's data and manifest as downloaded files (what the pre-signed URLs serve)."""
    prefix = f"exports/crm/{described['exportid']}/"
    keys = {item["Key"] for item in env.raw_s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)["Contents"]}
    data_key = next(key for key in keys if not key.endswith("manifest.json"))
    data, manifest = tmp_path / "export.data", tmp_path / "manifest.json"
    data.write_bytes(env.raw_s3.get_object(Bucket=BUCKET, Key=data_key)["Body"].read())
    manifest.write_bytes(env.raw_s3.get_object(Bucket=BUCKET, Key=prefix + "manifest.json")["Body"].read())
    return data, manifest


@pytest.fixture
def archived(env: SimpleNamespace, examples: dict) -> list[dict[str, Any]]:
    """40 CRM_WEB events of 4 requestors over 3 types and 4 days, 5 ERP_WEB ones, and a corrupt object."""
    events = []
    types = ["LOGIN_FAILED", "LOGIN_SUCCESSFUL", "DOCUMENT_DOWNLOADED"]
    for n in range(40):
        events.append(
            make_event(examples, types[n % 3], n * 150, initiatorsystemcode="CRM_WEB", requestorid=f"u-{n % 4}")
        )
    for n in range(5):
        events.append(
            make_event(examples, "LOGIN_FAILED", 10_000 + n, initiatorsystemcode="ERP_WEB", requestorid="u-0")
        )
    upload_archive(env.raw_s3, BUCKET, archive_objects(events, per_object=4))
    return events


def lines_of(events: list[dict[str, Any]]) -> set[bytes]:
    return {ndjson_line(event) for event in events}


# --- POST and GET -----------------------------------------------------------------------------


def test_a_requestors_export_is_exactly_their_events_and_verifies(
    env: SimpleNamespace, lambda_context: Any, archived: list[dict[str, Any]], tmp_path: Path
) -> None:
    described = export_now(env, lambda_context, {"requestorid": "u-1"})
    expected = [
        event for event in archived if event["initiatorsystemcode"] == "CRM_WEB" and event["requestorid"] == "u-1"
    ]
    assert described["status"] == "ready"
    assert described["rowcount"] == len(expected) == 10
    assert described["format"] == "ndjson"
    assert described["filter"] == {"initiatorsystemcode": "CRM_WEB", "requestorid": "u-1", "from": 0, "to": 10**13 - 1}
    assert described["createdat"] == "2026-10-21T14:13:20.000Z"
    assert described["expiresat"] == "2026-10-21T14:28:20.000Z"  # 900 s later
    assert f"exports/crm/{described['exportid']}/export.ndjson" in described["url"]
    assert "X-Amz-Signature" in described["url"] and "X-Amz-Expires=900" in described["url"]
    assert "manifest.json" in described["manifesturl"]
    data, manifest = stored(env, described, tmp_path)
    rows = data.read_bytes().splitlines(keepends=True)
    assert set(rows) == lines_of(expected) and len(rows) == 10
    # Archive order: by event type, then by day.
    order = [(json.loads(row)["eventtype"], json.loads(row)["timestamp"] // DAY) for row in rows]
    assert order == sorted(order)
    assert verify_export(data, manifest, env.pem) == []
    document = json.loads(manifest.read_text())
    assert document["rowcount"] == 10 and document["format"] == "ndjson"
    assert document["object"]["bytes"] == data.stat().st_size
    assert document["keyid"].startswith("arn:aws:kms:") and document["algorithm"] == "ECDSA_SHA_256"
    head = env.raw_s3.head_object(Bucket=BUCKET, Key=f"exports/crm/{described['exportid']}/export.ndjson")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == env.data_key


def test_filters_combine_and_bound_time_inclusively(
    env: SimpleNamespace, lambda_context: Any, archived: list[dict[str, Any]], tmp_path: Path
) -> None:
    crm = [event for event in archived if event["initiatorsystemcode"] == "CRM_WEB"]
    low, high = crm[3]["timestamp"], crm[30]["timestamp"]
    body = {"eventtype": "LOGIN_FAILED", "requestorid": "u-0", "from": low, "to": str(high)}
    described = export_now(env, lambda_context, body)
    expected = [
        event for event in crm
        if event["eventtype"] == "LOGIN_FAILED" and event["requestorid"] == "u-0" and low <= event["timestamp"] <= high
    ]  # fmt: skip
    assert described["rowcount"] == len(expected) > 0
    data, _ = stored(env, described, tmp_path)
    assert set(data.read_bytes().splitlines(keepends=True)) == lines_of(expected)
    # Pruning: only LOGIN_FAILED day partitions within the range were read.
    read_keys = [call[1]["Key"] for call in env.s3.calls if call[0] == "get_object"]
    assert read_keys and all("/eventtype=LOGIN_FAILED/" in key and "CRM_WEB" in key for key in read_keys)


def test_the_date_range_prunes_whole_days(
    env: SimpleNamespace, lambda_context: Any, archived: list[dict[str, Any]]
) -> None:
    day_two = T0 - T0 % DAY + DAY  # the second UTC day of the archive
    described = export_now(env, lambda_context, {"from": "2026-09-22T00:00:00Z", "to": "2026-09-22T23:59:59.999Z"})
    expected = [
        e for e in archived if e["initiatorsystemcode"] == "CRM_WEB" and day_two <= e["timestamp"] < day_two + DAY
    ]
    assert described["rowcount"] == len(expected) > 0
    read_keys = {call[1]["Key"] for call in env.s3.calls if call[0] == "get_object"}
    assert read_keys and all("/year=2026/month=09/day=22/" in key for key in read_keys)


def test_an_ip_filter_matches_any_spelling(env: SimpleNamespace, lambda_context: Any, examples: dict) -> None:
    events = [make_event(examples, "LOGIN_FAILED", n, requestorip=ip, initiatorsystemcode="CRM_WEB")
              for n, ip in enumerate(["2001:db8::1", "2001:DB8:0::1", "192.0.2.1"])]  # fmt: skip
    upload_archive(env.raw_s3, BUCKET, archive_objects(events))
    described = export_now(env, lambda_context, {"requestorip": "2001:0db8::0001"})
    assert described["rowcount"] == 2
    assert described["filter"]["requestorip"] == "2001:db8::1"


def test_csv_export_has_the_contracts_columns(
    env: SimpleNamespace, lambda_context: Any, archived: list[dict[str, Any]], tmp_path: Path
) -> None:
    described = export_now(env, lambda_context, {"format": "csv", "eventtype": "DOCUMENT_DOWNLOADED"})
    data, manifest = stored(env, described, tmp_path)
    assert data.name == "export.data" and described["url"].split("?")[0].endswith("/export.csv")
    rows = list(csv.DictReader(io.StringIO(data.read_text(encoding="utf-8"), newline="")))
    expected = [
        e for e in archived if e["initiatorsystemcode"] == "CRM_WEB" and e["eventtype"] == "DOCUMENT_DOWNLOADED"
    ]
    assert len(rows) == described["rowcount"] == len(expected)
    from audit_shared.schema import field_names

    assert list(rows[0]) == sorted(field_names())
    by_id = {row["eventid"]: row for row in rows}
    for event in expected:
        row = by_id[event["eventid"]]
        assert row["timestamp"] == str(event["timestamp"]) and row["documentid"] == event["documentid"]
        assert row["otpmedium"] == ""
    assert verify_export(data, manifest, env.pem) == []


def test_duplicate_deliveries_are_exported_once(env: SimpleNamespace, lambda_context: Any, examples: dict) -> None:
    events = [make_event(examples, "LOGIN_FAILED", n, initiatorsystemcode="CRM_WEB") for n in range(3)]
    objects = archive_objects(events)
    [(key, body)] = objects.items()
    upload_archive(env.raw_s3, BUCKET, {key: body, key.replace("0001.gz", "0002.gz"): body})  # Firehose retried
    assert export_now(env, lambda_context, {})["rowcount"] == 3


def test_a_large_export_streams_in_parts(
    env: SimpleNamespace, lambda_context: Any, examples: dict, tmp_path: Path
) -> None:
    big = "x" * 900
    events = [make_event(examples, "LOGIN_FAILED", n, initiatorsystemcode="CRM_WEB", details={"note": big})
              for n in range(7000)]  # fmt: skip
    upload_archive(env.raw_s3, BUCKET, archive_objects(events, per_object=2000))
    described = export_now(env, lambda_context, {})
    data, manifest = stored(env, described, tmp_path)
    document = json.loads(manifest.read_text())
    assert described["rowcount"] == 7000
    assert len(document["parts"]) == 2  # 5 MiB parts of about 8 MB
    assert [part["offset"] for part in document["parts"]] == [0, document["parts"][0]["length"]]
    assert sum(part["length"] for part in document["parts"]) == data.stat().st_size
    assert verify_export(data, manifest, env.pem) == []


def test_an_empty_export_is_ready_with_no_rows(env: SimpleNamespace, lambda_context: Any, tmp_path: Path) -> None:
    described = export_now(env, lambda_context, {"requestorid": "nobody"})
    assert described["status"] == "ready" and described["rowcount"] == 0
    data, manifest = stored(env, described, tmp_path)
    assert data.read_bytes() == b"" and verify_export(data, manifest, env.pem) == []


# --- refusals ---------------------------------------------------------------------------------


def test_every_problem_of_a_request_is_listed(env: SimpleNamespace, lambda_context: Any) -> None:
    body = {"format": "xml", "eventtype": "LOGIN_MAYBE", "from": "yesterday", "to": 5, "limit": 10, "requestorid": 7}
    status, answer = request(env, lambda_context, "POST", "/v1/exports", CRM, body)
    assert status == 400
    assert answer == {
        "errorcode": "InvalidExport",
        "message": "export request is invalid",
        "errors": [
            {"field": "limit", "message": "is not a known field"},
            {"field": "requestorid", "message": "must be a string"},
            {"field": "format", "message": "must be 'ndjson' or 'csv'"},
            {"field": "eventtype", "message": "must be one of the catalog's event types"},
            {"field": "from", "message": "must be epoch milliseconds or an ISO 8601 date-time"},
        ],
    }
    assert env.lambda_.payloads == []


def test_from_after_to_and_a_missing_initiator_are_400(env: SimpleNamespace, lambda_context: Any) -> None:
    status, answer = request(env, lambda_context, "POST", "/v1/exports", AUDITOR, {"from": 10, "to": 5})
    assert status == 400
    assert answer["errors"] == [
        {"field": "from", "message": "must not be after 'to'"},
        {"field": "initiatorsystemcode", "message": "is required: this API key reads CRM_MBL, CRM_WEB, ERP_WEB"},
    ]


def test_malformed_bodies_are_refused(env: SimpleNamespace, lambda_context: Any) -> None:
    assert request(env, lambda_context, "POST", "/v1/exports", CRM, "{not json")[0] == 400
    assert request(env, lambda_context, "POST", "/v1/exports", CRM, "[]")[1]["errors"] == [
        {"field": "body", "message": "must be a JSON object"}
    ]
    status, answer = request(env, lambda_context, "POST", "/v1/exports", CRM, "{}", content_type="text/plain")
    assert (status, answer) == (
        415,
        {"errorcode": "UnsupportedMediaType", "message": "Content-Type must be application/json, got 'text/plain'"},
    )
    status, answer = request(env, lambda_context, "POST", "/v1/exports", CRM, json.dumps({"requestorid": "x" * 5000}))
    assert (status, answer["errorcode"]) == (413, "TooLarge")
    status, answer = request(env, lambda_context, "POST", "/v1/exports", CRM, {"from": -5, "to": True})
    assert (status, answer["errors"]) == (
        400,
        [
            {"field": "from", "message": "must be epoch milliseconds or an ISO 8601 date-time"},
            {"field": "to", "message": "must be a string or epoch milliseconds"},
        ],
    )
    # No body at all (and so no Content-Type): every field is optional.
    status, answer = request(env, lambda_context, "POST", "/v1/exports", CRM, None, content_type="")
    assert (status, answer["status"]) == (202, "pending")


def test_a_foreign_initiator_and_a_write_only_key_are_403(env: SimpleNamespace, lambda_context: Any) -> None:
    status, answer = request(env, lambda_context, "POST", "/v1/exports", CRM, {"initiatorsystemcode": "ERP_WEB"})
    assert status == 403
    assert answer["message"] == "this API key may not read events of initiator system 'ERP_WEB'"
    status, answer = request(env, lambda_context, "POST", "/v1/exports", ERP, {})
    assert (status, answer["message"]) == (403, "this API key lacks the 'read' scope: it may not export events")
    status, _ = request(env, lambda_context, "GET", f"/v1/exports/{uuid.uuid4()}", ERP)
    assert status == 403
    assert env.lambda_.payloads == []


def test_another_clients_export_is_404(
    env: SimpleNamespace, lambda_context: Any, archived: list[dict[str, Any]]
) -> None:
    described = export_now(env, lambda_context, {})
    status, answer = request(env, lambda_context, "GET", f"/v1/exports/{described['exportid']}", AUDITOR)
    assert status == 404
    assert answer == {
        "errorcode": "NotFound",
        "message": f"no export {described['exportid']} was requested with this API key",
    }
    assert request(env, lambda_context, "GET", f"/v1/exports/{uuid.uuid4()}", CRM)[0] == 404
    assert request(env, lambda_context, "GET", "/v1/exports/not-an-id", CRM) == (
        400,
        {"errorcode": "InvalidRequest", "message": "request is invalid",
         "errors": [{"field": "exportid", "message": "must be a UUID"}]},
    )  # fmt: skip


# --- the worker's failures --------------------------------------------------------------------


def test_a_failing_archive_read_fails_the_export_with_its_reason(
    env: SimpleNamespace, lambda_context: Any, archived: list[dict[str, Any]]
) -> None:
    env.s3.fail_get = True
    described = export_now(env, lambda_context, {})
    assert described["status"] == "failed"
    assert described["error"] == "GetObject failed: AccessDenied"
    assert "url" not in described
    listed = env.raw_s3.list_objects_v2(Bucket=BUCKET, Prefix="exports/").get("Contents", [])
    assert listed == []
    assert env.raw_s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_a_failing_part_upload_fails_the_export_and_aborts_the_upload(
    env: SimpleNamespace, lambda_context: Any, examples: dict
) -> None:
    events = [make_event(examples, "LOGIN_FAILED", n, initiatorsystemcode="CRM_WEB", details={"note": "x" * 900})
              for n in range(7000)]  # fmt: skip
    upload_archive(env.raw_s3, BUCKET, archive_objects(events, per_object=2000))
    env.s3.fail_upload_part = True
    described = export_now(env, lambda_context, {})
    assert (described["status"], described["error"]) == ("failed", "UploadPart failed: InternalError")
    assert ("upload_part", {"PartNumber": 1}) in env.s3.calls
    assert env.raw_s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert env.raw_s3.list_objects_v2(Bucket=BUCKET, Prefix="exports/").get("Contents", []) == []


def test_a_worker_that_never_finishes_is_reported_failed_after_the_deadline(
    env: SimpleNamespace, lambda_context: Any
) -> None:
    status, started = request(env, lambda_context, "POST", "/v1/exports", CRM, {})
    assert status == 202
    assert request(env, lambda_context, "GET", f"/v1/exports/{started['exportid']}")[1]["status"] == "pending"
    env.now[0] += 3001 * 1000
    answer = request(env, lambda_context, "GET", f"/v1/exports/{started['exportid']}")[1]
    assert answer["status"] == "failed"
    assert answer["error"] == "the export did not finish within 3000 seconds; request it again"


def test_an_export_that_cannot_start_is_503_and_recorded_failed(env: SimpleNamespace, lambda_context: Any) -> None:
    env.lambda_.fail = True
    status, answer = request(env, lambda_context, "POST", "/v1/exports", CRM, {})
    assert status == 503 and answer["retryable"] is True
    [item] = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    assert (item["status"]["S"], item["error"]["S"]) == ("failed", "the export could not be started")


def test_a_redelivered_worker_invocation_changes_nothing(
    env: SimpleNamespace, lambda_context: Any, archived: list[dict[str, Any]]
) -> None:
    status, started = request(env, lambda_context, "POST", "/v1/exports", CRM, {})
    assert (status, started["status"]) == (202, "pending")
    [payload] = env.lambda_.payloads
    assert run_worker(env, lambda_context)[0]["status"] == "ready"
    assert env.handler.lambda_handler(payload, lambda_context)["status"] == "ready"  # not pending: nothing done


# --- verify-export ----------------------------------------------------------------------------


@pytest.fixture
def downloaded(
    env: SimpleNamespace, lambda_context: Any, archived: list[dict[str, Any]], tmp_path: Path
) -> tuple[Path, Path]:
    return stored(env, export_now(env, lambda_context, {}), tmp_path)


def test_an_edited_line_fails_verification(env: SimpleNamespace, downloaded: tuple[Path, Path]) -> None:
    data, manifest = downloaded
    lines = data.read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b'"u-', b'"x-', 1)
    data.write_bytes(b"".join(lines))
    findings = verify_export(data, manifest, env.pem)
    assert findings[0].startswith("part 1 (bytes 0-") and "was changed: its SHA-256 does not match" in findings[0]
    assert findings[1] == "export's SHA-256 does not match the manifest"


def test_a_truncated_export_fails_verification(env: SimpleNamespace, downloaded: tuple[Path, Path]) -> None:
    data, manifest = downloaded
    full = data.read_bytes()
    data.write_bytes(full[: full.rindex(b"\n", 0, len(full) - 1) + 1])  # the last line dropped
    findings = verify_export(data, manifest, env.pem)
    assert findings[0] == f"export is truncated: {full.rindex(b'\n', 0, len(full) - 1) + 1} of {len(full)} bytes"


def test_a_forged_manifest_fails_on_its_signature(env: SimpleNamespace, downloaded: tuple[Path, Path]) -> None:
    data, manifest = downloaded
    document = json.loads(manifest.read_text())
    document["rowcount"] += 1
    manifest.write_text(json.dumps(document))
    findings = verify_export(data, manifest, env.pem)
    assert findings[0].startswith("manifest signature does not verify with the given key")
    assert findings[-1] == f"export holds {document['rowcount'] - 1} rows; the manifest says {document['rowcount']}"


def test_verify_export_cli_exit_codes(env: SimpleNamespace, downloaded: tuple[Path, Path], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    import verify

    data, manifest = downloaded
    key = tmp_path / "export.pem"
    key.write_bytes(env.pem)
    assert verify.main(["verify-export", str(data), str(manifest), "--key", str(key)]) == 0
    assert capsys.readouterr().out.startswith("OK: ")
    data.write_bytes(data.read_bytes()[:-10])
    assert verify.main(["verify-export", str(data), str(manifest), "--key", str(key)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAIL: export is truncated: ") and out.count("\n") == 1
    assert verify.main(["verify-export", str(tmp_path / "missing"), str(manifest)]) == 2
