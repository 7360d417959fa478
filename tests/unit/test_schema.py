"""The v1 event contract: the shipped examples, the catalog's coverage and every rule's exact errors."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest

from audit_shared.events import canonical_json, enrich, normalize
from audit_shared.ids import new_event_id
from audit_shared.index import index_item
from audit_shared.schema import SERVER_FIELDS, event_type_categories, event_types, field_names, load_schema
from audit_shared.validation import MAX_EVENT_BYTES, EventPolicy, validate_event
from support import example_events

NOW_MS = 1_800_000_000_000  # 2027-01-15T08:00:00Z, later than every example's timestamp
POLICY = EventPolicy(allowed_initiators=frozenset({"CRM_WEB", "CRM_MBL", "ERP_WEB"}))


def errors_of(event: Any, now_ms: int = NOW_MS) -> list[dict[str, str]]:
    return [error.to_dict() for error in validate_event(event, POLICY, now_ms)]


@pytest.fixture
def login() -> dict[str, Any]:
    return copy.deepcopy(example_events()["LOGIN_SUCCESSFUL"])


def test_one_example_per_event_type_and_every_example_is_valid() -> None:
    examples = example_events()
    assert sorted(examples) == sorted(event_types())
    assert len(examples) == 74
    for name, event in examples.items():
        assert event["eventtype"] == name
        assert errors_of(event) == [], name


def test_examples_cover_every_client_field_of_the_schema() -> None:
    used = set().union(*(event.keys() for event in example_events().values()))
    assert field_names() - SERVER_FIELDS - used == set()


def test_event_types_cover_the_three_catalog_categories() -> None:
    categories = event_type_categories()
    assert set(categories) == {"USER_ACCESS", "USER_ACCOUNT_MANAGEMENT", "DOCUMENTS"}
    assert (
        len(categories["USER_ACCESS"]),
        len(categories["USER_ACCOUNT_MANAGEMENT"]),
        len(categories["DOCUMENTS"]),
    ) == (
        29,
        15,
        30,
    )
    assert sorted(name for names in categories.values() for name in names) == sorted(event_types())


def test_schema_is_draft07_and_keeps_the_allow_list_out() -> None:
    schema = load_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["additionalProperties"] is False
    assert "enum" not in schema["properties"]["initiatorsystemcode"]


def test_every_violation_is_listed_with_its_field(login: dict[str, Any]) -> None:
    login.update(requestorip="300.1.1.1", timestamp="12", colour="red", devicetype="")
    del login["requestorid"]
    login["location"] = {"latitude": 91, "planet": "Mars"}
    assert errors_of(login) == [
        {"field": "colour", "message": "is not an allowed field"},
        {"field": "devicetype", "message": "must be longer than or equal to 1 characters"},
        {"field": "location.latitude", "message": "must be smaller than or equal to 90"},
        {"field": "location.planet", "message": "is not an allowed field"},
        {"field": "requestorid", "message": "is required"},
        {"field": "requestorip", "message": "must be an IPv4 or IPv6 address"},
        {"field": "timestamp", "message": "must be epoch milliseconds (integer or digit string) from 2000-01-01 on"},
    ]


def test_not_an_object() -> None:
    assert errors_of(["LOGIN_SUCCESSFUL"]) == [{"field": "", "message": "event must be a JSON object"}]


@pytest.mark.parametrize("address", ["203.0.113.24", "2001:db8:85a3::8a2e:370:7334", "::1", "::ffff:192.0.2.1"])
def test_ipv4_and_ipv6_are_accepted(login: dict[str, Any], address: str) -> None:
    login["requestorip"] = address
    assert errors_of(login) == []


@pytest.mark.parametrize("address", ["256.0.0.1", "2001:db8::g", "localhost", "1.2.3"])
def test_bad_addresses_are_refused(login: dict[str, Any], address: str) -> None:
    login["requestorip"] = address
    assert errors_of(login) == [{"field": "requestorip", "message": "must be an IPv4 or IPv6 address"}]


@pytest.mark.parametrize("offset_ms, accepted", [(4 * 60_000, True), (5 * 60_000, True), (5 * 60_000 + 1, False)])
@pytest.mark.parametrize("as_string", [False, True])
def test_timestamp_at_most_five_minutes_ahead(
    login: dict[str, Any], offset_ms: int, accepted: bool, as_string: bool
) -> None:
    login["timestamp"] = str(NOW_MS + offset_ms) if as_string else NOW_MS + offset_ms
    expected = [] if accepted else [{"field": "timestamp", "message": "must not be more than 5 minutes in the future"}]
    assert errors_of(login) == expected


@pytest.mark.parametrize("value", [946_684_799_999, "946684799999", "100000000000", -1, 1.5e12 + 0.5, True, "17e11"])
def test_timestamp_before_2000_or_not_epoch_millis_is_refused(login: dict[str, Any], value: Any) -> None:
    login["timestamp"] = value
    assert errors_of(login) == [
        {"field": "timestamp", "message": "must be epoch milliseconds (integer or digit string) from 2000-01-01 on"}
    ]


def test_initiator_must_be_on_the_configured_allow_list(login: dict[str, Any]) -> None:
    login["initiatorsystemcode"] = "HR_WEB"
    assert errors_of(login) == [
        {"field": "initiatorsystemcode", "message": "'HR_WEB' is not an allowed initiator system code"}
    ]
    other = EventPolicy(allowed_initiators=frozenset({"HR_WEB"}))
    assert validate_event(login, other, NOW_MS) == []


def test_conditional_fields_name_the_event_type(examples: dict[str, dict[str, Any]]) -> None:
    event = examples["DOCUMENT_DOWNLOADED"]
    del event["documentid"]
    assert errors_of(event) == [{"field": "documentid", "message": "is required for eventtype DOCUMENT_DOWNLOADED"}]


def test_enum_values_are_checked(examples: dict[str, dict[str, Any]]) -> None:
    event = examples["LOGIN_FAILED"]
    event["loginfailurecode"] = "WRONG_PASSWORD"
    event["eventtype"] = "LOGIN_FAILED"
    assert errors_of(event) == [
        {"field": "loginfailurecode", "message": "must be one of the allowed values; got 'WRONG_PASSWORD'"}
    ]


def test_eventid_must_be_a_uuid(login: dict[str, Any]) -> None:
    login["eventid"] = "not-a-uuid"
    assert errors_of(login) == [
        {
            "field": "eventid",
            "message": "must match pattern ^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        }
    ]
    login["eventid"] = str(uuid.uuid4())
    assert errors_of(login) == []


def test_details_are_bounded(login: dict[str, Any]) -> None:
    login["details"] = {f"k{n}": n for n in range(33)}
    assert errors_of(login) == [{"field": "details", "message": "must contain less than or equal to 32 properties"}]
    login["details"] = {"note": "x" * 1025, "nested": {"a": 1}}
    assert errors_of(login) == [
        {
            "field": "details.nested",
            "message": "must be a string of at most 1024 characters, a number, a boolean or null",
        },
        {
            "field": "details.note",
            "message": "must be a string of at most 1024 characters, a number, a boolean or null",
        },
    ]


def test_canonical_size_limit(login: dict[str, Any]) -> None:
    # Every field is bounded in characters; four-byte UTF-8 characters still overrun the byte limit.
    login["details"] = {f"k{n}": "\U0001f600" * 1024 for n in range(32)}
    size = len(canonical_json(login).encode())
    assert size > MAX_EVENT_BYTES
    assert errors_of(login) == [
        {"field": "", "message": f"event is {size} bytes as canonical JSON; the limit is {MAX_EVENT_BYTES}"}
    ]


def test_integral_float_timestamp_is_stored_as_an_integer(login: dict[str, Any]) -> None:
    login["timestamp"] = 1.5e12
    assert errors_of(login) == []
    assert normalize(login)["timestamp"] == 1_500_000_000_000
    assert canonical_json(normalize(login)).endswith('"timestamp":1500000000000}')


def test_enrich_normalizes_and_adds_server_fields(login: dict[str, Any]) -> None:
    login["timestamp"] = "1793523600000"
    enriched = enrich(login, received_ms=1_793_523_601_234, source_ip="198.51.100.1", api_key_id="key123")
    assert enriched["timestamp"] == 1_793_523_600_000
    assert enriched["sessionstarttime"] == 1_793_523_600_000 or "sessionstarttime" not in login
    assert enriched["receivedat"] == "2026-11-01T09:00:01.234Z"
    assert (enriched["sourceip"], enriched["apikeyid"], enriched["schemaversion"]) == ("198.51.100.1", "key123", "1")
    assert uuid.UUID(enriched["eventid"]).version == 7
    assert errors_of(enriched) == []
    assert canonical_json(enriched) == canonical_json(normalize(enriched))


def test_event_ids_are_time_ordered_uuid7() -> None:
    ids = [new_event_id(1_793_523_600_000 + n) for n in range(50)]
    assert ids == sorted(ids)
    assert {uuid.UUID(value).version for value in ids} == {7}
    assert len(set(ids)) == 50


def test_index_item_ttl_is_a_number_of_epoch_seconds(login: dict[str, Any]) -> None:
    event = enrich(login, received_ms=1_793_523_601_234)
    item = index_item(event, received_ms=1_793_523_601_234, retention_days=30)
    assert item["expiresat"] == {"N": str(1_793_523_601 + 30 * 86_400)}
    assert item["timestamp"] == {"N": str(event["timestamp"])}
    assert item["eventid"] == {"S": event["eventid"]}
    assert item["event"] == {"S": canonical_json(event)}
