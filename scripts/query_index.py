#!/usr/bin/env python3
"""Look events up in the DynamoDB index directly (operators with AWS credentials; clients use the API).

  query_index.py --initiator CODE --eventid ID
  query_index.py --initiator CODE [--requestor ID | --type EVENTTYPE | --ip ADDRESS]  [--minutes N | --since MS --until MS]

Prints one canonical event per line (NDJSON). The table name comes from `terraform output
index_table_name` unless --table is given; --local talks to LocalStack.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "functions"))

import audit_client
from audit_shared.index import (
    EVENT_ATTRIBUTE,
    FILTER_INDEXES,
    GSI_HASH_KEYS,
    INITIATOR_INDEX,
    SORT_ATTRIBUTE,
    event_key,
    gsi_hash_value,
    sort_range,
)
from audit_shared.retry import Backoff
from query.reader import events_by_key

# Flag -> the event field it filters on; the GSIs and their keys come from audit_shared.index.
FIELD_FOR_FLAG = {"requestor": "requestorid", "type": "eventtype", "ip": "requestorip"}


def query(
    dynamodb: Any, table: str, initiator: str, field: str | None, value: str | None, since_ms: int, until_ms: int
) -> list[str]:
    """Canonical texts of the initiator's events (narrowed by one field) with since_ms <= timestamp <= until_ms."""
    index = FILTER_INDEXES[field] if field else INITIATOR_INDEX
    low, high = sort_range(since_ms, until_ms)
    pages = dynamodb.get_paginator("query").paginate(
        TableName=table,
        IndexName=index,
        KeyConditionExpression="#h = :v AND #s BETWEEN :low AND :high",
        ExpressionAttributeNames={"#h": GSI_HASH_KEYS[index], "#s": SORT_ATTRIBUTE},
        ExpressionAttributeValues={
            ":v": {"S": gsi_hash_value(initiator, field, value)},
            ":low": {"S": low},
            ":high": {"S": high},
        },
    )
    return [item[EVENT_ATTRIBUTE]["S"] for page in pages for item in page["Items"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--initiator", required=True, help="initiator system code (event ids are unique per initiator)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--eventid")
    for flag in FIELD_FOR_FLAG:
        which.add_argument(f"--{flag}")
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
        events = list(events_by_key(dynamodb, table, [event_key(args.initiator, args.eventid)], Backoff()).values())
    else:
        now_ms = int(time.time() * 1000)
        until = args.until or now_ms
        since = args.since or until - (args.minutes or 24 * 60) * 60_000
        flag = next((name for name in FIELD_FOR_FLAG if getattr(args, name)), None)
        field = FIELD_FOR_FLAG[flag] if flag else None
        events = query(dynamodb, table, args.initiator, field, getattr(args, flag) if flag else None, since, until)
    for text in events:
        print(text)
    print(f"{len(events)} event(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
