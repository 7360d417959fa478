"""Reading the archive for an export: only the partitions the filter can match, line by line.

The archive is laid out as ``data/initiatorsystemcode=…/eventtype=…/year=…/month=…/day=…/`` (the
event's own UTC date, zero-padded: audit_shared.partitions). The walk lists one level at a time with
a delimiter, so an initiator, an event type and a date range prune whole subtrees without listing
their objects. Objects are streamed and decompressed in chunks: memory stays bounded whatever their size.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from audit_shared.clock import utc_date_parts
from audit_shared.filters import EventFilter
from audit_shared.partitions import PARTITION_FIELDS

DATA_PREFIX = "data/"
CHUNK_BYTES = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class DayPartition:
    prefix: str  # data/initiatorsystemcode=…/eventtype=…/year=…/month=…/day=…/
    date: str  # YYYYMMDD
    eventtype: str


def _day(millis: int) -> str:
    return "".join(utc_date_parts(millis))


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


def day_partitions(client: Any, bucket: str, selected: EventFilter) -> list[DayPartition]:
    """Every existing day partition the filter can match, ordered by date, then event type."""
    first, last = _day(selected.from_ms), _day(min(selected.to_ms, 253402300799999))  # 9999-12-31
    initiator_field, type_field, year_field, month_field, day_field = PARTITION_FIELDS
    base = f"{DATA_PREFIX}{initiator_field}={selected.initiator}/"
    types = [selected.eventtype] if selected.eventtype else _children(client, bucket, base, type_field)
    found = []
    for eventtype in types:
        type_prefix = f"{base}{type_field}={eventtype}/"
        for year in _children(client, bucket, type_prefix, year_field):
            if not first[:4] <= year <= last[:4]:
                continue
            year_prefix = f"{type_prefix}{year_field}={year}/"
            for month in _children(client, bucket, year_prefix, month_field):
                if not first[:6] <= year + month <= last[:6]:
                    continue
                month_prefix = f"{year_prefix}{month_field}={month}/"
                for day in _children(client, bucket, month_prefix, day_field):
                    if first <= year + month + day <= last:
                        found.append(DayPartition(f"{month_prefix}{day_field}={day}/", year + month + day, eventtype))
    return sorted(found, key=lambda partition: (partition.date, partition.eventtype))


def object_keys(client: Any, bucket: str, prefix: str) -> Iterator[str]:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield item["Key"]


def _decompressed(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """gzip (one or more members, as Firehose writes) or plain bytes, chunk by chunk."""
    first = next(chunks, b"")
    if not first.startswith(GZIP_MAGIC):
        yield first
        yield from chunks
        return
    decompressor = zlib.decompressobj(wbits=31)
    pending = first
    while True:
        while pending:
            yield decompressor.decompress(pending)
            if decompressor.eof:  # another gzip member may follow
                pending = decompressor.unused_data
                decompressor = zlib.decompressobj(wbits=31)
            else:
                pending = b""
        pending = next(chunks, b"")
        if not pending:
            break
    yield decompressor.flush()


def object_lines(client: Any, bucket: str, key: str) -> Iterator[bytes]:
    """The non-empty lines of one archived object, without their line ends."""
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    rest = b""
    for data in _decompressed(iter(lambda: body.read(CHUNK_BYTES), b"")):
        if not data:
            continue
        lines = (rest + data).split(b"\n")
        rest = lines.pop()
        yield from (line for line in lines if line)
    if rest:
        yield rest
