"""The strict JSON layer, and the promise built on it: no archived or indexed text holds NaN or Infinity."""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit_shared import jsonio
from audit_shared.events import canonical_json, enrich, ndjson_line
from audit_shared.index import index_item
from audit_shared.validation import EventPolicy, FieldError, validate_event
from support import RECORD_KEY, example_events
from transformation.records import Transformed, transform

POLICY = EventPolicy(allowed_initiators=frozenset({"CRM_WEB", "CRM_MBL", "ERP_WEB"}))
NOW_MS = 1_800_000_000_000
EVENT = {**example_events()["LOGIN_FAILED"], "timestamp": NOW_MS - 60_000}


def strict_parse(text: str | bytes) -> Any:
    """What Athena, jq and most SIEMs do: NaN, Infinity and -Infinity tokens are errors."""

    def refuse(token: str) -> Any:
        raise AssertionError(f"non-standard JSON token {token} in {text!r}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    "document, reason",
    [
        (b'{"a": NaN}', "NaN, Infinity and -Infinity are not JSON numbers"),
        (b"[-Infinity]", "NaN, Infinity and -Infinity are not JSON numbers"),
        (b'{"a": -9223372036854775809}', "integer -9223372036854775809 does not fit in 64 bits"),
        (b"[" * 9 + b"]" * 9, "nesting is deeper than 8 levels"),
        (b'{"a": {"b": 1, "b": 2}}', "duplicate key 'b'"),
        (b'{"a": "x:", "a": "y"}', "duplicate key 'a'"),
        (b'{"a\\u003a": 1, "a\\u003a": 2}', "duplicate key 'a:'"),
        (b'"\xed\xa0\x80"', "invalid UTF-8 byte at position 1"),
        (b"\xef\xbb\xbf{}", "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"),
        ("[1,]", "Illegal trailing comma before end of array: line 1 column 3 (char 2)"),
    ],
)
def test_loads_refuses_with_a_reason(document: bytes | str, reason: str) -> None:
    with pytest.raises(jsonio.JSONError) as refused:
        jsonio.loads(document)
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    "document, value",
    [
        (b'{"t": "12:00:01", "ip": "2001:db8::42", "n": 18446744073709551615}', {"t": "12:00:01", "ip": "2001:db8::42", "n": 2**64 - 1}),
        (b'{"a": 1e19, "b": -9223372036854775808}', {"a": 1e19, "b": -(2**63)}),
        (b'{"a:b" : {"c" :"d"}}', {"a:b": {"c": "d"}}),
        (b'{"a\\u003a": "\\u003a", "b": 1}', {"a:": ":", "b": 1}),
        (b"[" * 8 + b"]" * 8, [[[[[[[[]]]]]]]]),
    ],
)  # fmt: skip
def test_loads_accepts_strict_json_that_merely_looks_suspicious(document: bytes, value: Any) -> None:
    assert jsonio.loads(document) == value


def test_canonical_form_is_sorted_compact_utf8() -> None:
    assert jsonio.canonical({"b": [1, 2.5], "a": "é€"}) == '{"a":"é€","b":[1,2.5]}'.encode()
    assert canonical_json({"b": 1, "a": None}) == '{"a":null,"b":1}'
    with pytest.raises(jsonio.JSONError):
        jsonio.canonical({"n": 2**64})


def test_validation_refuses_non_finite_numbers() -> None:
    event = {**EVENT, "details": {"score": math.nan, "limit": math.inf, "ok": 1.5}, "location": {"latitude": math.nan}}
    assert validate_event(event, POLICY, NOW_MS) == [
        FieldError("details.limit", "must be a finite number"),
        FieldError("details.score", "must be a finite number"),
        FieldError("location.latitude", "must be a finite number"),
    ]


detail_values = st.one_of(
    st.floats(),  # NaN, Infinity and -Infinity included
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=20),
    st.booleans(),
    st.none(),
    st.sampled_from(["NaN", "Infinity", "-Infinity"]),  # as strings they are fine, and must stay strings
)
details = st.dictionaries(st.from_regex(r"\A[A-Za-z][A-Za-z0-9_]{0,8}\Z"), detail_values, max_size=6)


def _non_finite(values: dict[str, Any]) -> bool:
    return any(isinstance(value, float) and not math.isfinite(value) for value in values.values())


@settings(max_examples=300, deadline=None)
@given(details=details)
def test_ingestion_never_archives_or_indexes_nan_or_infinity(details: dict[str, Any]) -> None:
    """What ingestion.service does with an event that passed validation: one text, archived and indexed."""
    event = {**EVENT, "details": details}
    errors = validate_event(event, POLICY, NOW_MS)
    if _non_finite(details):
        assert errors, "a non-finite number must be refused"
    if errors:
        return
    enriched = enrich(event, received_ms=NOW_MS)
    text = canonical_json(enriched)
    item = index_item(enriched, NOW_MS, 30, text)
    assert strict_parse(text)["details"] == details
    assert strict_parse(item["event"]["S"]) == strict_parse(ndjson_line(enriched))


@settings(max_examples=300, deadline=None)
@given(details=details)
def test_transformation_never_archives_nan_or_infinity(details: dict[str, Any]) -> None:
    """A direct producer may send anything Python's json writes, NaN included; none of it is archived."""
    record = base64.b64encode(json.dumps({**EVENT, "details": details}).encode()).decode()
    outcome = transform(record, NOW_MS, POLICY, NOW_MS, RECORD_KEY)
    if _non_finite(details):
        assert not isinstance(outcome, Transformed)
    if isinstance(outcome, Transformed):
        assert outcome.line.endswith(b"\n") and outcome.line.count(b"\n") == 1
        assert strict_parse(outcome.line)["details"] == details
