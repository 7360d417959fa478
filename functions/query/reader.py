"""DynamoDB reads of the read API: items by table key, and one page of a GSI range."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audit_shared.index import EVENT_ATTRIBUTE, GSI_HASH_KEYS, KEY_ATTRIBUTE, SORT_ATTRIBUTE, item_position, start_key
from audit_shared.retry import Backoff, chunks

MAX_GET_BATCH = 100  # BatchGetItem's limit


class IndexUnavailableError(RuntimeError):
    """DynamoDB kept some keys unprocessed (throttling); the caller should answer 503."""


def events_by_key(client: Any, table: str, keys: list[str], backoff: Backoff) -> dict[str, str]:
    """Table key -> canonical event text for the keys that hold a complete event.

    One GetItem for one key and one BatchGetItem for up to 100: a look-up by id is one read. Claims
    in progress (items without an event) are not events yet and are left out.
    """
    found: dict[str, str] = {}
    if len(keys) == 1:
        item = client.get_item(TableName=table, Key={KEY_ATTRIBUTE: {"S": keys[0]}}, ConsistentRead=True).get("Item")
        if item and EVENT_ATTRIBUTE in item:
            found[keys[0]] = item[EVENT_ATTRIBUTE]["S"]
        return found
    for batch in chunks(sorted(set(keys)), MAX_GET_BATCH):
        request: dict[str, Any] = {
            table: {
                "Keys": [{KEY_ATTRIBUTE: {"S": key}} for key in batch],
                "ProjectionExpression": "#pk, #event",
                "ExpressionAttributeNames": {"#pk": KEY_ATTRIBUTE, "#event": EVENT_ATTRIBUTE},
                "ConsistentRead": True,
            }
        }
        for _ in backoff.pauses():
            response = client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(table, []):
                if EVENT_ATTRIBUTE in item:
                    found[item[KEY_ATTRIBUTE]["S"]] = item[EVENT_ATTRIBUTE]["S"]
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise IndexUnavailableError(f"DynamoDB left {len(request[table]['Keys'])} keys unprocessed")
    return found


@dataclass(frozen=True, slots=True)
class RangeQuery:
    index: str
    hash_value: str
    low: str  # inclusive bounds on SORT_ATTRIBUTE
    high: str
    ascending: bool


@dataclass(frozen=True, slots=True)
class Page:
    events: list[str]  # canonical event texts, in order
    resume_after: dict[str, str] | None  # position of the last event when more follow


def query_page(client: Any, table: str, query: RangeQuery, limit: int, start: dict[str, str] | None) -> Page:
    """Up to ``limit`` events after ``start``, and whether more follow.

    Asks for limit + 1 items so that ``resume_after`` is None exactly when the range is exhausted;
    a second call happens only when DynamoDB's 1 MB page cap cuts the first one short.
    """
    hash_attribute = GSI_HASH_KEYS[query.index]
    request: dict[str, Any] = {
        "TableName": table,
        "IndexName": query.index,
        "KeyConditionExpression": "#hash = :hash AND #sort BETWEEN :low AND :high",
        "ProjectionExpression": "#pk, #sort, #hash, #event",
        "ExpressionAttributeNames": {
            "#hash": hash_attribute,
            "#sort": SORT_ATTRIBUTE,
            "#pk": KEY_ATTRIBUTE,
            "#event": EVENT_ATTRIBUTE,
        },
        "ExpressionAttributeValues": {
            ":hash": {"S": query.hash_value},
            ":low": {"S": query.low},
            ":high": {"S": query.high},
        },
        "ScanIndexForward": query.ascending,
    }
    if start:
        request["ExclusiveStartKey"] = start_key(start)
    items: list[dict[str, Any]] = []
    while len(items) <= limit:
        response = client.query(**request, Limit=limit + 1 - len(items))
        items.extend(response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            break
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    page = items[:limit]
    more = len(items) > limit
    return Page(
        events=[item[EVENT_ATTRIBUTE]["S"] for item in page],
        resume_after=item_position(page[-1], query.index) if more else None,
    )
