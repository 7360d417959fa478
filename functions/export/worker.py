"""The export job: archive partitions -> filtered rows -> multipart upload -> signed manifest -> ready.

Runs in the export function, invoked asynchronously by POST /v1/exports with only the record's key;
the filter comes from the record. Every outcome ends the pending state: ready with the row count,
or failed with a one-line reason (GET reports a pending export past its deadline as failed too).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from audit_shared import export_manifest, jsonio
from audit_shared.clock import iso_utc
from audit_shared.filters import EventFilter
from audit_shared.signing import Signer
from export import records
from export.archive_scan import ArchivedObject, archived_objects, day_bounds, object_blocks
from export.formats import CONTENT_TYPES, EXTENSIONS, row_encoder
from export.writer import MultipartWriter

logger = Logger(child=True)
EXPORTS_PREFIX = "exports/"
MANIFEST_CONTENT_TYPE = "application/json"


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    table: str
    bucket: str
    kms_key_id: str  # the archive's data key: the bucket policy refuses any other
    part_bytes: int


@dataclass(slots=True)
class ScanCounts:
    rows: int = 0
    partitions: int = 0
    objects: int = 0
    duplicates: int = 0  # the same eventid delivered twice into its partition (Firehose retries)
    unreadable: int = 0  # archive lines that are not JSON objects; the digest chain names them


def object_keys_of(client_name: str, exportid: str, export_format: str) -> tuple[str, str]:
    """Where an export's data and manifest live; only the export role may write under exports/."""
    base = f"{EXPORTS_PREFIX}{client_name}/{exportid}/"
    return f"{base}export.{EXTENSIONS[export_format]}", f"{base}manifest.json"


EVENTID_KEY = b'"eventid":"'
UUID_LENGTH = 36


def block_eventids(block: bytes) -> list[bytes]:
    """The value after every ``"eventid":"`` of a block of archived lines (bytes.find: no regex, no split).

    In an archived line (canonical JSON) that is the event's own id, once per line, unless details
    has an "eventid" key too: then there are more ids than lines, and the caller checks line by line.
    """
    found, find, at = [], block.find, block.find(EVENTID_KEY)
    while at >= 0:
        start = at + len(EVENTID_KEY)
        found.append(block[start : start + UUID_LENGTH])
        at = find(EVENTID_KEY, start + UUID_LENGTH)
    return found


class _Rows:
    """The rows of one export: filtered, each eventid once per partition, counted and written."""

    def __init__(self, selected: EventFilter, export_format: str, writer: MultipartWriter) -> None:
        self.selected = selected
        self.export_format = export_format
        header, self.encode = row_encoder(export_format)
        self.writer = writer
        writer.write(header)
        self.counts = ScanCounts()
        # Duplicates land in the same partition (its path comes from the event), so the ids seen in
        # one partition suffice: memory is bounded by the largest day of one event type.
        self.partition = ""
        self.seen: set[bytes] = set()

    def start_object(self, archived: ArchivedObject) -> bool:
        """Whether every event of this object is selected by its partition alone (no per-event check)."""
        if archived.partition != self.partition:
            self.partition, self.seen = archived.partition, set()
            self.counts.partitions += 1
        self.counts.objects += 1
        first_ms, last_ms = day_bounds(archived.date)
        return (
            self.export_format == "ndjson"
            and self.selected.requestorid is None
            and self.selected.requestorip is None
            and self.selected.from_ms <= first_ms
            and last_ms <= self.selected.to_ms
        )

    def whole_block(self, block: bytes) -> bool:
        """Write a block of lines as is when each is a distinct, new event; False: check line by line."""
        lines = block.count(b"\n")
        ids = block_eventids(block)
        # The archive's lines are the transformation's canonical JSON, sealed by the digest chain
        # (`make verify` checks them): one id per line and an object's first byte are checked here.
        if len(ids) != lines or not block.startswith(b"{"):
            return False
        fresh = set(ids)
        if len(fresh) != lines or not self.seen.isdisjoint(fresh):
            return False
        self.seen |= fresh
        self.writer.write(block)
        self.counts.rows += lines
        return True

    def line(self, line: bytes) -> None:
        try:
            event = jsonio.loads(line)
        except jsonio.JSONError:
            self.counts.unreadable += 1
            return
        if not isinstance(event, dict) or not self.selected.matches(event):
            return
        eventid = str(event.get("eventid")).encode()
        if eventid in self.seen:
            self.counts.duplicates += 1
            return
        self.seen.add(eventid)
        self.writer.write(self.encode(line, event))
        self.counts.rows += 1


