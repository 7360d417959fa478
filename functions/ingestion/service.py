"""What the ingestion API does with a list of posted events, independent of HTTP.

Every posted item ends in exactly one of three places: accepted (archived through Firehose and
indexed), reported back as a duplicate of an already stored event, or refused with a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from audit_shared.events import as_ndjson_line, canonical_json, enrich
from audit_shared.index import index_item
from audit_shared.retry import Backoff
from audit_shared.schema import SERVER_FIELDS
from audit_shared.validation import EventPolicy, FieldError, validate_event
from ingestion.delivery import put_records
from ingestion.index_writer import IndexUnavailableError, existing_event_ids, write_items


@dataclass(frozen=True, slots=True)
class Caller:
    api_key_id: str | None
    source_ip: str | None


@dataclass(frozen=True, slots=True)
class Settings:
    policy: EventPolicy
    initiators_by_api_key: dict[str, frozenset[str]]
    stream_name: str
    table_name: str
    retention_days: int


@dataclass(frozen=True, slots=True)
class Accepted:
    index: int
    eventid: str
    receivedat: str
    duplicate: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "eventid": self.eventid,
            "receivedat": self.receivedat,
            "duplicate": self.duplicate,
        }


@dataclass(frozen=True, slots=True)
class Refused:
    index: int
    status: int
    errorcode: str
    message: str
    errors: tuple[FieldError, ...] = ()
    eventid: str | None = None

    @property
    def retryable(self) -> bool:
        return self.status >= 500

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "index": self.index,
            "status": self.status,
            "errorcode": self.errorcode,
            "message": self.message,
            "retryable": self.retryable,
        }
        if self.errors:
            body["errors"] = [error.to_dict() for error in self.errors]
        if self.eventid:
            body["eventid"] = self.eventid
        return body


@dataclass
class Outcome:
    accepted: list[Accepted] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    delivery_retries: int = 0
    unindexed_event_ids: list[str] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return sum(1 for item in self.accepted if item.duplicate)


def _refusal_for(raw: Any, index: int, settings: Settings, caller: Caller, now_ms: int) -> Refused | None:
    errors = validate_event(raw, settings.policy, now_ms)
    if isinstance(raw, dict):
        errors += [
            FieldError(name, "is set by the server and must not be sent") for name in sorted(SERVER_FIELDS & raw.keys())
        ]
    if errors:
        return Refused(index, 400, "ValidationError", "event failed validation", tuple(errors))
    allowed = settings.initiators_by_api_key.get(caller.api_key_id or "", frozenset())
    code = raw["initiatorsystemcode"]
    if code not in allowed:
        message = f"this API key may not post events for initiator system {code!r}"
        return Refused(index, 403, "Forbidden", message, (FieldError("initiatorsystemcode", message),))
    return None


def ingest(
    raw_events: Sequence[Any],
    caller: Caller,
    settings: Settings,
    clients: Any,
    now_ms: int,
    backoff: Backoff,
) -> Outcome:
    """Validate, authorize, de-duplicate, deliver and index a list of posted events."""
    outcome = Outcome()
    candidates: list[tuple[int, dict[str, Any]]] = []
    for index, raw in enumerate(raw_events):
        refusal = _refusal_for(raw, index, settings, caller, now_ms)
        if refusal:
            outcome.refused.append(refusal)
        else:
            event = enrich(raw, received_ms=now_ms, source_ip=caller.source_ip, api_key_id=caller.api_key_id)
            candidates.append((index, event))
    if not candidates:
        return outcome

    # A client-chosen eventid seen before, in this request or already indexed, is stored once.
    first_position: dict[str, int] = {}
    repeats: list[tuple[int, dict[str, Any]]] = []
    fresh: list[tuple[int, dict[str, Any]]] = []
    for index, event in candidates:
        if event["eventid"] in first_position:
            repeats.append((index, event))
        else:
            first_position[event["eventid"]] = index
            fresh.append((index, event))
    client_ids = [event["eventid"] for index, event in fresh if "eventid" in raw_events[index]]
    try:
        already_stored = (
            existing_event_ids(clients.dynamodb, settings.table_name, client_ids, backoff) if client_ids else set()
        )
    except IndexUnavailableError as exc:
        outcome.refused.extend(
            Refused(index, 503, "ServiceUnavailable", f"duplicate check failed: {exc}", eventid=event["eventid"])
            for index, event in candidates
        )
        return outcome
    to_deliver = []
    for index, event in fresh:
        if event["eventid"] in already_stored:
            outcome.accepted.append(Accepted(index, event["eventid"], event["receivedat"], duplicate=True))
        else:
            to_deliver.append((index, event))

    # Serialized once: the archived line and the index item's copy must be the same text anyway.
    canonical = [canonical_json(event) for _, event in to_deliver]
    report = put_records(clients.firehose, settings.stream_name, [as_ndjson_line(text) for text in canonical], backoff)
    outcome.delivery_retries = report.retries
    delivered = []
    for position, (index, event) in enumerate(to_deliver):
        if position in report.delivered:
            delivered.append((event, canonical[position]))
            outcome.accepted.append(Accepted(index, event["eventid"], event["receivedat"], duplicate=False))
        else:
            message = f"delivery failed after retries ({report.failed.get(position, 'unknown error')}); retry later"
            outcome.refused.append(Refused(index, 503, "DeliveryFailed", message, eventid=event["eventid"]))

    items = [index_item(event, now_ms, settings.retention_days, text) for event, text in delivered]
    unwritten = write_items(clients.dynamodb, settings.table_name, items, backoff)
    outcome.unindexed_event_ids = [item["eventid"]["S"] for item in unwritten]

    # Repeats inside one request share the fate of the first occurrence.
    results_by_id = {item.eventid: item for item in outcome.accepted}
    refusals_by_id = {item.eventid: item for item in outcome.refused if item.eventid}
    for index, event in repeats:
        first = results_by_id.get(event["eventid"])
        if first:
            outcome.accepted.append(Accepted(index, first.eventid, first.receivedat, duplicate=True))
        else:
            failed = refusals_by_id[event["eventid"]]
            outcome.refused.append(
                Refused(index, failed.status, failed.errorcode, failed.message, eventid=failed.eventid)
            )
    outcome.accepted.sort(key=lambda item: item.index)
    outcome.refused.sort(key=lambda item: item.index)
    return outcome
