"""Validation of audit events against the v1 schema plus the rules a schema cannot express.

Every violation is reported, each as ``{"field": ..., "message": ...}``: a sender fixing an event
should see all its problems at once, not one per round trip.

Two validators share the one schema file. jsonschema-rs (native) answers "is this event valid?" for
every event, which is the hot path of both ingestion and transformation. Only an event it refuses is
walked again by the fastjsonschema validator precompiled at build time, whose errors carry what is
needed to word every violation for the sender. docs/design.md has the measurements behind the split.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import cache
from operator import attrgetter
from typing import Any

import fastjsonschema
import jsonschema_rs

from audit_shared import typed_events
from audit_shared.events import EPOCH_MILLIS_FIELDS, canonical_bytes
from audit_shared.jsonio import JSONError
from audit_shared.schema import SERVER_FIELDS, load_schema

# Far below the Firehose record limit (1,000 KiB) and the DynamoDB item limit (400 KB, which also
# holds the event's index attributes), and large enough for any catalogued event with details.
MAX_EVENT_BYTES = 64 * 1024
MAX_FUTURE_SKEW_MS = 5 * 60 * 1000
EPOCH_2000_MS = 946_684_800_000
EPOCH_MILLIS_MESSAGE = "must be epoch milliseconds (integer or digit string) from 2000-01-01 on"
_EPOCH_MILLIS_SET = frozenset(EPOCH_MILLIS_FIELDS)


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


_native_validator = jsonschema_rs.validator_for(load_schema())


def _split_conditionals(schema: dict[str, Any]) -> tuple[dict[str, Any], dict[str, frozenset[str]]]:
    """The schema without its per-event-type ``allOf`` if/then clauses, and those clauses as a table.

    Each clause reads "if eventtype is one of these, then these fields are required". jsonschema-rs
    evaluates every clause for every event (a fifth of its time); a dict look-up on the event type
    answers the same question. A clause of any other shape keeps the whole schema native.
    """
    required: dict[str, frozenset[str]] = {}
    for clause in schema.get("allOf", []):
        condition, then = clause.get("if", {}), clause.get("then", {})
        types = condition.get("properties", {}).get("eventtype", {}).get("enum")
        if (
            set(clause) != {"if", "then"}
            or set(condition) != {"properties", "required"}
            or condition["required"] != ["eventtype"]
            or list(condition["properties"]) != ["eventtype"]
            or condition["properties"]["eventtype"] != {"enum": types}
            or not isinstance(types, list)
            or set(then) != {"required"}
        ):
            return schema, {}
        for name in types:
            required[name] = required.get(name, frozenset()) | frozenset(then["required"])
    return {key: value for key, value in schema.items() if key != "allOf"}, required


def _digits_at_least(floor: int) -> str:
    """A regex for the digit strings without leading zeros whose value is at least ``floor``."""
    digits = str(floor)
    longer = f"[1-9][0-9]{{{len(digits)},}}"
    same_length = [digits] + [
        f"{digits[:at]}[{int(digit) + 1}-9][0-9]{{{len(digits) - at - 1}}}"
        for at, digit in enumerate(digits)
        if digit != "9"
    ]
    return f"^(?:{'|'.join([longer, *same_length])})$"


def _with_epoch_floor(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with the "from 2000 on" rule for epoch-millisecond digit strings added to it.

    Only narrows what the schema accepts (an ``allOf`` beside the contract's own pattern), so the
    fast path below may use it: what it refuses goes through the exact checks anyway.
    """
    definitions = dict(schema.get("definitions", {}))
    epoch = definitions.get("epochmillis", {})
    branches = epoch.get("anyOf", [])
    floor = {"allOf": [{"pattern": _digits_at_least(EPOCH_2000_MS)}]}
    tightened = [dict(branch, **floor) if branch.get("type") == "string" else branch for branch in branches]
    definitions["epochmillis"] = dict(epoch, anyOf=tightened)
    return dict(schema, definitions=definitions)


_core_schema, _required_by_type = _split_conditionals(load_schema())
# Epoch fields the fast path need not look at: the core schema refuses digit strings before 2000.
_core_checks_epoch_floor = all(
    load_schema()["properties"].get(field, {}).get("$ref") == "#/definitions/epochmillis"
    for field in EPOCH_MILLIS_FIELDS
)
_core_validator = jsonschema_rs.validator_for(_with_epoch_floor(_core_schema))
_NOTHING: frozenset[str] = frozenset()

