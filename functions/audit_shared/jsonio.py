"""Strict JSON in, canonical JSON out: the one JSON layer every function reads and writes through.

Parsing refuses what strict readers downstream (Athena, jq, SIEMs) would choke on, or what would
make two readers disagree about an event: NaN and Infinity, integers beyond 64 bits, nesting deeper
than ``MAX_DEPTH``, invalid UTF-8 (including UTF-16 bodies) and duplicate keys. Every refusal is a
``JSONError`` whose ``reason`` can be shown to the sender as is.

orjson does the work on the hot path. It already refuses NaN, Infinity, invalid UTF-8 and very deep
nesting; what it accepts silently (integers beyond 64 bits become floats, duplicate keys keep the
last value) is caught by a cheap scan of the decoded value, and only a suspicious document is parsed
a second time by the standard library to name the exact problem.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from audit_shared.byte_count import count_colons

# An event is an object holding at most one level of objects (details, location); a batch body adds
# the envelope and its array. Anything deeper is not an audit event, whatever it is.
MAX_DEPTH = 8
# What a 64-bit integer (signed or unsigned) can hold; orjson parses anything larger as a float.
MIN_INT = -(2**63)
MAX_INT = 2**64 - 1
# The smallest float orjson can have produced from an integer literal beyond 64 bits.
_SUSPICIOUS_FLOAT = float(2**63)
_NOT_JSON = "NaN, Infinity and -Infinity are not JSON numbers"


class JSONError(ValueError):
    """A document that is not strict JSON, or a value that cannot be written as JSON."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Suspicious(Exception):
    """Raised by the scan when only a second, exact parse can tell whether the document is fine."""


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse one strict JSON document; raise JSONError with the reason otherwise."""
    return loads_canonical(data)[0]


def loads_canonical(data: bytes | bytearray | memoryview | str) -> tuple[Any, bytes]:
    """Like ``loads``, and also return ``canonical(value)``, which the strict check computes anyway.

    A caller that needs the canonical form of what it parsed (its size, the archived line) saves
    serializing it a second time.
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise JSONError(_explain(data) or str(exc)) from None
    try:
        # A flat object (most events) is looked at here, the rest by the recursive scan.
        if type(value) is not dict or not set(map(type, value.values())) <= _SCALARS:
            _check_shape(value, 1)
    except _Suspicious:
        pass
    else:
        # Within MAX_DEPTH, whatever orjson decoded it can write.
        written = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        raw = data if type(data) is bytes else _as_bytes(data)
        if _no_duplicate_keys(raw, written):
            return value, written
    reason = _explain(data)
    if reason:
        raise JSONError(reason)
    return value, canonical(value)


def canonical(value: Any) -> bytes:
    """Sorted keys, no insignificant white space, UTF-8: one stable text per value, always valid JSON.

    orjson writes a non-finite float as null, so not even a value built in Python can produce a NaN or
    Infinity token; validation refuses such values before they get here.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError as exc:  # orjson.JSONEncodeError: integers beyond 64 bits, non-str keys, surrogates
        raise JSONError(f"cannot be written as JSON: {exc}") from None


def canonical_line(value: Any) -> bytes:
    """The canonical form plus a newline: one line of NDJSON."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    except TypeError as exc:
        raise JSONError(f"cannot be written as JSON: {exc}") from None


def canonical_text(value: Any) -> str:
    return canonical(value).decode("utf-8")


_SCALARS = frozenset({str, int, bool, type(None)})


def _check_shape(value: Any, depth: int) -> None:
    """Raise JSONError for nesting beyond MAX_DEPTH, _Suspicious for a float that may be a huge integer.

    The types of a container's items are collected in C; only containers and floats are looked at
    one by one, which keeps a flat event at a fraction of a microsecond.
    """
    if type(value) is dict:
        items = value.values()
    elif type(value) is list:
        items = value
    else:
        items = (value,)
        depth = 0
    if depth > MAX_DEPTH:
        raise JSONError(f"nesting is deeper than {MAX_DEPTH} levels")
    kinds = set(map(type, items))
    if kinds <= _SCALARS:
        return
    for item in items:
        kind = type(item)
        if kind is dict or kind is list:
            _check_shape(item, depth + 1)
        elif kind is float and not -_SUSPICIOUS_FLOAT < item < _SUSPICIOUS_FLOAT:
            raise _Suspicious


def _as_bytes(data: bytearray | memoryview | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _no_duplicate_keys(raw: bytes, written: bytes) -> bool:
    """True when the document provably has no duplicate keys; ``written`` is its value's canonical form.

    Each key in a text is followed by one colon outside strings; every other colon is inside a
    string. Without \\u escapes a string is written with the colons it decodes to, and the canonical
    form escapes no colon, so the text has as many colons as the canonical form of what was decoded
    exactly when no member was dropped as a duplicate (a dropped member takes its colons with it).
    With \\u escapes, only the exact parser can tell.
    """
    # A backslash is rare in events; find() of one byte is a memchr, ten times faster than `in`.
    return (raw.find(b"\\") < 0 or raw.find(b"\\u") < 0) and count_colons(raw) == count_colons(written)


def _explain(data: bytes | bytearray | memoryview | str) -> str | None:
    """Parse again with the standard library, exactly, and name the problem; None if there is none."""
    if isinstance(data, str):
        text = data
    else:
        raw = bytes(data)
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in raw:
            return "text is UTF-16 or UTF-32, not UTF-8"
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"invalid UTF-8 byte at position {exc.start}"
    try:
        value = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_int=_bounded_int,
            parse_float=_finite_float,
            parse_constant=_no_constant,
        )
    except JSONError as exc:
        return exc.reason
    except RecursionError:
        return f"nesting is deeper than {MAX_DEPTH} levels"
    except json.JSONDecodeError as exc:
        return str(exc)
    if _too_deep(value):
        return f"nesting is deeper than {MAX_DEPTH} levels"
    return None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JSONError(f"duplicate key {key!r}")
            seen.add(key)
    return result


def _bounded_int(digits: str) -> int:
    # Checked on the text first: int() of thousands of digits is slow and Python refuses > 4300.
    if len(digits.lstrip("-")) > 20 or not MIN_INT <= int(digits) <= MAX_INT:
        shown = digits if len(digits) <= 24 else f"{digits[:20]}... ({len(digits)} characters)"
        raise JSONError(f"integer {shown} does not fit in 64 bits")
    return int(digits)


def _finite_float(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise JSONError(f"number {text[:24]} is out of range")
    return number


def _no_constant(name: str) -> Any:
    raise JSONError(_NOT_JSON)


def _too_deep(value: Any, depth: int = 1) -> bool:
    """Nesting beyond MAX_DEPTH; recursion stops there, so hostile depth cannot exhaust the stack."""
    if isinstance(value, dict | list):
        if depth > MAX_DEPTH:
            return True
        items = value.values() if isinstance(value, dict) else value
        return any(_too_deep(item, depth + 1) for item in items)
    return False