def write_rows(s3: Any, bucket: str, selected: EventFilter, export_format: str, writer: MultipartWriter) -> ScanCounts:
    """Every archived event the filter matches, once, by event type and then in date order.

    Where the partition alone decides (no requestor or IP filter, a day wholly inside the period)
    an NDJSON export copies blocks of lines without parsing them, after checking that each line is
    an object with a new eventid; anything else is parsed and filtered line by line.
    """
    rows = _Rows(selected, export_format, writer)
    for archived in archived_objects(s3, bucket, selected):
        whole = rows.start_object(archived)
        for block in object_blocks(s3, bucket, archived.key):
            if whole and rows.whole_block(block):
                continue
            for line in block.split(b"\n"):
                if line:
                    rows.line(line)
    return rows.counts


def _reason(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{exc.operation_name} failed: {error.get('Code', 'error')}"
    if isinstance(exc, BotoCoreError):
        return f"AWS call failed: {type(exc).__name__}"
    return "internal error"


def run_export(
    clients: Any, settings: WorkerSettings, signer: Signer, client_name: str, exportid: str, now_ms: Callable[[], int]
) -> str:
    """Write one pending export; returns its final status (or the status it already had)."""
    record = records.get(clients.dynamodb, settings.table, client_name, exportid)
    if record is None or record.status != records.PENDING:
        logger.info("export not pending; nothing to do", extra={"exportid": exportid})
        return record.status if record else "missing"
    selected = EventFilter.from_dict(record.filter_document)
    data_key, manifest_key = object_keys_of(client_name, exportid, record.export_format)
    writer = MultipartWriter(
        clients.s3, settings.bucket, data_key, settings.kms_key_id, CONTENT_TYPES[record.export_format],
        settings.part_bytes,
    )  # fmt: skip
    try:
        counts = write_rows(clients.s3, settings.bucket, selected, record.export_format, writer)
        written = writer.close()
        body = export_manifest.manifest_body(
            exportid=exportid,
            client=client_name,
            export_format=record.export_format,
            filter_document=record.filter_document,
            rowcount=counts.rows,
            data_key=data_key,
            size=written.size,
            sha256=written.sha256,
            parts=written.parts,
            createdat=record.createdat,
            completedat=iso_utc(now_ms()),
            key_id=signer.key_id,
        )
        manifest = export_manifest.sign(body, signer)
        clients.s3.put_object(
            Bucket=settings.bucket, Key=manifest_key, Body=json.dumps(manifest, indent=2, sort_keys=True).encode(),
            ContentType=MANIFEST_CONTENT_TYPE, ServerSideEncryption="aws:kms", SSEKMSKeyId=settings.kms_key_id,
            ChecksumAlgorithm="SHA256",  # Object Lock buckets refuse puts without an integrity checksum
        )  # fmt: skip
    except Exception as exc:
        logger.exception("export failed", extra={"exportid": exportid})
        try:
            writer.abort()
        except (ClientError, BotoCoreError):
            logger.warning("could not abort the multipart upload", extra={"key": data_key})
        records.finish(clients.dynamodb, settings.table, record, records.FAILED, {"error": {"S": _reason(exc)}})
        return records.FAILED
    logger.info(
        "export ready",
        extra={
            "exportid": exportid,
            "rows": counts.rows,
            "objects": counts.objects,
            "duplicates": counts.duplicates,
            "unreadable": counts.unreadable,
        },
    )
    records.finish(
        clients.dynamodb,
        settings.table,
        record,
        records.READY,
        {
            "rowcount": {"N": str(counts.rows)},
            "datakey": {"S": data_key},
            "manifestkey": {"S": manifest_key},
            "duplicates": {"N": str(counts.duplicates)},
            "unreadable": {"N": str(counts.unreadable)},
        },
    )
    return records.READY
