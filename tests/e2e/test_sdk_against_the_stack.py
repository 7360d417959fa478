"""The SDK and the `aaas` CLI against the applied stack: post, search with paging, get, proof, verify."""

from __future__ import annotations

import copy
import json
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

import local_stack
from aaas import ApiError, AuditClient, verify_event
from support import ROOT, example_events

pytestmark = [pytest.mark.localstack, pytest.mark.e2e]

AAAS = str(Path(ROOT / ".venv" / "bin" / "aaas"))


def aaas(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as the README shows it: from the project's root, --local."""
    return subprocess.run([AAAS, *args, "--local"], capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)


@pytest.fixture(scope="module")
def crm(stack: dict[str, Any]) -> AuditClient:
    with AuditClient(stack["api_local_url"], stack["api_keys"]["crm"]) as client:
        yield client


def test_post_events_then_search_every_page_and_get_each(crm: AuditClient) -> None:
    requestor = f"sdk-{uuid.uuid4().hex[:10]}"
    base = copy.deepcopy(example_events()["LOGIN_SUCCESSFUL"])
    base.update(initiatorsystemcode="CRM_WEB", requestorid=requestor)
    now = int(time.time() * 1000)
    events = [dict(base, timestamp=now - 100_000 + n) for n in range(57)]
    results = list(crm.post_events(iter(events), max_events=20))  # three batches
    assert [result.status for result in results] == [201] * 57
    ids = [result.eventid for result in results]
    # A retry of the same events stores nothing twice: the SDK's ids make them duplicates.
    again = list(crm.post_events([dict(event, eventid=eventid) for event, eventid in zip(events, ids, strict=True)]))
    assert {result.duplicate for result in again} == {True}

    pages = list(crm.iter_pages(initiatorsystemcode="CRM_WEB", requestorid=requestor, limit=10, order="asc"))
    assert [len(page["events"]) for page in pages if page["events"]] == [10, 10, 10, 10, 10, 7]
    found = [event["eventid"] for page in pages for event in page["events"]]
    assert found == ids, "every event exactly once, in timestamp order"
    stored = crm.get_event(ids[3])
    assert {name: stored[name] for name in events[3]} == events[3]
    assert stored["eventid"] == ids[3]
    assert (stored["requestorid"], stored["timestamp"], stored["schemaversion"]) == (requestor, now - 100_000 + 3, "1")


def test_refusals_are_api_errors_with_every_problem(crm: AuditClient, stack: dict[str, Any]) -> None:
    event = dict(example_events()["LOGIN_FAILED"], requestorip="10.0.0.256", eventtype="LOGIN_MAYBE")
    with pytest.raises(ApiError) as caught:
        crm.post_event(event)
    assert (caught.value.status, caught.value.errorcode) == (400, "ValidationError")
    assert {"requestorip", "eventtype"} <= {error["field"] for error in caught.value.errors}
    with pytest.raises(ApiError) as caught:
        crm.search(initiatorsystemcode="ERP_WEB")
    assert (caught.value.status, caught.value.errorcode) == (403, "Forbidden")
    with pytest.raises(ApiError) as caught:
        crm.get_event(str(uuid.uuid4()), "CRM_WEB")
    assert (caught.value.status, caught.value.errorcode) == (404, "NotFound")


def test_proof_of_a_sealed_event_verifies_offline(stack: dict[str, Any], crm: AuditClient, tmp_path: Path) -> None:
    eventid, initiator = local_stack.sealed_event(stack)
    event, proof = crm.get_event(eventid, initiator), crm.get_proof(eventid, initiator)
    pem = tmp_path / "digest.pem"
    pem.write_text(stack["digest_public_key_pem"])
    assert verify_event(event, dict(proof), pem).exit_code == 0
    forged = dict(event, requestorid="someone-else")
    report = verify_event(forged, dict(proof), pem)
    assert [finding.kind for finding in report.failures] == ["leaf-mismatch"]

    result = aaas("verify-event", eventid, "--initiatorsystemcode", initiator)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: proof: 1 digest(s), 1 object(s), 1 event(s) verified")
    (tmp_path / "event.json").write_text(json.dumps(forged))
    (tmp_path / "proof.json").write_text(json.dumps(proof))
    result = aaas("verify-event", "--event", str(tmp_path / "event.json"), "--proof", str(tmp_path / "proof.json"))
    assert result.returncode == 1
    assert result.stdout.startswith("FAIL leaf-mismatch: ")


def test_the_readme_commands_post_a_file_and_find_it(stack: dict[str, Any]) -> None:
    posted = aaas("post-file", "examples/events/LOGIN_FAILED.json", "--json")
    assert posted.returncode == 0, posted.stderr
    assert posted.stderr == "1 stored, 0 duplicate, 0 refused\n"
    [eventid] = json.loads(posted.stdout.splitlines()[-1])["eventids"]
    requestor = json.loads((ROOT / "examples" / "events" / "LOGIN_FAILED.json").read_text())["requestorid"]

    table = aaas("search", "--requestorid", requestor)
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["timestamp", "initiatorsystemcode", "eventtype", "requestorid", "requestorip", "eventid"]
    assert [row for row in rows if row.endswith(eventid)], table.stdout
    as_json = aaas("search", "--requestorid", requestor, "--format", "json")
    assert eventid in [event["eventid"] for event in json.loads(as_json.stdout)]
    as_csv = aaas("search", "--requestorid", requestor, "--format", "csv", "--max", "5")
    assert as_csv.stdout.splitlines()[0].startswith("apikeyid,") and len(as_csv.stdout.splitlines()) <= 6

    got = aaas("get", eventid)
    assert (got.returncode, json.loads(got.stdout)["eventid"]) == (0, eventid)
    missing = aaas("get", str(uuid.uuid4()))
    assert missing.returncode == 1
    assert missing.stderr.startswith("aaas: error: GET /v1/events/") and missing.stderr.count("\n") == 1
    proof = aaas("proof", eventid)  # just posted: not sealed yet
    assert proof.returncode == 1 and ("NotArchivedYet" in proof.stderr or "NotSealedYet" in proof.stderr)
