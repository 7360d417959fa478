"""Time helpers. Every timestamp the pipeline writes is UTC."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache

MILLIS_PER_DAY = 86_400_000


def now_millis() -> int:
    return time.time_ns() // 1_000_000


# ".000Z" to ".999Z": the end of iso_utc's text for each millisecond of a second.
_MILLIS_SUFFIX = tuple(f".{n:03d}Z" for n in range(1000))


@lru_cache(maxsize=4096)
def iso_utc(millis: int) -> str:
    """Epoch milliseconds as ISO 8601 with millisecond precision and a Z suffix."""
    return _iso_second(millis // 1000) + _MILLIS_SUFFIX[millis % 1000]


def iso_utc_each(millis: Iterable[int]) -> dict[int, str]:
    """``iso_utc`` of each distinct value: for many at once, such as the arrival times of a Firehose batch.

    Arrival times differ by the millisecond, and iso_utc's memo then misses for each one; here only
    each second is formatted (memoized), and each millisecond costs a look-up and a concatenation.
    """
    return {ms: _iso_second(ms // 1000) + _MILLIS_SUFFIX[ms % 1000] for ms in set(millis)}


def utc_date_parts(millis: int) -> tuple[str, str, str]:
    """Zero-padded (year, month, day) so S3 keys sort by date."""
    return _date_parts(millis // MILLIS_PER_DAY)


# A Firehose batch or an API request spans a few seconds and days at most: formatting each second
# and day once keeps datetime out of the per-event cost.
@lru_cache(maxsize=1024)
def _iso_second(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")


@lru_cache(maxsize=1024)
def _date_parts(day: int) -> tuple[str, str, str]:
    moment = datetime.fromtimestamp(day * 86_400, tz=UTC)
    return f"{moment.year:04d}", f"{moment.month:02d}", f"{moment.day:02d}"


def millis_from_iso(text: str) -> int:
    """Epoch milliseconds of an ISO 8601 time with a Z or numeric offset (as S3 and iso_utc write)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return round(moment.timestamp() * 1000)
