"""Read API: what a client sees for lookups, searches, paging and every refusal, against moto."""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from audit_shared.events import canonical_json, enrich
from audit_shared.index import index_item
from audit_shared.retry import Backoff
from ingestion.index_writer import write_items
from support import TEST_CLIENTS, create_index_table, load_fixture

TABLE = "audit-index"
CRM, ERP, AUDITOR, ERP_READER = "k1crmweb01", "k2erpweb02", "k3auditor3", "k4erpread4"
T0 = 1_790_000_000_000
NOW_MS = T0 + 3_600_000


@pytest.fixture
def handler(aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The query handler wired to a moto index table and KMS HMAC key, with a fixed clock."""
    key_id = boto3.client("kms").create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    monkeypatch.setenv("INDEX_TABLE_NAME", TABLE)
    monkeypatch.setenv("API_CLIENTS", json.dumps(TEST_CLIENTS))
    monkeypatch.setenv("INDEX_RETENTION_DAYS", "30")
    monkeypatch.setenv("CURSOR_TTL_SECONDS", "3600")
    monkeypatch.setenv("CURSOR_KEY_ID", key_id)
    monkeypatch.setenv("ARCHIVE_BUCKET_NAME", "audit-archive")
    monkeypatch.setenv("LEDGER_TABLE_NAME", "audit-ledger")
    monkeypatch.setenv("DIGEST_INTERVAL_MINUTES", "60")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "audit-query")
    create_index_table(boto3.client("dynamodb"), TABLE)
    from query import handler as module

    for cached in (module.settings, module.clients, module.cursor_codec):
        cached.cache_clear()
    monkeypatch.setattr(module, "now_millis", lambda: NOW_MS)
    return module


def store(examples: dict, count: int = 1, eventtype: str = "LOGIN_FAILED", **changes: Any) -> list[dict[str, Any]]:
    """Index events as ingestion would; returns the enriched events."""
    events = []
    for n in range(count):
        raw = copy.deepcopy(examples[eventtype])
        raw.pop("relatedeventid", None)
        raw.update({"timestamp": T0 + n * 1000, **changes})
        events.append(enrich(raw, received_ms=T0 + n, source_ip="198.51.100.23", api_key_id="k"))
    items = [index_item(event, NOW_MS, 30, canonical_json(event)) for event in events]
    assert write_items(boto3.client("dynamodb"), TABLE, items, Backoff(sleep=lambda _: None)) == []
    return events


def get(handler: Any, context: Any, path: str, key_id: str = CRM, **params: Any) -> tuple[int, Any, str]:
    event = load_fixture("apigw_post_event.json")
    multi = {name: value if isinstance(value, list) else [str(value)] for name, value in params.items()}
    event.update(path=path, httpMethod="GET", body=None, headers={"Accept": "application/json"})
    event["multiValueHeaders"] = {}
    event["multiValueQueryStringParameters"] = multi or None
    event["queryStringParameters"] = {name: values[-1] for name, values in multi.items()} or None
    event["requestContext"].update(resourcePath=path, httpMethod="GET")
    event["requestContext"]["identity"]["apiKeyId"] = key_id
    response = handler.lambda_handler(event, context)
    return response["statusCode"], json.loads(response["body"]), response["body"]


# --- GET /v1/events/{eventid} -----------------------------------------------------------------


def test_get_by_id_returns_the_archived_text_byte_for_byte(handler: Any, lambda_context: Any, examples: dict) -> None:
    [event] = store(examples, initiatorsystemcode="CRM_WEB")
    status, body, raw = get(handler, lambda_context, f"/v1/events/{event['eventid']}")
    assert status == 200
    assert raw == canonical_json(event)
    assert body == event


def test_another_tenants_event_reads_exactly_like_an_unknown_one(
    handler: Any, lambda_context: Any, examples: dict
) -> None:
    [erp_event] = store(examples, initiatorsystemcode="ERP_WEB")
    unknown = str(uuid.uuid4())
    status, foreign, _ = get(handler, lambda_context, f"/v1/events/{erp_event['eventid']}")
    assert status == 404
    assert foreign == {
        "errorcode": "NotFound",
        "message": f"no event {erp_event['eventid']} is readable with this API key. The index keeps events for 30 "
        "days after receipt; older events are only in the S3 archive, which exports read",
    }
    status, missing, _ = get(handler, lambda_context, f"/v1/events/{unknown}")
    assert status == 404 and missing["message"] == foreign["message"].replace(erp_event["eventid"], unknown)
    status, body, _ = get(handler, lambda_context, f"/v1/events/{erp_event['eventid']}", initiatorsystemcode="ERP_WEB")
    assert status == 403 and body["errorcode"] == "Forbidden"


def test_auditor_reads_across_its_initiators_and_ambiguous_ids_need_the_initiator(
    handler: Any, lambda_context: Any, examples: dict
) -> None:
    eventid = str(uuid.uuid4())
    [crm_event] = store(examples, initiatorsystemcode="CRM_WEB", eventid=eventid)
    [erp_event] = store(examples, initiatorsystemcode="ERP_WEB", eventid=eventid, requestorid="u-erp")
    [only_erp] = store(examples, initiatorsystemcode="ERP_WEB")
    status, body, _ = get(handler, lambda_context, f"/v1/events/{only_erp['eventid']}", AUDITOR)
    assert (status, body) == (200, only_erp)
    status, body, _ = get(handler, lambda_context, f"/v1/events/{eventid}", AUDITOR)
    assert status == 400 and body["errorcode"] == "AmbiguousEventId"
    assert (
        body["message"] == f"eventid {eventid} names an event under each of CRM_WEB, ERP_WEB; pass initiatorsystemcode"
    )
    status, body, _ = get(handler, lambda_context, f"/v1/events/{eventid}", AUDITOR, initiatorsystemcode="ERP_WEB")
    assert (status, body) == (200, erp_event)
    assert get(handler, lambda_context, f"/v1/events/{eventid}", CRM)[1] == crm_event


def test_malformed_id_and_unknown_parameters_are_a_400(handler: Any, lambda_context: Any) -> None:
    status, body, _ = get(handler, lambda_context, "/v1/events/not-a-uuid", colour="blue")
    assert status == 400
    assert body["errors"] == [
        {"field": "colour", "message": "is not a known query parameter"},
        {"field": "eventid", "message": "must be a UUID"},
    ]


@pytest.mark.parametrize("path", ["/v1/events", f"/v1/events/{uuid.uuid4()}"])
def test_key_without_read_scope_gets_403_on_every_get(handler: Any, lambda_context: Any, path: str) -> None:
    status, body, _ = get(handler, lambda_context, path, ERP)
    assert (status, body) == (
        403,
        {"errorcode": "Forbidden", "message": "this API key lacks the 'read' scope: it may not read events"},
    )


# --- GET /v1/events ---------------------------------------------------------------------------


def page_through(handler: Any, context: Any, key_id: str = CRM, **params: Any) -> Iterator[dict[str, Any]]:
    cursor = None
    while True:
        status, body, _ = get(
            handler, context, "/v1/events", key_id, **params, **({"cursor": cursor} if cursor else {})
        )
        assert status == 200, body
        yield body
        cursor = body["next"]
        if cursor is None:
            return


def test_paging_returns_every_event_exactly_once_in_order(handler: Any, lambda_context: Any, examples: dict) -> None:
    events = store(examples, 250, requestorid="u-pager", initiatorsystemcode="CRM_WEB")
    pages = list(page_through(handler, lambda_context, requestorid="u-pager", limit=100))
    assert [len(page["events"]) for page in pages] == [100, 100, 50]
    seen = [event["eventid"] for page in pages for event in page["events"]]
    assert seen == [event["eventid"] for event in reversed(events)]  # newest first by default
    ascending = list(page_through(handler, lambda_context, requestorid="u-pager", limit=100, order="asc"))
    assert [event["eventid"] for page in ascending for event in page["events"]] == [e["eventid"] for e in events]


def test_events_in_the_same_millisecond_are_never_lost_between_pages(
    handler: Any, lambda_context: Any, examples: dict
) -> None:
    events = [store(examples, requestorid="u-tie", initiatorsystemcode="CRM_WEB")[0] for _ in range(5)]
    pages = list(page_through(handler, lambda_context, requestorid="u-tie", limit=2))
    assert sorted(event["eventid"] for page in pages for event in page["events"]) == sorted(
        event["eventid"] for event in events
    )


def test_events_arriving_while_paging_do_not_disturb_the_pages(
    handler: Any, lambda_context: Any, examples: dict
) -> None:
    events = store(examples, 30, requestorid="u-live", initiatorsystemcode="CRM_WEB")
    _, first, _ = get(handler, lambda_context, "/v1/events", requestorid="u-live", limit=10, order="asc")
    store(examples, 5, requestorid="u-live", initiatorsystemcode="CRM_WEB", timestamp=T0 + 100_000)
    seen = [event["eventid"] for event in first["events"]]
    cursor = first["next"]
    while cursor:
        _, page, _ = get(
            handler, lambda_context, "/v1/events", requestorid="u-live", limit=10, order="asc", cursor=cursor
        )
        seen += [event["eventid"] for event in page["events"]]
        cursor = page["next"]
    assert seen[:30] == [event["eventid"] for event in events] and len(seen) == len(set(seen)) == 35


def test_filters_select_by_index_and_time_range(handler: Any, lambda_context: Any, examples: dict) -> None:
    failed = store(examples, 3, requestorip="2001:db8::7", initiatorsystemcode="CRM_WEB")
    store(examples, 2, eventtype="LOGIN_SUCCESSFUL", initiatorsystemcode="CRM_WEB")
    store(examples, 2, initiatorsystemcode="CRM_MBL")

    def ids(**params: Any) -> list[str]:
        status, body, _ = get(handler, lambda_context, "/v1/events", initiatorsystemcode="CRM_WEB", **params)
        assert status == 200, body
        return [event["eventid"] for event in body["events"]]

    assert ids(eventtype="LOGIN_FAILED", order="asc") == [event["eventid"] for event in failed]
    # One spelling per address: the expanded form finds the compressed one.
    assert ids(requestorip="2001:0db8:0:0:0:0:0:0007", order="asc") == [event["eventid"] for event in failed]
    # from/to are inclusive, in epoch ms or ISO 8601.
    assert ids(eventtype="LOGIN_FAILED", **{"from": T0 + 1000, "to": T0 + 2000}) == [
        failed[2]["eventid"],
        failed[1]["eventid"],
    ]
    iso = "2026-09-21T14:13:21+00:00"  # T0 + 1 s
    assert ids(eventtype="LOGIN_FAILED", **{"from": iso, "to": iso}) == [failed[1]["eventid"]]
    assert len(ids()) == 5  # no filter: the initiator's events by time


def test_bad_parameters_are_a_400_listing_every_problem(handler: Any, lambda_context: Any) -> None:
    status, body, _ = get(
        handler,
        lambda_context,
        "/v1/events",
        AUDITOR,
        requestorid="u-1",
        eventtype="LOGIN_FAILED",
        limit=1001,
        order="sideways",
        colour="blue",
        **{"from": "yesterday", "to": "1"},
    )
    assert status == 400
    assert body == {
        "errorcode": "InvalidQuery",
        "message": "query parameters are invalid",
        "errors": [
            {"field": "colour", "message": "is not a known query parameter"},
            {
                "field": "requestorid,eventtype",
                "message": "at most one of requestorid, eventtype, requestorip may be given",
            },
            {"field": "from", "message": "must be epoch milliseconds or an ISO 8601 date-time"},
            {"field": "limit", "message": "must be an integer from 1 to 1000"},
            {"field": "order", "message": "must be 'desc' or 'asc'"},
            {"field": "initiatorsystemcode", "message": "is required: this API key reads CRM_MBL, CRM_WEB, ERP_WEB"},
        ],
    }
    status, body, _ = get(
        handler, lambda_context, "/v1/events", AUDITOR, **{"from": "2000", "to": "1000", "limit": ["1", "2"]}
    )
    assert status == 400
    assert body["errors"] == [
        {"field": "limit", "message": "must be given once"},
        {"field": "from", "message": "must not be after 'to'"},
        {"field": "initiatorsystemcode", "message": "is required: this API key reads CRM_MBL, CRM_WEB, ERP_WEB"},
    ]


def test_search_of_an_initiator_the_key_may_not_read_is_a_403(handler: Any, lambda_context: Any) -> None:
    status, body, _ = get(handler, lambda_context, "/v1/events", ERP_READER, initiatorsystemcode="CRM_WEB")
    assert status == 403
    assert body["errors"] == [
        {"field": "initiatorsystemcode", "message": "this API key may not read events of initiator system 'CRM_WEB'"}
    ]


def first_cursor(handler: Any, context: Any, examples: dict) -> str:
    store(examples, 3, requestorid="u-cursor", initiatorsystemcode="CRM_WEB")
    status, body, _ = get(
        handler, context, "/v1/events", requestorid="u-cursor", initiatorsystemcode="CRM_WEB", limit=1
    )
    assert status == 200 and body["next"]
    return body["next"]


@pytest.mark.parametrize(
    ("fault", "errorcode", "message"),
    [
        ("tampered", "CursorTampered", "cursor is malformed or has been altered"),
        ("foreign-tenant", "CursorForeignTenant", "cursor was issued to another API client"),
        (
            "changed-filter",
            "CursorFilterChanged",
            "cursor was issued for a different filter; keep the filter while paging",
        ),
        ("expired", "CursorExpired", "cursor has expired; start the search again without a cursor"),
    ],
)
def test_each_cursor_fault_is_a_400_that_names_it(
    handler: Any,
    lambda_context: Any,
    examples: dict,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    errorcode: str,
    message: str,
) -> None:
    cursor = first_cursor(handler, lambda_context, examples)
    key_id, params = CRM, {"requestorid": "u-cursor", "initiatorsystemcode": "CRM_WEB", "limit": 1}
    if fault == "tampered":
        payload, _, mac = cursor.partition(".")
        cursor = f"{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{mac}"
    elif fault == "foreign-tenant":
        key_id = AUDITOR
    elif fault == "changed-filter":
        params["requestorid"] = "u-other"
    else:
        monkeypatch.setattr(handler, "now_millis", lambda: NOW_MS + 3_601_000)
    status, body, _ = get(handler, lambda_context, "/v1/events", key_id, cursor=cursor, **params)
    assert (status, body) == (
        400,
        {"errorcode": errorcode, "message": message, "errors": [{"field": "cursor", "message": message}]},
    )
    # The untouched cursor still works for its owner.
    monkeypatch.setattr(handler, "now_millis", lambda: NOW_MS)
    original = first_cursor(handler, lambda_context, examples) if fault == "tampered" else None
    if original:
        assert (
            get(
                handler,
                lambda_context,
                "/v1/events",
                CRM,
                cursor=original,
                requestorid="u-cursor",
                initiatorsystemcode="CRM_WEB",
                limit=1,
            )[0]
            == 200
        )


class CountingDynamoDB:
    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.real, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return method(*args, **kwargs)

        return counted


def test_a_page_of_100_is_one_query_and_a_get_by_id_one_read(
    handler: Any, lambda_context: Any, examples: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = store(examples, 150, requestorid="u-cost", initiatorsystemcode="CRM_WEB")
    counting = CountingDynamoDB(boto3.client("dynamodb"))
    monkeypatch.setattr(handler, "clients", lambda: SimpleNamespace(dynamodb=counting, kms=boto3.client("kms")))
    status, body, _ = get(handler, lambda_context, "/v1/events", requestorid="u-cost", limit=100)
    assert status == 200 and len(body["events"]) == 100
    assert counting.calls == ["query"]
    counting.calls.clear()
    assert get(handler, lambda_context, f"/v1/events/{events[0]['eventid']}")[0] == 200
    assert counting.calls == ["get_item"]
    counting.calls.clear()
    assert get(handler, lambda_context, f"/v1/events/{events[0]['eventid']}", AUDITOR)[0] == 200
    assert counting.calls == ["batch_get_item"]


def test_claims_in_progress_are_not_events(handler: Any, lambda_context: Any) -> None:
    eventid = str(uuid.uuid4())
    boto3.client("dynamodb").put_item(
        TableName=TABLE, Item={"pk": {"S": f"CRM_WEB#{eventid}"}, "contenthash": {"S": "h"}, "claimexpires": {"N": "1"}}
    )
    assert get(handler, lambda_context, f"/v1/events/{eventid}")[0] == 404


# --- GET /v1/events/{eventid}/proof ---------------------------------------------------------------


def test_proof_is_409_until_sealed_then_verifies_offline_and_fails_for_a_changed_byte(
    handler: Any, lambda_context: Any, examples: dict, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    import verify
    from archive_stack import ArchiveStack
    from audit_shared.partitions import data_prefix

    archive = ArchiveStack(monkeypatch)  # the archive bucket, the ledger and the signing key
    handler.settings.cache_clear()
    handler.clients.cache_clear()
    monkeypatch.setattr(handler, "now_millis", lambda: time.time_ns() // 1_000_000)
    events = store(examples, 3, initiatorsystemcode="CRM_WEB", timestamp=int(time.time() * 1000) - 60_000)
    archive.put_events(f"{data_prefix(events[0])}aaas-events-1-proof.gz", events)
    path = f"/v1/events/{events[1]['eventid']}/proof"

    status, body, _ = get(handler, lambda_context, path)
    assert status == 409 and body["errorcode"] == "NotSealedYet"
    assert body["message"].startswith(f"event {events[1]['eventid']} is archived but not sealed yet; expected by ")
    assert get(handler, lambda_context, path, AUDITOR)[0] == 409  # the auditor reads CRM_WEB too
    assert get(handler, lambda_context, path, ERP_READER)[0] == 404  # never reveals another tenant's event

    archive.seal()
    status, proof, _ = get(handler, lambda_context, path)
    assert status == 200
    assert (proof["eventid"], proof["treesize"], proof["object"]["line"]) == (events[1]["eventid"], 3, 2)
    key = archive.public_key_pem(tmp_path / "digest.pem")
    (tmp_path / "event.json").write_text(canonical_json(events[1]))
    (tmp_path / "proof.json").write_text(json.dumps(proof))
    offline = ["verify-event", str(tmp_path / "event.json"), str(tmp_path / "proof.json"), "--key", str(key)]
    assert verify.main(offline) == 0
    (tmp_path / "event.json").write_text(canonical_json(dict(events[1], requestorid="u-someone-else")))
    assert verify.main(offline) == 1
    archive.close()


# --- API key rotation: two live keys of one client are one tenant ------------------------------


def test_a_cursor_from_the_current_key_pages_on_with_the_next_key(
    handler: Any, lambda_context: Any, examples: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    next_key = "k5crmnext5"  # crm's next key generation: Terraform maps both key ids to the same client
    monkeypatch.setenv("API_CLIENTS", json.dumps({**TEST_CLIENTS, next_key: TEST_CLIENTS[CRM]}))
    handler.settings.cache_clear()
    events = store(examples, 5, requestorid="u-rotating", initiatorsystemcode="CRM_WEB")
    params = {"requestorid": "u-rotating", "initiatorsystemcode": "CRM_WEB", "limit": 2}
    status, first, _ = get(handler, lambda_context, "/v1/events", CRM, **params)
    assert status == 200 and first["next"]
    # The client switches keys mid-search: its cursor stays valid, and no event is lost or repeated.
    seen = [event["eventid"] for event in first["events"]]
    cursor = first["next"]
    while cursor:
        status, page, _ = get(handler, lambda_context, "/v1/events", next_key, **params, cursor=cursor)
        assert status == 200, page
        seen += [event["eventid"] for event in page["events"]]
        cursor = page["next"]
    assert seen == [event["eventid"] for event in reversed(events)]
    # Another client's key still cannot use it.
    status, body, _ = get(handler, lambda_context, "/v1/events", AUDITOR, **params, cursor=first["next"])
    assert status == 400 and body["errorcode"] == "CursorForeignTenant"
