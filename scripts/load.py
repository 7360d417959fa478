#!/usr/bin/env python3
"""Load the local stack and count what arrived: zero lost, zero duplicated, or a non-zero exit (`make load`).

  load.py [--events N] [--clients C] [--repost-share F] [--batch-size B] [--types T,T|all] [--seed S] [--wait SECONDS]

Posts N generated events (each with a client eventid, as a careful client sends them) in batches
from C concurrent clients through the local API, re-posts a share of the batches as a client retry
would, and retries exactly the items the API marks retryable. Then it waits for Firehose delivery
and counts by eventid: in S3 the lost and the duplicated, in the index the lost. It prints events/s
for the posting phase, where the time went, and exits 1 on any loss or duplicate (2 on usage or
access errors).

The default mix is the few high-volume types (logins, logouts, document views). The local Firehose
does not buffer: each PutRecordBatch writes one S3 object per partition at once, and every object
starts the alerting and digest functions; a uniform mix of all 74 types x 3 initiators makes about
70 objects per batch, and on two cores those per-object functions, not ingestion, set the pace
(`--types all` measures that).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock
from typing import Any

import httpx
import orjson

import local_stack
from aaas import AuditClient, AuditError, ConfigError
from aaas.config import terraform_outputs
from audit_shared.ids import new_event_id
from audit_shared.retry import Backoff
from generate_events import generate_events

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Ledger:
    """What the clients were told, shared by the worker threads."""

    stored: set[str] = field(default_factory=set)
    refused: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    reposts: int = 0
    items_sent: int = 0
    lock: Lock = field(default_factory=Lock)


class CountingTransport(httpx.HTTPTransport):
    """Counts the batch requests and the events in them, retries included (the SDK retries on its own)."""

    def __init__(self, ledger: Ledger) -> None:
        super().__init__()
        self.ledger = ledger

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        sent = len(orjson.loads(request.content)["events"]) if request.url.path.endswith("/batch") else 0
        with self.ledger.lock:
            self.ledger.requests += 1
            self.ledger.items_sent += sent
        return super().handle_request(request)


def post_until_settled(client: AuditClient, events: list[dict[str, Any]], ledger: Ledger) -> None:
    """Post a batch through the SDK, which re-posts exactly the retryable items until none is left."""
    try:
        result = client.post_batch(events)
    except AuditError as exc:  # the whole request was refused (after the SDK's retries)
        with ledger.lock:
            ledger.refused[str(exc)] += len(events)
        return
    with ledger.lock:
        ledger.stored.update(item["eventid"] for item in result["successful"])
        for item in result["failed"]:
            ledger.refused["gave up after retries" if item.get("retryable") else item["errorcode"]] += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--repost-share", type=float, default=0.05, help="share of batches posted twice")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--types", default="LOGIN_SUCCESSFUL,LOGOUT_SUCCESSFUL,DOCUMENT_CONTENT_VIEWED",
                        help="comma-separated event types of the mix, or 'all'")  # fmt: skip
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--wait", type=int, default=300, help="seconds to wait for delivery to S3")
    args = parser.parse_args(argv)
    try:
        outputs = terraform_outputs(ROOT / "terraform")
        url = outputs["api_local_url"]
        bucket, table = outputs["archive_bucket_name"], outputs["index_table_name"]
        keys = {
            code: outputs["api_keys"][access["client"]]
            for access in outputs["api_clients"].values()
            for code in access["write"]
        }
        if not url:
            raise ConfigError("api_local_url is empty: apply environments/local.tfvars first")
    except (ConfigError, KeyError) as exc:
        print(f"load: error: {exc}", file=sys.stderr)
        return 2

    run = f"load-{uuid.uuid4().hex[:8]}"
    rng = random.Random(args.seed)  # noqa: S311 - test data
    types = None if args.types == "all" else set(args.types.split(","))
    events = generate_events(args.events, seed=args.seed, types=types)
    for n, event in enumerate(events):
        event.update(requestorid=f"{run}-{n}", eventid=new_event_id())
    batches = [
        (keys[batch[0]["initiatorsystemcode"]], batch)
        for code in sorted(keys)
        for group in [[event for event in events if event["initiatorsystemcode"] == code]]
        for batch in (group[i : i + args.batch_size] for i in range(0, len(group), args.batch_size))
    ]
    reposts = [batch for batch in batches if rng.random() < args.repost_share]
    ledger = Ledger(reposts=len(reposts))
    # Long enough to outlast a claim whose holder died (the ingestion timeout + 60 s).
    backoff = Backoff(attempts=12, base_seconds=0.5, cap_seconds=30.0)
    print(f"{run}: posting {len(events)} events in {len(batches)} batches (+{len(reposts)} re-posted) "
          f"from {args.clients} clients to {url}", file=sys.stderr)  # fmt: skip

    clients = {
        key: AuditClient(url, key, timeout=120, backoff=backoff, transport=CountingTransport(ledger))
        for key in set(keys.values())
    }
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        list(pool.map(lambda job: post_until_settled(clients[job[0]], job[1], ledger), batches + reposts))
    posted_s = time.monotonic() - started
    for client in clients.values():
        client.close()

    wanted = {event["eventid"]: event["initiatorsystemcode"] for event in events}
    delivery_started = time.monotonic()

    def archived() -> Counter[str]:
        return Counter(json.loads(line)["eventid"] for _, line in local_stack.archived_lines(bucket) if run in line)

    in_s3 = local_stack.wait_for(archived, lambda found: wanted.keys() <= found.keys(), args.wait, interval=10)
    delivery_s = time.monotonic() - delivery_started
    indexed = local_stack.indexed_event_ids(table, wanted)

    lost_s3 = len(wanted.keys() - in_s3.keys())
    duplicated_s3 = sum(1 for count in in_s3.values() if count > 1)
    lost_index = len(wanted.keys() - indexed)
    report = {
        "run": run,
        "events": len(events),
        "clients": args.clients,
        "acknowledged": len(ledger.stored),
        "refused": dict(ledger.refused),
        "requests": ledger.requests,
        "reposted_batches": ledger.reposts,
        "retried_items": ledger.items_sent - len(events) - sum(len(batch) for _, batch in reposts),
        "posting_seconds": round(posted_s, 1),
        "events_per_second": round(len(events) / posted_s, 1),
        "delivery_wait_seconds": round(delivery_s, 1),
        "s3": {"archived": len(in_s3), "lost": lost_s3, "duplicated": duplicated_s3},
        "index": {"indexed": len(indexed), "lost": lost_index},
    }
    print(json.dumps(report, indent=2))
    return 1 if lost_s3 or duplicated_s3 or lost_index or ledger.refused else 0


if __name__ == "__main__":
    sys.exit(main())
