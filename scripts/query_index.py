#!/usr/bin/env python3
"""Look events up in the DynamoDB index, through the access patterns it was designed for.

  query_index.py --eventid ID
  query_index.py --requestor ID | --type EVENTTYPE | --ip ADDRESS  [--minutes N | --since MS --until MS]

Prints one canonical event per line (NDJSON). The table name comes from `terraform output
index_table_name` unless --table is given; --local talks to LocalStack.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "functions"))

import audit_client
from audit_shared.index import GSI_HASH_KEYS, GSI_RANGE_KEY

# Flag -> GSI; the GSIs' keys come from audit_shared.index, as the functions use them.
INDEX_FOR_FLAG = {"requestor": "by-requestor", "type": "by-eventtype", "ip": "by-requestorip"}


def query(dynamodb: Any, table: str, index: str, value: str, since_ms: int, until_ms: int) -> list[dict[str, Any]]:
    """Events in one GSI for one hash-key value with since_ms <= timestamp <= until_ms (all pages)."""
    hash_key = GSI_HASH_KEYS[index]
    pages = dynamodb.get_paginator("query").paginate(
        TableName=table,
        IndexName=index,
        KeyConditionExpression="#h = :v AND #t BETWEEN :since AND :until",
        ExpressionAttributeNames={"#h": hash_key, "#t": GSI_RANGE_KEY},
        ExpressionAttributeValues={":v": {"S": value}, ":since": {"N": str(since_ms)}, ":until": {"N": str(until_ms)}},
    )
    return [json.loads(item["event"]["S"]) for page in pages for item in page["Items"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--eventid")
    for pattern in INDEX_FOR_FLAG:
        which.add_argument(f"--{pattern}")
    parser.add_argument("--minutes", type=int, help="the last N minutes (default: the last 24 hours)")
    parser.add_argument("--since", type=int, help="epoch milliseconds")
    parser.add_argument("--until", type=int, help="epoch milliseconds")
    parser.add_argument("--table", help="table name (default: terraform output index_table_name)")
    parser.add_argument("--local", action="store_true", help="query LocalStack")
    args = parser.parse_args(argv)
    try:
        table = args.table or audit_client.terraform_outputs(audit_client.ROOT / "terraform")["index_table_name"]
    except audit_client.ClientError as exc:
        print(f"query-index: error: {exc}", file=sys.stderr)
        return 2
    if args.local:
        import local_stack

        dynamodb = local_stack.client("dynamodb")
    else:
        dynamodb = boto3.client("dynamodb")
    if args.eventid:
        item = dynamodb.get_item(TableName=table, Key={"eventid": {"S": args.eventid}}).get("Item")
        events = [json.loads(item["event"]["S"])] if item and "event" in item else []
    else:
        now_ms = int(time.time() * 1000)
        until = args.until or now_ms
        since = args.since or until - (args.minutes or 24 * 60) * 60_000
        pattern = next(name for name in INDEX_FOR_FLAG if getattr(args, name))
        events = query(dynamodb, table, INDEX_FOR_FLAG[pattern], getattr(args, pattern), since, until)
    for event in events:
        print(json.dumps(event, sort_keys=True, separators=(",", ":")))
    print(f"{len(events)} event(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
