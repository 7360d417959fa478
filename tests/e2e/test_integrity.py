"""End to end on LocalStack: the signed digest chain, `make seal`, `make verify`, proofs and tampering.

The tests run in file order on one archive: first what holds on an untouched archive (verify exits
0, a proof checks out offline), then one tampering after another, each of which `verify` must name.
The digest schedule is paused meanwhile, so that "after sealing and before the next seal" is a
moment the tests control.
"""

from __future__ import annotations

import copy
import gzip
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import local_stack
import rest
import seal
from support import ROOT, example_events

pytestmark = [pytest.mark.localstack, pytest.mark.e2e]

MARKER = f"e2e-seal-{uuid.uuid4().hex[:8]}"
LEDGER_TIMEOUT = 120


def verify(*args: str) -> tuple[int, dict[str, Any], str]:
    """Exit code, JSON report and stderr of scripts/verify.py, as `make verify` runs it."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "verify.py"), *args, "--json"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    return result.returncode, json.loads(result.stdout) if result.stdout.strip() else {}, result.stderr


def failures(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(item["kind"], item.get("key", "")) for item in report["findings"] if item["severity"] == "failure"}


def seal_now(stack: dict[str, Any]) -> dict[str, Any]:
    succeeded, answer = seal.seal(local_stack.client("lambda"), stack["function_names"]["digest"])
    assert succeeded, answer
    return answer


@pytest.fixture(scope="module")
def archive(stack: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Three posted events, archived, recorded in the ledger and sealed; the schedule paused."""
    events = local_stack.client("events")
    schedule = f"{stack['function_names']['digest'].removesuffix('-digest')}-digest-schedule"
    events.disable_rule(Name=schedule)
    base = copy.deepcopy(example_events()["LOGIN_SUCCESSFUL"])
    posted = [
        dict(base, requestorid=f"{MARKER}-{n}", initiatorsystemcode="CRM_WEB", timestamp=int(time.time() * 1000) - 5000)
        for n in range(3)
    ]
    reply = rest.call(stack["api_local_url"], "POST", "/v1/events/batch", stack["api_keys"]["crm"], {"events": posted})
    assert reply.status == 200 and reply.body["failed"] == []
    lines = local_stack.archived_for_requestors(stack["archive_bucket_name"], MARKER, 3, 150)
    # S3 -> EventBridge -> digest function records every object version as pending; then seal.
    local_stack.wait_for(lambda: local_stack.ledger_pending(stack["ledger_table_name"]), bool, LEDGER_TIMEOUT)
    sealed = seal_now(stack)
    yield {"lines": lines, "ids": [item["eventid"] for item in reply.body["successful"]], "sealed": sealed}
    events.enable_rule(Name=schedule)


def test_1_seal_then_verify_exits_0(stack: dict[str, Any], archive: dict[str, Any]) -> None:
    assert archive["sealed"]["digest"].startswith("digests/") and archive["sealed"]["events"] >= 3
    code, report, _ = verify("--local")
    print(f"\nverify after sealing: exit {code}, {report['summary']}")
    assert code == 0, report["findings"]
    assert report["ok"] is True and report["summary"]["digests"] >= 1 and report["summary"]["events"] >= 3


def test_2_proof_verifies_offline_and_fails_after_one_changed_byte(
    stack: dict[str, Any], archive: dict[str, Any], tmp_path: Path
) -> None:
    eventid, key = archive["ids"][1], stack["api_keys"]["crm"]
    event = rest.call(stack["api_local_url"], "GET", f"/v1/events/{eventid}", key)
    proof = rest.call(stack["api_local_url"], "GET", f"/v1/events/{eventid}/proof", key)
    assert (event.status, proof.status) == (200, 200), proof.text
    pem = tmp_path / "digest.pem"
    pem.write_text(stack["digest_public_key_pem"])
    (tmp_path / "event.json").write_text(event.text)
    (tmp_path / "proof.json").write_text(proof.text)
    code, report, _ = verify(
        "verify-event", str(tmp_path / "event.json"), str(tmp_path / "proof.json"), "--key", str(pem)
    )
    assert code == 0, report
    changed = event.text.replace(
        f'"eventid":"{eventid}"', f'"eventid":"{eventid[:-1]}{"0" if eventid[-1] != "0" else "1"}"'
    )
    (tmp_path / "event.json").write_text(changed)
    code, report, _ = verify(
        "verify-event", str(tmp_path / "event.json"), str(tmp_path / "proof.json"), "--key", str(pem)
    )
    print(f"\nverify-event after one changed byte: exit {code}, {[item['message'] for item in report['findings']]}")
    assert code == 1


