"""Index items from the archive: for each archived event, exactly the item ingestion would have written.

Shared by the indexer function (S3 ObjectCreated under data/) and scripts/reindex.py (disaster
recovery), so both rebuild the same keys, TTL and ``contenthash`` as ingestion.

Ingestion writes ``index_item(event, received_ms, retention, canonical, client_hash)`` where
``received_ms`` is the time it also wrote as ``receivedat`` (millisecond precision) and
``client_hash = content_hash(normalize(posted event))`` only when the client chose the eventid. The
archived line is ``canonical(enrich(posted))``, and enrich adds only the server fields
(``receivedat``, ``schemaversion``, ``sourceip``, ``apikeyid``) to ``normalize(posted)``; the API
refuses those fields from clients. So the archived event without the server fields *is*
``normalize(posted)``, and its hash is the one ingestion computed.

Whether the client chose the id is not stored in the event. A server-assigned id is a UUIDv7 whose
48-bit time is ``receivedat`` to the millisecond (``new_event_id(received_ms)`` in enrich); any
other id was chosen by its sender. The one misreading: a client that mints a UUIDv7 in the very
millisecond the API receives it gets an item without ``contenthash``, so a later re-post of it is
answered ``409 IdempotencyConflict`` instead of ``200 duplicate`` (refused, never stored twice).

Writes never downgrade: an item that already holds a complete event (``event``) is left alone,
whoever wrote it; only an absent item or a claim (ingestion's item without ``event``) is replaced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from audit_shared import jsonio
from audit_shared.clock import millis_from_iso
from audit_shared.digests import archive_lines
from audit_shared.events import canonical_json
from audit_shared.index import (
    EVENT_ATTRIBUTE,
    KEY_ATTRIBUTE,
    TTL_ATTRIBUTE,
    content_hash,
    index_item,
    write_batches,
)
from audit_shared.retry import Backoff, chunks
from audit_shared.schema import SERVER_FIELDS

MAX_GET_BATCH = 100  # BatchGetItem
_UUID7 = re.compile(r"^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
# What index_item reads from an event, and the JSON type each must have.
_INDEXED_FIELDS = {
    "initiatorsystemcode": str,
    "eventid": str,
    "requestorid": str,
    "requestorip": str,
    "eventtype": str,
    "receivedat": str,
    "timestamp": int,
}


class NotAnEventError(ValueError):
    """An archived line that is not an event the index can hold (never written by the transformation)."""


def server_assigned_id(eventid: str, received_ms: int) -> bool:
    """True for the id enrich() assigns: a UUIDv7 stamped with the receive time."""
    match = _UUID7.match(eventid)
    return match is not None and int(match[1] + match[2], 16) == received_ms


def client_content_hash(event: dict[str, Any], received_ms: int) -> str | None:
    """The contenthash ingestion stored for this event: None for a server-assigned id."""
    if server_assigned_id(event["eventid"], received_ms):
        return None
    return content_hash({name: value for name, value in event.items() if name not in SERVER_FIELDS})


def item_for_event(event: Any, retention_days: int, canonical: str | None = None) -> tuple[dict[str, Any], int]:
    """(index item, received ms) of one archived event; NotAnEventError when it cannot be indexed."""
    if not isinstance(event, dict):
        raise NotAnEventError("not a JSON object")
    wrong = [name for name, kind in _INDEXED_FIELDS.items() if type(event.get(name)) is not kind]
    if wrong:
        raise NotAnEventError(f"missing or mistyped: {', '.join(wrong)}")
    try:
        received_ms = millis_from_iso(event["receivedat"])
    except ValueError as exc:
        raise NotAnEventError(f"receivedat: {exc}") from exc
    text = canonical if canonical is not None else canonical_json(event)
    item = index_item(event, received_ms, retention_days, text, client_content_hash(event, received_ms))
    return item, received_ms


@dataclass
class ObjectItems:
    """The items of one archived object, and what was left out."""

    items: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0  # event lines read
    expired: int = 0  # past the index retention: ingestion's item would be gone by now
    not_events: list[tuple[int, str]] = field(default_factory=list)  # (1-based line, reason)


def items_from_object(raw: bytes, retention_days: int, now_ms: int) -> ObjectItems:
    """Index items for every event line of one archived object (gzip NDJSON, or plain NDJSON).

    Raises digests.UnreadableObjectError when the bytes are not a gzip stream.
    """
    result = ObjectItems()
    now_s = now_ms // 1000
    for number, line in enumerate(archive_lines(raw), start=1):
        try:
            event, canonical = jsonio.loads_canonical(line)
            item, _ = item_for_event(event, retention_days, canonical.decode("utf-8"))
        except jsonio.JSONError as exc:
            result.not_events.append((number, f"not JSON: {exc.reason}"))
            continue
        except NotAnEventError as exc:
            result.not_events.append((number, str(exc)))
            continue
        result.events += 1
        if int(item[TTL_ATTRIBUTE]["N"]) <= now_s:
            result.expired += 1
            continue
        result.items.append(item)
    return result


@dataclass
class WriteReport:
    written: int = 0  # items put (absent, or only a claim, before)
    present: int = 0  # complete items left as they were (already indexed, or a repeat in the input)

    def add(self, other: WriteReport) -> None:
        self.written += other.written
        self.present += other.present


def unique_by_key(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first item per table key: an archive may hold an event twice (Firehose is at-least-once)."""
    seen: dict[str, dict[str, Any]] = {}
    for item in items:
        seen.setdefault(item[KEY_ATTRIBUTE]["S"], item)
    return list(seen.values())


