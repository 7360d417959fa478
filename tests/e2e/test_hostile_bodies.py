"""Hostile request bodies against the local API: always a 4xx with a JSON body, never a 5xx, nothing stored.

A seeded hypothesis run draws at least 1,000 requests from the classes an attacker or a broken client
sends: broken JSON, NaN/Infinity, integers beyond 64 bits, deep nesting, invalid UTF-8 and UTF-16,
wrong content types, server-set fields, another tenant's initiator, oversized bodies and batches.
Every event in them carries a requestorid with this run's prefix, so the archive and the index can be
searched for anything that slipped through.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import local_stack
import rest
from support import example_events

pytestmark = [pytest.mark.localstack, pytest.mark.e2e]

RUN = f"fuzz-{uuid.uuid4().hex[:8]}"
TIMESTAMP = int(time.time() * 1000) - 60_000  # fixed for the run: hypothesis needs repeatable draws
CASES = 1100
SERVER_FIELDS = ("receivedat", "sourceip", "apikeyid", "schemaversion")
STATUSES: Counter[int] = Counter()
CLASSES: Counter[str] = Counter()


@dataclass(frozen=True)
class Hostile:
    kind: str
    path: str
    body: bytes
    content_type: str | None = "application/json"


@cache
def template() -> dict[str, Any]:
    return example_events()["LOGIN_SUCCESSFUL"]


def event(n: int, **changes: Any) -> dict[str, Any]:
    """A valid CRM_WEB event (for the CRM key) that only the change applied to it makes hostile."""
    base = copy.deepcopy(template())
    base.update(initiatorsystemcode="CRM_WEB", requestorid=f"{RUN}-{n}", timestamp=TIMESTAMP)
    base.update(changes)
    return base


def dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@st.composite
def hostile(draw: st.DrawFn) -> Hostile:
    n = draw(st.integers(min_value=0, max_value=999_999))
    kind = draw(
        st.sampled_from(
            [
                "broken-json", "nan", "huge-int", "deep-nesting", "invalid-utf8", "utf16", "content-type",
                "server-field", "foreign-tenant", "oversized-single", "oversized-batch", "too-many-events",
            ]
        )
    )  # fmt: skip
    valid = dumps(event(n))
    if kind == "broken-json":
        cut = draw(st.integers(min_value=0, max_value=len(valid) - 1))
        junk = draw(st.binary(max_size=8))
        return Hostile(kind, "/v1/events", valid[:cut] + junk)
    if kind == "nan":
        value = draw(st.sampled_from([float("nan"), float("inf"), float("-inf")]))
        where = draw(st.sampled_from(["details", "timestamp", "batch"]))
        if where == "details":
            return Hostile(kind, "/v1/events", dumps(event(n, details={"score": value})))
        if where == "timestamp":
            return Hostile(kind, "/v1/events", dumps(event(n, timestamp=value)))
        return Hostile(kind, "/v1/events/batch", dumps({"events": [event(n, details={"limit": value})]}))
    if kind == "huge-int":
        number = "9" * draw(st.sampled_from([20, 400, 5000]))
        field = draw(st.sampled_from(["timestamp", "details"]))
        placeholder = {"timestamp": {**event(n), "timestamp": 0}, "details": {**event(n), "details": {"n": 0}}}[field]
        token = b'"timestamp": 0' if field == "timestamp" else b'"n": 0'
        return Hostile(kind, "/v1/events", dumps(placeholder).replace(token, token[:-1] + number.encode()))
    if kind == "deep-nesting":
        depth = draw(st.sampled_from([9, 64, 5000]))
        body = dumps({**event(n), "details": {"x": 0}}).replace(b'{"x": 0}', json.dumps(nested(depth)).encode())
        return Hostile(kind, "/v1/events", body)
    if kind == "invalid-utf8":
        position = valid.index(RUN.encode())
        bad = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80"]))
        return Hostile(kind, "/v1/events", valid[:position] + bad + valid[position:])
    if kind == "utf16":
        codec = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "utf-32"]))
        return Hostile(kind, "/v1/events", valid.decode().encode(codec))
    if kind == "content-type":
        content_type = draw(
            st.sampled_from([None, "text/plain", "application/xml", "application/x-www-form-urlencoded"])
        )
        return Hostile(kind, "/v1/events", valid, content_type)
    if kind == "server-field":
        field = draw(st.sampled_from(SERVER_FIELDS))
        return Hostile(kind, "/v1/events", dumps(event(n, **{field: "forged"})))
    if kind == "foreign-tenant":
        path = draw(st.sampled_from(["/v1/events", "/v1/events/batch"]))
        foreign = event(n, initiatorsystemcode="ERP_WEB")
        return Hostile(kind, path, dumps(foreign if path == "/v1/events" else {"events": [foreign]}))
    if kind == "oversized-single":
        return Hostile(kind, "/v1/events", dumps(event(n, devicemodel="x" * (130 * 1024))))
    if kind == "oversized-batch":  # over 4 MiB
        return Hostile(kind, "/v1/events/batch", dumps({"events": [event(n, details={"pad": "y" * 1000})] * 4500}))
    return Hostile(kind, "/v1/events/batch", dumps({"events": [event(n)] * draw(st.sampled_from([501, 1000]))}))


def refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@pytest.fixture(scope="module")
def target(stack: dict[str, Any]) -> tuple[str, str]:
    return stack["api_local_url"], stack["api_keys"]["crm"]


@seed(20261129)
@settings(
    max_examples=CASES,
    deadline=None,
    derandomize=False,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(request=hostile())
def test_every_hostile_body_is_a_4xx_with_a_json_body(target: tuple[str, str], request: Hostile) -> None:
    url, api_key = target
    reply = rest.send(url, "POST", request.path, api_key, request.body, request.content_type)
    status, body = reply.status, reply.text
    STATUSES[status] += 1
    CLASSES[request.kind] += 1
    assert 400 <= status < 500, (request.kind, status, body[:300])
    # Strict JSON: the standard library would otherwise accept NaN and Infinity in an answer.
    assert isinstance(json.loads(body, parse_constant=refuse_constant), dict), (request.kind, body[:300])


def test_nothing_hostile_was_stored(stack: dict[str, Any]) -> None:
    total = sum(CLASSES.values())
    print(f"\nhostile requests: {total}; by class {dict(CLASSES)}; statuses {dict(STATUSES)}")
    assert total >= 1000 and len(CLASSES) == 12
    time.sleep(70)  # one Firehose buffer interval: whatever was accepted would be in S3 by now
    archived = [line for _, line in local_stack.archived_lines(stack["archive_bucket_name"]) if RUN in line]
    pages = (
        local_stack.client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=stack["index_table_name"],
            FilterExpression="begins_with(requestorid, :run)",
            ExpressionAttributeValues={":run": {"S": RUN}},
        )
    )
    indexed = [item for page in pages for item in page["Items"]]
    assert archived == [] and indexed == []