# The typed decoder generated from the same core schema (audit_shared.typed_events): the happy path.
# The patterns of these fields are checked here instead, more cheaply: the initiator against the
# allow-list (once per policy), IP addresses and the keys of details through bounded memos of those
# already seen (a pattern searched by msgspec for every key of every event cost as much as the rest
# of the decoding of the details).
# The server fields are refused by the typed decoder (senders may not set them; the API and the
# transformation set them on the decoded event), so the fast path never has to look for them.
_TYPED_DEFERRED = frozenset({"initiatorsystemcode", "requestorip", "details"})
# Epoch fields other than timestamp, which most events lack: the decoder makes them integers itself
# (typed_events.EpochMillis), so no pass over the events has to look for digit strings in them.
_TYPED_HOOKED_EPOCHS = _EPOCH_MILLIS_SET - {"timestamp"}
TYPED = (
    typed_events.build(
        _core_schema, _digits_at_least(EPOCH_2000_MS), _TYPED_DEFERRED, SERVER_FIELDS, _TYPED_HOOKED_EPOCHS
    )
    if _core_checks_epoch_floor
    else None
)
_UNSET = typed_events.UNSET
_required_attributes = {name: tuple(sorted(fields)) for name, fields in _required_by_type.items()}
_MEMO_SIZE = 4096
_ip_memo: dict[str, bool] = {}
_policy_codes: tuple[EventPolicy | None, frozenset[str]] = (None, frozenset())


def _ip_ok(address: str) -> bool:
    known = _ip_memo.get(address)
    if known is None:
        if len(_ip_memo) >= _MEMO_SIZE:
            _ip_memo.clear()
        known = _ip_memo[address] = TYPED is not None and TYPED.deferred["requestorip"].search(address) is not None
    return known


_good_detail_keys: set[str] = set()


def _detail_keys_ok(keys: Iterable[str]) -> bool:
    """True when every key of details matches the contract's pattern; the keys found good are kept.

    Key names repeat from event to event, so most are found in the memo. Bad keys are not kept: the
    event then takes the full path, which words the violation.
    """
    if _good_detail_keys.issuperset(keys):
        return True
    unseen = set(keys).difference(_good_detail_keys)
    pattern = TYPED.deferred["details"] if TYPED is not None else None
    if pattern is None or not all(map(pattern.search, unseen)):
        return False
    if len(_good_detail_keys) + len(unseen) > _MEMO_SIZE:
        _good_detail_keys.clear()
    _good_detail_keys.update(unseen)
    return True


def _valid_codes(policy: EventPolicy) -> frozenset[str]:
    """The allowed initiator codes that also match the schema's pattern (one look-up per event)."""
    global _policy_codes  # a one-entry cache: policies are few and immutable
    if _policy_codes[0] is not policy:
        pattern = TYPED.deferred["initiatorsystemcode"] if TYPED is not None else None
        codes = frozenset(code for code in policy.allowed_initiators if pattern is not None and pattern.search(code))
        _policy_codes = (policy, codes)
    return _policy_codes[1]


def typed_valid(event: Any, policy: EventPolicy, now_ms: int) -> bool:
    """For an event decoded by ``TYPED``: True when the rules beyond the generated types hold too.

    The types checked every field's type, length, enum, bounds and (other) pattern, the fields
    required by the core schema, the "from 2000 on" floor, and that no other field is present.
    """
    if event.initiatorsystemcode not in _valid_codes(policy) or not _ip_ok(event.requestorip):
        return False
    if event.details and not _detail_keys_ok(event.details):
        return False
    for field in _required_attributes.get(event.eventtype, ()):
        if getattr(event, field) is _UNSET:
            return False
    timestamp = event.timestamp
    return (timestamp if type(timestamp) is int else int(timestamp)) <= now_ms + policy.max_future_skew_ms


_initiator = attrgetter("initiatorsystemcode")
_requestorip = attrgetter("requestorip")
_details = attrgetter("details")
# Each getter returns a tuple (a single field is read twice: attrgetter of one name returns no tuple).
_required_getters = {
    name: attrgetter(*fields) if len(fields) > 1 else attrgetter(fields[0], fields[0])
    for name, fields in _required_attributes.items()
}


def typed_all_valid(events: list[Any], policy: EventPolicy, now_ms: int, writable: frozenset[str], latest: int) -> bool:
    """``typed_valid`` for many events at once, and each one's initiator in ``writable`` too.

    The same rules, checked a column at a time: most of the work runs in C (set, map, attrgetter),
    and each distinct initiator, address and key of details is looked at once, not once per event.
    ``latest`` is the latest timestamp, as typed_epochs.normalize_all answers it.
    """
    if latest > now_ms + policy.max_future_skew_ms:
        return False
    if not set(map(_initiator, events)) <= _valid_codes(policy) & writable:
        return False
    if not all(map(_ip_ok, set(map(_requestorip, events)))):
        return False
    # UNSET is false, like an empty dict: the union reads the keys of the details sent.
    if not _detail_keys_ok(set().union(*filter(None, map(_details, events)))):
        return False
    for event in events:
        getter = _required_getters.get(event.eventtype)
        if getter is not None and _UNSET in getter(event):
            return False
    return True


