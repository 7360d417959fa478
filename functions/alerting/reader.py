"""Fetch one delivered object and decode it into audit events, reporting what is corrupt."""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from botocore.exceptions import ClientError

from alerting.events import AuditEvent, MalformedEventError
from audit_shared import jsonio

GZIP_MAGIC = b"\x1f\x8b"
MAX_REPORTED_LINES = 10  # how many corrupt lines one log entry names; the metric counts them all
# S3 error codes that another attempt could fix; other 4xx (NoSuchKey, AccessDenied, KMS key
# problems) will not go away by retrying this notification.
_TRANSIENT_CODES = frozenset({"SlowDown", "RequestTimeout", "Throttling", "ThrottlingException", "InternalError"})


class UnreadableObjectError(Exception):
    """The object cannot be turned into events: missing, forbidden, not gzip, not NDJSON."""


@dataclass
class ObjectContents:
    events: list[AuditEvent] = field(default_factory=list)  # only the ones the caller kept
    scanned: int = 0  # well-formed events, kept or not
    corrupt_lines: list[tuple[int, str]] = field(default_factory=list)  # (1-based line number, reason)


def fetch(client: Any, bucket: str, key: str) -> bytes:
    """The object's bytes. Permanent S3 errors become UnreadableObjectError; transient ones propagate."""
    try:
        return client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if status >= 500 or code in _TRANSIENT_CODES:
            raise
        raise UnreadableObjectError(f"GetObject failed: {code or status}") from exc


def _lines(raw: bytes) -> Iterator[bytes]:
    stream: IO[bytes] = io.BytesIO(raw)
    if raw[:2] == GZIP_MAGIC:
        # Streamed, so a large object is never held decompressed in memory as a whole.
        stream = gzip.GzipFile(fileobj=stream, mode="rb")
    yield from stream


def decode(raw: bytes, keep: Callable[[AuditEvent], bool]) -> ObjectContents:
    """All-or-nothing per object: a broken gzip stream discards the whole object.

    Firehose writes each object whole, so a stream that does not decode was not written by it and
    none of its lines can be trusted. A single bad line in a good stream only costs that line.
    """
    contents = ObjectContents()
    non_blank = 0
    try:
        for number, line in enumerate(_lines(raw), start=1):
            if not line.strip():
                continue
            non_blank += 1
            try:
                event = AuditEvent.from_archive(jsonio.loads(line))
            except MalformedEventError as exc:
                contents.corrupt_lines.append((number, str(exc)))
                continue
            except jsonio.JSONError as exc:
                contents.corrupt_lines.append((number, f"not JSON: {exc.reason}"))
                continue
            contents.scanned += 1
            if keep(event):
                contents.events.append(event)
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise UnreadableObjectError(f"not a valid gzip stream: {exc}") from exc
    if non_blank and not contents.scanned:
        # Nothing in it is an audit event: the object is not NDJSON of events at all.
        raise UnreadableObjectError(
            f"no line is an audit event ({non_blank} lines, first: {contents.corrupt_lines[0][1]})"
        )
    return contents
