"""The SDK (client/src/aaas) against a mocked API (respx): ids, batching, retries, cursors, exports, errors."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from aaas import ApiError, AuditClient, AuditError, ExportFailed, TransportError, WaitTimeout
from aaas.batching import MAX_BYTES, split
from audit_shared.retry import Backoff

URL = "https://audit.example.com/prod"
NO_WAIT = Backoff(attempts=4, base_seconds=0.0, cap_seconds=0.0, sleep=lambda _seconds: None)


@pytest.fixture
def api() -> respx.MockRouter:
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def audit() -> AuditClient:
    with AuditClient(URL, "key-1", backoff=NO_WAIT) as client:
        yield client


def sent(call: Any) -> Any:
    return json.loads(call.request.content)


def accepted(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "successful": [
            {"index": n, "eventid": event["eventid"], "receivedat": "2026-11-28T19:30:10.512Z", "duplicate": False}
            for n, event in enumerate(events)
        ],
        "failed": [],
    }


def test_post_event_sends_a_uuidv7_eventid_and_the_key(api: respx.MockRouter, audit: AuditClient) -> None:
    route = api.post(f"{URL}/v1/events").respond(201, json={"eventid": "x", "receivedat": "t", "duplicate": False})
    event = {"eventtype": "LOGIN_SUCCESSFUL"}
    assert audit.post_event(event) == {"eventid": "x", "receivedat": "t", "duplicate": False}
    request = route.calls.last.request
    assert request.headers["x-api-key"] == "key-1"
    assert request.headers["content-type"] == "application/json"
    eventid = uuid.UUID(sent(route.calls.last)["eventid"])
    assert eventid.version == 7
    assert event == {"eventtype": "LOGIN_SUCCESSFUL"}, "the caller's event is not changed"


def test_a_retry_resends_the_same_eventid_and_an_own_id_is_kept(api: respx.MockRouter, audit: AuditClient) -> None:
    busy = {"status": 409, "errorcode": "IdempotencyInProgress", "message": "busy", "retryable": True}
    route = api.post(f"{URL}/v1/events").mock(
        side_effect=[
            httpx.Response(429, json={"message": "Too Many Requests"}),
            httpx.Response(409, json=busy),
            httpx.Response(200, json={"eventid": "mine", "receivedat": "t", "duplicate": True}),
        ]
    )
    assert audit.post_event({"eventid": "mine"})["duplicate"] is True
    assert [sent(call)["eventid"] for call in route.calls] == ["mine", "mine", "mine"]


def test_a_refusal_is_an_api_error_with_every_problem_and_is_not_retried(
    api: respx.MockRouter, audit: AuditClient
) -> None:
    errors = [
        {"field": "requestorip", "message": "must be an IPv4 or IPv6 address"},
        {"field": "eventtype", "message": "must be one of the allowed values; got 'X'"},
    ]
    body = {"status": 400, "errorcode": "ValidationError", "message": "event failed validation",
            "retryable": False, "errors": errors}  # fmt: skip
    route = api.post(f"{URL}/v1/events").respond(400, json=body)
    with pytest.raises(ApiError) as caught:
        audit.post_event({"eventtype": "X"})
    assert route.call_count == 1
    error = caught.value
    assert (error.status, error.errorcode, error.errors, error.retryable) == (400, "ValidationError", errors, False)
    assert str(error) == (
        "POST /v1/events: 400 ValidationError: requestorip: must be an IPv4 or IPv6 address; "
        "eventtype: must be one of the allowed values; got 'X'"
    )


def test_5xx_without_retryable_is_not_retried_and_429_gives_up_after_the_attempts(
    api: respx.MockRouter, audit: AuditClient
) -> None:
    route = api.get(f"{URL}/v1/events/e1").respond(502, json={"message": "Internal server error"})
    with pytest.raises(ApiError) as caught:
        audit.get_event("e1")
    assert (route.call_count, caught.value.status) == (1, 502)
    throttled = api.get(f"{URL}/v1/events/e2").respond(429, json={"message": "Too Many Requests"})
    with pytest.raises(ApiError) as caught:
        audit.get_event("e2")
    assert (throttled.call_count, caught.value.status) == (NO_WAIT.attempts, 429)


def test_unreachable_api_is_a_transport_error(audit: AuditClient, api: respx.MockRouter) -> None:
    api.get(f"{URL}/v1/events/e1").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(TransportError, match=r"cannot reach https://audit.example.com/prod/v1/events/e1: refused"):
        audit.get_event("e1")


def test_split_respects_500_events_and_4_mib_exactly() -> None:
    small = [(n, b'{"n":%d}' % n) for n in range(1201)]
    assert [len(batch.parts) for batch in split(small)] == [500, 500, 201]
    part = b'"' + b"x" * (1024 * 1024 - 3) + b'"'  # 1 MiB - 1 byte each
    batches = list(split((n, part) for n in range(9)))
    assert [len(batch.parts) for batch in batches] == [3, 3, 3]  # 4 would be 4 MiB + envelope
    assert all(len(batch.body()) <= MAX_BYTES for batch in batches)
    assert [position for batch in batches for position in batch.positions] == list(range(9))
    assert json.loads(batches[0].body()) == {"events": ["x" * (1024 * 1024 - 3)] * 3}


def test_post_events_batches_any_iterable_and_reports_each_event_in_order(
    api: respx.MockRouter, audit: AuditClient
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        events = json.loads(request.content)["events"]
        result = accepted(events)
        # The second event of every batch is refused, with its field error.
        refused = result["successful"].pop(1)
        result["failed"].append({"index": refused["index"], "status": 400, "errorcode": "ValidationError",
                                 "message": "event failed validation", "retryable": False,
                                 "errors": [{"field": "timestamp", "message": "too old"}]})  # fmt: skip
        return httpx.Response(200, json=result)

    route = api.post(f"{URL}/v1/events/batch").mock(side_effect=answer)
    progress: list[int] = []
    events = ({"n": n} for n in range(1203))  # a generator: read lazily
    results = list(audit.post_events(events, on_batch=progress.append))
    assert [len(sent(call)["events"]) for call in route.calls] == [500, 500, 203]
    assert progress == [500, 500, 203]
    assert [result.index for result in results] == list(range(1203))
    refused = [result for result in results if not result.ok]
    assert [result.index for result in refused] == [1, 501, 1001]
    assert refused[0].describe() == "ValidationError (400): timestamp: too old"
    assert refused[0].eventid == sent(route.calls[0])["events"][1]["eventid"]
    ids = [result.eventid for result in results]
    assert len(set(ids)) == 1203 and all(uuid.UUID(eventid).version == 7 for eventid in ids)


def test_post_batch_retries_exactly_the_retryable_items(api: respx.MockRouter, audit: AuditClient) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        events = json.loads(request.content)["events"]
        if len(events) == 3:  # first attempt: index 1 failed to deliver, index 2 is invalid
            result = accepted(events[:1])
            result["failed"] = [
                {"index": 1, "status": 503, "errorcode": "DeliveryFailed", "message": "retry", "retryable": True},
                {"index": 2, "status": 400, "errorcode": "ValidationError", "message": "bad", "retryable": False},
            ]
            return httpx.Response(200, json=result)
        return httpx.Response(200, json=accepted(events))

    route = api.post(f"{URL}/v1/events/batch").mock(side_effect=answer)
    events = [{"eventid": f"id-{n}"} for n in range(3)]
    result = audit.post_batch(events)
    assert [[event["eventid"] for event in sent(call)["events"]] for call in route.calls] == [
        ["id-0", "id-1", "id-2"],
        ["id-1"],
    ]
    assert [(item["index"], item["eventid"]) for item in result["successful"]] == [(0, "id-0"), (1, "id-1")]
    assert [(item["index"], item["errorcode"]) for item in result["failed"]] == [(2, "ValidationError")]


def test_post_batch_reports_items_still_retryable_after_the_last_attempt(
    api: respx.MockRouter, audit: AuditClient
) -> None:
    failed = {"index": 0, "status": 503, "errorcode": "DeliveryFailed", "message": "retry", "retryable": True}
    route = api.post(f"{URL}/v1/events/batch").respond(503, json={"successful": [], "failed": [failed]})
    result = audit.post_batch([{"eventid": "id-0"}])
    assert route.call_count == NO_WAIT.attempts
    assert result == {"successful": [], "failed": [failed]}


def test_a_refused_envelope_raises(api: respx.MockRouter, audit: AuditClient) -> None:
    api.post(f"{URL}/v1/events/batch").respond(
        413, json={"message": "request body is 5000000 bytes; the limit is 4194304"}
    )
    with pytest.raises(ApiError, match="413 Error: request body is 5000000 bytes"):
        audit.post_batch([{"n": 1}])
    with pytest.raises(AuditError, match="a batch holds 1 to 500 events, not 501"):
        audit.post_batch([{}] * 501)


def test_iter_events_follows_next_with_the_same_filter(api: respx.MockRouter, audit: AuditClient) -> None:
    pages = {
        None: {"events": [{"eventid": "a"}, {"eventid": "b"}], "next": "c1"},
        "c1": {"events": [{"eventid": "c"}], "next": "c2"},
        "c2": {"events": [], "next": None},
    }
    route = api.get(f"{URL}/v1/events").mock(
        side_effect=lambda request: httpx.Response(200, json=pages[request.url.params.get("cursor")])
    )
    found = list(audit.iter_events(initiatorsystemcode="CRM_WEB", requestorid="u-1", from_=1000, limit=2))
    assert [event["eventid"] for event in found] == ["a", "b", "c"]
    params = [dict(call.request.url.params) for call in route.calls]
    base = {"initiatorsystemcode": "CRM_WEB", "requestorid": "u-1", "from": "1000", "limit": "2"}
    assert params == [base, {**base, "cursor": "c1"}, {**base, "cursor": "c2"}]


def test_get_and_proof_quote_the_id_and_pass_the_initiator(api: respx.MockRouter, audit: AuditClient) -> None:
    event = api.get(f"{URL}/v1/events/a%2Fb").respond(200, json={"eventid": "a/b"})
    api.get(f"{URL}/v1/events/e1/proof").respond(409, json={"errorcode": "NotSealedYet", "message": "at 10:00"})
    assert audit.get_event("a/b", "CRM_WEB") == {"eventid": "a/b"}
    assert event.calls.last.request.url.params["initiatorsystemcode"] == "CRM_WEB"
    with pytest.raises(ApiError, match="409 NotSealedYet: at 10:00"):
        audit.get_proof("e1")


def test_export_round_trip_downloads_without_the_api_key(
    api: respx.MockRouter, audit: AuditClient, tmp_path: Path
) -> None:
    created = api.post(f"{URL}/v1/exports").respond(202, json={"exportid": "x1", "status": "pending"})
    ready = {"exportid": "x1", "status": "ready", "format": "ndjson", "rowcount": 2,
             "url": "https://bucket.example.com/data?sig=1", "manifesturl": "https://bucket.example.com/manifest?sig=2",
             "expiresat": "2026-11-29T00:00:00Z"}  # fmt: skip
    api.get(f"{URL}/v1/exports/x1").mock(
        side_effect=[httpx.Response(200, json={"exportid": "x1", "status": "pending"}), httpx.Response(200, json=ready)]
    )
    data = api.get("https://bucket.example.com/data").respond(200, content=b'{"a":1}\n{"a":2}\n')
    api.get("https://bucket.example.com/manifest").respond(200, content=b'{"rowcount":2}')
    answer = audit.export(tmp_path / "out.ndjson", tmp_path / "out.manifest.json", interval=0, requestorid="u-1")
    assert answer == ready
    assert sent(created.calls.last) == {"format": "ndjson", "requestorid": "u-1"}
    assert (tmp_path / "out.ndjson").read_bytes() == b'{"a":1}\n{"a":2}\n'
    assert (tmp_path / "out.manifest.json").read_bytes() == b'{"rowcount":2}'
    assert "x-api-key" not in data.calls.last.request.headers
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.manifest.json", "out.ndjson"]


def test_export_waiter_raises_on_failure_and_on_timeout(api: respx.MockRouter, audit: AuditClient) -> None:
    api.get(f"{URL}/v1/exports/bad").respond(
        200, json={"exportid": "bad", "status": "failed", "error": "too many rows"}
    )
    with pytest.raises(ExportFailed, match="export bad failed: too many rows"):
        audit.wait_for_export("bad")
    api.get(f"{URL}/v1/exports/slow").respond(200, json={"exportid": "slow", "status": "pending"})
    now = [0.0]
    with pytest.raises(WaitTimeout, match="export slow is still pending after 10 s"):
        audit.wait_for_export("slow", timeout=10, interval=3, sleep=lambda s: now.__setitem__(0, now[0] + s),
                              clock=lambda: now[0])  # fmt: skip
    assert now[0] == 9


def test_a_failed_download_leaves_no_file(api: respx.MockRouter, audit: AuditClient, tmp_path: Path) -> None:
    api.get("https://bucket.example.com/data").respond(403, text="<Error>AccessDenied</Error>")
    ready = {"exportid": "x", "status": "ready", "url": "https://bucket.example.com/data?s=1",
             "manifesturl": "https://bucket.example.com/m"}  # fmt: skip
    with pytest.raises(ApiError, match=r"GET https://bucket\.example\.com/data: 403"):
        audit.download_export(ready, tmp_path / "d", tmp_path / "m")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
