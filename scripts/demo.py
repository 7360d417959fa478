#!/usr/bin/env python3
"""The local demo: post every example, a LOGIN_FAILED burst, an invalid and a cross-tenant event to
the stack applied to LocalStack, wait for delivery, and print what was stored and which alerts fired.

Run through `make demo`, which starts LocalStack and applies the stack first. Leaves it running.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from collections import Counter
from dataclasses import replace
from typing import Any

import local_stack
import seal
from aaas import AuditClient, AuditError
from aaas.config import Profile, resolve
from aaas.posting import Tally, post_by_key
from generate_events import EXAMPLES_DIR

# Requestors are new on every run: alerts are de-duplicated per rule and requestor for an hour, so
# a rerun with the same ones would show fewer alerts.
RUN = time.strftime("%H%M%S")
BURST_REQUESTOR = f"u-demo-burst-{RUN}"
WATCHED_REQUESTOR = "u-watched-contractor"  # on the watch-list in terraform/environments/local.tfvars


def example_events() -> list[dict[str, Any]]:
    now_ms = int(time.time() * 1000)
    events = []
    for offset, path in enumerate(sorted(EXAMPLES_DIR.glob("*.json"))):
        event = json.loads(path.read_text())
        event.pop("eventid", None)  # the examples' fixed ids would make a second demo run all duplicates
        event.pop("relatedeventid", None)
        event["requestorid"] = f"{event['requestorid']}-{RUN}"
        event["timestamp"] = now_ms - 120_000 + offset
        events.append(event)
    return events


def burst(template: dict[str, Any], count: int) -> list[dict[str, Any]]:
    now_ms = int(time.time() * 1000)
    events = []
    for n in range(count):
        event = copy.deepcopy(template)
        event.update(requestorid=BURST_REQUESTOR, timestamp=now_ms - 60_000 + n * 1000)
        events.append(event)
    return events


def post(label: str, events: list[Any], profile: Profile, clients: dict[str, AuditClient]) -> Tally:
    """Post through the SDK, each event with the key allowed to post its initiator."""

    def client_for(key: str) -> AuditClient:
        return clients.setdefault(key, AuditClient(profile.url, key, timeout=30))

    tally = Tally()
    refusals = []
    for _, result in post_by_key(profile, events, client_for):
        tally.add(result)
        if not result.ok:
            refusals.append(result.describe())
    print(f"  {label:<38} {tally.stored:>3} accepted, {tally.duplicate} duplicate, {tally.refused} rejected")
    for refusal in refusals:
        print(f"      rejected: {refusal}")
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", type=int, default=240, help="seconds to wait for delivery and alerts")
    args = parser.parse_args()
    profile = resolve(terraform_dir=local_stack.ROOT / "terraform", local=True)
    outputs = profile.outputs
    clients: dict[str, AuditClient] = {}
    bucket, table = outputs["archive_bucket_name"], outputs["index_table_name"]
    queue_url = local_stack.subscribe_queue(outputs["alerts_topic_arn"], f"{table}-demo-alerts")
    examples = example_events()
    login_failed = next(event for event in examples if event["eventtype"] == "LOGIN_FAILED")
    invalid = dict(login_failed, requestorip="10.0.0.256", loginfailurecode="FORGOT")
    watched = dict(next(event for event in examples if event["eventtype"] == "DOCUMENT_DOWNLOADED"))
    watched["requestorid"] = WATCHED_REQUESTOR
    cross_tenant = dict(next(event for event in examples if event["initiatorsystemcode"] == "ERP_WEB"))

    print(f"Posting to {profile.url}")
    tallies = [
        post("one example of every event type", examples, profile, clients),
        post(f"burst of 6 LOGIN_FAILED by {BURST_REQUESTOR}", burst(login_failed, 6), profile, clients),
        post(f"a download by watch-listed {WATCHED_REQUESTOR}", [watched], profile, clients),
        post("an invalid event", [invalid], profile, clients),
    ]
    crm_only = replace(profile, api_key=profile.write_key("CRM_WEB"))
    tallies.append(post("an ERP_WEB event with the CRM key", [cross_tenant], crm_only, clients))
    accepted_ids = {eventid for tally in tallies for eventid in tally.eventids}
    reasons = Counter()
    for tally in tallies:
        reasons.update(tally.reasons)

    print(f"\nWaiting up to {args.wait} s for Firehose delivery ...")
    archived = local_stack.wait_for(
        lambda: local_stack.archived_events(bucket), lambda found: accepted_ids <= found.keys(), args.wait
    )
    stored = accepted_ids & archived.keys()
    alerts = local_stack.wait_for(lambda: local_stack.drain_alerts(queue_url), bool, 60)
    alerts += local_stack.drain_alerts(queue_url, wait_seconds=5)

    print("\nSummary")
    print(f"  events accepted by the API        {len(accepted_ids)}")
    print(f"  events rejected by the API        {sum(t.refused for t in tallies)}")
    for reason, count in sorted(reasons.items()):
        print(f"      {count} x {reason}")
    print(f"  accepted events found in S3       {len(stored)} of {len(accepted_ids)}")
    indexed = local_stack.indexed_event_ids(
        table, {eventid: archived[eventid][1]["initiatorsystemcode"] for eventid in stored}
    )
    print(f"  accepted events found in DynamoDB {len(indexed)} of {len(accepted_ids)}")
    print(f"  events in the index {table:<13} {local_stack.count_indexed_events(table)} (all runs)")
    keys = sorted({archived[eventid][0] for eventid in stored})
    print(f"  S3 objects written under data/    {len(keys)}, for example:")
    for key in keys[:5]:
        print(f"      s3://{bucket}/{key}")
    errors = local_stack.object_keys(bucket, "errors/")
    print(f"  objects under errors/             {len(errors)}")
    print(f"  alerts received on SQS            {len(alerts)} (one per rule and subject per window)")
    for alert in alerts:
        print(f"      {alert['subject']}")
    # Seal now rather than wait for the schedule, so the demo always leaves a signed digest of its events
    # (once S3 -> EventBridge -> the digest function has recorded the new objects in the ledger).
    local_stack.wait_for(lambda: local_stack.ledger_pending(outputs["ledger_table_name"]), bool, 60)
    succeeded, sealed = seal.seal(local_stack.client("lambda"), outputs["function_names"]["digest"])
    print(f"  signed digest sealed now          {sealed.get('digest') if succeeded else sealed}")
    if succeeded:
        print(f"      {sealed['objects']} object(s), {sealed['events']} event(s); check it all: make verify")

    keys = outputs["api_keys"]
    sample = sorted(stored)[0] if stored else "<eventid>"
    print(
        "\nThe stack is still running. Use it with the SDK's CLI (README, 'Integrate'; .venv/bin/aaas, or\n"
        "pip install ./client):\n"
        f"  aaas search --requestorid {BURST_REQUESTOR} --local\n"
        f"  aaas get {sample} --local\n"
        f"  aaas verify-event {sample} --local\n"
        "  aaas post-file examples/events/LOGIN_FAILED.json --local\n"
        "or through the API itself (README, 'The API'):\n"
        f"  export API_URL={outputs['api_local_url']}\n"
        f"  export API_KEY={keys['crm']} AUDITOR_KEY={keys['auditor']}\n"
        f'  curl -sS "$API_URL/v1/events?requestorid={BURST_REQUESTOR}&initiatorsystemcode=CRM_WEB&limit=3" '
        '-H "x-api-key: $API_KEY"\n'
        f'  curl -sS "$API_URL/v1/events/{sorted(stored)[0] if stored else "<eventid>"}?initiatorsystemcode='
        f'{archived[sorted(stored)[0]][1]["initiatorsystemcode"] if stored else "CRM_WEB"}" -H "x-api-key: $AUDITOR_KEY"\n'
        f'  curl -sS "$API_URL/v1/events/{sorted(stored)[0] if stored else "<eventid>"}/proof" -H "x-api-key: $AUDITOR_KEY"\n'
        "Verify the archive against its signed digests: make verify   (seal again now: make seal)\n"
        "Post more: scripts/generate_events.py 20 | .venv/bin/aaas post-file - --local\n"
        "Stop it with: make local-down"
    )
    missing = len(accepted_ids) - len(stored)
    if missing or indexed != accepted_ids or not succeeded:
        print(
            f"\ndemo: {missing} accepted events missing from S3, {len(accepted_ids - indexed)} from the index",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AuditError as exc:
        print(f"demo: error: {exc}", file=sys.stderr)
        sys.exit(2)
