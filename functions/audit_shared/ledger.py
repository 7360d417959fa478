"""The digest ledger: which archived object versions exist, and which digest sealed each of them.

One small DynamoDB table (``LEDGER_TABLE_NAME``), hash key ``pk`` (S), PAY_PER_REQUEST:

- ``object#<key>#<version id>``: one item per archived object version, written ``pending`` by the
  S3 ObjectCreated notification with a conditional put (a redelivered notification changes
  nothing), then ``sealed`` with the digest's key and sequence by a conditional update (so no
  object is sealed twice). While pending it carries ``pendingsince``, the hash key of the sparse
  GSI ``pending`` (KEYS_ONLY): the seal reads only what is waiting, however large the table grows.
- ``chain#head``: the newest digest (sequence, key, SHA-256, period end, running event total) and
  the seal lease (``leaseowner``, ``leaseuntil``), so two seals never build the same link.

S3 listings by time are not used: a late Firehose delivery or a slow notification would fall
between two periods. The ledger records what S3 reported, whatever its timestamp.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from audit_shared.clock import iso_utc
from audit_shared.retry import Backoff, chunks

KEY = "pk"
HEAD_KEY = "chain#head"
PENDING_INDEX = "pending"
PENDING_ATTRIBUTE = "pendingsince"
PENDING, SEALED = "pending", "sealed"
_BATCH_GET_LIMIT = 100


class SealConflictError(RuntimeError):
    """The chain head moved under this seal (its lease expired and another seal took over)."""


class LedgerUnavailableError(RuntimeError):
    """BatchGetItem kept returning unprocessed keys."""


@dataclass(frozen=True, slots=True)
class LedgerObject:
    key: str
    versionid: str
    size: int
    etag: str
    eventtime: str  # when S3 reported the object created (ISO 8601)

    @property
    def pk(self) -> str:
        return object_pk(self.key, self.versionid)


@dataclass(frozen=True, slots=True)
class Head:
    sequence: int
    digestkey: str
    digestsha256: str
    periodend_ms: int
    totalevents: int


def object_pk(key: str, versionid: str) -> str:
    return f"object#{key}#{versionid}"


def _condition_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def record(client: Any, table: str, item: LedgerObject, now_ms: int) -> bool:
    """Write the object version as pending; False if the ledger already knows it."""
    recorded = iso_utc(now_ms)
    try:
        client.put_item(
            TableName=table,
            Item={
                KEY: {"S": item.pk},
                "objectkey": {"S": item.key},
                "versionid": {"S": item.versionid},
                "size": {"N": str(item.size)},
                "etag": {"S": item.etag},
                "eventtime": {"S": item.eventtime},
                "recordedat": {"S": recorded},
                "state": {"S": PENDING},
                PENDING_ATTRIBUTE: {"S": recorded},
            },
            ConditionExpression=f"attribute_not_exists({KEY})",
        )
    except ClientError as exc:
        if _condition_failed(exc):
            return False
        raise
    return True


def _from_item(item: dict[str, Any]) -> LedgerObject:
    return LedgerObject(
        key=item["objectkey"]["S"],
        versionid=item["versionid"]["S"],
        size=int(item["size"]["N"]),
        etag=item["etag"]["S"],
        eventtime=item["eventtime"]["S"],
    )


def _consistent_items(client: Any, table: str, keys: list[str], backoff: Backoff) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for batch in chunks(keys, _BATCH_GET_LIMIT):
        request: dict[str, Any] = {table: {"Keys": [{KEY: {"S": key}} for key in batch], "ConsistentRead": True}}
        for _ in backoff.pauses():
            response = client.batch_get_item(RequestItems=request)
            items += response.get("Responses", {}).get(table, [])
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        if request:
            raise LedgerUnavailableError(f"{len(request[table]['Keys'])} ledger item(s) stayed unprocessed")
    return items


def pending_objects(client: Any, table: str, backoff: Backoff) -> list[LedgerObject]:
    """Every object version still pending, confirmed by a consistent read.

    The GSI is eventually consistent: an item sealed a moment ago may still be listed (the
    consistent read drops it) and one recorded a moment ago may be missing (the next seal takes it).
    """
    keys: list[str] = []
    request: dict[str, Any] = {"TableName": table, "IndexName": PENDING_INDEX}
    while True:
        response = client.scan(**request)
        keys += [item[KEY]["S"] for item in response.get("Items", [])]
        if not response.get("LastEvaluatedKey"):
            break
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    items = _consistent_items(client, table, sorted(set(keys)), backoff)
    return [_from_item(item) for item in items if item.get("state", {}).get("S") == PENDING]


def object_state(client: Any, table: str, key: str, versionid: str) -> dict[str, Any] | None:
    """The ledger item of one object version (low-level attributes), or None if never recorded."""
    response = client.get_item(TableName=table, Key={KEY: {"S": object_pk(key, versionid)}}, ConsistentRead=True)
    return response.get("Item")


def mark_sealed(client: Any, table: str, item: LedgerObject, digest_key: str, sequence: int, now_ms: int) -> bool:
    """Pending -> sealed by this digest; False if it was sealed already (by this digest or another)."""
    try:
        client.update_item(
            TableName=table,
            Key={KEY: {"S": item.pk}},
            UpdateExpression=f"SET #state = :sealed, digestkey = :key, digestsequence = :seq, sealedat = :now "
            f"REMOVE {PENDING_ATTRIBUTE}",
            ConditionExpression="#state = :pending",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={
                ":sealed": {"S": SEALED},
                ":pending": {"S": PENDING},
                ":key": {"S": digest_key},
                ":seq": {"N": str(sequence)},
                ":now": {"S": iso_utc(now_ms)},
            },
        )
    except ClientError as exc:
        if _condition_failed(exc):
            return False
        raise
    return True


# --- the chain head and the seal lease -------------------------------------------------------------


def read_head(client: Any, table: str) -> Head | None:
    item = client.get_item(TableName=table, Key={KEY: {"S": HEAD_KEY}}, ConsistentRead=True).get("Item")
    if not item or "sequence" not in item:
        return None
    return Head(
        sequence=int(item["sequence"]["N"]),
        digestkey=item["digestkey"]["S"],
        digestsha256=item["digestsha256"]["S"],
        periodend_ms=int(item["periodend"]["N"]),
        totalevents=int(item["totalevents"]["N"]),
    )


def _head_unchanged(head: Head | None) -> tuple[str, dict[str, Any]]:
    if head is None:
        return "attribute_not_exists(#seq)", {}
    return "#seq = :previous", {":previous": {"N": str(head.sequence)}}


def claim(client: Any, table: str, head: Head | None, owner: str, now_ms: int, lease_ms: int) -> bool:
    """Take the seal lease if the head is still ``head`` and no unexpired lease is held."""
    unchanged, values = _head_unchanged(head)
    try:
        client.update_item(
            TableName=table,
            Key={KEY: {"S": HEAD_KEY}},
            UpdateExpression="SET leaseowner = :owner, leaseuntil = :until",
            ConditionExpression=f"{unchanged} AND (attribute_not_exists(leaseuntil) OR leaseuntil < :now)",
            ExpressionAttributeNames={"#seq": "sequence"},
            ExpressionAttributeValues={
                ":owner": {"S": owner},
                ":until": {"N": str(now_ms + lease_ms)},
                ":now": {"N": str(now_ms)},
                **values,
            },
        )
    except ClientError as exc:
        if _condition_failed(exc):
            return False
        raise
    return True


def advance(client: Any, table: str, previous: Head | None, head: Head, owner: str) -> None:
    """Point the head at the new digest and drop the lease, if the lease is still ours."""
    unchanged, values = _head_unchanged(previous)
    try:
        client.update_item(
            TableName=table,
            Key={KEY: {"S": HEAD_KEY}},
            UpdateExpression="SET #seq = :seq, digestkey = :key, digestsha256 = :sha, periodend = :end, "
            "totalevents = :total REMOVE leaseowner, leaseuntil",
            ConditionExpression=f"{unchanged} AND leaseowner = :owner",
            ExpressionAttributeNames={"#seq": "sequence"},
            ExpressionAttributeValues={
                ":seq": {"N": str(head.sequence)},
                ":key": {"S": head.digestkey},
                ":sha": {"S": head.digestsha256},
                ":end": {"N": str(head.periodend_ms)},
                ":total": {"N": str(head.totalevents)},
                ":owner": {"S": owner},
                **values,
            },
        )
    except ClientError as exc:
        if _condition_failed(exc):
            raise SealConflictError(f"chain head moved while sealing {head.digestkey}") from exc
        raise


def release(client: Any, table: str, owner: str) -> None:
    """Give the lease back after a failed seal, so the next schedule need not wait for it to expire."""
    try:
        client.update_item(
            TableName=table,
            Key={KEY: {"S": HEAD_KEY}},
            UpdateExpression="REMOVE leaseowner, leaseuntil",
            ConditionExpression="leaseowner = :owner",
            ExpressionAttributeValues={":owner": {"S": owner}},
        )
    except ClientError as exc:
        if not _condition_failed(exc):
            raise