def test_3_overwritten_object_is_named(stack: dict[str, Any], archive: dict[str, Any]) -> None:
    bucket = stack["archive_bucket_name"]
    key = archive["lines"][0][0]
    original = gzip.decompress(local_stack.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    forged = original.replace(f"{MARKER}-".encode(), b"someone-else-", 1)
    local_stack.client("s3").put_object(
        Bucket=bucket, Key=key, Body=gzip.compress(forged),
        ServerSideEncryption="aws:kms", SSEKMSKeyId=stack["kms_key_arn"],
    )  # fmt: skip
    code, report, _ = verify("--local")
    print(f"\nverify after overwriting {key}: exit {code}, {[item['message'] for item in report['findings']]}")
    assert code == 1
    assert ("object-changed", key) in failures(report)


def test_4_deleted_digest_is_named_as_a_gap(stack: dict[str, Any], archive: dict[str, Any]) -> None:
    bucket = stack["archive_bucket_name"]
    seal_now(stack)  # the overwritten object's new version
    seal_now(stack)  # an empty period still gets its digest
    digests = [key for key in local_stack.object_keys(bucket, "digests/") if key.endswith(".json")]
    assert len(digests) >= 3, digests
    victim = digests[-2]
    local_stack.client("s3").delete_object(Bucket=bucket, Key=victim)  # a delete marker hides it
    code, report, _ = verify("--local")
    missing = [item for item in report["findings"] if item["kind"] == "digest-missing"]
    print(f"\nverify after deleting {victim}: exit {code}, {[item['message'] for item in missing]}")
    assert code == 1
    assert any(victim in item["message"] for item in missing)


def test_5_object_uploaded_after_sealing_is_reported_unsealed(stack: dict[str, Any], archive: dict[str, Any]) -> None:
    bucket = stack["archive_bucket_name"]
    key = f"{archive['lines'][0][0].rsplit('/', 1)[0]}/forged-after-sealing-{uuid.uuid4().hex[:6]}.gz"
    local_stack.client("s3").put_object(
        Bucket=bucket, Key=key, Body=gzip.compress(archive["lines"][0][1].encode() + b"\n"),
        ServerSideEncryption="aws:kms", SSEKMSKeyId=stack["kms_key_arn"],
    )  # fmt: skip
    _, report, _ = verify("--local")
    found = [item for item in report["findings"] if item.get("key") == key]
    print(f"\nverify after uploading {key}: {[(item['kind'], item['severity']) for item in found]}")
    assert [(item["kind"], item["severity"]) for item in found] == [("object-unsealed", "pending")]
    assert report["summary"]["pending"] >= 1


def test_6_offline_copy_with_a_pem_key_gives_the_online_result(
    stack: dict[str, Any], archive: dict[str, Any], tmp_path: Path
) -> None:
    copy_dir = local_stack.download(stack["archive_bucket_name"], tmp_path / "copy")
    pem = tmp_path / "digest.pem"
    pem.write_text(stack["digest_public_key_pem"])
    online_code, online, _ = verify("--local")
    offline_code, offline, _ = verify("--dir", str(copy_dir), "--key", str(pem))
    print(f"\nonline exit {online_code}, offline exit {offline_code}")
    assert offline_code == online_code == 1
    assert failures(offline) == failures(online)
