"""Splitting any iterable of events into requests POST /v1/events/batch accepts: <= 500 events, <= 4 MiB."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MAX_EVENTS = 500
MAX_BYTES = 4 * 1024 * 1024
_OPEN, _CLOSE, _COMMA = b'{"events":[', b"]}", b","


@dataclass(slots=True)
class Batch:
    """Events already encoded, with their positions in the caller's iterable."""

    positions: list[int]
    parts: list[bytes]

    def body(self) -> bytes:
        """The exact request body whose size the split was measured on."""
        return _OPEN + _COMMA.join(self.parts) + _CLOSE


def body_size(parts_bytes: int, count: int) -> int:
    return len(_OPEN) + parts_bytes + max(count - 1, 0) + len(_CLOSE)


def split(
    encoded: Iterable[tuple[int, bytes]], max_events: int = MAX_EVENTS, max_bytes: int = MAX_BYTES
) -> Iterator[Batch]:
    """Greedy, in order, lazily: an event too large for any batch goes alone (the API then says why)."""
    batch = Batch([], [])
    size = 0
    for position, part in encoded:
        if batch.parts and (
            len(batch.parts) == max_events or body_size(size + len(part), len(batch.parts) + 1) > max_bytes
        ):
            yield batch
            batch, size = Batch([], []), 0
        batch.positions.append(position)
        batch.parts.append(part)
        size += len(part)
    if batch.parts:
        yield batch
