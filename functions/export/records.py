"""The export records: one DynamoDB item per export in the index table, bound to the client that made it.

The key is ``export#<client>#<exportid>``: a look-up by another client's key cannot reach it, and the
role may only write items whose key starts with ``export#`` (dynamodb:LeadingKeys). Items carry no
GSI attributes, so searches never see them; they expire with the index's retention (TTL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from audit_shared import jsonio
from audit_shared.index import KEY_ATTRIBUTE, TTL_ATTRIBUTE, expires_at

KEY_PREFIX = "export#"
PENDING, READY, FAILED = "pending", "ready", "failed"


def record_key(client: str, exportid: str) -> str:
    return f"{KEY_PREFIX}{client}#{exportid}"


@dataclass(frozen=True, slots=True)
class ExportRecord:
    client: str
    exportid: str
    status: str
    export_format: str
    filter_document: dict[str, Any]
    created_ms: int
    createdat: str
    deadline_ms: int  # after this a pending export is reported as failed (the worker died)
    rowcount: int | None = None
    data_key: str | None = None
    manifest_key: str | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def put_new(client: Any, table: str, record: ExportRecord, retention_days: int) -> None:
    """The pending record; a repeated id (a UUID collision or a retried request) is never overwritten."""
    item = {
        KEY_ATTRIBUTE: {"S": record_key(record.client, record.exportid)},
        "exportid": {"S": record.exportid},
        "client": {"S": record.client},
        "status": {"S": record.status},
        "format": {"S": record.export_format},
        "filter": {"S": jsonio.canonical_text(record.filter_document)},
        "createdms": {"N": str(record.created_ms)},
        "createdat": {"S": record.createdat},
        "deadlinems": {"N": str(record.deadline_ms)},
        TTL_ATTRIBUTE: {"N": str(expires_at(record.created_ms, retention_days))},
    }
    client.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(#pk)",
                    ExpressionAttributeNames={"#pk": KEY_ATTRIBUTE})  # fmt: skip


def get(client: Any, table: str, client_name: str, exportid: str) -> ExportRecord | None:
    item = client.get_item(
        TableName=table, Key={KEY_ATTRIBUTE: {"S": record_key(client_name, exportid)}}, ConsistentRead=True
    ).get("Item")
    if item is None:
        return None
    text = {name: value["S"] for name, value in item.items() if "S" in value}
    number = {name: int(value["N"]) for name, value in item.items() if "N" in value}
    return ExportRecord(
        client=text["client"],
        exportid=text["exportid"],
        status=text["status"],
        export_format=text["format"],
        filter_document=jsonio.loads(text["filter"]),
        created_ms=number["createdms"],
        createdat=text["createdat"],
        deadline_ms=number["deadlinems"],
        rowcount=number.get("rowcount"),
        data_key=text.get("datakey"),
        manifest_key=text.get("manifestkey"),
        error=text.get("error"),
    )


def finish(client: Any, table: str, record: ExportRecord, status: str, values: dict[str, dict[str, str]]) -> bool:
    """pending -> ready or failed with the given attributes; False when it was no longer pending."""
    names = {"#status": "status", **{f"#{name}": name for name in values}}
    updates = ", ".join(["#status = :status", *(f"#{name} = :{name}" for name in values)])
    try:
        client.update_item(
            TableName=table,
            Key={KEY_ATTRIBUTE: {"S": record_key(record.client, record.exportid)}},
            UpdateExpression=f"SET {updates}",
            ConditionExpression="#status = :pending",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                ":status": {"S": status},
                ":pending": {"S": PENDING},
                **{f":{name}": value for name, value in values.items()},
            },
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True