def _is_valid(event: dict[str, Any]) -> bool:
    try:
        return _native_validator.is_valid(event)
    except (ValueError, TypeError, OverflowError):  # a value no JSON document holds (non-str key, ...)
        return False


@cache
def _explainer() -> Callable[[Any], Any]:
    """The error-reporting validator, loaded on the first invalid event: valid traffic never needs it."""
    try:
        # Generated by scripts/package.py at build time; it saves compiling the schema on cold start.
        from audit_shared._schema_v1_validator import validate  # type: ignore[import-not-found]
    except ImportError:
        return fastjsonschema.compile(load_schema(), use_default=False, fast_fail=False)
    return validate


def _field_name(path: str) -> str:
    return path.removeprefix("data").removeprefix(".")


def _join(parent: str, child: str) -> str:
    return f"{parent}.{child}" if parent else child


def _describe(error: fastjsonschema.JsonSchemaValueException, event: dict[str, Any]) -> list[FieldError]:
    """Turn one fastjsonschema error into field errors a sender can act on."""
    schema = load_schema()
    definitions = schema["definitions"]
    field = _field_name(error.name or "data")
    value = error.value
    if error.rule == "required":
        present = value if isinstance(value, dict) else {}
        missing = [name for name in error.rule_definition or [] if name not in present]
        # The root schema lists its properties; an if/then clause that adds requirements does not.
        conditional = "properties" not in (error.definition or {}) and field == "" and "eventtype" in event
        suffix = f" for eventtype {event['eventtype']}" if conditional else ""
        return [FieldError(_join(field, name), f"is required{suffix}") for name in missing]
    if error.rule == "additionalProperties":
        allowed = (error.definition or {}).get("properties", {})
        unknown = sorted(set(value) - set(allowed)) if isinstance(value, dict) else []
        return [FieldError(_join(field, name), "is not an allowed field") for name in unknown]
    if error.definition == definitions["ipaddress"] and error.rule in ("anyOf", "type", "maxLength"):
        return [FieldError(field, "must be an IPv4 or IPv6 address")]
    if error.definition == definitions["epochmillis"]:
        return [FieldError(field, EPOCH_MILLIS_MESSAGE)]
    if error.definition == definitions["details"]["additionalProperties"]:
        return [FieldError(field, "must be a string of at most 1024 characters, a number, a boolean or null")]
    if error.rule == "enum":
        return [FieldError(field, f"must be one of the allowed values; got {value!r}")]
    message = error.message.removeprefix(error.name or "").strip()
    return [FieldError(field, message)]


def schema_errors(event: Any) -> list[FieldError]:
    if not isinstance(event, dict):
        return [FieldError("", "event must be a JSON object")]
    if _is_valid(event):
        return []
    return _explained(event) or _native_errors(event)


def _explained(event: dict[str, Any]) -> list[FieldError]:
    try:
        _explainer()(event)
    except fastjsonschema.JsonSchemaValuesException as exc:
        return _dedupe(item for error in exc.errors for item in _describe(error, event))
    except fastjsonschema.JsonSchemaValueException as exc:
        return _describe(exc, event)
    except (TypeError, ValueError):  # a value no JSON document holds, such as a non-str key
        return []
    return []


def _native_errors(event: dict[str, Any]) -> list[FieldError]:
    """jsonschema-rs's own wording, for the rare event only it refuses (its regexes are stricter)."""
    try:
        errors = [
            FieldError(".".join(str(part) for part in error.instance_path), error.message)
            for error in _native_validator.iter_errors(event)
        ]
    except (ValueError, TypeError, OverflowError) as exc:
        return [FieldError("", f"event is not a JSON value: {exc}")]
    return _dedupe(errors) or [FieldError("", "event failed schema validation")]


def _dedupe(errors: Iterable[FieldError]) -> list[FieldError]:
    return sorted(set(errors), key=lambda error: (error.field, error.message))


@dataclass(frozen=True, slots=True)
class EventPolicy:
    """Deployment rules applied on top of the schema."""

    allowed_initiators: frozenset[str]
    max_event_bytes: int = MAX_EVENT_BYTES
    max_future_skew_ms: int = MAX_FUTURE_SKEW_MS


