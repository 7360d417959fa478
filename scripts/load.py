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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "functions"))

import httpx  # noqa: E402
import orjson  # noqa: E402

import local_stack  # noqa: E402
from aaas.config import ConfigError, terraform_outputs  # noqa: E402
from audit_shared.ids import new_event_id  # noqa: E402
from audit_shared.retry import Backoff  # noqa: E402
from generate_events import generate_events  # noqa: E402


@dataclass
class Ledger:
    """What the clients were told, shared by the worker threads."""

    stored: dict[str, float] = field(default_factory=dict)  # eventid -> time.monotonic() of its first acknowledgement
    refused: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    unreachable: int = 0  # requests that got no answer at all (connection refused or reset, timeout)
    reposts: int = 0
    retried_items: int = 0
    lock: Lock = field(default_factory=Lock)


class Unanswered(Exception):
    """No answer came: the connection was refused or reset, or it timed out."""


# Posts one batch body's events and returns the API's (status, body); raises Unanswered when no
# answer came. One plain POST per call: the ledger must see every attempt, so the SDK's own
# retries (aaas.AuditClient) would hide what this harness counts.
Send = Callable[[list[dict[str, Any]]], tuple[int, Any]]


def sender(url: str, api_key: str) -> Send:
    """POST /v1/events/batch to the API at url with api_key."""
    http = httpx.Client(timeout=120, headers={"x-api-key": api_key, "content-type": "application/json"})

    def send(events: list[dict[str, Any]]) -> tuple[int, Any]:
        try:
            response = http.post(f"{url}/v1/events/batch", content=orjson.dumps({"events": events}))
        except httpx.HTTPError as exc:
            raise Unanswered(str(exc) or type(exc).__name__) from exc
        return response.status_code, orjson.loads(response.content) if response.content else {}

    return send


def post_until_settled(send: Send, events: list[dict[str, Any]], ledger: Ledger, backoff: Backoff) -> None:
    """Post a batch; re-post exactly the retryable items until none is left (or the attempts run out).

    A request that got no answer is treated like a 5xx: nothing of it counts as acknowledged, so all
    of it goes again (the client eventids make that safe)."""
    pending = events
    for attempt in backoff.pauses():
        with ledger.lock:
            ledger.requests += 1
            ledger.retried_items += len(pending) if attempt > 1 else 0
        try:
            _, body = send(pending)
        except Unanswered:
            with ledger.lock:
                ledger.unreachable += 1
            continue
        if "successful" not in body:  # the whole request failed (throttled, 5xx): send it all again
            continue
        acknowledged_at = time.monotonic()
        retry = []
        with ledger.lock:
            for item in body["successful"]:
                ledger.stored.setdefault(item["eventid"], acknowledged_at)
            for item in body["failed"]:
                if item.get("retryable"):
                    retry.append(pending[item["index"]])
                else:
                    ledger.refused[item["errorcode"]] += 1
        pending = retry
        if not pending:
            return
    with ledger.lock:
        ledger.refused["gave up after retries"] += len(pending)


def write_keys(outputs: dict[str, Any]) -> dict[str, str]:
    """Initiator code -> the API key that may post its events, from the stack's Terraform outputs."""
    return {
        code: outputs["api_keys"][access["client"]]
        for access in outputs["api_clients"].values()
        for code in access["write"]
    }


def tagged_events(count: int, run: str, seed: int, types: set[str] | None) -> list[dict[str, Any]]:
    """Generated events with a client eventid each and requestorid '<run>-<n>', so a run finds its own."""
    events = generate_events(count, seed=seed, types=types)
    for n, event in enumerate(events):
        event.update(requestorid=f"{run}-{n}", eventid=new_event_id())
    return events


def initiator_batches(events: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    """Batches of up to `size` events of one initiator each (a key may post only its own initiators)."""
    codes = sorted({event["initiatorsystemcode"] for event in events})
    return [
        batch
        for code in codes
        for group in [[event for event in events if event["initiatorsystemcode"] == code]]
        for batch in (group[i : i + size] for i in range(0, len(group), size))
    ]


def post_all(jobs: list[tuple[Send, list[dict[str, Any]]]], clients: int, ledger: Ledger, backoff: Backoff) -> float:
    """Post every (send, batch) from `clients` concurrent clients until settled; returns the seconds it took."""
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(lambda job: post_until_settled(job[0], job[1], ledger, backoff), jobs))
    return time.monotonic() - started


def archived_counts(bucket: str, run: str) -> Counter[str]:
    """eventid -> how many times the run's events are archived under data/."""
    return Counter(json.loads(line)["eventid"] for _, line in local_stack.archived_lines(bucket) if run in line)


# Long enough to outlast a claim whose holder died (the ingestion timeout + 60 s).
CLIENT_BACKOFF = Backoff(attempts=12, base_seconds=0.5, cap_seconds=30.0)


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
        keys = write_keys(outputs)
        if not url:
            raise ConfigError("api_local_url is empty: apply environments/local.tfvars first")
    except (ConfigError, KeyError) as exc:
        print(f"load: error: {exc}", file=sys.stderr)
        return 2

    run = f"load-{uuid.uuid4().hex[:8]}"
    rng = random.Random(args.seed)  # noqa: S311 - test data
    types = None if args.types == "all" else set(args.types.split(","))
    events = tagged_events(args.events, run, args.seed, types)
    batches = initiator_batches(events, args.batch_size)
    reposts = [batch for batch in batches if rng.random() < args.repost_share]
    ledger = Ledger(reposts=len(reposts))
    print(f"{run}: posting {len(events)} events in {len(batches)} batches (+{len(reposts)} re-posted) "
          f"from {args.clients} clients to {url}", file=sys.stderr)  # fmt: skip

    jobs = [(sender(url, keys[batch[0]["initiatorsystemcode"]]), batch) for batch in batches + reposts]
    posted_s = post_all(jobs, args.clients, ledger, CLIENT_BACKOFF)

    wanted = {event["eventid"]: event["initiatorsystemcode"] for event in events}
    delivery_started = time.monotonic()

    in_s3 = local_stack.wait_for(
        lambda: archived_counts(bucket, run), lambda found: wanted.keys() <= found.keys(), args.wait, interval=10
    )
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
        "unanswered_requests": ledger.unreachable,
        "reposted_batches": ledger.reposts,
        "retried_items": ledger.retried_items,
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
