"""End to end on LocalStack: the DR drill. The index is lost, `make reindex` rebuilds it from S3.

2,000 events are posted, every item of the index table is deleted, scripts/reindex.py runs, and
every event is queryable through GET /v1/events again, with the counts of S3. The items that are
not events (alert dedupe windows, claims) are put back afterwards, so later tests see the table
as it was.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import load
import pytest
import reindex

import local_stack
import rest
from audit_shared.index import EVENT_ATTRIBUTE, KEY_ATTRIBUTE, write_batches
from audit_shared.retry import Backoff, chunks
from support import example_events

pytestmark = [pytest.mark.localstack, pytest.mark.e2e]

EVENTS, REQUESTORS, BATCH = 2_000, 4, 500
DELIVERY_TIMEOUT = 180


def scan_all(table: str) -> dict[str, dict[str, Any]]:
    pages = local_stack.client("dynamodb").get_paginator("scan").paginate(TableName=table)
    return {item[KEY_ATTRIBUTE]["S"]: item for page in pages for item in page["Items"]}


def delete_all(table: str, keys: list[str]) -> None:
    dynamodb = local_stack.client("dynamodb")

    def delete(batch: list[str]) -> None:
        requests = [{"DeleteRequest": {"Key": {KEY_ATTRIBUTE: {"S": key}}}} for key in batch]
        while requests:
            requests = dynamodb.batch_write_item(RequestItems={table: requests}).get("UnprocessedItems", {}).get(table)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(delete, chunks(keys, 25)))


@pytest.fixture
def index_snapshot(stack: dict[str, Any]) -> Iterator[dict[str, dict[str, Any]]]:
    """Every item of the index before the drill; whatever is missing afterwards is put back."""
    table = stack["index_table_name"]
    snapshot = scan_all(table)
    yield snapshot
    missing = [item for key, item in snapshot.items() if key not in scan_all(table)]
    assert write_batches(local_stack.client("dynamodb"), table, missing, Backoff()) == []


def post_events(api: str, key: str, marker: str) -> dict[str, str]:
    """eventid -> requestorid of EVENTS accepted events, REQUESTORS requestors, batches of BATCH."""
    template = copy.deepcopy(example_events()["DOCUMENT_METADATA_VIEWED"])
    template.pop("relatedeventid", None)
    now = int(time.time() * 1000)
    events = [
        dict(template, initiatorsystemcode="CRM_WEB", requestorid=f"{marker}-{n % REQUESTORS}",
             timestamp=now - 60_000 - n, eventid=str(uuid.uuid4()))
        for n in range(EVENTS)
    ]  # fmt: skip

    # As make load's clients do: a 5xx is posted again whole, items marked retryable again alone, which
    # the client eventids make safe. Four 500-event requests at once through LocalStack's Lambda
    # executor on 2 shared cores can outlast the function's timeout; a killed request's claims then
    # answer "in progress" until they expire. The archive count below shows each event stored once.
    ledger = load.Ledger()
    send = load.sender(api, key)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(
            pool.map(
                lambda batch: load.post_until_settled(send, batch, ledger, load.CLIENT_BACKOFF), chunks(events, BATCH)
            )
        )
    assert not ledger.refused and set(ledger.stored) == {event["eventid"] for event in events}
    return {event["eventid"]: event["requestorid"] for event in events}


def searched(api: str, key: str, requestorid: str) -> list[dict[str, Any]]:
    """Every event of a requestor through GET /v1/events, page by page."""
    found, cursor = [], None
    while True:
        params = {"requestorid": requestorid, "initiatorsystemcode": "CRM_WEB", "limit": 1000}
        reply = rest.call(api, "GET", "/v1/events", key, params={**params, **({"cursor": cursor} if cursor else {})})
        assert reply.status == 200, reply.body
        found += reply.body["events"]
        cursor = reply.body["next"]
        if cursor is None:
            return found


def test_index_lost_and_rebuilt_from_the_archive(
    stack: dict[str, Any], index_snapshot: dict[str, dict[str, Any]], tmp_path: Path, capsys: Any
) -> None:
    api, key = stack["api_local_url"], stack["api_keys"]["crm"]
    bucket, table = stack["archive_bucket_name"], stack["index_table_name"]
    marker = f"e2e-dr-{uuid.uuid4().hex[:8]}"
    posted = post_events(api, key, marker)
    archived = local_stack.archived_for_requestors(bucket, marker, EVENTS, DELIVERY_TIMEOUT)
    in_s3 = {json.loads(line)["eventid"] for _, line in archived}
    assert len(archived) == EVENTS and in_s3 == set(posted)
    before = scan_all(table)
    events_before = {pk: item for pk, item in before.items() if EVENT_ATTRIBUTE in item}

    # The index is lost. (The indexer may still be indexing the drill's objects: delete until quiet.)
    def emptied() -> dict[str, dict[str, Any]]:
        delete_all(table, list(scan_all(table)))
        time.sleep(3)
        return scan_all(table)

    assert local_stack.wait_for(emptied, lambda left: left == {}, timeout=60, interval=0) == {}
    assert searched(api, key, f"{marker}-0") == []

    started = time.monotonic()
    code = reindex.main(["--local", "--workers", "8", "--checkpoint", str(tmp_path / "checkpoint"), "--quiet"])
    seconds = time.monotonic() - started
    summary = capsys.readouterr().out
    assert code == 0, summary
    print(f"DR drill: {summary.strip()} ({seconds:.1f} s wall)")

    # Every posted event is queryable again, with the counts of S3.
    found = {requestor: searched(api, key, requestor) for requestor in sorted(set(posted.values()))}
    assert {requestor: len(events) for requestor, events in found.items()} == {
        requestor: sum(1 for line in archived if json.loads(line[1])["requestorid"] == requestor) for requestor in found
    }
    assert {event["eventid"] for events in found.values() for event in events} == in_s3
    sample = next(iter(posted))
    assert rest.call(api, "GET", f"/v1/events/{sample}", key).status == 200
    # And every event item of the whole stack is back exactly as ingestion (or the indexer) wrote it.
    after = scan_all(table)
    assert {pk: after.get(pk) for pk in events_before} == events_before
    assert all(EVENT_ATTRIBUTE in item for item in after.values())
    assert local_stack.count_indexed_events(table) == len(after) >= len(events_before)
