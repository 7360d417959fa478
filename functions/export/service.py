"""The export routes, independent of HTTP: start an export, and report its status with pre-signed URLs.

Tenant-scoped like the read API: the filter is checked by audit_shared.filters (the same code as
GET /v1/events), the initiator must be readable by the key, and an export is recorded under the
client that asked for it, so any other client's look-up of its id is a 404.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from audit_shared import jsonio
from audit_shared.access import ClientAccess
from audit_shared.clock import iso_utc
from audit_shared.export_manifest import EXPORT_FORMATS
from audit_shared.filters import FILTER_FIELDS, MAX_VALUE_LENGTH, RequestError, parse_filter, require_readable
from audit_shared.validation import FieldError
from export import records

WORKER_EVENT = "aaasexport"  # the asynchronous invocation's payload: {"aaasexport": {"client", "exportid"}}
BODY_FIELDS = frozenset({"format", "initiatorsystemcode", *FILTER_FIELDS, "from", "to"})
_UUID_CHARS = frozenset("0123456789abcdef-")


class ExportUnavailableError(Exception):
    """The worker could not be started; the export is recorded as failed and may be requested again."""


@dataclass(frozen=True, slots=True)
class Settings:
    clients: dict[str, ClientAccess]  # API key id -> access
    table: str
    retention_days: int
    bucket: str
    url_expiry_seconds: int
    deadline_seconds: int  # a pending export older than this is reported failed
    function_name: str  # this function: the worker runs in it, invoked asynchronously


def require_reader(access: ClientAccess | None) -> ClientAccess:
    if access is None or "read" not in access.scopes:
        raise RequestError(403, "Forbidden", "this API key lacks the 'read' scope: it may not export events")
    return access


def _body_values(body: Any, errors: list[FieldError]) -> dict[str, str]:
    """The body's fields as the strings the shared filter parser reads; from/to may be integers too."""
    if not isinstance(body, dict):
        errors.append(FieldError("body", "must be a JSON object"))
        return {}
    errors.extend(FieldError(name, "is not a known field") for name in sorted(set(body) - BODY_FIELDS))
    values = {}
    for name in sorted(set(body) & BODY_FIELDS):
        value = body[name]
        if name in ("from", "to") and type(value) is int:
            if value < 0:
                errors.append(FieldError(name, "must be epoch milliseconds or an ISO 8601 date-time"))
                continue
            value = str(value)
        if not isinstance(value, str):
            errors.append(
                FieldError(name, "must be a string" + (" or epoch milliseconds" if name in ("from", "to") else ""))
            )
        elif not value:
            errors.append(FieldError(name, "must not be empty"))
        elif len(value) > MAX_VALUE_LENGTH:
            errors.append(FieldError(name, f"must be at most {MAX_VALUE_LENGTH} characters"))
        else:
            values[name] = value
    return values


def parse_request(raw: bytes, access: ClientAccess) -> tuple[dict[str, Any], str]:
    """(the filter document, the format) of a POST /v1/exports body; 400 lists every problem, 403 a foreign initiator."""
    if not raw.strip():
        body: Any = {}
    else:
        try:
            body = jsonio.loads(raw)
        except jsonio.JSONError as exc:
            raise RequestError(400, "InvalidExport", f"request body is not valid JSON: {exc.reason}") from exc
    errors: list[FieldError] = []
    values = _body_values(body, errors)
    export_format = values.get("format", "ndjson")
    if export_format not in EXPORT_FORMATS:
        errors.append(FieldError("format", "must be 'ndjson' or 'csv'"))
    selected = parse_filter(values, access, errors, one_field_filter=False)
    if errors:
        raise RequestError(400, "InvalidExport", "export request is invalid", errors)
    assert selected is not None  # parse_filter reported an error otherwise
    require_readable(selected.initiator, access)
    return selected.to_dict(), export_format


def start_export(
    clients: Any,
    settings: Settings,
    access: ClientAccess,
    raw: bytes,
    now_ms: int,
    new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> dict[str, str]:
    filter_document, export_format = parse_request(raw, access)
    record = records.ExportRecord(
        client=access.client,
        exportid=new_id(),
        status=records.PENDING,
        export_format=export_format,
        filter_document=filter_document,
        created_ms=now_ms,
        createdat=iso_utc(now_ms),
        deadline_ms=now_ms + settings.deadline_seconds * 1000,
    )
    records.put_new(clients.dynamodb, settings.table, record, settings.retention_days)
    payload = {WORKER_EVENT: {"client": record.client, "exportid": record.exportid}}
    try:
        clients.lambda_.invoke(
            FunctionName=settings.function_name, InvocationType="Event", Payload=json.dumps(payload).encode()
        )
    except (ClientError, BotoCoreError) as exc:
        records.finish(
            clients.dynamodb,
            settings.table,
            record,
            records.FAILED,
            {"error": {"S": "the export could not be started"}},
        )
        raise ExportUnavailableError(str(exc)) from exc
    return {"exportid": record.exportid, "status": record.status}


def _valid_id(exportid: str) -> bool:
    return len(exportid) == 36 and set(exportid) <= _UUID_CHARS and exportid.count("-") == 4


def describe_export(
    clients: Any, settings: Settings, access: ClientAccess, exportid: str, now_ms: int
) -> dict[str, Any]:
    """The export's status; when ready, pre-signed GET URLs of the data and the manifest."""
    if not _valid_id(exportid):
        raise RequestError(400, "InvalidRequest", "request is invalid", [FieldError("exportid", "must be a UUID")])
    found = records.get(clients.dynamodb, settings.table, access.client, exportid)
    if found is None:
        raise RequestError(404, "NotFound", f"no export {exportid} was requested with this API key")
    answer: dict[str, Any] = {
        "exportid": found.exportid,
        "status": found.status,
        "format": found.export_format,
        "filter": found.filter_document,
        "createdat": found.createdat,
    }
    if found.status == records.PENDING and now_ms > found.deadline_ms:
        answer["status"] = records.FAILED
        answer["error"] = f"the export did not finish within {settings.deadline_seconds} seconds; request it again"
    elif found.status == records.FAILED:
        answer["error"] = found.error or "the export failed"
    elif found.status == records.READY:
        answer["rowcount"] = found.rowcount
        answer["url"] = _presigned(clients.s3_presign, settings, found.data_key)
        answer["manifesturl"] = _presigned(clients.s3_presign, settings, found.manifest_key)
        answer["expiresat"] = iso_utc(now_ms + settings.url_expiry_seconds * 1000)
    return answer


def _presigned(client: Any, settings: Settings, key: str | None) -> str:
    return client.generate_presigned_url(
        "get_object", Params={"Bucket": settings.bucket, "Key": key}, ExpiresIn=settings.url_expiry_seconds
    )
