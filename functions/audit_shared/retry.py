"""Bounded exponential backoff with full jitter, shared by every AWS batch call that can partly fail."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    attempts: int = 5
    base_seconds: float = 0.05
    cap_seconds: float = 2.0
    sleep: Callable[[float], None] = time.sleep

    def pauses(self) -> Iterator[int]:
        """Yield attempt numbers 1..attempts, sleeping before every attempt after the first."""
        for attempt in range(1, self.attempts + 1):
            if attempt > 1:
                ceiling = min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 2))
                self.sleep(random.uniform(0, ceiling))  # noqa: S311 - jitter, not cryptography
            yield attempt


def chunks[T](items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
