"""What the ingestion API does with a list of posted events, independent of HTTP.

Every posted item ends in exactly one of three places: accepted (archived through Firehose and
indexed), reported back as a duplicate of an already stored event, or refused with a reason.
An event's identity is (initiatorsystemcode, eventid): a client-chosen id is claimed atomically in
the index before delivery (ingestion.claims), so concurrent retries archive it exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger

from audit_shared.access import ClientAccess
from audit_shared.events import as_ndjson_line, canonical_json, enrich, normalize
from audit_shared.index import content_hash, event_key, index_item
from audit_shared.retry import Backoff
from audit_shared.schema import SERVER_FIELDS
from audit_shared.validation import EventPolicy, FieldError, validate_event
from ingestion.claims import ClaimRequest, ClaimState, claim_all, release
from ingestion.delivery import put_records
from ingestion.index_writer import write_items

logger = Logger(child=True)


@dataclass(frozen=True, slots=True)
class Caller:
    api_key_id: str | None
    source_ip: str | None


@dataclass(frozen=True, slots=True)
class Settings:
    policy: EventPolicy
    clients: dict[str, ClientAccess]  # API key id -> access
    stream_name: str
    table_name: str
    retention_days: int
    claim_ms: int  # how long an unfinished claim on a client eventid blocks others (> the function timeout)


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
    retry_later: bool = False  # a 4xx the client should retry (another request holds the eventid)

    @property
    def retryable(self) -> bool:
        return self.status >= 500 or self.retry_later

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
    access = settings.clients.get(caller.api_key_id or "")
    code = raw["initiatorsystemcode"]
    if access is None or not access.may_write(code):
        message = f"this API key may not post events for initiator system {code!r}"
        return Refused(index, 403, "Forbidden", message, (FieldError("initiatorsystemcode", message),))
    return None


@dataclass(frozen=True, slots=True)
class _Candidate:
    index: int
    event: dict[str, Any]
    client_hash: str | None  # set when the client chose the eventid

    @property
    def key(self) -> str:
        return event_key(self.event["initiatorsystemcode"], self.event["eventid"])


def _claim_refusal(candidate: _Candidate, state: ClaimState, error: str) -> Refused:
    """The answer for an id this request could not claim (state is CONFLICT, IN_PROGRESS or UNAVAILABLE)."""
    eventid = candidate.event["eventid"]
    if state is ClaimState.CONFLICT:
        message = f"eventid {eventid} was already used by this initiator for an event with different content"
        return Refused(candidate.index, 409, "IdempotencyConflict", message, eventid=eventid)
    if state is ClaimState.IN_PROGRESS:
        message = f"another request is storing eventid {eventid} right now; retry shortly"
        return Refused(candidate.index, 409, "IdempotencyInProgress", message, eventid=eventid, retry_later=True)
    message = f"duplicate check failed ({error}); retry later"
    return Refused(candidate.index, 503, "ServiceUnavailable", message, eventid=eventid)


def ingest(
    raw_events: Sequence[Any],
    caller: Caller,
    settings: Settings,
    clients: Any,
    now_ms: int,
    backoff: Backoff,
) -> Outcome:
    """Validate, authorize, claim, deliver and index a list of posted events."""
    outcome = Outcome()
    candidates: list[_Candidate] = []
    for index, raw in enumerate(raw_events):
        refusal = _refusal_for(raw, index, settings, caller, now_ms)
        if refusal:
            outcome.refused.append(refusal)
            continue
        # Hash what the client sent (normalized), before the server fields are added.
        client_hash = content_hash(normalize(raw)) if "eventid" in raw else None
        event = enrich(raw, received_ms=now_ms, source_ip=caller.source_ip, api_key_id=caller.api_key_id)
        candidates.append(_Candidate(index, event, client_hash))
    if not candidates:
        return outcome

    # A (initiator, eventid) seen twice in one request is stored once; the repeats follow the first.
    first_by_key: dict[str, _Candidate] = {}
    repeats: list[_Candidate] = []
    for candidate in candidates:
        if candidate.key in first_by_key:
            repeats.append(candidate)
        else:
            first_by_key[candidate.key] = candidate
    fresh = list(first_by_key.values())

    to_claim = [candidate for candidate in fresh if candidate.client_hash]
    claims = claim_all(
        clients.dynamodb,
        settings.table_name,
        [ClaimRequest(candidate.key, candidate.client_hash or "") for candidate in to_claim],
        now_ms,
        settings.claim_ms,
    )
    tokens: dict[str, int] = {}
    for candidate, result in zip(to_claim, claims, strict=True):
        if result.state is ClaimState.CLAIMED:
            tokens[candidate.key] = result.token
        elif result.state is ClaimState.DUPLICATE:
            event = candidate.event
            outcome.accepted.append(Accepted(candidate.index, event["eventid"], event["receivedat"], duplicate=True))
        else:
            outcome.refused.append(_claim_refusal(candidate, result.state, result.error))
    to_deliver = [candidate for candidate in fresh if not candidate.client_hash or candidate.key in tokens]

    # Serialized once: the archived line and the index item's copy must be the same text anyway.
    canonical = [canonical_json(candidate.event) for candidate in to_deliver]
    report = put_records(clients.firehose, settings.stream_name, [as_ndjson_line(text) for text in canonical], backoff)
    outcome.delivery_retries = report.retries
    items = []
    for position, candidate in enumerate(to_deliver):
        event = candidate.event
        if position in report.delivered:
            items.append(index_item(event, now_ms, settings.retention_days, canonical[position], candidate.client_hash))
            outcome.accepted.append(Accepted(candidate.index, event["eventid"], event["receivedat"], duplicate=False))
            continue
        message = f"delivery failed after retries ({report.failed.get(position, 'unknown error')}); retry later"
        outcome.refused.append(Refused(candidate.index, 503, "DeliveryFailed", message, eventid=event["eventid"]))
        if candidate.key in tokens:
            _release(clients.dynamodb, settings.table_name, candidate.key, tokens[candidate.key])

    unwritten = write_items(clients.dynamodb, settings.table_name, items, backoff)
    outcome.unindexed_event_ids = [item["eventid"]["S"] for item in unwritten]

    # Repeats inside one request share the fate of the first occurrence, unless their content differs.
    accepted_by_index = {item.index: item for item in outcome.accepted}
    refused_by_index = {item.index: item for item in outcome.refused}
    for candidate in repeats:
        first = first_by_key[candidate.key]
        eventid = candidate.event["eventid"]
        if candidate.client_hash != first.client_hash:
            outcome.refused.append(_claim_refusal(candidate, ClaimState.CONFLICT, ""))
        elif first.index in accepted_by_index:
            stored = accepted_by_index[first.index]
            outcome.accepted.append(Accepted(candidate.index, eventid, stored.receivedat, duplicate=True))
        else:
            failed = refused_by_index[first.index]
            outcome.refused.append(
                Refused(
                    candidate.index,
                    failed.status,
                    failed.errorcode,
                    failed.message,
                    eventid=eventid,
                    retry_later=failed.retry_later,
                )
            )
    outcome.accepted.sort(key=lambda item: item.index)
    outcome.refused.sort(key=lambda item: item.index)
    return outcome


def _release(client: Any, table: str, key: str, token: int) -> None:
    try:
        release(client, table, key, token)
    except Exception:  # the claim expires by itself; the delivery failure is what the client needs
        logger.warning("could not release the claim on a failed delivery", extra={"key": key})
