"""Event ids: time-ordered UUIDv7 (RFC 9562), so ids sort by arrival like the index does."""

from __future__ import annotations

import os
import time


def new_event_id(now_ms: int | None = None) -> str:
    """Return a UUIDv7: 48 bits of Unix milliseconds, then 74 random bits."""
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76  # version 7
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & 0x3FFF_FFFF_FFFF_FFFF  # rand_b, 62 bits
    # Formatted directly: uuid.UUID(int=...) costs more than the rest of this function together.
    digits = f"{value:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
