"""Typed decoding of audit events with msgspec: the happy path of validation, generated from the schema.

``msgspec`` decodes JSON bytes straight into a ``Struct`` whose field types and constraints are
generated, at import time, from ``schemas/audit-event.v1.json``: no intermediate dict walked by a
validator. The generated types accept a *subset* of what the contract accepts: where a JSON Schema
keyword has no exact msgspec counterpart the generated constraint is narrower (IP addresses in their
common spellings, date-times in the form the pipeline writes), and integers written as ``1.0`` are
left to the full checks. Whatever the typed decoder refuses goes through audit_shared.validation's
full checks, which accept it or word every violation as before; tests/unit/test_fast_paths.py pins
that the decoder never accepts what the full checks refuse, and that it writes the same bytes.

A schema keyword this generator does not know makes ``build`` return None: every event then takes
the full path, slower but never wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, Literal, NamedTuple, Union, get_args, get_origin

import msgspec

from audit_shared.jsonio import MIN_INT

UNSET = msgspec.UNSET
# msgspec bounds must fit in int64; jsonio accepts unsigned 64-bit integers too, which then take the full path.
_MAX_INT64 = 2**63 - 1

# Digit strings for epoch milliseconds from 2000-01-01 on (946684800000), without leading zeros.
# audit_shared.validation derives the same floor from EPOCH_2000_MS; a test pins that they agree.
_IPV4_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"{_IPV4_OCTET}(?:\.{_IPV4_OCTET}){{3}}"
_H = "[0-9a-fA-F]{1,4}"
# IPv6 in hex groups only (no embedded IPv4, no zone): eight groups, or "::" standing for one or more.
_IPV6 = "|".join(
    [
        rf"(?:{_H}:){{7}}{_H}",
        rf"(?:{_H}:){{1,7}}:",
        *(rf"(?:{_H}:){{1,{left}}}(?::{_H}){{1,{7 - left}}}" for left in range(1, 7)),
        rf":(?:(?::{_H}){{1,7}}|:)",
    ]
)
# The date-times iso_utc writes and other plain UTC forms; days 29-31 only in months that have them.
_DATE = (
    "[1-9][0-9]{3}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
)
_DATE_TIME = rf"{_DATE}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{{1,9}})?Z"


# msgspec writes 1e+16 as 1e16, orjson as 1e+16; below that magnitude both write the same shortest
# form (a negative exponent is written alike). Larger floats take the full path.
_PLAIN_FLOAT = 1e16
# What the generated type uses for the contract's "ipv4 or ipv6" (a narrower regex than the formats).
IP_ADDRESS_PATTERN = rf"^(?:{_IPV4}|{_IPV6})\Z"


class _Unsupported(Exception):
    """A schema construct without an exact (or safely narrower) msgspec counterpart."""


def _anchored(pattern: str) -> str:
    """A JSON Schema pattern for Python's re.search, which msgspec uses: "$" there also matches before
    a final newline, "\\Z" only at the end. Only fully anchored patterns without other "$" are taken."""
    if not (pattern.startswith("^") and pattern.endswith("$")) or "$" in pattern[:-1] or "\\" in pattern:
        raise _Unsupported(pattern)
    return pattern[:-1] + r"\Z"


def _string_meta(schema: dict[str, Any], pattern: str | None = None) -> Any:
    meta: dict[str, Any] = {}
    if "minLength" in schema:
        meta["min_length"] = schema["minLength"]
    if "maxLength" in schema:
        meta["max_length"] = schema["maxLength"]
    if pattern is not None:
        meta["pattern"] = pattern
    return Annotated[str, msgspec.Meta(**meta)] if meta else str


def _integer_bounds(schema: dict[str, Any]) -> tuple[int, int]:
    # JSON Schema bounds are inclusive; the 64-bit limits keep what jsonio refuses out of the fast path.
    low, high = schema.get("minimum", MIN_INT), schema.get("maximum", _MAX_INT64)
    if not (isinstance(low, int) and isinstance(high, int)):
        raise _Unsupported(schema)
    return max(low, MIN_INT), min(high, _MAX_INT64)


def _integer(schema: dict[str, Any]) -> Any:
    low, high = _integer_bounds(schema)
    return Annotated[int, msgspec.Meta(ge=low, le=high)]


class _PlainInteger(type):
    """``isinstance(value, EpochMillis)`` holds for a plain int. msgspec checks what a decoder hook
    returns with isinstance, so the hook hands back an int, which every encoder writes natively."""

    def __instancecheck__(cls, value: Any) -> bool:
        return type(value) is int


class EpochMillis(metaclass=_PlainInteger):
    """Marks an epoch field the decoder makes an integer itself (see ``build``'s ``hooked_epochs``):
    sent as an integer or a digit string, it is decoded as a plain int."""


def _epoch_parts(schema: dict[str, Any], epoch_floor: str) -> tuple[tuple[int, int], str]:
    """The contract's epochmillis: the integer bounds, and the pattern of its digit strings from 2000 on."""
    integer, string = schema["anyOf"]
    if set(integer) != {"type", "minimum", "maximum"} or integer["type"] != "integer" or string["type"] != "string":
        raise _Unsupported(schema)
    if set(string) != {"type", "pattern"}:
        raise _Unsupported(schema)
    # Both the contract's pattern and the floor: the floor alone would take any longer digit string.
    both = rf"^(?=(?:{_anchored(string['pattern'])[1:-2]})\Z)(?:{epoch_floor[1:-2]})\Z"
    return _integer_bounds(integer), both


def _epoch_hook(bounds: tuple[int, int], digits: re.Pattern[str]) -> Callable[[type, Any], Any]:
    """The decoder's hook for EpochMillis: the same rules as the union the other epoch fields get.

    Anything else is refused (msgspec reports a ValueError here as a validation error), so the event
    takes the full path, which words the violation.
    """
    low, high = bounds

    def dec_hook(kind: type, value: Any) -> Any:
        if kind is EpochMillis:
            if type(value) is int:
                if low <= value <= high:
                    return value
            elif type(value) is str and digits.search(value) is not None:
                return int(value)
        raise ValueError("not epoch milliseconds from 2000 on")

    return dec_hook


def _number(schema: dict[str, Any]) -> Any:
    # Both an int and a float branch: msgspec's float would turn 45 into 45.0 and write it so.
    low, high = schema.get("minimum"), schema.get("maximum")
    lower = {"ge": low} if low is not None and low > -_PLAIN_FLOAT else {"gt": -_PLAIN_FLOAT}
    upper = {"le": high} if high is not None and high < _PLAIN_FLOAT else {"lt": _PLAIN_FLOAT}
    bounds = lower | upper
    return Union[_integer(schema), Annotated[float, msgspec.Meta(**bounds)]]  # noqa: UP007


_KNOWN = {"type", "minLength", "maxLength", "pattern", "minimum", "maximum", "enum", "const", "format"}
# Keywords that only annotate: they never change what a schema accepts.
_ANNOTATIONS = {"$schema", "$id", "$comment", "title", "description", "version", "examples", "definitions"}


def _keywords(schema: dict[str, Any]) -> set[str]:
    return {key for key in schema if key not in _ANNOTATIONS and not key.startswith("x-")}


def _resolve(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    if _keywords(schema) - {"$ref"} or not ref.startswith("#/definitions/"):
        raise _Unsupported(schema)
    return definitions[ref.removeprefix("#/definitions/")]


def _field_type(schema: dict[str, Any], definitions: dict[str, Any], epoch_floor: str, hooked: bool = False) -> Any:
    schema = _resolve(schema, definitions)
    if schema is definitions.get("ipaddress"):
        if schema != {"type": "string", "maxLength": 45, "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]}:
            raise _Unsupported(schema)
        return Annotated[str, msgspec.Meta(max_length=45, pattern=IP_ADDRESS_PATTERN)]
    if schema is definitions.get("epochmillis"):
        (low, high), digits = _epoch_parts(schema, epoch_floor)
        if hooked:
            return EpochMillis
        return Union[Annotated[int, msgspec.Meta(ge=low, le=high)], Annotated[str, msgspec.Meta(pattern=digits)]]  # noqa: UP007
    if schema is definitions.get("location"):
        return _struct_type("Location", schema, definitions, epoch_floor)
    if schema is definitions.get("details"):
        return _details(schema)
    if _keywords(schema) - _KNOWN:
        raise _Unsupported(schema)
    kind = schema.get("type")
    if "const" in schema:
        if not isinstance(schema["const"], str) or kind not in (None, "string"):
            raise _Unsupported(schema)
        return Literal[schema["const"]]
    if "enum" in schema:
        if (
            kind != "string"
            or not all(isinstance(value, str) for value in schema["enum"])
            or len(_keywords(schema)) > 2
        ):
            raise _Unsupported(schema)
        return Literal[tuple(schema["enum"])]
    if kind == "string":
        if "format" in schema:
            if schema["format"] != "date-time" or "pattern" in schema:
                raise _Unsupported(schema)
            return _string_meta(schema, rf"^{_DATE_TIME}\Z")
        return _string_meta(schema, _anchored(schema["pattern"]) if "pattern" in schema else None)
    if "format" in schema:
        raise _Unsupported(schema)
    if kind == "integer":
        return _integer(schema)
    if kind == "number":
        return _number(schema)
    raise _Unsupported(schema)


def _details(schema: dict[str, Any]) -> Any:
    values = schema["additionalProperties"]["anyOf"]
    expected = [
        {"type": "string", "maxLength": values[0].get("maxLength")},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
    ]
    if _keywords(schema) != {"type", "maxProperties", "propertyNames", "additionalProperties"} or values != expected:
        raise _Unsupported(schema)
    if set(schema["propertyNames"]) != {"pattern"} or set(schema["additionalProperties"]) != {"anyOf"}:
        raise _Unsupported(schema)
    key = Annotated[str, msgspec.Meta(pattern=_anchored(schema["propertyNames"]["pattern"]))]
    # bool before int: msgspec keeps JSON true/false as bools whatever the order; None is JSON null.
    value = Union[  # noqa: UP007
        Annotated[str, msgspec.Meta(max_length=values[0]["maxLength"])], _number({}), bool, None
    ]
    return Annotated[dict[key, value], msgspec.Meta(max_length=schema["maxProperties"])]  # type: ignore[valid-type]


def _struct_type(
    name: str,
    schema: dict[str, Any],
    definitions: dict[str, Any],
    epoch_floor: str,
    deferred: frozenset[str] = frozenset(),
    checks: dict[str, re.Pattern[str]] | None = None,
    server_set: frozenset[str] = frozenset(),
    hooked_epochs: frozenset[str] = frozenset(),
) -> type:
    if schema.get("type") != "object" or schema.get("additionalProperties") is not False:
        raise _Unsupported(schema)
    if _keywords(schema) - {"type", "additionalProperties", "properties", "required"}:
        raise _Unsupported(schema)
    required = set(schema.get("required", []))
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    # Sorted, so that the declared order is the canonical (sorted-key) order the encoder writes.
    for field in sorted(schema["properties"]):
        kind = _field_type(schema["properties"][field], definitions, epoch_floor, field in hooked_epochs)
        if field in server_set:
            # Never decoded (any value sent is refused), only set by the server before encoding:
            # msgspec checks types when decoding, not on assignment.
            fields.append((field, msgspec.UnsetType, UNSET))
            continue
        if field in deferred:
            kind, pattern = _deferred(kind)
            (checks if checks is not None else {})[field] = re.compile(pattern)
        fields.append((field, kind) if field in required else (field, kind, UNSET))
    # gc=False: the fields hold strings, numbers and a dict of scalars, never a reference cycle.
    return msgspec.defstruct(name, fields, kw_only=True, forbid_unknown_fields=True, gc=False)


def _deferred(kind: Any) -> tuple[Any, str]:
    """A string type without its pattern, and the pattern: the caller checks it in a cheaper way.

    For a dict (details) it is the pattern of its keys: msgspec would search it once for each key of
    each event, where the caller looks at each distinct key name once.
    """
    meta = getattr(kind, "__metadata__", ())
    inner = getattr(kind, "__origin__", None)
    if get_origin(inner) is dict:
        key, value = get_args(inner)
        key_type, pattern = _deferred(key)
        if key_type is not str:
            raise _Unsupported(kind)
        return Annotated[(dict[str, value], *meta)], pattern  # type: ignore[valid-type]
    if getattr(kind, "__origin__", None) is not str or len(meta) != 1 or meta[0].pattern is None:
        raise _Unsupported(kind)
    lengths = {"min_length": meta[0].min_length, "max_length": meta[0].max_length}
    lengths = {key: value for key, value in lengths.items() if value is not None}
    return (Annotated[str, msgspec.Meta(**lengths)] if lengths else str), meta[0].pattern


class TypedEvents(NamedTuple):
    decode: Callable[[bytes], Any]  # JSON bytes -> Event; raises msgspec.DecodeError (ValidationError too)
    convert: Callable[[Any], Any]  # a parsed value -> Event; raises msgspec.ValidationError
    event_type: type
    # Fields whose pattern the types leave out, with that pattern (anchored): the caller must check them.
    deferred: dict[str, re.Pattern[str]]
    # A JSON decoder of event_type or of a type holding it (a batch envelope): msgspec.json.Decoder with
    # the hook the hooked epoch fields need.
    decoder: Callable[[Any], msgspec.json.Decoder]


def build(
    schema: dict[str, Any],
    epoch_floor: str,
    deferred: frozenset[str] = frozenset(),
    server_set: frozenset[str] = frozenset(),
    hooked_epochs: frozenset[str] = frozenset(),
) -> TypedEvents | None:
    """The typed decoder for events of ``schema`` without its ``allOf`` clauses, or None if unsupported.

    ``epoch_floor`` is the pattern for epoch-millisecond digit strings from 2000 on; ``deferred`` names
    string fields whose pattern is left to the caller (returned in ``TypedEvents.deferred``);
    ``server_set`` names fields a sender must not send: the decoder refuses them, the caller sets them.
    ``hooked_epochs`` names epoch fields the decoder makes integers itself (EpochMillis, through
    ``TypedEvents.dec_hook``): a Python call for each value sent, worth it for fields most events lack,
    which then need no look afterwards; the others decode as an integer or a digit string.
    """
    checks: dict[str, re.Pattern[str]] = {}
    definitions = schema.get("definitions", {})
    floor = _anchored(epoch_floor)
    try:
        event_type = _struct_type("Event", schema, definitions, floor, deferred, checks, server_set, hooked_epochs)
        dec_hook = None
        if hooked_epochs:
            bounds, digits = _epoch_parts(definitions["epochmillis"], floor)
            dec_hook = _epoch_hook(bounds, re.compile(digits))
        decoder = msgspec.json.Decoder(event_type, dec_hook=dec_hook)
    except (_Unsupported, KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None
    if set(checks) != deferred:
        return None

    def convert(value: Any) -> Any:
        return msgspec.convert(value, event_type, dec_hook=dec_hook)

    return TypedEvents(decoder.decode, convert, event_type, checks, partial(msgspec.json.Decoder, dec_hook=dec_hook))


# Sorted keys: structs write their fields in declared order, which is sorted; "deterministic" sorts
# the keys of dicts (details) and leaves struct fields as declared, cheaper than "sorted".
_encoder = msgspec.json.Encoder(order="deterministic")
encode = _encoder.encode
encode_lines = _encoder.encode_lines  # one call for many events: NDJSON, a line each
DecodeError = msgspec.DecodeError
ValidationError = msgspec.ValidationError
