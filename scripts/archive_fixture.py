"""Archive objects as Firehose writes them, from known events: for the report and export tests and the bench.

Events are grouped by their partition (audit_shared.partitions, the prefix Firehose expands) into
gzip NDJSON objects of canonical lines, named like Firehose's objects.
"""

from __future__ import annotations

import gzip
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from audit_shared.events import ndjson_line
from audit_shared.partitions import data_prefix


def archive_objects(events: Iterable[dict[str, Any]], per_object: int = 500) -> dict[str, bytes]:
    """S3 key -> gzip NDJSON body; at most ``per_object`` events per object, in the given order."""
    by_prefix: dict[str, list[bytes]] = defaultdict(list)
    for event in events:
        by_prefix[data_prefix(event)].append(ndjson_line(event))
    objects = {}
    for prefix, lines in by_prefix.items():
        for number, start in enumerate(range(0, len(lines), per_object), 1):
            key = f"{prefix}aaas-events-1-{number:04d}.gz"
            objects[key] = gzip.compress(b"".join(lines[start : start + per_object]), compresslevel=6, mtime=0)
    return objects


def write_archive(directory: Path, objects: dict[str, bytes]) -> Path:
    """The objects as files under directory, as ``aws s3 sync`` of the bucket leaves them."""
    for key, body in objects.items():
        path = directory / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return directory


def upload_archive(client: Any, bucket: str, objects: dict[str, bytes]) -> None:
    for key, body in objects.items():
        client.put_object(Bucket=bucket, Key=key, Body=body)
