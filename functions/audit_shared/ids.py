"""Event ids: time-ordered UUIDv7 (RFC 9562), so ids sort by arrival like the index does."""

from __future__ import annotations

import os
import time
from collections import deque
from functools import lru_cache

# Random parts are made in bulk: one os.urandom call and a few big-integer operations for
# _BATCH ids instead of a system call and bit twiddling per id (the id was 2 us of every event).
_BATCH = 256
_TAIL_BYTES = 10  # version (4 bits), rand_a (12), variant (2), rand_b (62)
# Per 10-byte tail: clear the version nibble and the two variant bits, then set version 7 and variant 0b10.
_CLEAR = int.from_bytes(bytes.fromhex("0fff3fffffffffffffff") * _BATCH, "big")
_SET = int.from_bytes(bytes.fromhex("70008000000000000000") * _BATCH, "big")
_tails: deque[str] = deque()


def _refill() -> None:
    digits = (
        (int.from_bytes(os.urandom(_TAIL_BYTES * _BATCH), "big") & _CLEAR | _SET)
        .to_bytes(_TAIL_BYTES * _BATCH, "big")
        .hex()
    )
    # deque.extend and popleft are atomic, so threads never share a tail; a racing refill only adds more.
    _tails.extend(
        f"{digits[at : at + 4]}-{digits[at + 4 : at + 8]}-{digits[at + 8 : at + 20]}"
        for at in range(0, len(digits), 2 * _TAIL_BYTES)
    )


# A forked child must not hand out the ids its parent already holds.
os.register_at_fork(after_in_child=_tails.clear)


_HEX_BYTE = tuple(f"{byte:02x}" for byte in range(256))


@lru_cache(maxsize=64)
def _high_prefix(high: int) -> str:
    """The first 8 hex digits of a UUIDv7 and its dash, from bits 47 to 16 of its milliseconds."""
    return f"{high & 0xFFFF_FFFF:08x}-"


def _prefix_text(millis: int) -> str:
    """The first 13 hex digits of a UUIDv7 with their dashes: its 48 bits of milliseconds.

    Built from the memoized high part (it changes every 65 seconds) and two table look-ups, so that
    times differing by the millisecond (a Firehose batch's arrivals) cost no formatting each.
    """
    return _high_prefix(millis >> 16) + _HEX_BYTE[millis >> 8 & 0xFF] + _HEX_BYTE[millis & 0xFF] + "-"


_millis_prefix = lru_cache(maxsize=1024)(_prefix_text)


def new_event_id(now_ms: int | None = None) -> str:
    """Return a UUIDv7: 48 bits of Unix milliseconds, then 74 random bits (from os.urandom)."""
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    try:
        tail = _tails.popleft()
    except IndexError:
        _refill()
        tail = _tails.popleft()
    return _millis_prefix(millis) + tail


# RFC 9562 section 6.2, method 1: within one request, rand_a (12 bits) is a counter and rand_b (62
# bits) is drawn once. The ids of a request are distinct and in order; another request, even in the
# same millisecond, draws another rand_b. Text per counter value is made once, so an id is two joins.
_COUNTER_TEXT = [f"7{counter:03x}-" for counter in range(4096)]
_RAND_B_MASK = (1 << 62) - 1
_VARIANT = 0b10 << 62


def _counter_run(count: int) -> tuple[list[str], str]:
    """The counter texts of ``count`` ids from a random start, and their rand_b text: one draw."""
    if not 0 <= count <= len(_COUNTER_TEXT):
        raise ValueError(f"at most {len(_COUNTER_TEXT)} ids per call")
    random = int.from_bytes(os.urandom(10), "big")
    start = (random >> 64) % (len(_COUNTER_TEXT) - count + 1)  # a random start leaves no counter unused
    rand_b = f"{_VARIANT | (random & _RAND_B_MASK):016x}"
    return _COUNTER_TEXT[start : start + count], f"{rand_b[:4]}-{rand_b[4:]}"


def new_event_ids(count: int, now_ms: int) -> list[str]:
    """``count`` distinct, ordered UUIDv7s of one millisecond: the server ids of one request (count <= 4096)."""
    counters, suffix = _counter_run(count)
    prefix = _millis_prefix(now_ms)
    return [prefix + counter + suffix for counter in counters]


def new_event_ids_at(millis: list[int]) -> list[str]:
    """A UUIDv7 for each entry of ``millis``, with that millisecond: the ids of a Firehose batch.

    ``new_event_ids`` when the times differ (record arrival times do): the counter counts ids in the
    order given, whatever their millisecond, and each run of 4096 draws its own rand_b and start. So
    the ids of a run are distinct (same millisecond, other counter), and those of one millisecond are
    in order; runs are as distinct as two requests' ids are.
    """
    ids: list[str] = []
    for first in range(0, len(millis), len(_COUNTER_TEXT)):
        run = millis[first : first + len(_COUNTER_TEXT)]
        counters, suffix = _counter_run(len(run))
        # Each distinct millisecond formatted once, without the memo (it would miss for each one).
        prefixes = {ms: _prefix_text(ms) for ms in set(run)}
        tails = [counter + suffix for counter in counters]
        ids += map(str.__add__, map(prefixes.__getitem__, run), tails)
    return ids
