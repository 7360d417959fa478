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
from audit_shared.events import enrich, ndjson_line, normalize
from audit_shared.index import content_hash, index_item
from audit_shared.record_frames import frames
from audit_shared.retry import Backoff
from audit_shared.schema import SERVER_FIELDS
from audit_shared.validation import EventPolicy, FieldError, validate_event
from ingestion.candidates import Candidate
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


def _claim_refusal(candidate: Candidate, state: ClaimState, error: str) -> Refused:
    """The answer for an id this request could not claim (state is CONFLICT, IN_PROGRESS or UNAVAILABLE)."""
    eventid = candidate.eventid
    if state is ClaimState.CONFLICT:
        message = f"eventid {eventid} was already used by this initiator for an event with different content"
        return Refused(candidate.index, 409, "IdempotencyConflict", message, eventid=eventid)
    if state is ClaimState.IN_PROGRESS:
        message = f"another request is storing eventid {eventid} right now; retry shortly"
        return Refused(candidate.index, 409, "IdempotencyInProgress", message, eventid=eventid, retry_later=True)
    message = f"duplicate check failed ({error}); retry later"
    return Refused(candidate.index, 503, "ServiceUnavailable", message, eventid=eventid)


def prepare(
    raw_events: Sequence[Any], caller: Caller, settings: Settings, now_ms: int
) -> tuple[list[Candidate], list[Refused]]:
    """The general path: validate and authorize each parsed event, wording every refusal.

    ingestion.typed_batch does the same for a body whose every event is surely fine, faster.
    """
    candidates: list[Candidate] = []
    refused: list[Refused] = []
    for index, raw in enumerate(raw_events):
        refusal = _refusal_for(raw, index, settings, caller, now_ms)
        if refusal:
            refused.append(refusal)
            continue
        # Hash what the client sent (normalized), before the server fields are added.
        client_hash = content_hash(normalize(raw)) if "eventid" in raw else None
        event = enrich(raw, received_ms=now_ms, source_ip=caller.source_ip, api_key_id=caller.api_key_id)
        line = ndjson_line(event)
        candidates.append(
            Candidate(
                index, event["initiatorsystemcode"], event["eventid"], event["receivedat"], line, client_hash, event
            )
        )
    return candidates, refused


def ingest(
    candidates: list[Candidate],
    refused: list[Refused],
    settings: Settings,
    clients: Any,
    now_ms: int,
    backoff: Backoff,
    record_key: bytes,
) -> Outcome:
    """Claim, deliver and index prepared events; ``refused`` are those refused while preparing.

    ``record_key`` authenticates the Firehose records (audit_shared.record_frames).
    """
    outcome = Outcome(refused=list(refused))
    if not candidates:
        return outcome

    # A (initiator, eventid) seen twice in one request is stored once; the repeats follow the first.
    first_by_key: dict[str, Candidate] = {}
    repeats: list[Candidate] = []
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
            outcome.accepted.append(Accepted(candidate.index, candidate.eventid, candidate.receivedat, duplicate=True))
        else:
            outcome.refused.append(_claim_refusal(candidate, result.state, result.error))
    to_deliver = [candidate for candidate in fresh if not candidate.client_hash or candidate.key in tokens]

    records, members = _records(to_deliver, record_key)
    report = put_records(clients.firehose, settings.stream_name, records, backoff)
    outcome.delivery_retries = report.retries
    delivered = {position for record in report.delivered for position in members[record]}
    failures = {position: report.failed[record] for record in report.failed for position in members[record]}
    items = []
    for position, candidate in enumerate(to_deliver):
        if position in delivered:
            canonical = candidate.line[:-1].decode("utf-8")
            items.append(
                index_item(candidate.item_fields(), now_ms, settings.retention_days, canonical, candidate.client_hash)
            )
            accepted = Accepted(candidate.index, candidate.eventid, candidate.receivedat, duplicate=False)
            outcome.accepted.append(accepted)
            continue
        message = f"delivery failed after retries ({failures.get(position, 'unknown error')}); retry later"
        outcome.refused.append(Refused(candidate.index, 503, "DeliveryFailed", message, eventid=candidate.eventid))
        if candidate.key in tokens:
            _release(clients.dynamodb, settings.table_name, candidate.key, tokens[candidate.key])

    unwritten = write_items(clients.dynamodb, settings.table_name, items, backoff)
    outcome.unindexed_event_ids = [item["eventid"]["S"] for item in unwritten]

    # Repeats inside one request share the fate of the first occurrence, unless their content differs.
    accepted_by_index = {item.index: item for item in outcome.accepted}
    refused_by_index = {item.index: item for item in outcome.refused}
    for candidate in repeats:
        first = first_by_key[candidate.key]
        eventid = candidate.eventid
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


def _records(candidates: list[Candidate], key: bytes) -> tuple[list[bytes], list[list[int]]]:
    """Firehose records for the candidates, a partition each (see audit_shared.record_frames), and
    for each record the positions of the candidates it carries."""
    by_partition: dict[tuple[str, ...], list[int]] = {}
    for position, candidate in enumerate(candidates):
        by_partition.setdefault(candidate.partition(), []).append(position)
    records: list[bytes] = []
    members: list[list[int]] = []
    for partition, positions in by_partition.items():
        start = 0
        for record, count in frames(key, [candidates[position].line for position in positions], partition):
            records.append(record)
            members.append(positions[start : start + count])
            start += count
    return records, members


def _release(client: Any, table: str, key: str, token: int) -> None:
    try:
        release(client, table, key, token)
    except Exception:  # the claim expires by itself; the delivery failure is what the client needs
        logger.warning("could not release the claim on a failed delivery", extra={"key": key})
