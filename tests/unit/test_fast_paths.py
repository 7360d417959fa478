"""The hot-path shortcuts answer exactly what the full checks answer, and write exactly the same bytes."""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import re
import uuid
from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit_shared import ids, jsonio, typed_epochs, typed_events, validation
from audit_shared.access import parse_clients
from audit_shared.clock import iso_utc, iso_utc_each
from audit_shared.events import EPOCH_MILLIS_FIELDS, enrich
from audit_shared.ids import new_event_id, new_event_ids, new_event_ids_at
from audit_shared.index import index_item
from audit_shared.record_frames import frame
from audit_shared.schema import load_schema
from audit_shared.validation import EPOCH_2000_MS, EventPolicy, validate_event
from ingestion import typed_batch
from ingestion.candidates import Candidate
from ingestion.http import RequestError, batch_events, parse_body
from ingestion.service import Caller, Settings, prepare
from support import RECORD_KEY, example_events
from transformation import direct_batch, records

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


def test_event_ids_from_the_random_pool_are_distinct_uuid7_with_the_given_time() -> None:
    ids = [new_event_id(NOW_MS) for _ in range(3000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 7 and parsed.variant == uuid.RFC_4122
        assert parsed.int >> 80 == NOW_MS


@pytest.mark.parametrize("count", [0, 1, 500, 4096])
def test_the_server_ids_of_one_request_are_distinct_ordered_uuid7_with_the_given_time(count: int) -> None:
    ids = new_event_ids(count, NOW_MS)
    assert len(set(ids)) == count and ids == sorted(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 7 and parsed.variant == uuid.RFC_4122
        assert parsed.int >> 80 == NOW_MS
    # Two requests in the same millisecond draw different random bits.
    assert not set(ids) & set(new_event_ids(count, NOW_MS)) or count == 0
    with pytest.raises(ValueError):
        new_event_ids(4097, NOW_MS)


# The typed decoder (audit_shared.typed_events) on raw bytes: the transformation's happy path.
ARRIVAL_MS = NOW_MS - 5_000
FIXED_ID = "01900000-0000-7000-8000-000000000000"
SERVER_VALUES = {
    "eventid": st.sampled_from(
        [FIXED_ID, "01900000-0000-7000-8000-00000000000", "0190000000007000800000000000000g", "x"]
    ),
    "receivedat": st.sampled_from(
        [
            "2026-03-05T10:00:01.000Z",
            "2026-02-29T10:00:01Z",
            "2024-02-29T00:00:00Z",
            "2026-04-31T10:00:01Z",
            "2026-03-05T24:00:00Z",
            "2026-03-05T10:00:60Z",
            "2026-03-05 10:00:01Z",
            "2026-03-05T10:00:01+01:00",
            "2026-03-05T10:00:01.000Z\n",
            "0000-01-01T00:00:00Z",
            "2026-12-31T23:59:59.123456789Z",
        ]
    ),
    "schemaversion": st.sampled_from(["1", "2", 1]),
    "apikeyid": st.sampled_from(["key-1", ""]),
}
ip_values = st.one_of(
    st.ip_addresses().map(str),
    st.ip_addresses(v=6).map(lambda address: address.exploded),
    st.sampled_from(["1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7", "1::2::3", "1:2:3:4:5:6:7:8:9", "::", "1.2.3.4.5",
                     "256.1.1.1", "1.2.3", "::ffff:1.2.3.4", "FE80::1", "12345::", "1.2.3.04", " 1.2.3.4"]),
)  # fmt: skip
float_values = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e16, -1e16, 9999999999999998.0, 1e15, 1e-7, 5e-324, -0.0, 0.1, 45.0, 90.0, 90.5]),
)
# Keys of details the contract takes and keys it refuses (checked after decoding, through a memo).
DETAIL_KEYS = ["a", "b.c", "score", "Z9_.-", "1x", "a b", "", "x" * 65, "é", "a\n", "_a"]
raw_edits = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(FIELDS), st.one_of(st.just(KeyError), values)),
        st.tuples(st.sampled_from(["requestorip", "sourceip"]), ip_values),
        st.tuples(st.sampled_from(sorted(SERVER_VALUES)), st.one_of(*SERVER_VALUES.values())),
        st.tuples(st.just("details"), st.dictionaries(st.sampled_from(DETAIL_KEYS), float_values)),
        st.tuples(st.just("location"), st.fixed_dictionaries({"latitude": float_values, "city": st.just("Rome")})),
        st.tuples(st.sampled_from(["sessionstarttime", "otpexpirationtime", "timestamp"]),
                  st.sampled_from(["946684800000", "1800000000000", "99999999999999", 1800000000000])),
    ),
    max_size=4,
)  # fmt: skip
WRITERS = {
    "orjson": orjson.dumps,
    "spaced": lambda event: json.dumps(event, allow_nan=True).encode(),
    "ascii": lambda event: json.dumps(event, ensure_ascii=True, allow_nan=True, indent=1).encode() + b"\n",
    "duplicate": lambda event: orjson.dumps(event)[:-1] + b',"requestorid":"u-dup"}',
    "duplicate_same": lambda event: orjson.dumps(event)[:-1] + b',"eventtype":' + orjson.dumps(event.get("eventtype")) + b"}",
}  # fmt: skip


