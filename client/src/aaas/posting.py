"""Posting a mixed file: each event with the key allowed to post its initiator, and what came of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from aaas.client import AuditClient
from aaas.config import Profile
from aaas.models import Event, ItemResult


@dataclass
class Tally:
    """Counts per outcome, refusals per reason, and the ids of the stored events."""

    stored: int = 0
    duplicate: int = 0
    refused: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    eventids: list[str] = field(default_factory=list)

    def add(self, result: ItemResult) -> None:
        if result.ok:
            self.duplicate += result.duplicate
            self.stored += not result.duplicate
            if result.eventid:
                self.eventids.append(result.eventid)
        else:
            self.refused += 1
            reason = f"{result.errorcode or 'Error'} ({result.status})"
            self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def summary(self) -> str:
        return f"{self.stored} stored, {self.duplicate} duplicate, {self.refused} refused"

    def to_dict(self) -> dict[str, Any]:
        return {"stored": self.stored, "duplicate": self.duplicate, "refused": self.refused,
                "reasons": self.reasons, "eventids": self.eventids}  # fmt: skip


def post_by_key(
    profile: Profile,
    events: Sequence[Event],
    client_for: Callable[[str], AuditClient],
    client_name: str | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, ItemResult]]:
    """(position in `events`, result) for every event, posted in batches per key."""
    groups: dict[str, list[int]] = {}
    for position, event in enumerate(events):
        initiator = event.get("initiatorsystemcode") if isinstance(event, dict) else None
        groups.setdefault(profile.write_key(initiator, client_name), []).append(position)
    for key, positions in groups.items():
        for result in client_for(key).post_events((events[n] for n in positions), on_batch=on_batch):
            yield positions[result.index], result
