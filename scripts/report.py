#!/usr/bin/env python3
"""Run a standard report over the archive with DuckDB: the same SQL as the Athena named queries.

Usage:
  report.py NAME [--from WHEN] [--to WHEN] [--initiator CODE] [--format table|csv|json]
                 [--local | --dir COPY | --bucket BUCKET] [--cache DIR]
  report.py --list
  report.py --write-terraform-inputs

WHEN is epoch milliseconds or ISO 8601 (a date alone is that UTC day: FROM its start, TO its end).
--local (the default) syncs data/ of the stack applied to LocalStack into a cache directory
(.local/report-cache) and reads it there; --bucket does the same with an S3 bucket (AWS credentials
and AWS_ENDPOINT_URL as usual); --dir reads any copy (e.g. `aws s3 sync s3://BUCKET/data COPY/data`).
Exit codes: 0 the report ran, 2 a usage or access error (one line on stderr).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT / "functions", ROOT / "scripts"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from reporting import archive, sql, terraform_inputs  # noqa: E402
from reporting.output import FORMATS, render  # noqa: E402

from audit_shared.filters import parse_time  # noqa: E402

DEFAULT_CACHE = ROOT / ".local" / "report-cache"
EXIT_USAGE = 2
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DAY_MS = 86_400_000


class UsageError(Exception):
    """A wrong argument or an unreachable archive: exit 2 with this one-line reason."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def parser() -> argparse.ArgumentParser:
    parse = _Parser(prog="report.py", description="Run a standard report over the archive with DuckDB.")
    parse.add_argument("name", nargs="?", help="the report (see --list)")
    parse.add_argument("--list", action="store_true", help="list the reports")
    parse.add_argument("--write-terraform-inputs", action="store_true", help=argparse.SUPPRESS)
    parse.add_argument("--from", dest="start", help="earliest event timestamp: epoch ms, ISO 8601 or a date")
    parse.add_argument("--to", dest="end", help="latest event timestamp: epoch ms, ISO 8601 or a date (its whole day)")
    parse.add_argument("--initiator", help="only this initiator system")
    parse.add_argument("--format", choices=FORMATS, default="table")
    where = parse.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help="the stack applied to LocalStack (default)")
    where.add_argument("--dir", type=Path, help="a copy of the archive (its data/ folder inside)")
    where.add_argument("--bucket", help="an archive bucket")
    parse.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where --local/--bucket keep the copy")
    return parse


def bound(value: str | None, *, end: bool) -> int | None:
    if not value:
        return None
    try:
        millis = parse_time(value)
    except ValueError as exc:
        raise UsageError(f"{'--to' if end else '--from'} {value!r} is not epoch milliseconds or ISO 8601") from exc
    return millis + DAY_MS - 1 if end and _DATE.fullmatch(value) else millis


def sync(client: Any, bucket: str, target: Path) -> Path:
    """Mirror data/ of the bucket into target/data: new or resized objects fetched, vanished ones removed."""
    from botocore.exceptions import BotoCoreError, ClientError

    wanted: dict[Path, int] = {}
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="data/"):
            for item in page.get("Contents", []):
                path = target / item["Key"]
                wanted[path] = item["Size"]
                if not path.is_file() or path.stat().st_size != item["Size"]:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
    except (BotoCoreError, ClientError) as exc:
        raise UsageError(f"cannot read s3://{bucket}/data/: {exc}") from exc
    for path in (target / "data").rglob("*") if (target / "data").is_dir() else []:
        if path.is_file() and path not in wanted:
            path.unlink()
    return target


def archive_dir(args: argparse.Namespace) -> Path:
    if args.dir is not None:
        if not args.dir.is_dir():
            raise UsageError(f"{args.dir} is not a directory")
        return args.dir
    if args.bucket:
        import boto3

        return sync(boto3.client("s3"), args.bucket, args.cache / args.bucket)
    import local_stack
    from aaas.config import ConfigError, terraform_outputs

    try:
        bucket = terraform_outputs(ROOT / "terraform")["archive_bucket_name"]
    except ConfigError as exc:
        raise UsageError(f"no local stack: {exc}") from exc
    return sync(local_stack.client("s3"), bucket, args.cache / bucket)


def run_report(name: str, directory: Path, window: sql.Window) -> tuple[list[str], list[tuple[Any, ...]]]:
    known = sql.reports()
    if name not in known:
        raise UsageError(f"unknown report {name!r}; the reports are: {', '.join(known)}")
    connection = archive.connect(directory)
    return archive.run(connection, sql.render(known[name].template, "duckdb", archive.VIEW, window))


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(sys.argv[1:] if argv is None else argv)
        if args.list:
            print("\n".join(f"{name}: {report.description}" for name, report in sql.reports().items()))
            return 0
        if args.write_terraform_inputs:
            print(f"wrote {terraform_inputs.write()}")
            return 0
        if not args.name:
            raise UsageError("name a report (--list shows them)")
        try:
            window = sql.Window(bound(args.start, end=False), bound(args.end, end=True), args.initiator)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        if args.name not in sql.reports():
            raise UsageError(f"unknown report {args.name!r}; the reports are: {', '.join(sql.reports())}")
        columns, rows = run_report(args.name, archive_dir(args), window)
    except UsageError as exc:
        print(f"report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(render(columns, rows, args.format))
    return 0


if __name__ == "__main__":
    sys.exit(main())
