"""End to end on LocalStack: tenant-scoped identity, exactly-once ingest, and the read API."""

from __future__ import annotations

import base64
import copy
import json
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import local_stack
import rest
from audit_shared.derived_keys import derive_key
from query.cursor import CursorCodec
from support import example_events

pytestmark = [pytest.mark.localstack, pytest.mark.e2e]

DELIVERY_TIMEOUT = 150  # Firehose buffers up to 60 s on the local stack


@pytest.fixture(scope="module")
def api(stack: dict[str, Any]) -> str:
    return stack["api_local_url"]


def event_for(initiator: str, requestorid: str, **changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(example_events()["LOGIN_SUCCESSFUL"])  # a type no alert rule watches
    event.update(initiatorsystemcode=initiator, requestorid=requestorid, timestamp=int(time.time() * 1000) - 60_000)
    event.update(changes)
    return event


def archived_with(stack: dict[str, Any], prefix: str, expected: int) -> list[tuple[str, str]]:
    return local_stack.archived_for_requestors(stack["archive_bucket_name"], prefix, expected, DELIVERY_TIMEOUT)


def test_same_eventid_from_two_initiators_stores_both(stack: dict[str, Any], api: str) -> None:
    keys, eventid, marker = stack["api_keys"], str(uuid.uuid4()), f"e2e-twin-{uuid.uuid4().hex[:8]}"
    crm = rest.call(api, "POST", "/v1/events", keys["crm"], event_for("CRM_WEB", f"{marker}-crm", eventid=eventid))
    erp = rest.call(api, "POST", "/v1/events", keys["erp"], event_for("ERP_WEB", f"{marker}-erp", eventid=eventid))
    assert (crm.status, crm.body["duplicate"]) == (201, False)
    assert (erp.status, erp.body["duplicate"]) == (201, False)
    lines = archived_with(stack, marker, 2)
    assert sorted((json.loads(line)["initiatorsystemcode"], json.loads(line)["eventid"]) for _, line in lines) == [
        ("CRM_WEB", eventid),
        ("ERP_WEB", eventid),
    ]
    for initiator in ("CRM_WEB", "ERP_WEB"):
        reply = rest.call(
            api, "GET", f"/v1/events/{eventid}", keys["auditor"], params={"initiatorsystemcode": initiator}
        )
        assert (reply.status, reply.body["initiatorsystemcode"]) == (200, initiator)


def test_reused_eventid_with_other_content_is_a_409(stack: dict[str, Any], api: str) -> None:
    keys, eventid = stack["api_keys"], str(uuid.uuid4())
    first = event_for("CRM_WEB", f"e2e-reuse-{uuid.uuid4().hex[:8]}", eventid=eventid)
    assert rest.call(api, "POST", "/v1/events", keys["crm"], first).status == 201
    assert rest.call(api, "POST", "/v1/events", keys["crm"], first).body["duplicate"] is True
    reply = rest.call(api, "POST", "/v1/events", keys["crm"], dict(first, requestorid="someone-else"))
    assert reply.status == 409
    assert reply.body == {
        "status": 409,
        "errorcode": "IdempotencyConflict",
        "message": f"eventid {eventid} was already used by this initiator for an event with different content",
        "retryable": False,
        "eventid": eventid,
    }


def test_the_same_batches_posted_twice_at_once_are_archived_exactly_once(stack: dict[str, Any], api: str) -> None:
    marker = f"e2e-race-{uuid.uuid4().hex[:8]}"
    batches = [
        [event_for("CRM_WEB", f"{marker}-{b}-{n}", eventid=str(uuid.uuid4())) for n in range(50)] for b in range(20)
    ]
    key = stack["api_keys"]["crm"]
    with ThreadPoolExecutor(max_workers=16) as pool:
        replies = list(
            pool.map(lambda batch: rest.call(api, "POST", "/v1/events/batch", key, {"events": batch}), batches * 2)
        )
    assert {reply.status for reply in replies} <= {200, 409}, [reply.text for reply in replies if reply.status >= 500]
    stored = {item["eventid"] for reply in replies for item in reply.body["successful"]}
    refused = Counter(item["errorcode"] for reply in replies for item in reply.body["failed"])
    assert set(refused) <= {"IdempotencyInProgress"}
    all_ids = {event["eventid"] for batch in batches for event in batch}
    assert stored == all_ids  # every event was stored by one of its two posts

    lines = archived_with(stack, marker, 1000)
    time.sleep(5)  # a late duplicate object would land now
    lines = archived_with(stack, marker, 1000)
    archived_ids = Counter(json.loads(line)["eventid"] for _, line in lines)
    assert len(archived_ids) == 1000 and max(archived_ids.values()) == 1, archived_ids.most_common(3)
    indexed = local_stack.indexed_event_ids(stack["index_table_name"], dict.fromkeys(all_ids, "CRM_WEB"))
    assert len(indexed) == 1000


def test_paging_through_2500_events_returns_each_exactly_once_in_order(stack: dict[str, Any], api: str) -> None:
    requestor, key = f"e2e-pager-{uuid.uuid4().hex[:8]}", stack["api_keys"]["crm"]
    start = int(time.time() * 1000) - 3_000_000
    # Pairs of events share a millisecond, so ties must be ordered by id and never lost at a page edge.
    events = [event_for("CRM_WEB", requestor, timestamp=start + (n // 2) * 1000) for n in range(2500)]
    for chunk in range(0, 2500, 500):
        reply = rest.call(api, "POST", "/v1/events/batch", key, {"events": events[chunk : chunk + 500]})
        assert reply.status == 200 and reply.body["failed"] == []

    params: dict[str, Any] = {"requestorid": requestor, "initiatorsystemcode": "CRM_WEB", "limit": 100}
    pages = []
    while True:
        reply = rest.call(api, "GET", "/v1/events", key, params=params)
        assert reply.status == 200, reply.text
        pages.append(reply.body["events"])
        if reply.body["next"] is None:
            break
        params["cursor"] = reply.body["next"]
    seen = [(event["timestamp"], event["eventid"]) for page in pages for event in page]
    assert [len(page) for page in pages] == [100] * 25
    assert len(set(seen)) == 2500
    assert seen == sorted(seen, reverse=True)  # newest first, ties by id


def test_get_by_id_returns_the_archived_line_byte_for_byte(stack: dict[str, Any], api: str) -> None:
    marker = f"e2e-bytes-{uuid.uuid4().hex[:8]}"
    posted = rest.call(
        api, "POST", "/v1/events", stack["api_keys"]["crm"], event_for("CRM_WEB", marker, details={"note": "é ✓"})
    )
    assert posted.status == 201
    [(_, line)] = archived_with(stack, marker, 1)
    reply = rest.call(api, "GET", f"/v1/events/{posted.body['eventid']}", stack["api_keys"]["crm"])
    assert reply.status == 200
    assert reply.text == line


def test_another_tenants_id_is_404(stack: dict[str, Any], api: str) -> None:
    keys = stack["api_keys"]
    posted = rest.call(api, "POST", "/v1/events", keys["erp"], event_for("ERP_WEB", f"e2e-erp-{uuid.uuid4().hex[:8]}"))
    assert posted.status == 201
    erp_id, unknown_id = posted.body["eventid"], str(uuid.uuid4())
    foreign = rest.call(api, "GET", f"/v1/events/{erp_id}", keys["crm"])
    unknown = rest.call(api, "GET", f"/v1/events/{unknown_id}", keys["crm"])
    assert foreign.status == unknown.status == 404
    # Word for word the same answer: nothing tells that the other tenant's event exists.
    assert foreign.body == {"errorcode": "NotFound", "message": unknown.body["message"].replace(unknown_id, erp_id)}


def test_each_cursor_fault_is_a_400_naming_it(stack: dict[str, Any], api: str) -> None:
    keys, requestor = stack["api_keys"], f"e2e-cursor-{uuid.uuid4().hex[:8]}"
    events = [event_for("CRM_WEB", requestor) for _ in range(3)]
    assert rest.call(api, "POST", "/v1/events/batch", keys["crm"], {"events": events}).status == 200
    params = {"requestorid": requestor, "initiatorsystemcode": "CRM_WEB", "limit": 1}
    cursor = rest.call(api, "GET", "/v1/events", keys["crm"], params=params).body["next"]
    assert cursor

    payload_part, _, mac_part = cursor.partition(".")
    payload = json.loads(base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)))
    tampered = f"{payload_part[:-2]}{'A' if payload_part[-2] != 'A' else 'B'}{payload_part[-1]}.{mac_part}"
    # An expired cursor can only be made with the real key: derive it as the query function does.
    codec = CursorCodec(key=derive_key(local_stack.client("kms"), stack["cursor_key_arn"], "cursor/v1"), ttl_seconds=1)
    expired = codec.mint(
        tenant=payload["t"], filter_digest=payload["f"], position=payload["p"], now_s=int(time.time()) - 60
    )

    faults = {
        "CursorTampered": (keys["crm"], dict(params, cursor=tampered)),
        "CursorForeignTenant": (keys["auditor"], dict(params, cursor=cursor)),
        "CursorFilterChanged": (keys["crm"], dict(params, cursor=cursor, order="asc")),
        "CursorExpired": (keys["crm"], dict(params, cursor=expired)),
    }
    for errorcode, (key, query) in faults.items():
        reply = rest.call(api, "GET", "/v1/events", key, params=query)
        assert (reply.status, reply.body["errorcode"]) == (400, errorcode), reply.text
        assert reply.body["errors"][0]["field"] == "cursor"
    assert rest.call(api, "GET", "/v1/events", keys["crm"], params=dict(params, cursor=cursor)).status == 200


def test_scopes_write_only_reads_nothing_and_the_auditor_writes_nothing(stack: dict[str, Any], api: str) -> None:
    keys, marker = stack["api_keys"], f"e2e-scope-{uuid.uuid4().hex[:8]}"
    crm = rest.call(api, "POST", "/v1/events", keys["crm"], event_for("CRM_WEB", marker)).body["eventid"]
    erp = rest.call(api, "POST", "/v1/events", keys["erp"], event_for("ERP_WEB", marker)).body["eventid"]

    for path in ("/v1/events", f"/v1/events/{erp}"):
        reply = rest.call(api, "GET", path, keys["erp"], params={"initiatorsystemcode": "ERP_WEB"})
        assert (reply.status, reply.body["errorcode"]) == (403, "Forbidden")

    for initiator, eventid in (("CRM_WEB", crm), ("ERP_WEB", erp)):
        found = rest.call(
            api, "GET", "/v1/events", keys["auditor"], params={"requestorid": marker, "initiatorsystemcode": initiator}
        )
        assert found.status == 200 and [event["eventid"] for event in found.body["events"]] == [eventid]
        assert rest.call(api, "GET", f"/v1/events/{eventid}", keys["auditor"]).body["eventid"] == eventid

    refused = rest.call(api, "POST", "/v1/events", keys["auditor"], event_for("CRM_WEB", marker))
    assert (refused.status, refused.body) == (
        403,
        {"message": "this API key lacks the 'write' scope: it may not post events"},
    )
