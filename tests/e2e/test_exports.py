"""End to end on LocalStack: an export of a requestor's events is exactly their events, signed and verifiable."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

import local_stack
import rest
from aaas.verifier.export import verify_export
from support import ROOT, example_events

pytestmark = [pytest.mark.localstack, pytest.mark.e2e]

DELIVERY_TIMEOUT = 150
EXPORT_TIMEOUT = 180
TYPES = ["LOGIN_FAILED", "LOGIN_SUCCESSFUL", "DOCUMENT_DOWNLOADED", "USER_PROFILE_UPDATED", "SESSION_CREATED"]


def events_of(initiator: str, requestorid: str, count: int) -> list[dict[str, Any]]:
    now = int(time.time() * 1000)
    found = []
    for n in range(count):
        event = copy.deepcopy(example_events()[TYPES[n % len(TYPES)]])
        event.pop("relatedeventid", None)
        event.update(initiatorsystemcode=initiator, requestorid=requestorid, eventid=str(uuid.uuid4()),
                     timestamp=now - 86_400_000 * (n % 3) - n * 1000)  # fmt: skip
        found.append(event)
    return found


def ready(api: str, key: str, exportid: str) -> dict[str, Any]:
    deadline = time.monotonic() + EXPORT_TIMEOUT
    while True:
        reply = rest.call(api, "GET", f"/v1/exports/{exportid}", key)
        assert reply.status == 200, reply.text
        if reply.body["status"] != "pending" or time.monotonic() > deadline:
            return reply.body
        time.sleep(2)


def download(url: str, target: Path) -> Path:
    with urllib.request.urlopen(url, timeout=60) as response:
        target.write_bytes(response.read())
    return target


def verify_cli(data: Path, manifest: Path, key: Path) -> subprocess.CompletedProcess[str]:
    """scripts/verify.py verify-export itself: its own exit code (make turns any failure into 2)."""
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "verify.py"), "verify-export", str(data), str(manifest), "--key", str(key)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def verify_make(data: Path, manifest: Path, key: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", "--no-print-directory", "verify-export", f"VERIFY_EXPORT_ARGS={data} {manifest} --key {key}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def posted(stack: dict[str, Any]) -> dict[str, Any]:
    """12 events of one requestor (over three days and five types) and 4 of another, archived."""
    api, keys, marker = stack["api_local_url"], stack["api_keys"], uuid.uuid4().hex[:10]
    mine, theirs = f"exp-{marker}", f"oth-{marker}"
    events = events_of("CRM_WEB", mine, 12) + events_of("CRM_WEB", theirs, 4)
    reply = rest.call(api, "POST", "/v1/events/batch", keys["crm"], {"events": events})
    assert reply.status == 200 and not reply.body["failed"], reply.text
    bucket = stack["archive_bucket_name"]
    archived = local_stack.archived_for_requestors(bucket, mine, 12, DELIVERY_TIMEOUT)
    local_stack.archived_for_requestors(bucket, theirs, 4, DELIVERY_TIMEOUT)
    return {"api": api, "keys": keys, "requestor": mine, "lines": sorted(line for _, line in archived)}


def test_a_requestors_export_is_exactly_their_events_and_verifies(
    stack: dict[str, Any], posted: dict[str, Any], tmp_path: Path
) -> None:
    api, keys = posted["api"], posted["keys"]
    started = rest.call(
        api, "POST", "/v1/exports", keys["crm"], {"initiatorsystemcode": "CRM_WEB", "requestorid": posted["requestor"]}
    )
    assert started.status == 202 and started.body["status"] == "pending", started.text
    described = ready(api, keys["crm"], started.body["exportid"])
    assert described["status"] == "ready", described
    assert described["rowcount"] == 12
    assert described["filter"]["requestorid"] == posted["requestor"]
    data = download(described["url"], tmp_path / "export.ndjson")
    manifest = download(described["manifesturl"], tmp_path / "manifest.json")
    assert sorted(data.read_text().splitlines()) == posted["lines"]  # byte for byte the archived lines
    key = tmp_path / "export.pem"
    key.write_text(stack["export_public_key_pem"])
    assert verify_export(data, manifest, key.read_bytes()) == []
    result = verify_make(data, manifest, key)
    assert result.returncode == 0 and result.stdout.startswith("OK: "), result.stdout + result.stderr

    # One edited line (the same length: only its hash can tell): verify-export fails, naming the part.
    lines = data.read_bytes().splitlines(keepends=True)
    lines[5] = lines[5].replace(b'"requestorid":"exp-', b'"requestorid":"exq-', 1)
    data.write_bytes(b"".join(lines))
    result = verify_cli(data, manifest, key)
    assert result.returncode == 1 and result.stdout.startswith("FAIL: part 1 "), result.stdout + result.stderr

    # A truncated export fails too.
    full = download(described["url"], tmp_path / "again.ndjson").read_bytes()
    data.write_bytes(full[: len(full) // 2])
    result = verify_cli(data, manifest, key)
    assert result.returncode == 1 and result.stdout.startswith("FAIL: export is truncated: "), result.stdout

    # Another tenant cannot see the export; the URLs are fresh on every call.
    other = rest.call(api, "GET", f"/v1/exports/{started.body['exportid']}", keys["auditor"])
    assert other.status == 404 and other.body["errorcode"] == "NotFound"


def test_csv_export_has_a_row_per_event(posted: dict[str, Any], tmp_path: Path) -> None:
    api, keys = posted["api"], posted["keys"]
    body = {
        "format": "csv",
        "initiatorsystemcode": "CRM_WEB",
        "requestorid": posted["requestor"],
        "eventtype": "LOGIN_FAILED",
    }
    started = rest.call(api, "POST", "/v1/exports", keys["crm"], body)
    assert started.status == 202, started.text
    described = ready(api, keys["crm"], started.body["exportid"])
    expected = [line for line in posted["lines"] if json.loads(line)["eventtype"] == "LOGIN_FAILED"]
    assert (described["status"], described["rowcount"]) == ("ready", len(expected))
    rows = download(described["url"], tmp_path / "export.csv").read_text().splitlines()
    assert rows[0].startswith("accountlockduration,") and len(rows) == 1 + len(expected)


def test_refusals(posted: dict[str, Any]) -> None:
    api, keys = posted["api"], posted["keys"]
    foreign = rest.call(api, "POST", "/v1/exports", keys["crm"], {"initiatorsystemcode": "ERP_WEB"})
    assert foreign.status == 403
    assert foreign.body["message"] == "this API key may not read events of initiator system 'ERP_WEB'"
    write_only = rest.call(api, "POST", "/v1/exports", keys["erp"], {})
    assert write_only.status == 403
    assert write_only.body["message"] == "this API key lacks the 'read' scope: it may not export events"
    invalid = rest.call(api, "POST", "/v1/exports", keys["crm"], {"format": "xml", "from": "soon"})
    assert invalid.status == 400
    assert invalid.body["errors"] == [
        {"field": "format", "message": "must be 'ndjson' or 'csv'"},
        {"field": "from", "message": "must be epoch milliseconds or an ISO 8601 date-time"},
        {"field": "initiatorsystemcode", "message": "is required: this API key reads CRM_MBL, CRM_WEB"},
    ]
    unknown = rest.call(api, "GET", f"/v1/exports/{uuid.uuid4()}", keys["crm"])
    assert unknown.status == 404
    no_key = rest.call(api, "POST", "/v1/exports", None, {})
    assert no_key.status == 403
    text = rest.send(api, "POST", "/v1/exports", keys["crm"], b"{}", "text/plain")
    assert text.status == 415
