#!/usr/bin/env python3
"""Rebuild the DynamoDB index from the S3 archive (`make reindex`): disaster recovery.

  reindex.py [--local | --bucket B --table T --retention-days N] [--initiator CODE ...]
             [--from TIME] [--to TIME] [--workers N] [--checkpoint FILE] [--restart]

Every archived event under data/ gets exactly the item ingestion would have written (same keys,
TTL and contenthash: audit_shared.archive_index, the code of the indexer function). Items that
already hold an event are left alone, so a run is idempotent and safe next to live traffic.
Events past the index retention are skipped: ingestion's item would have expired too.

--initiator and --from/--to (epoch ms or ISO 8601, on the event timestamp, inclusive) prune the
listing by the Firehose partition prefixes (initiatorsystemcode=/eventtype=/year=/month=/day=).
Objects are indexed in parallel (--workers threads); each finished object is appended to the
checkpoint file, so an interrupted run resumes where it stopped when started again with the same
arguments. A run that completes deletes its checkpoint (a later run starts from scratch).
--local reads the bucket, table and retention from `terraform output` of the stack applied to
LocalStack; on AWS they come from `terraform output` too unless given.

Exit status: 0 every object indexed, 1 some objects failed (listed; the checkpoint is kept), 2 a
usage or access error (one line), 130 interrupted (the checkpoint is kept).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT / "scripts")]

from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402

from audit_shared.archive_index import ObjectItems, items_from_object, write_unindexed  # noqa: E402
from audit_shared.clock import now_millis, utc_date_parts  # noqa: E402
from audit_shared.filters import parse_time  # noqa: E402
from audit_shared.partitions import (  # noqa: E402
    DATA_PREFIX,
    DATE_FIELDS,
    date_in_range,
    partition_prefix,
    partition_value,
)
from audit_shared.retry import Backoff  # noqa: E402

LAST_DAY = ("9999", "12", "31")
FIRST_DAY = ("0000", "01", "01")


class UsageError(Exception):
    """Printed as one line; exit status 2."""


@dataclass(frozen=True)
class Scope:
    initiators: tuple[str, ...] = ()
    from_ms: int | None = None
    to_ms: int | None = None

    @property
    def dated(self) -> bool:
        return self.from_ms is not None or self.to_ms is not None

    def days(self) -> tuple[tuple[str, str, str], tuple[str, str, str]]:
        first = utc_date_parts(self.from_ms) if self.from_ms is not None else FIRST_DAY
        last = utc_date_parts(self.to_ms) if self.to_ms is not None else LAST_DAY
        return first, last

    def keeps(self, item: dict[str, Any]) -> bool:
        """Exact time bounds inside the day partitions the listing kept."""
        timestamp = int(item["timestamp"]["N"])
        return (self.from_ms is None or timestamp >= self.from_ms) and (self.to_ms is None or timestamp <= self.to_ms)


# --- listing, pruned by partition ----------------------------------------------------------------


def _sub_prefixes(s3: Any, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/")
    return [entry["Prefix"] for page in pages for entry in page.get("CommonPrefixes", [])]


def partition_prefixes(s3: Any, bucket: str, scope: Scope) -> list[str]:
    """The narrowest prefixes that hold every object of the scope (data/ itself without limits)."""
    if scope.initiators:
        prefixes = [partition_prefix((code,)) for code in scope.initiators]
    elif scope.dated:
        prefixes = _sub_prefixes(s3, bucket, DATA_PREFIX)
    else:
        return [DATA_PREFIX]
    if not scope.dated:
        return prefixes
    prefixes = [sub for prefix in prefixes for sub in _sub_prefixes(s3, bucket, prefix)]  # eventtype=
    first, last = scope.days()
    for depth in range(1, len(DATE_FIELDS) + 1):  # year=, then month=, then day=
        prefixes = [
            sub
            for prefix in prefixes
            for sub in _sub_prefixes(s3, bucket, prefix)
            if date_in_range(_date_parts(sub, depth), first, last)
        ]
    return prefixes


def _date_parts(prefix: str, depth: int) -> tuple[str, ...]:
    segments = prefix.rstrip("/").split("/")[-depth:]
    return tuple(partition_value(segment + "/") for segment in segments)


def object_keys(s3: Any, bucket: str, prefixes: list[str]) -> Iterator[str]:
    for prefix in prefixes:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for entry in page.get("Contents", []):
                if entry["Key"].endswith("/"):
                    continue
                yield entry["Key"]


# --- checkpoint ----------------------------------------------------------------------------------


class Checkpoint:
    """The keys of the objects already indexed, one per line, appended as each one finishes."""

    def __init__(self, path: Path, restart: bool) -> None:
        self.path = path
        if restart:
            path.unlink(missing_ok=True)
        self.done = set(path.read_text(encoding="utf-8").split("\n")) - {""} if path.exists() else set()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def add(self, key: str) -> None:
        with self._lock:
            self._file.write(key + "\n")
            self._file.flush()

    def close(self, completed: bool) -> None:
        self._file.close()
        if completed:
            self.path.unlink(missing_ok=True)


# --- indexing ------------------------------------------------------------------------------------


@dataclass
class Progress:
    objects_total: int = 0
    objects_done: int = 0
    objects_skipped: int = 0  # in the checkpoint already
    events: int = 0
    written: int = 0
    present: int = 0
    expired: int = 0
    out_of_range: int = 0
    not_events: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def line(self) -> str:
        rate = self.events / self.seconds if self.seconds > 0 else 0.0
        return (
            f"{self.objects_done + self.objects_skipped}/{self.objects_total} objects, {self.events:,} events "
            f"({self.written:,} written, {self.present:,} already indexed, {self.expired:,} expired), "
            f"{rate:,.0f} events/s"
        )


def index_one(
    s3: Any, dynamodb: Any, bucket: str, table: str, key: str, retention_days: int, scope: Scope
) -> tuple[ObjectItems, int, int, int]:
    """(what the object held, written, already indexed, outside the time range) for one archived object."""
    raw = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    found = items_from_object(raw, retention_days, now_millis())
    items = [item for item in found.items if scope.keeps(item)] if scope.dated else found.items
    report = write_unindexed(dynamodb, table, items, Backoff())
    return found, report.written, report.present, len(found.items) - len(items)


def reindex(
    s3: Any,
    dynamodb: Any,
    bucket: str,
    table: str,
    retention_days: int,
    scope: Scope,
    checkpoint: Checkpoint,
    workers: int,
    report: Callable[[Progress], None] = lambda _: None,
) -> Progress:
    progress = Progress()
    keys = list(object_keys(s3, bucket, partition_prefixes(s3, bucket, scope)))
    progress.objects_total = len(keys)
    pending_keys = [key for key in keys if key not in checkpoint.done]
    progress.objects_skipped = len(keys) - len(pending_keys)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures: dict[Future, str] = {}
        queue = iter(pending_keys)
        try:
            # At most 2 x workers objects in flight: memory stays bounded however large the archive.
            for key in queue:
                futures[pool.submit(index_one, s3, dynamodb, bucket, table, key, retention_days, scope)] = key
                if len(futures) >= 2 * workers:
                    _collect(futures, progress, checkpoint, report)
            while futures:
                _collect(futures, progress, checkpoint, report)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return progress


def _collect(
    futures: dict[Future, str],
    progress: Progress,
    checkpoint: Checkpoint,
    report: Callable[[Progress], None],
) -> None:
    """Account for the objects finished so far (waiting for at least one)."""
    done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
    for future in done:
        key = futures.pop(future)
        try:
            found, written, present, out_of_range = future.result()
        except Exception as exc:
            progress.failed[key] = str(exc) or type(exc).__name__
            continue
        progress.objects_done += 1
        progress.events += found.events
        progress.written += written
        progress.present += present
        progress.expired += found.expired
        progress.out_of_range += out_of_range
        progress.not_events += len(found.not_events)
        checkpoint.add(key)
        report(progress)


# --- command line --------------------------------------------------------------------------------


def _targets(args: argparse.Namespace) -> tuple[Any, Any, str, str, int]:
    if args.local:
        import local_stack

        s3, dynamodb = local_stack.client("s3"), local_stack.client("dynamodb")
    else:
        import boto3

        s3, dynamodb = boto3.client("s3"), boto3.client("dynamodb")
    bucket, table, retention = args.bucket, args.table, args.retention_days
    if bucket is None or table is None or retention is None:
        from aaas.config import ConfigError, terraform_outputs

        try:
            outputs = terraform_outputs(ROOT / "terraform")
        except ConfigError as exc:
            raise UsageError(f"{exc}; or pass --bucket, --table and --retention-days") from exc
        bucket = bucket or outputs["archive_bucket_name"]
        table = table or outputs["index_table_name"]
        retention = retention or outputs.get("index_retention_days")
        if retention is None:
            raise UsageError("terraform output has no index_retention_days; pass --retention-days")
    return s3, dynamodb, bucket, table, int(retention)


def _time(value: str) -> int:
    try:
        return parse_time(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not epoch milliseconds or ISO 8601") from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reindex", description=__doc__.splitlines()[0])
    parser.add_argument("--local", action="store_true", help="the stack applied to LocalStack")
    parser.add_argument("--bucket", help="archive bucket (default: terraform output archive_bucket_name)")
    parser.add_argument("--table", help="index table (default: terraform output index_table_name)")
    parser.add_argument("--retention-days", type=int, help="index retention (default: terraform output)")
    parser.add_argument("--initiator", action="append", default=[], help="only this initiator (repeatable)")
    parser.add_argument("--from", dest="from_", type=_time, help="events from this time (epoch ms or ISO 8601)")
    parser.add_argument("--to", type=_time, help="events up to this time, inclusive")
    parser.add_argument("--workers", type=int, default=8, help="objects indexed in parallel (default 8)")
    parser.add_argument("--checkpoint", type=Path, help="file of finished objects (default .local/reindex-<table>)")
    parser.add_argument("--restart", action="store_true", help="ignore an existing checkpoint")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser


def _progress_printer(quiet: bool) -> Callable[[Progress], None]:
    last = [0.0]
    interactive = sys.stderr.isatty()

    def report(progress: Progress) -> None:
        now = time.monotonic()
        if quiet or now - last[0] < (0.5 if interactive else 5.0):
            return
        last[0] = now
        print(("\r" if interactive else "") + "reindex: " + progress.line(), end="" if interactive else "\n",
              file=sys.stderr, flush=True)  # fmt: skip

    return report


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.from_ is not None and args.to is not None and args.from_ > args.to:
        parser.error("--from is after --to")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    scope = Scope(tuple(args.initiator), args.from_, args.to)
    try:
        s3, dynamodb, bucket, table, retention = _targets(args)
        checkpoint = Checkpoint(args.checkpoint or ROOT / ".local" / f"reindex-{table}", args.restart)
    except (UsageError, OSError) as exc:
        print(f"reindex: error: {exc}", file=sys.stderr)
        return 2
    completed = False
    try:
        progress = reindex(
            s3, dynamodb, bucket, table, retention, scope, checkpoint, args.workers, _progress_printer(args.quiet)
        )
        completed = not progress.failed
    except KeyboardInterrupt:
        print(f"\nreindex: interrupted; run the same command again to resume ({checkpoint.path})", file=sys.stderr)
        return 130
    except (BotoCoreError, ClientError) as exc:
        print(f"reindex: error: {exc}", file=sys.stderr)
        return 2
    finally:
        checkpoint.close(completed)
    if sys.stderr.isatty() and not args.quiet:
        print(file=sys.stderr)
    print(
        f"reindex: {bucket} -> {table}: {progress.line()} in {progress.seconds:.1f} s; "
        f"{progress.objects_skipped} object(s) done before (checkpoint), {progress.out_of_range:,} event(s) outside "
        f"--from/--to, {progress.not_events} line(s) not events, {len(progress.failed)} object(s) failed"
    )
    for key, reason in sorted(progress.failed.items()):
        print(f"reindex: failed: {key}: {reason}", file=sys.stderr)
    return 1 if progress.failed else 0


if __name__ == "__main__":
    sys.exit(main())