# --- one conditional PutItem per item (the indexer: exact, needs PutItem only) ---------------------


def put_if_unindexed(client: Any, table: str, item: dict[str, Any]) -> bool:
    """Put the item unless a complete event item exists under its key; True when it was written."""
    try:
        client.put_item(
            TableName=table,
            Item=item,
            ConditionExpression="attribute_not_exists(#event)",
            ExpressionAttributeNames={"#event": EVENT_ATTRIBUTE},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def put_unindexed(client: Any, table: str, items: Sequence[dict[str, Any]], workers: int = 8) -> WriteReport:
    """put_if_unindexed for every item, in parallel (boto3 clients are thread-safe)."""
    unique = unique_by_key(items)
    report = WriteReport(present=len(items) - len(unique))
    if not unique:
        return report
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(unique)))) as pool:
        for written in pool.map(lambda item: put_if_unindexed(client, table, item), unique):
            if written:
                report.written += 1
            else:
                report.present += 1
    return report


# --- batched: read which keys lack a complete event, then BatchWriteItem those (reindex) ---------


def unindexed_keys(client: Any, table: str, keys: Sequence[str], backoff: Backoff) -> set[str]:
    """The keys without a complete event item (absent, or only a claim), by BatchGetItem."""
    indexed: set[str] = set()
    for batch in chunks(list(keys), MAX_GET_BATCH):
        request: dict[str, Any] = {
            table: {
                "Keys": [{KEY_ATTRIBUTE: {"S": key}} for key in batch],
                # eventid is written with event by index_item and never by a claim; it is the
                # cheaper marker to transfer than the event text itself.
                "ProjectionExpression": "#pk, eventid",
                "ExpressionAttributeNames": {"#pk": KEY_ATTRIBUTE},
                "ConsistentRead": True,
            }
        }
        for _ in backoff.pauses():
            response = client.batch_get_item(RequestItems=request)
            indexed.update(
                item[KEY_ATTRIBUTE]["S"] for item in response["Responses"].get(table, []) if "eventid" in item
            )
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        if request:
            raise RuntimeError(f"BatchGetItem left {len(request[table]['Keys'])} keys unprocessed after retries")
    return set(keys) - indexed


def write_unindexed(client: Any, table: str, items: Sequence[dict[str, Any]], backoff: Backoff) -> WriteReport:
    """Write the items whose keys hold no complete event yet, in batches.

    Between the read and the write, only ingestion can write one of these keys, and for an event
    that is already archived it writes this very item; so the blind batch write clobbers nothing.
    """
    unique = unique_by_key(items)
    missing = unindexed_keys(client, table, [item[KEY_ATTRIBUTE]["S"] for item in unique], backoff)
    to_write = [item for item in unique if item[KEY_ATTRIBUTE]["S"] in missing]
    unwritten = write_batches(client, table, to_write, backoff)
    if unwritten:
        raise RuntimeError(f"BatchWriteItem left {len(unwritten)} items unprocessed after retries")
    return WriteReport(written=len(to_write), present=len(items) - len(to_write))
