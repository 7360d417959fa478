"""The hot-path shortcuts answer exactly what the full checks answer, and write exactly the same bytes."""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit_shared import jsonio, validation
from audit_shared.events import canonical_bytes, enrich, enriched_line, ndjson_line
from audit_shared.ids import new_event_id
from audit_shared.schema import load_schema
from audit_shared.validation import EPOCH_2000_MS, EventPolicy, validate_event
from support import example_events

NOW_MS = 1_800_000_000_000
POLICY = EventPolicy(allowed_initiators=frozenset({"CRM_WEB", "CRM_MBL", "ERP_WEB"}))
EXAMPLES = example_events()
FIELDS = [*sorted(load_schema()["properties"]), "unknownfield"]

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.sampled_from([0, 946_684_799_999, 946_684_800_000, NOW_MS, NOW_MS + 300_001, 2**63, 1.5e12, 1e300]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["946684799999", "946684800000", "0946684800000", "1800000000000", "1800000000000\n"]),
    st.sampled_from(["192.0.2.1", "2001:db8::1", "01.2.3.4", "::ffff:1.2.3.4", "fe80::1%eth0", "CRM_WEB", "NOPE"]),
    st.sampled_from(["LOGIN_FAILED", "ROLE_ASSIGNED", "DOCUMENT_DELETED", "1", "2026-03-05T10:00:01.000Z"]),
    st.just("x" * 70_000),
    st.dictionaries(st.sampled_from(["a", "b.c", "1x", "country", "latitude"]), st.one_of(st.floats(), st.text())),
)
edits = st.lists(
    st.tuples(st.sampled_from(FIELDS), st.one_of(st.just(KeyError), values)),
    max_size=4,
)


@settings(max_examples=1500, deadline=None)
@given(name=st.sampled_from(sorted(EXAMPLES)), changes=edits)
def test_the_fast_path_agrees_with_the_full_checks(name: str, changes: list[tuple[str, Any]]) -> None:
    event = copy.deepcopy(EXAMPLES[name])
    for field, value in changes:
        if value is KeyError:
            event.pop(field, None)
        else:
            event[field] = value
    fast = validate_event(event, POLICY, NOW_MS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validation, "_surely_valid", lambda *_: False)
        full = validate_event(event, POLICY, NOW_MS)
    assert fast == full


def test_the_core_schema_leaves_out_only_the_per_type_clauses() -> None:
    schema = load_schema()
    assert validation._core_schema == {key: value for key, value in schema.items() if key != "allOf"}
    assert validation._required_by_type["ROLE_ASSIGNED"] == {"rolename", "affecteduserid"}
    assert validation._required_by_type["DOCUMENT_DELETED"] == {"documentid"}
    assert validation._core_checks_epoch_floor


@settings(max_examples=2000)
@given(number=st.integers(min_value=1, max_value=10**14))
def test_the_epoch_floor_pattern_is_the_numeric_comparison(number: int) -> None:
    pattern = re.compile(validation._digits_at_least(EPOCH_2000_MS))
    assert bool(pattern.fullmatch(str(number))) == (number >= EPOCH_2000_MS)


@pytest.mark.parametrize(
    "document",
    [b'{"b": 1, "a": "x:y"}', b'{"a": [1, 2.5, {"c": null}]}', b'"text"', b'{"k": "\\u00e9\\n"}', b"1e300\n"],
)
def test_loads_canonical_returns_the_canonical_form_of_what_it_parsed(document: bytes) -> None:
    value, written = jsonio.loads_canonical(document)
    assert value == jsonio.loads(document) and written == jsonio.canonical(value)


@pytest.mark.parametrize("name", ["LOGIN_SUCCESSFUL", "SESSION_REFRESH", "DOCUMENT_UPLOAD_COMPLETED"])
def test_enriched_line_is_the_line_of_the_enriched_event(name: str) -> None:
    event = EXAMPLES[name]
    enriched, line = enriched_line(event, canonical_bytes(event), received_ms=NOW_MS)
    assert line == ndjson_line(enriched)
    assert {"eventid", "receivedat", "schemaversion"} <= enriched.keys()
    # An event that already went through enrich is archived from its canonical bytes as they are.
    again, same_line = enriched_line(enriched, canonical_bytes(enriched), received_ms=NOW_MS + 1)
    assert again is enriched and same_line == line == ndjson_line(enrich(enriched, received_ms=NOW_MS + 1))


def test_event_ids_from_the_random_pool_are_distinct_uuid7_with_the_given_time() -> None:
    ids = [new_event_id(NOW_MS) for _ in range(3000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 7 and parsed.variant == uuid.RFC_4122
        assert parsed.int >> 80 == NOW_MS
