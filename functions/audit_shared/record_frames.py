"""Firehose records written by the ingestion API: NDJSON lines of one partition, framed and MAC'd.

Ingestion has already validated, enriched and canonicalized every event it delivers. It groups them by
partition (initiator, type, UTC day), and sends each group as one record: the archived lines, then a
trailer line holding the partition and a MAC over everything before the MAC::

    {"eventid":"…",…}\\n
    {"eventid":"…",…}\\n
    #aaas/1 CRM_WEB LOGIN_FAILED 2026 11 29 <HMAC-SHA-256, hex>\\n

The transformation archives a record whose MAC verifies exactly as framed, without parsing it again: the
MAC proves the API wrote it. Any other record came from a direct Firehose producer; it is validated in
full, and refused if it sets a field only the server may set (receivedat, sourceip, apikeyid), which
only a MAC'd record can carry. So no producer with mere ``firehose:PutRecord`` can forge them.

Grouping also saves money: Firehose bills each record rounded up to 5 KB, and an audit event is a
few hundred bytes. The key is derived from the KMS HMAC key (audit_shared.derived_keys), so that the
functions never store key material; only functions granted ``kms:GenerateMac`` on it can frame.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from hashlib import sha256
from typing import NamedTuple

from audit_shared.partitions import PARTITION_FIELDS

KEY_PURPOSE = "firehose-record/v1"
TRAILER_TAG = b"#aaas/1 "
# A JSON line never starts with "#", so the trailer cannot be mistaken for an event.
_TRAILER_START = b"\n" + TRAILER_TAG
_MAC_HEX_CHARS = 2 * sha256().digest_size
# Firehose's record limit is 1,000 KiB; leave room for the trailer and the transformation's base64.
MAX_FRAME_BYTES = 900 * 1024


class Frame(NamedTuple):
    lines: bytes  # canonical JSON lines, each ending in a newline
    partition: tuple[str, ...]  # the values of PARTITION_FIELDS, in their order


class FrameError(ValueError):
    """A record that claims to be framed by the API but is not intact: it goes to the error prefix."""


def _mac(key: bytes, signed: bytes) -> bytes:
    return hmac.new(key, signed, sha256).hexdigest().encode("ascii")


def frame(key: bytes, lines: bytes, partition: tuple[str, ...]) -> bytes:
    """One record: ``lines`` (all of ``partition``) and the trailer that authenticates them."""
    signed = lines + TRAILER_TAG + " ".join(partition).encode("utf-8") + b" "
    return signed + _mac(key, signed) + b"\n"


def frames(key: bytes, lines: Iterable[bytes], partition: tuple[str, ...]) -> list[tuple[bytes, int]]:
    """Records for the lines of one partition, each within MAX_FRAME_BYTES: (record, line count)."""
    records: list[tuple[bytes, int]] = []
    chunk: list[bytes] = []
    size = 0
    for line in lines:
        if chunk and size + len(line) > MAX_FRAME_BYTES:
            records.append((frame(key, b"".join(chunk), partition), len(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line)
    if chunk:
        records.append((frame(key, b"".join(chunk), partition), len(chunk)))
    return records


def unframe(key: bytes, record: bytes) -> Frame | None:
    """The lines and partition of an API-framed record; None for a record without a trailer.

    Raises FrameError for a trailer that does not verify: whatever it holds, it was not written by
    the API with this key, and must not be archived as if it were.
    """
    if not record.endswith(b"\n"):
        return None
    start = record.rfind(_TRAILER_START, 0, len(record) - 1)
    if start < 0:
        if record.startswith(TRAILER_TAG):
            raise FrameError("record holds a trailer but no events")
        return None
    trailer = record[start + 1 : -1]
    mac = trailer[-_MAC_HEX_CHARS:]
    signed = record[: start + 1 + len(trailer) - _MAC_HEX_CHARS]
    if len(trailer) <= len(TRAILER_TAG) + _MAC_HEX_CHARS or not hmac.compare_digest(_mac(key, signed), mac):
        raise FrameError("record trailer does not verify: not written by the ingestion API (or another key)")
    partition = tuple(trailer[len(TRAILER_TAG) : -_MAC_HEX_CHARS].decode("utf-8").split())
    if len(partition) != len(PARTITION_FIELDS):
        raise FrameError("record trailer does not name a partition")
    return Frame(record[: start + 1], partition)
