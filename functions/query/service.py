"""What the read API does, independent of HTTP: look one event up, or page through a search.

Every read is tenant-scoped: the initiators come from the caller's API key, a foreign or unknown id
reads as "not found", and a cursor only resumes the search of the client it was issued to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from audit_shared import jsonio, proofs
from audit_shared.access import ClientAccess
from audit_shared.clock import iso_utc
from audit_shared.index import FILTER_INDEXES, INITIATOR_INDEX, event_key, gsi_hash_value, sort_range
from audit_shared.retry import Backoff
from audit_shared.validation import FieldError
from query.cursor import CursorCodec, CursorError
from query.params import QueryError, parse_get, parse_search
from query.reader import RangeQuery, events_by_key, query_page

CURSOR_ERRORCODES = {
    "tampered": "CursorTampered",
    "foreign-tenant": "CursorForeignTenant",
    "changed-filter": "CursorFilterChanged",
    "expired": "CursorExpired",
}


@dataclass(frozen=True, slots=True)
class Settings:
    table_name: str
    clients: dict[str, ClientAccess]  # API key id -> access
    retention_days: int
    cursor_ttl_seconds: int
    bucket: str = ""  # the archive and the digest ledger, for proofs
    ledger_table: str = ""
    digest_interval_minutes: int = 60


def not_found(eventid: str, retention_days: int) -> QueryError:
    return QueryError(
        404,
        "NotFound",
        f"no event {eventid} is readable with this API key. The index keeps events for {retention_days} days "
        "after receipt; older events are only in the S3 archive, which exports read",
    )


def get_event(
    client: Any, settings: Settings, access: ClientAccess, eventid: str, params: Mapping[str, Sequence[str]]
) -> str:
    """The canonical JSON of one event, exactly as archived."""
    eventid, initiators = parse_get(eventid, params, access)
    keys = {event_key(initiator, eventid): initiator for initiator in initiators}
    found = events_by_key(client, settings.table_name, list(keys), Backoff())
    if not found:
        raise not_found(eventid, settings.retention_days)
    if len(found) > 1:
        where = ", ".join(sorted(keys[key] for key in found))
        message = f"eventid {eventid} names an event under each of {where}; pass initiatorsystemcode"
        raise QueryError(400, "AmbiguousEventId", message, [FieldError("initiatorsystemcode", message)])
    return next(iter(found.values()))


def search(
    client: Any,
    settings: Settings,
    access: ClientAccess,
    params: Mapping[str, Sequence[str]],
    codec: CursorCodec,
    now_s: int,
) -> str:
    """One page of matching events as the JSON body ``{"events": [...], "next": cursor | null}``.

    The events are spliced in as stored, so each is byte for byte the archived line.
    """
    query = parse_search(params, access)
    digest = query.filter_digest()
    start = None
    if query.cursor:
        try:
            start = codec.open(query.cursor, tenant=access.client, filter_digest=digest, now_s=now_s)
        except CursorError as exc:
            raise QueryError(
                400, CURSOR_ERRORCODES[exc.reason], exc.message, [FieldError("cursor", exc.message)]
            ) from exc
    low, high = sort_range(query.from_ms, query.to_ms)
    range_query = RangeQuery(
        index=FILTER_INDEXES[query.field] if query.field else INITIATOR_INDEX,
        hash_value=gsi_hash_value(query.initiator, query.field, query.value),
        low=low,
        high=high,
        ascending=query.order == "asc",
    )
    page = query_page(client, settings.table_name, range_query, query.limit, start)
    cursor = (
        codec.mint(tenant=access.client, filter_digest=digest, position=page.resume_after, now_s=now_s)
        if page.resume_after
        else None
    )
    next_json = f'"{cursor}"' if cursor else "null"  # base64url and '.': nothing to escape
    return f'{{"events":[{",".join(page.events)}],"next":{next_json}}}'


def event_proof(
    clients: Any,
    settings: Settings,
    access: ClientAccess,
    eventid: str,
    params: Mapping[str, Sequence[str]],
    now_ms: int,
) -> dict[str, Any]:
    """The inclusion proof of one readable event in the signed digest that sealed it.

    Tenant-scoped like get_event (a foreign id is a 404). Until the event's object is sealed the
    answer is a 409 that says when sealing is expected.
    """
    event = jsonio.loads(get_event(clients.dynamodb, settings, access, eventid, params))
    result = proofs.proof_for_event(
        clients, settings.bucket, settings.ledger_table, event, now_ms, settings.digest_interval_minutes
    )
    if isinstance(result, proofs.Proof):
        return result.document
    if isinstance(result, proofs.Pending):
        expected = iso_utc(result.expected_ms)
        raise QueryError(409, "NotSealedYet", f"event {eventid} is archived but not sealed yet; expected by {expected}")
    raise QueryError(
        409, "NotArchivedYet", f"event {eventid} is not in an archived object yet (Firehose buffers it); retry later"
    )
