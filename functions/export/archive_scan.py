"""Reading the archive for an export: only the partitions the filter can match, line by line.

The archive is laid out as ``data/initiatorsystemcode=…/eventtype=…/year=…/month=…/day=…/`` (the
event's own UTC date, zero-padded: audit_shared.partitions), so an initiator and an event type are
key prefixes and, within a type, keys sort by date: a date range is a start key and a stop key. Objects are streamed and decompressed in chunks: memory stays bounded whatever their size.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from audit_shared.clock import utc_date_parts
from audit_shared.filters import EventFilter
from audit_shared.partitions import PARTITION_FIELDS

DATA_PREFIX = "data/"
CHUNK_BYTES = 1 << 20  # read from S3 at a time (compressed)
BLOCK_BYTES = 4 << 20  # decompressed at a time: memory stays bounded whatever the compression ratio
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class ArchivedObject:
    key: str
    partition: str  # data/initiatorsystemcode=…/eventtype=…/year=…/month=…/day=…/
    date: str  # YYYYMMDD


def _day(millis: int) -> str:
    return "".join(utc_date_parts(millis))


def day_bounds(date: str) -> tuple[int, int]:
    """The first and last epoch millisecond of a YYYYMMDD UTC day."""
    start = datetime(int(date[:4]), int(date[4:6]), int(date[6:]), tzinfo=UTC)
    first = int(start.timestamp() * 1000)
    return first, first + 86_400_000 - 1


def _children(client: Any, bucket: str, prefix: str, name: str) -> list[str]:
    """The values of the next ``name=`` level under prefix, in key order."""
    values = []
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/")
    for page in pages:
        for common in page.get("CommonPrefixes", []):
            segment = common["Prefix"][len(prefix) :].rstrip("/")
            if segment.startswith(f"{name}=") and len(segment) > len(name) + 1:
                values.append(segment[len(name) + 1 :])
    return values


def _date_of(partition: str, type_prefix: str) -> str | None:
    """YYYYMMDD of a day partition under type_prefix, or None when the path is not one."""
    segments = partition[len(type_prefix) :].split("/")
    year_field, month_field, day_field = PARTITION_FIELDS[2:]
    if len(segments) != 4 or segments[3] != "":  # year=…/month=…/day=…/
        return None
    values = []
    for segment, field in zip(segments[:3], (year_field, month_field, day_field), strict=True):
        if not segment.startswith(f"{field}="):
            return None
        values.append(segment[len(field) + 1 :])
    return "".join(values)


def archived_objects(client: Any, bucket: str, selected: EventFilter) -> Iterator[ArchivedObject]:
    """Every object in a partition the filter can match: by event type, then in date order.

    Keys sort by date within an event type, so one listing per type starts at the first day
    (StartAfter) and stops after the last: pruning costs no listing of other days or types.
    """
    first, last = _day(selected.from_ms), _day(min(selected.to_ms, 253402300799999))  # up to 9999-12-31
    initiator_field, type_field, year_field, month_field, day_field = PARTITION_FIELDS
    base = f"{DATA_PREFIX}{initiator_field}={selected.initiator}/"
    types = [selected.eventtype] if selected.eventtype else _children(client, bucket, base, type_field)
    for eventtype in types:
        type_prefix = f"{base}{type_field}={eventtype}/"
        start = f"{type_prefix}{year_field}={first[:4]}/{month_field}={first[4:6]}/{day_field}={first[6:]}/"
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=type_prefix, StartAfter=start)
        for page in pages:
            for item in page.get("Contents", []):
                partition = item["Key"][: item["Key"].rfind("/") + 1]
                date = _date_of(partition, type_prefix)
                if date is None or date < first:
                    continue
                if date > last:
                    break
                yield ArchivedObject(item["Key"], partition, date)
            else:
                continue
            break  # past the last day: the rest of this type's keys are later still


def _decompressed(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """gzip (one or more members, as Firehose writes) or plain bytes, at most BLOCK_BYTES at a time."""
    first = next(chunks, b"")
    if not first.startswith(GZIP_MAGIC):
        yield first
        yield from chunks
        return
    decompressor = zlib.decompressobj(wbits=31)
    pending = first
    while pending:
        while pending:
            yield decompressor.decompress(pending, BLOCK_BYTES)
            if decompressor.eof:  # another gzip member may follow
                pending = decompressor.unused_data
                decompressor = zlib.decompressobj(wbits=31)
            else:
                pending = decompressor.unconsumed_tail
        pending = next(chunks, b"")
    yield decompressor.flush()


def object_blocks(client: Any, bucket: str, key: str) -> Iterator[bytes]:
    """One archived object as blocks of whole lines (each block ends with a line end), chunk by chunk."""
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    rest = b""
    for data in _decompressed(iter(lambda: body.read(CHUNK_BYTES), b"")):
        if not data:
            continue
        data = rest + data
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        if cut:
            yield data[:cut]
    if rest:
        yield rest + b"\n"  # a last line without its line end


def object_lines(client: Any, bucket: str, key: str) -> Iterator[bytes]:
    """The non-empty lines of one archived object, without their line ends."""
    for block in object_blocks(client, bucket, key):
        yield from (line for line in block.split(b"\n") if line)