@pytest.fixture
def fixed_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same event id for both paths (the same for every input, which the test does not mind)."""
    from audit_shared import events

    monkeypatch.setattr(records, "new_event_id", lambda _ms: FIXED_ID)
    monkeypatch.setattr(events, "new_event_id", lambda _ms: FIXED_ID)


def _edited(name: str, changes: list[tuple[str, Any]]) -> dict[str, Any]:
    """A catalog event of a minute ago with the changes applied (KeyError: the field removed)."""
    event = copy.deepcopy(EXAMPLES[name])
    event["timestamp"] = NOW_MS - 60_000
    for field, value in changes:
        if value is KeyError:
            event.pop(field, None)
        else:
            event[field] = value
    return event


def _raw(event: dict[str, Any], writer: str) -> bytes | None:
    try:
        return WRITERS[writer](event)
    except (TypeError, ValueError):  # orjson refuses big integers and NaN; that is the strict parser's test
        return None


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(EXAMPLES)), changes=raw_edits, writer=st.sampled_from(sorted(WRITERS)))
def test_the_typed_transform_agrees_with_the_full_transform(
    fixed_ids: None, name: str, changes: list[tuple[str, Any]], writer: str
) -> None:
    raw = _raw(_edited(name, changes), writer)
    if raw is None:
        return
    fast = records._typed_transform(raw, ARRIVAL_MS, POLICY, NOW_MS)
    full = records._transform(raw, ARRIVAL_MS, POLICY, NOW_MS)
    if fast is not None:
        assert fast == full


@pytest.mark.parametrize("writer", ["orjson", "spaced"])
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_catalog_event_takes_the_typed_path_with_the_same_line(fixed_ids: None, name: str, writer: str) -> None:
    event = dict(EXAMPLES[name], timestamp=NOW_MS - 60_000)
    raw = WRITERS[writer](event)
    fast = records._typed_transform(raw, ARRIVAL_MS, POLICY, NOW_MS)
    assert fast is not None and fast == records._transform(raw, ARRIVAL_MS, POLICY, NOW_MS)
    # As the API would have enriched it, but sent straight to Firehose without the API's frame: refused.
    enriched = enrich(event, received_ms=ARRIVAL_MS, source_ip="2001:db8::1", api_key_id="key-1")
    assert records._typed_transform(orjson.dumps(enriched), ARRIVAL_MS, POLICY, NOW_MS) is None
    refused = records._transform(orjson.dumps(enriched), ARRIVAL_MS, POLICY, NOW_MS)
    assert isinstance(refused, records.Failed) and "apikeyid: is set by the server" in refused.reason


def test_the_typed_decoder_is_generated_from_the_schema() -> None:
    assert validation.TYPED is not None
    assert validation.TYPED.event_type.__struct_fields__ == tuple(sorted(load_schema()["properties"]))
    assert set(validation.TYPED.deferred) == {"initiatorsystemcode", "requestorip", "details"}
    # Senders may not set the server fields: the decoder refuses each of them, whatever its value.
    for field, value in [("receivedat", "2026-03-05T10:00:01.000Z"), ("sourceip", "192.0.2.1"),
                         ("apikeyid", "key-1"), ("schemaversion", "1")]:  # fmt: skip
        with pytest.raises(typed_events.ValidationError):
            validation.TYPED.decode(orjson.dumps(dict(EXAMPLES["LOGIN_SUCCESSFUL"], **{field: value})))
    # A keyword the generator does not know leaves every event to the full checks.
    schema = copy.deepcopy(validation._core_schema)
    schema["properties"]["requestorid"]["multipleOf"] = 2
    assert typed_events.build(schema, validation._digits_at_least(EPOCH_2000_MS)) is None


def test_the_keys_of_details_are_checked_through_a_memo_of_good_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "_good_detail_keys", set())
    assert validation._detail_keys_ok({"score": 1, "b.c": 2})
    assert validation._good_detail_keys == {"score", "b.c"}
    # A bad key fails the lot and is not remembered; the good keys beside it are not either.
    assert not validation._detail_keys_ok({"new", "1x"})
    assert validation._good_detail_keys == {"score", "b.c"}
    typed = validation.TYPED.decode(orjson.dumps(dict(EXAMPLES["LOGIN_SUCCESSFUL"], details={"a b": 1})))
    assert not validation.typed_valid(typed, POLICY, NOW_MS)
    assert not validation.typed_all_valid([typed], POLICY, NOW_MS, POLICY.allowed_initiators, NOW_MS)
    # The memo is bounded: full, it starts again.
    monkeypatch.setattr(validation, "_MEMO_SIZE", 3)
    assert validation._detail_keys_ok(["k1", "k2"])
    assert validation._good_detail_keys == {"k1", "k2"}


@settings(max_examples=3000, deadline=None)
@given(address=ip_values)
def test_the_typed_ip_pattern_accepts_only_what_the_schema_accepts(address: str) -> None:
    pattern = validation.TYPED.deferred["requestorip"]
    if pattern.search(address):
        assert validation._native_validator.is_valid(dict(EXAMPLES["LOGIN_SUCCESSFUL"], requestorip=address))


@settings(max_examples=2000, deadline=None)
@given(moment=st.datetimes(), digits=st.integers(min_value=0, max_value=9), zone=st.sampled_from(["Z", "+00:00", ""]))
def test_the_typed_date_time_pattern_accepts_only_what_the_schema_accepts(moment: Any, digits: int, zone: str) -> None:
    text = moment.isoformat(timespec="microseconds")[: 20 + digits].rstrip(".") + zone
    decode = msgspec.json.Decoder(validation.TYPED.event_type.__annotations__["receivedat"]).decode
    try:
        decode(orjson.dumps(text))
    except msgspec.ValidationError:
        return
    assert validation._native_validator.is_valid(dict(EXAMPLES["LOGIN_SUCCESSFUL"], receivedat=text))


@settings(max_examples=3000, deadline=None)
@given(
    details=st.dictionaries(
        st.from_regex(r"\A[A-Za-z][A-Za-z0-9_.-]{0,8}\Z"),
        st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), float_values, st.text(max_size=30)),
        max_size=6,
    )
)
def test_the_typed_encoder_writes_what_orjson_writes(details: dict[str, Any]) -> None:
    event = dict(EXAMPLES["LOGIN_SUCCESSFUL"], details=details)
    try:
        typed = validation.TYPED.decode(orjson.dumps(event))
    except msgspec.ValidationError:
        return  # out of the typed range (floats from 1e16 on): the full path writes those
    assert typed_events.encode(typed) == orjson.dumps(event, option=orjson.OPT_SORT_KEYS)


# --- ingestion: the typed batch path and the general path --------------------------------------

CALLER = Caller(api_key_id="key-crm", source_ip="2001:db8::7")
ACCESS = parse_clients(
    {"key-crm": {"client": "crm", "scopes": ["write"], "write": ["CRM_WEB", "CRM_MBL", "ERP_WEB"], "read": []}}
)
# The same key, allowed fewer initiators: its events for the others are refused (403) one by one.
NARROW = frozenset({"CRM_WEB", "ERP_WEB"})
SETTINGS = Settings(policy=POLICY, clients=ACCESS, stream_name="s", table_name="t", retention_days=30, claim_ms=120_000)


def _typed(body: bytes, batch: bool, writable: frozenset[str] | None = None) -> list[Candidate] | None:
    return typed_batch.prepare(
        body,
        batch=batch,
        policy=POLICY,
        writable=ACCESS["key-crm"].write_initiators if writable is None else writable,
        source_ip=CALLER.source_ip,
        api_key_id=CALLER.api_key_id,
        now_ms=NOW_MS,
    )


def _general(body: bytes, batch: bool) -> tuple[list[Candidate], list[Any]] | None:
    try:
        parsed = parse_body(body)
        return prepare(batch_events(parsed) if batch else [parsed], CALLER, SETTINGS, NOW_MS)
    except RequestError:
        return None


def _same(typed: list[Candidate], general: list[Candidate]) -> None:
    strip = [(c.index, c.initiator, c.eventid, c.receivedat, c.line, c.client_hash) for c in typed]
    assert strip == [(c.index, c.initiator, c.eventid, c.receivedat, c.line, c.client_hash) for c in general]
    assert [index_item(c.item_fields(), NOW_MS, 30, c.line[:-1].decode(), c.client_hash) for c in typed] == [
        index_item(c.item_fields(), NOW_MS, 30, c.line[:-1].decode(), c.client_hash) for c in general
    ]
    assert [c.partition() for c in typed] == [c.partition() for c in general]


@pytest.fixture
def fixed_batch_ids(fixed_ids: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(typed_batch, "new_event_ids", lambda count, _ms: [FIXED_ID] * count)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    batch=st.lists(st.tuples(st.sampled_from(sorted(EXAMPLES)), raw_edits), min_size=1, max_size=3),
    writer=st.sampled_from(sorted(WRITERS)),
    envelope=st.booleans(),
)
def test_the_typed_batch_agrees_with_the_general_path(
    fixed_batch_ids: None, batch: list[tuple[str, list[tuple[str, Any]]]], writer: str, envelope: bool
) -> None:
    raws = []
    for name, changes in batch:
        raw = _raw(_edited(name, changes), writer)
        if raw is None:
            return
        raws.append(raw)
    body = b'{"events":[' + b",".join(raws) + b"]}" if envelope else raws[0]
    typed = _typed(body, envelope)
    if typed is None:
        return
    general = _general(body, envelope)
    assert general is not None
    candidates, refused = general
    assert refused == []
    _same(typed, candidates)


@pytest.mark.parametrize("writer", ["orjson", "spaced"])
def test_a_batch_of_every_catalog_event_takes_the_typed_path(fixed_batch_ids: None, writer: str) -> None:
    events = [dict(EXAMPLES[name], timestamp=NOW_MS - 60_000) for name in sorted(EXAMPLES)]
    events[0]["eventid"] = str(uuid.uuid4())  # a client-chosen id: hashed for the idempotency claim
    body = b'{"events": [' + b", ".join(WRITERS[writer](event) for event in events) + b"]}"
    typed = _typed(body, True)
    assert typed is not None and len(typed) == len(EXAMPLES)
    candidates, refused = prepare(batch_events(parse_body(body)), CALLER, SETTINGS, NOW_MS)
    assert refused == []
    _same(typed, candidates)
    assert typed[0].client_hash is not None and typed[1].client_hash is None


@pytest.mark.parametrize("field", sorted(set(EPOCH_MILLIS_FIELDS) - {"timestamp"}))
def test_the_decoder_makes_the_other_epoch_fields_integers_and_refuses_what_the_contract_does(field: str) -> None:
    event = dict(EXAMPLES["LOGIN_FAILED"], timestamp=NOW_MS)
    for sent in (NOW_MS, str(NOW_MS), EPOCH_2000_MS, str(EPOCH_2000_MS)):
        typed = validation.TYPED.decode(orjson.dumps(dict(event, **{field: sent})))
        assert getattr(typed, field) == int(sent) and type(getattr(typed, field)) is int
        assert orjson.loads(typed_events.encode(typed))[field] == int(sent)
    refused = [EPOCH_2000_MS - 1, str(EPOCH_2000_MS - 1), "0" + str(NOW_MS), "+" + str(NOW_MS), " 1800000000000",
               "1.8e12", True, None, "", 10**13, str(10**13)]  # fmt: skip
    # 1.8e12 is an integer to the contract: the decoder leaves it to the full path, which takes it.
    for sent in [*refused, 1.8e12]:
        with pytest.raises(typed_events.ValidationError):
            validation.TYPED.decode(orjson.dumps(dict(event, **{field: sent})))
        assert bool(validate_event(dict(event, **{field: sent}), POLICY, NOW_MS)) is (sent in refused), sent


@pytest.mark.parametrize("writer", ["orjson", "spaced", "ascii"])
def test_every_epoch_field_sent_as_a_digit_string_is_made_an_integer_on_the_typed_path(
    fixed_batch_ids: None, writer: str
) -> None:
    stamp = NOW_MS - 60_000
    events = [dict(EXAMPLES["SESSION_REFRESH"], timestamp=stamp)]
    events += [dict(EXAMPLES["LOGIN_FAILED"], **{field: str(stamp)}) for field in EPOCH_MILLIS_FIELDS]
    events[1]["timestamp"] = str(stamp)
    body = b'{"events": [' + b", ".join(WRITERS[writer](event) for event in events) + b"]}"
    typed = _typed(body, True)
    assert typed is not None, "digit-string epochs must not push a batch off the typed path"
    for candidate, field in zip(typed[1:], EPOCH_MILLIS_FIELDS, strict=True):
        assert orjson.loads(candidate.line)[field] == stamp
    candidates, refused = prepare(batch_events(parse_body(body)), CALLER, SETTINGS, NOW_MS)
    assert refused == []
    _same(typed, candidates)


@pytest.mark.parametrize(
    "stamps",
    [
        [NOW_MS, NOW_MS - 5],
        [str(NOW_MS - 5), NOW_MS - 9],  # mixed: max() fails
        [str(NOW_MS - 5), str(NOW_MS + 10), str(NOW_MS - 900_000)],  # all strings: max() answers a string
        [str(9 * 10**12), str(10**13 - 1)],  # strings ordered as text and as numbers alike
        [str(10**12), str(999_999_999_999)],  # ... and not
        [],
    ],
)
def test_normalize_all_makes_each_timestamp_an_integer_and_answers_the_latest(stamps: list[int | str]) -> None:
    events = [
        validation.TYPED.decode(orjson.dumps(dict(EXAMPLES["LOGIN_FAILED"], timestamp=stamp))) for stamp in stamps
    ]
    assert typed_epochs.normalize_all(events) == max(map(int, stamps), default=0)
    assert [event.timestamp for event in events] == [int(stamp) for stamp in stamps]
    assert all(type(event.timestamp) is int for event in events)


@pytest.mark.parametrize(
    "change",
    [
        {"receivedat": "2026-03-05T10:00:01.000Z"},  # a server field
        {"initiatorsystemcode": "CRM_MBL"},  # allowed, but not for the narrow key
        {"requestorip": "999.1.1.1"},
        {"details": {"ok": 1, "1x": 2}},  # a key the contract's pattern refuses
    ],
)
def test_what_the_typed_batch_refuses_the_general_path_words(change: dict[str, Any]) -> None:
    events = [dict(EXAMPLES["LOGIN_FAILED"], timestamp=NOW_MS - 60_000), dict(EXAMPLES["LOGIN_FAILED"], **change)]
    body = orjson.dumps({"events": events})
    assert _typed(body, True, NARROW) is None
    narrow = parse_clients({"key-crm": {"client": "crm", "scopes": ["write"], "write": sorted(NARROW), "read": []}})
    narrowed = dataclasses.replace(SETTINGS, clients=narrow)
    candidates, refused = prepare(batch_events(parse_body(body)), CALLER, narrowed, NOW_MS)
    assert [c.index for c in candidates] == [0] and [r.index for r in refused] == [1]


# --- transformation: the records of one invocation as a batch, and one at a time -------------------

# Arrival times of one batch differ: the ids and receipt times must follow each record's own.
ARRIVALS = st.sampled_from([ARRIVAL_MS, ARRIVAL_MS + 1, ARRIVAL_MS + 7, ARRIVAL_MS - 86_400_000])
CATALOG_LINE = orjson.dumps(dict(EXAMPLES["LOGIN_FAILED"], timestamp=NOW_MS - 60_000))
OTHER_LINE = orjson.dumps(dict(EXAMPLES["ROLE_ASSIGNED"], timestamp=NOW_MS - 60_000))
# Records that a naive join could misalign: two events in one record (one line, or two), an empty
# or blank record, events cut in two, a trailing newline or two, framed and forged-frame records.
HOSTILE = [
    CATALOG_LINE + b" " + OTHER_LINE,
    CATALOG_LINE + b"\n" + OTHER_LINE,
    CATALOG_LINE + b"\n" + OTHER_LINE + b"\n",
    b"",
    b" ",
    b"\n",
    b"{}",
    CATALOG_LINE[:40],
    CATALOG_LINE[40:],
    CATALOG_LINE[:-1],
    b"}" + CATALOG_LINE[1:],
    CATALOG_LINE + b"\n",
    CATALOG_LINE + b"\n\n",
    CATALOG_LINE + b"\r\n",
    b" " + CATALOG_LINE,
    CATALOG_LINE[:-1] + b',"details":{"a":"}\n{"}}',
    frame(RECORD_KEY, CATALOG_LINE + b"\n", ("CRM_WEB", "LOGIN_FAILED", "2027", "01", "15")),
    frame(bytes(32), CATALOG_LINE + b"\n", ("CRM_WEB", "LOGIN_FAILED", "2027", "01", "15")),
    b"#aaas/1 CRM_WEB\n",
]
record_bodies = st.one_of(
    st.tuples(st.sampled_from(sorted(EXAMPLES)), raw_edits, st.sampled_from(sorted(WRITERS))).map(
        lambda drawn: _raw(_edited(drawn[0], drawn[1]), drawn[2])
    ),
    st.just(CATALOG_LINE),
    st.sampled_from(HOSTILE),
)


@pytest.fixture
def fixed_batch_record_ids(fixed_ids: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(direct_batch, "new_event_ids_at", lambda millis: [FIXED_ID] * len(millis))


def _firehose_data(raws: list[bytes]) -> list[str]:
    return [base64.b64encode(raw).decode() for raw in raws]


def _one_by_one(datas: list[str], arrivals: list[int]) -> list[Any]:
    return [
        records.transform(data, arrival, POLICY, NOW_MS, RECORD_KEY)
        for data, arrival in zip(datas, arrivals, strict=True)
    ]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    drawn=st.lists(st.tuples(record_bodies, ARRIVALS), min_size=1, max_size=7),
    chunk=st.sampled_from([1, 400, 1500, 256 * 1024]),
)
def test_the_batch_of_an_invocation_agrees_with_each_record_alone(
    fixed_batch_record_ids: None, monkeypatch: pytest.MonkeyPatch, drawn: list[tuple[bytes | None, int]], chunk: int
) -> None:
    monkeypatch.setattr(direct_batch, "CHUNK_BYTES", chunk)
    raws = [raw for raw, _ in drawn if raw is not None]
    arrivals = [arrival for raw, arrival in drawn if raw is not None]
    datas = _firehose_data(raws)
    assert direct_batch.transform_all(datas, arrivals, POLICY, NOW_MS, RECORD_KEY) == _one_by_one(datas, arrivals)


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("where", [0, 1, 3])
def test_a_hostile_record_in_a_batch_gets_the_answer_it_gets_alone(
    fixed_batch_record_ids: None, hostile: bytes, where: int
) -> None:
    raws = [CATALOG_LINE, OTHER_LINE, CATALOG_LINE]
    raws.insert(where, hostile)
    arrivals = [ARRIVAL_MS + n for n in range(len(raws))]
    datas = _firehose_data(raws)
    outcomes = direct_batch.transform_all(datas, arrivals, POLICY, NOW_MS, RECORD_KEY)
    assert outcomes == _one_by_one(datas, arrivals)
    # The others are archived as sent alone, each with its own arrival time.
    for index in {0, 1, 2, 3} - {where}:
        assert isinstance(outcomes[index], tuple) and not isinstance(outcomes[index], records.Failed)
        assert orjson.loads(outcomes[index][0])["receivedat"] == iso_utc(arrivals[index])


def test_a_batch_of_every_catalog_event_is_decoded_in_one_call(fixed_batch_record_ids: None) -> None:
    raws = [orjson.dumps(dict(EXAMPLES[name], timestamp=NOW_MS - 60_000)) for name in sorted(EXAMPLES)]
    arrivals = [ARRIVAL_MS + n % 3 for n in range(len(raws))]
    # Not vacuous: the batch path takes them all (and a trailing newline changes nothing).
    for written in (raws, [raw + b"\n" for raw in raws]):
        picked, joined = direct_batch._single_lines(written)
        assert picked in (None, list(range(len(raws))))
        batch = direct_batch._typed_batch(joined, arrivals, POLICY, NOW_MS, direct_batch._Partitions())
        assert batch is not None and batch == _one_by_one(_firehose_data(written), arrivals)
    # The events of a partition share one dict of partition keys (which nobody mutates).
    doubled = raws + raws
    batch = direct_batch._typed_batch(b"\n".join(doubled), arrivals * 2, POLICY, NOW_MS, direct_batch._Partitions())
    assert batch is not None
    assert all(batch[n][1] is batch[n + len(raws)][1] for n in range(len(raws)))


# An event cut between two members: each part alone is no JSON, the two joined by a newline are one.
_CUT = CATALOG_LINE.index(b',"eventtype"') + 1


@pytest.mark.parametrize(
    "shifting",
    [
        [CATALOG_LINE + b" " + OTHER_LINE, b""],  # two events in one record, none in the next
        [CATALOG_LINE + b" " + OTHER_LINE, b" "],
        [CATALOG_LINE + b"\n" + OTHER_LINE, b"\n"],
        [CATALOG_LINE[:_CUT], CATALOG_LINE[_CUT:], OTHER_LINE + b" " + OTHER_LINE],  # one event in two records
        [CATALOG_LINE[:_CUT] + b"\n", CATALOG_LINE[_CUT:], OTHER_LINE + b"\n" + OTHER_LINE],
    ],
)
def test_records_that_would_shift_events_between_records_get_their_own_answers(
    fixed_batch_record_ids: None, shifting: list[bytes]
) -> None:
    raws = [OTHER_LINE, *shifting, CATALOG_LINE]
    # As many values as records when joined: only the alignment guard keeps the events in place.
    assert len(msgspec.json.Decoder().decode_lines(b"\n".join(raws))) == len(raws)
    arrivals = [ARRIVAL_MS + n for n in range(len(raws))]
    datas = _firehose_data(raws)
    outcomes = direct_batch.transform_all(datas, arrivals, POLICY, NOW_MS, RECORD_KEY)
    assert outcomes == _one_by_one(datas, arrivals)
    assert [isinstance(outcome, records.Failed) for outcome in outcomes] == [False, *[True] * len(shifting), False]


@pytest.mark.parametrize(
    "joined,count,aligned",
    [
        (b"{a}\n{b}", 2, True),
        (b"{a} {b}\n{c}", 2, True),  # two values in one record: aligned, but the value count tells
        (b"{a}\n\n{b}", 3, False),  # an empty record
        (b"{a}\n{b\n}", 2, False),  # a newline inside a record
        (b"{a}\n{b}\n", 2, False),
        (b"{a},\n{b}", 2, False),
        (b"{a}\n,{b}", 2, False),
        (b"", 0, False),
        (b"}", 1, False),
    ],
)
def test_the_alignment_guard(joined: bytes, count: int, aligned: bool) -> None:
    bodies = joined.split(b"\n") if count else []
    assert direct_batch._aligned_join(bodies) == (joined if aligned else None)


@pytest.mark.parametrize("count", [0, 1, 4096, 4097, 9000])
def test_the_ids_of_a_batch_are_distinct_uuid7_with_each_records_time(count: int) -> None:
    millis = [NOW_MS + n % 3 for n in range(count)]
    ids = new_event_ids_at(millis)
    assert len(set(ids)) == count == len(ids)
    for text, ms in zip(ids, millis, strict=True):
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 7 and parsed.variant == uuid.RFC_4122
        assert parsed.int >> 80 == ms
    # Within a millisecond they are in the order given (in each run of 4096, which draws its own bits).
    same = [text for text, ms in zip(ids[:4096], millis, strict=False) if ms == NOW_MS]
    assert same == sorted(same)


@settings(max_examples=2000, deadline=None)
@given(millis=st.lists(st.integers(min_value=0, max_value=253_402_300_799_999), max_size=20))
def test_many_receipt_times_are_written_as_one_is(millis: list[int]) -> None:
    assert iso_utc_each(millis) == {ms: iso_utc(ms) for ms in millis}


@settings(max_examples=2000, deadline=None)
@given(millis=st.lists(st.integers(min_value=0, max_value=2**48 - 1), min_size=1, max_size=20))
def test_the_ids_of_a_batch_start_as_the_ids_of_one_millisecond_do(millis: list[int]) -> None:
    for ms, text in zip(millis, new_event_ids_at(millis), strict=True):
        assert text.startswith(ids._millis_prefix(ms)) and uuid.UUID(text).int >> 80 == ms
