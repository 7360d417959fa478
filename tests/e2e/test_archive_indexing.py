"""End to end on LocalStack: an event archived without ingestion's index write becomes queryable.

A direct Firehose producer (AWS SDK PutRecordBatch, as the README's data flow allows) bypasses the
ingestion function, so nothing writes its index items but the indexer function, fed by the
archive's ObjectCreated through EventBridge. (An ingestion index write that fails after retries
leaves the event in exactly this state; tests/unit/test_indexer.py injects that failure.)
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from typing import Any

import pytest

import local_stack
import rest
from audit_shared.events import canonical_json
from audit_shared.index import content_hash, event_key
from support import example_events

pytestmark = [pytest.mark.localstack, pytest.mark.e2e]

INDEX_TIMEOUT = 120  # Firehose delivery, EventBridge and the indexer's cold start


def produced(requestorid: str, **changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(example_events()["DOCUMENT_DOWNLOADED"])
    event.pop("relatedeventid", None)
    event.update(initiatorsystemcode="CRM_WEB", requestorid=requestorid, timestamp=int(time.time() * 1000) - 30_000)
    event.update(changes)
    return event


def test_events_of_a_direct_producer_are_indexed_from_the_archive(stack: dict[str, Any]) -> None:
    api, crm = stack["api_local_url"], stack["api_keys"]["crm"]
    marker = f"e2e-direct-{uuid.uuid4().hex[:8]}"
    chosen = produced(marker, eventid=str(uuid.uuid4()))
    assigned = produced(marker, timestamp=chosen["timestamp"] - 1000)  # the transformation assigns its id
    response = local_stack.client("firehose").put_record_batch(
        DeliveryStreamName=stack["delivery_stream_name"],
        Records=[{"Data": json.dumps(event).encode() + b"\n"} for event in (chosen, assigned)],
    )
    assert response["FailedPutCount"] == 0
    archived = local_stack.archived_for_requestors(stack["archive_bucket_name"], marker, 2, INDEX_TIMEOUT)
    assert len(archived) == 2
    lines = sorted((line for _, line in archived), key=lambda line: json.loads(line)["timestamp"], reverse=True)

    def search() -> rest.Reply:
        return rest.call(
            api, "GET", "/v1/events", crm, params={"requestorid": marker, "initiatorsystemcode": "CRM_WEB"}
        )

    reply = local_stack.wait_for(search, lambda r: r.status == 200 and len(r.body["events"]) == 2, INDEX_TIMEOUT, 2)
    assert reply.status == 200
    # Exactly the archived events, newest first, byte for byte.
    assert [canonical_json(event) for event in reply.body["events"]] == lines
    assert chosen["eventid"] in {event["eventid"] for event in reply.body["events"]}
    by_id = rest.call(api, "GET", f"/v1/events/{chosen['eventid']}", crm)
    assert by_id.status == 200 and by_id.text == lines[0]

    # The producer chose the id: the item carries the content hash ingestion would have written, so
    # the same event posted through the API is a duplicate, and other content under it a conflict.
    key = {"pk": {"S": event_key("CRM_WEB", chosen["eventid"])}}
    item = local_stack.client("dynamodb").get_item(TableName=stack["index_table_name"], Key=key)["Item"]
    assert item["contenthash"] == {"S": content_hash(chosen)}
    again = rest.call(api, "POST", "/v1/events", crm, chosen)
    assert (again.status, again.body["duplicate"]) == (200, True)
    conflict = rest.call(api, "POST", "/v1/events", crm, dict(chosen, requestorid=f"{marker}-other"))
    assert (conflict.status, conflict.body["errorcode"]) == (409, "IdempotencyConflict")