def validate_event(event: Any, policy: EventPolicy, now_ms: int, *, canonical: bytes | None = None) -> list[FieldError]:
    """All the violations of one event: schema, allow-list, clock window and size.

    ``canonical``, when given, must be ``canonical_bytes(event)``: a caller that already has it
    (jsonio.loads_canonical) saves serializing the event again for the size check.
    """
    if type(event) is dict and _surely_valid(event, policy, now_ms, canonical):
        return []
    errors = schema_errors(event)
    if not isinstance(event, dict):
        return errors
    # Rules below skip a field the schema already refused: one message per problem is enough.
    refused = {error.field for error in errors}
    code = event.get("initiatorsystemcode")
    if isinstance(code, str) and code not in policy.allowed_initiators and "initiatorsystemcode" not in refused:
        errors.append(FieldError("initiatorsystemcode", f"{code!r} is not an allowed initiator system code"))
    for field in _EPOCH_MILLIS_SET.intersection(event):
        # The schema's digit-string pattern cannot express "from 2000 on"; integers it checks itself.
        value = event[field]
        if isinstance(value, str) and field not in refused and int(value) < EPOCH_2000_MS:
            errors.append(FieldError(field, EPOCH_MILLIS_MESSAGE))
            refused.add(field)
    timestamp = event.get("timestamp")
    skip_future_check = "timestamp" in refused or not isinstance(timestamp, int | float | str)
    if not skip_future_check and int(timestamp) > now_ms + policy.max_future_skew_ms:
        errors.append(FieldError("timestamp", "must not be more than 5 minutes in the future"))
    if "details" in event or "location" in event:
        non_finite = _non_finite_errors(event)
        if non_finite:
            # jsonschema-rs sees NaN as null; the finite-number message is the one that helps.
            fields = {error.field for error in non_finite}
            errors = [error for error in errors if error.field not in fields] + non_finite
    errors += _size_errors(event, policy.max_event_bytes)
    return _dedupe(errors) if errors else errors


def _surely_valid(event: dict[str, Any], policy: EventPolicy, now_ms: int, canonical: bytes | None) -> bool:
    """The happy path: True only when every check of validate_event passes; False sends the event
    through the full checks below, which word the violations (or find none after all).

    One native call for the schema without its per-type clauses, then the few rules beyond it.
    """
    if TYPED is not None:
        try:
            typed = TYPED.convert(event)
        except typed_events.ValidationError:
            return False
        if not typed_valid(typed, policy, now_ms):
            return False
        return _finite_and_small(event, policy, canonical)
    try:
        if not _core_validator.is_valid(event):
            return False
    except (ValueError, TypeError, OverflowError):
        return False
    # The schema has checked types, patterns and bounds: eventtype, initiatorsystemcode and timestamp
    # are present, and every epoch field is an integer in range or a string of 12 or 13 digits.
    keys = event.keys()
    if not _required_by_type.get(event["eventtype"], _NOTHING) <= keys:
        return False
    if event["initiatorsystemcode"] not in policy.allowed_initiators:
        return False
    if not _core_checks_epoch_floor:
        for field in _EPOCH_MILLIS_SET.intersection(keys):
            value = event[field]
            if type(value) is str and int(value) < EPOCH_2000_MS:
                return False
    timestamp = event["timestamp"]
    if (timestamp if type(timestamp) is int else int(timestamp)) > now_ms + policy.max_future_skew_ms:
        return False
    return _finite_and_small(event, policy, canonical)


def _finite_and_small(event: dict[str, Any], policy: EventPolicy, canonical: bytes | None) -> bool:
    keys = event.keys()
    if ("details" in keys or "location" in keys) and _non_finite_errors(event):
        return False
    if canonical is None:
        try:
            canonical = canonical_bytes(event)
        except JSONError:
            return False
    return len(canonical) <= policy.max_event_bytes


def _size_errors(event: dict[str, Any], limit: int) -> list[FieldError]:
    try:
        size = len(canonical_bytes(event))
    except JSONError as exc:
        return [FieldError("", f"event {exc.reason}")]
    if size > limit:
        return [FieldError("", f"event is {size} bytes as canonical JSON; the limit is {limit}")]
    return []


def _non_finite_errors(event: dict[str, Any]) -> list[FieldError]:
    """NaN and Infinity pass numeric schema checks; JSON cannot hold them, so they are refused here.

    Parsed JSON never holds them (audit_shared.jsonio refuses the tokens); this guards Python callers.
    """
    errors = []
    for parent in ("details", "location"):
        values = event.get(parent)
        if isinstance(values, dict):
            errors += [
                FieldError(f"{parent}.{name}", "must be a finite number")
                for name, value in values.items()
                if isinstance(value, float) and not math.isfinite(value)
            ]
    return errors
