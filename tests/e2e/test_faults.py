"""Reliability under faults, end to end: every posted event ends stored (under data/), under errors/, or
refused to its client as retryable and then stored by the client's retry; none is silently lost.

Each test switches a fault on through the LocalStack extension (/_aaas/faults, see
scripts/localstack_ext/aaas_localstack_ext/faults.py), posts tagged events as `make load` does (client
eventids, concurrent clients that retry exactly what the API marks retryable), switches the fault off
again, and counts the run's events by eventid in S3 and in the index.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import load
import pytest
from localstack_fixture import external, local_down, local_up, running_pid

import local_stack
import rest
from aaas.config import terraform_outputs
from audit_shared.partitions import data_prefix
from support import ROOT

pytestmark = [pytest.mark.localstack, pytest.mark.e2e]

TYPES = {"LOGIN_SUCCESSFUL", "LOGOUT_SUCCESSFUL", "DOCUMENT_CONTENT_VIEWED"}  # make load's mix: no always-alert type
CLIENTS = 8


def quiet_events(count: int, run: str, seed: int) -> list[dict[str, Any]]:
    """make load's events (TYPES), minus the watch-listed network: no alert rule fires for them. (A
    watch-list alert for 203.0.113.66 from here would suppress test_pipeline's own for the next hour.)"""
    events = load.tagged_events(count, run, seed=seed, types=TYPES)
    for event in events:
        if event["requestorip"].startswith("203.0.113."):
            event["requestorip"] = "198.51.100." + event["requestorip"].rsplit(".", 1)[1]
    return events


@dataclass
class ArchiveReader:
    """The run's events found in the archive, read incrementally: each sync lists the run's data/ partitions
    and errors/, and reads only the objects it has not seen yet."""

    bucket: str
    run: str
    prefixes: list[str]
    seen: set[str] = field(default_factory=set)
    archived: Counter[str] = field(default_factory=Counter)  # eventid -> copies under data/
    errored: Counter[str] = field(default_factory=Counter)  # eventid -> copies under errors/ (rawData)
    error_codes: Counter[str] = field(default_factory=Counter)
    attempts_made: set[int] = field(default_factory=set)
    error_objects: int = 0  # objects under errors/ holding the run's events: one per failed batch and error type
    last_sync_started: float = 0.0  # time.monotonic() when the last sync began listing

    @classmethod
    def of(cls, bucket: str, run: str, events: list[dict[str, Any]], *, from_now: bool = True) -> ArchiveReader:
        """A reader of where these events can be archived; from_now: ignoring the objects already there."""
        prefixes = [*sorted({data_prefix(event) for event in events}), "errors/"]
        reader = cls(bucket, run, prefixes)
        if from_now:
            reader.seen = {key for prefix in prefixes for key in local_stack.object_keys(bucket, prefix)}
        return reader

    def sync(self) -> ArchiveReader:
        self.last_sync_started = time.monotonic()
        keys = [
            key
            for prefix in self.prefixes
            for key in local_stack.object_keys(self.bucket, prefix)
            if key not in self.seen
        ]
        for key in keys:
            text = local_stack.read_object(self.bucket, key).decode()
            for line in filter(str.strip, text.splitlines()):
                if key.startswith("data/"):
                    self._count(self.archived, line)
                    continue
                record = json.loads(line)
                # The record as ingestion sent it: the event lines of one partition and their trailer.
                raw = base64.b64decode(record["rawData"]).decode()
                events = [event for event in raw.splitlines() if event and not event.startswith("#aaas/")]
                if [event for event in events if self._count(self.errored, event)]:
                    self.error_codes[record["errorCode"]] += 1
                    self.attempts_made.add(record["attemptsMade"])
            if key.startswith("errors/") and self.run in text:
                self.error_objects += 1
            self.seen.add(key)
        return self

    def _count(self, counter: Counter[str], line: str) -> bool:
        if self.run not in line:
            return False
        counter[json.loads(line)["eventid"]] += 1
        return True


@dataclass
class Run:
    """One tagged load against the stack: what the clients were told, and what the archive and index hold."""

    events: list[dict[str, Any]]
    ledger: load.Ledger
    reader: ArchiveReader
    indexed: set[str]
    seconds: float

    def summary(self) -> dict[str, Any]:
        wanted = eventids(self.events)
        return {
            "posted": len(wanted),
            "acknowledged": len(self.ledger.stored),
            "refused": dict(self.ledger.refused),
            "requests": self.ledger.requests,
            "retried_items": self.ledger.retried_items,
            "stored_in_data": len(wanted & self.reader.archived.keys()),
            "under_errors": len(wanted & self.reader.errored.keys()),
            "lost": len(wanted - self.reader.archived.keys() - self.reader.errored.keys()),
            "duplicated": sum(
                1 for eventid in wanted if self.reader.archived[eventid] + self.reader.errored[eventid] > 1
            ),
            "indexed": len(wanted & self.indexed),
            "seconds": round(self.seconds, 1),
        }

    def assert_nothing_lost(self) -> None:
        """Every event acknowledged, each stored exactly once (data/ or errors/), and every one indexed."""
        summary = self.summary()
        assert summary["refused"] == {}, summary
        assert self.ledger.stored.keys() == eventids(self.events), summary
        assert summary["lost"] == 0, summary
        assert summary["duplicated"] == 0, summary
        assert summary["indexed"] == summary["posted"], summary


def run_load(stack: dict[str, Any], name: str, count: int, seed: int, batch_size: int = 100) -> Run:
    """Post `count` tagged events from CLIENTS clients as `make load` does, then read what was stored."""
    run = f"fault-{name}-{uuid.uuid4().hex[:8]}"
    events = quiet_events(count, run, seed=seed)
    reader = ArchiveReader.of(stack["archive_bucket_name"], run, events)
    url, keys = stack["api_local_url"], load.write_keys(stack)
    jobs = [
        (load.sender(url, keys[batch[0]["initiatorsystemcode"]]), batch)
        for batch in load.initiator_batches(events, batch_size)
    ]
    ledger = load.Ledger()
    seconds = load.post_all(jobs, CLIENTS, ledger, load.CLIENT_BACKOFF)
    # Delivery is synchronous on the local Firehose: once the API answered, the objects are in S3.
    reader.sync()
    return Run(events, ledger, reader, indexed(stack, events), seconds)


def indexed(stack: dict[str, Any], events: list[dict[str, Any]]) -> set[str]:
    """Which of the events the query function's look-up finds in the index."""
    by_id = {event["eventid"]: event["initiatorsystemcode"] for event in events}
    return local_stack.indexed_event_ids(stack["index_table_name"], by_id)


def post_batch(stack: dict[str, Any], events: list[dict[str, Any]]) -> rest.Reply:
    key = load.write_keys(stack)[events[0]["initiatorsystemcode"]]
    return rest.call(stack["api_local_url"], "POST", "/v1/events/batch", key, {"events": events})


def one_batch(stack: dict[str, Any], count: int, name: str) -> tuple[list[dict[str, Any]], ArchiveReader]:
    """`count` tagged events of one initiator (one request), and a reader of what the archive gets of them."""
    run = f"fault-{name}-{uuid.uuid4().hex[:8]}"
    events = quiet_events(count, run, seed=count)
    for event in events:
        event["initiatorsystemcode"] = "CRM_WEB"
    return events, ArchiveReader.of(stack["archive_bucket_name"], run, events)


def eventids(events: Iterable[dict[str, Any]]) -> set[str]:
    return {event["eventid"] for event in events}


def assert_refused_then_stored_by_the_retry(
    stack: dict[str, Any], events: list[dict[str, Any]], reader: ArchiveReader, refused: rest.Reply, errorcode: str
) -> None:
    """The batch was answered 503 with every item retryable and nothing stored; its retry stores each event once."""
    assert refused.status == 503, refused.body
    assert refused.body["successful"] == []
    assert [
        (item["index"], item["status"], item["errorcode"], item["retryable"]) for item in refused.body["failed"]
    ] == [(n, 503, errorcode, True) for n in range(len(events))]
    assert not reader.sync().archived and not reader.errored

    retried = post_batch(stack, events)  # any claim was released: the retry is not a duplicate
    assert retried.status == 200, retried.body
    assert [(item["index"], item["duplicate"]) for item in retried.body["successful"]] == [
        (n, False) for n in range(len(events))
    ]
    assert reader.sync().archived == Counter(eventids(events))
    assert indexed(stack, events) == eventids(events)


# --- 1. Firehose partial failures -----------------------------------------------------------------


def test_firehose_failing_a_tenth_of_the_records_loses_nothing(stack: dict[str, Any]) -> None:
    stream = stack["delivery_stream_name"]
    with local_stack.injected_faults({"firehose": {"rate": 0.1, "resources": [stream]}, "seed": 1}) as faults:
        run = run_load(stack, "firehose", 1000, seed=1)
        injected = faults()
    failed = injected["injected"]["firehose"]["PutRecordBatch"]
    considered = injected["considered"]["firehose"]
    print(f"\nfirehose 10%: {failed} of {considered} records failed by Firehose; {run.summary()}", file=sys.stderr)
    # Ingestion sends a request's events as one record per partition (audit_shared/record_frames.py),
    # so 1,000 events make a few dozen records: the fault failed some, and each was sent again.
    assert 1 <= failed < considered
    assert considered - failed >= run.summary()["requests"]  # every request's records were delivered at last
    run.assert_nothing_lost()
    assert run.summary()["stored_in_data"] == 1000  # retried into data/, none under errors/


def test_firehose_refusing_every_record_is_a_retryable_503_then_the_retry_stores_it(stack: dict[str, Any]) -> None:
    events, reader = one_batch(stack, 20, "firehose-down")
    with local_stack.injected_faults(
        {"firehose": {"rate": 1.0, "resources": [stack["delivery_stream_name"]]}}
    ) as faults:
        refused = post_batch(stack, events)
        injected = faults()
    # Every record failed, and ingestion tried them more than once (its backoff) before answering.
    assert injected["considered"]["firehose"] == injected["injected"]["firehose"]["PutRecordBatch"] >= 2
    assert_refused_then_stored_by_the_retry(stack, events, reader, refused, "DeliveryFailed")


# --- 2. DynamoDB throttling -----------------------------------------------------------------------


def test_dynamodb_throttling_claims_and_index_writes_loses_nothing(stack: dict[str, Any]) -> None:
    table = stack["index_table_name"]
    throttle = {"rate": 0.1, "resources": [table], "operations": ["PutItem", "BatchWriteItem"]}
    with local_stack.injected_faults({"dynamodb": throttle, "seed": 2}) as faults:
        run = run_load(stack, "dynamodb", 600, seed=2)
        injected = faults()
    print(f"\ndynamodb 10%: injected {injected['injected']}; {run.summary()}", file=sys.stderr)
    assert injected["injected"]["dynamodb"]["PutItem"] > 0  # claims throttled (the SDK retried them)
    assert injected["injected"]["dynamodb"]["BatchWriteItem"] > 0  # index writes left unprocessed, then retried
    run.assert_nothing_lost()


def test_dynamodb_refusing_every_claim_is_a_retryable_503_then_the_retry_stores_it(stack: dict[str, Any]) -> None:
    events, reader = one_batch(stack, 10, "claims-down")
    throttle = {"rate": 1.0, "resources": [stack["index_table_name"]], "operations": ["PutItem"]}
    with local_stack.injected_faults({"dynamodb": throttle}):
        refused = post_batch(stack, events)
    assert_refused_then_stored_by_the_retry(stack, events, reader, refused, "ServiceUnavailable")


# --- 3. Transformation exceptions -----------------------------------------------------------------


def _processor_attempts(stack: dict[str, Any]) -> int:
    """1 + the processor's NumberOfRetries (Firehose's default is 3): how often Firehose tries a batch."""
    description = local_stack.client("firehose").describe_delivery_stream(
        DeliveryStreamName=stack["delivery_stream_name"]
    )["DeliveryStreamDescription"]
    destination = description["Destinations"][0]["ExtendedS3DestinationDescription"]
    for processor in destination["ProcessingConfiguration"]["Processors"]:
        if processor["Type"] == "Lambda":
            parameters = {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]}
            return 1 + int(parameters.get("NumberOfRetries", "3"))
    raise AssertionError("the delivery stream has no Lambda processor")


def test_transformation_exceptions_are_retried_by_firehose_or_end_under_errors(stack: dict[str, Any]) -> None:
    function = stack["function_names"]["transformation"]
    attempts = _processor_attempts(stack)

    # a) The function raises on every attempt but the last: Firehose's retry archives the batch.
    recovered, reader = one_batch(stack, 20, "transform-retried")
    with local_stack.injected_faults(
        {"lambda": {"rate": 1.0, "resources": [function], "limit": attempts - 1}}
    ) as faults:
        reply = post_batch(stack, recovered)
        injected = faults()["injected"]
    assert reply.status == 200 and len(reply.body["successful"]) == 20, reply.body
    assert injected == {"lambda": {"Invoke": attempts - 1}}
    reader.sync()
    assert reader.archived == Counter(eventids(recovered))
    assert not reader.errored

    # b) The function raises on every attempt: the batch goes under errors/processing-failed/, as ingestion sent it.
    failed, reader = one_batch(stack, 20, "transform-failed")
    with local_stack.injected_faults({"lambda": {"rate": 1.0, "resources": [function], "limit": attempts}}):
        reply = post_batch(stack, failed)
    assert reply.status == 200 and len(reply.body["successful"]) == 20, reply.body
    reader.sync()
    assert not reader.archived
    assert reader.errored == Counter(eventids(failed))
    # One error record per Firehose record: the events of a partition travel together.
    assert set(reader.error_codes) == {"Lambda.FunctionError"} and 1 <= reader.error_codes.total() <= 20
    assert reader.attempts_made == {attempts}
    assert indexed(stack, failed) == eventids(failed)  # indexed by ingestion, so still queryable

    # c) Under load, with a third of the invocations failing: each event once, in data/ or under errors/.
    with local_stack.injected_faults({"lambda": {"rate": 0.3, "resources": [function]}, "seed": 3}) as faults:
        run = run_load(stack, "transform", 600, seed=3, batch_size=50)
        injected = faults()
    print(f"\ntransformation 30%: injected {injected['injected']}; {run.summary()}", file=sys.stderr)
    assert injected["injected"]["lambda"]["Invoke"] > 0
    run.assert_nothing_lost()
    # Each batch under errors/ used `attempts` failures; the failures beyond those were retried into data/.
    assert injected["injected"]["lambda"]["Invoke"] > attempts * run.reader.error_objects


# --- 4. LocalStack killed and restarted mid-load --------------------------------------------------


class Network:
    """Between the clients and the stack: it can be cut (answers in transit are lost, new requests wait),
    and restored towards another address, as a custom domain in front of a re-deployed API would be."""

    def __init__(self, url: str, keys: dict[str, str]) -> None:
        self._url, self._keys = url, keys
        self._open = threading.Event()
        self._open.set()
        self._abandoned = False

    def sender(self, initiator: str) -> load.Send:
        def send(events: list[dict[str, Any]]) -> tuple[int, Any]:
            if not self._open.wait(timeout=900) or self._abandoned:
                raise TimeoutError("the stack did not come back")
            answer = load.sender(self._url, self._keys[initiator])(events)
            if not self._open.is_set():  # the answer arrived after the cut: the client never sees it
                raise load.Unanswered("no answer: the network was cut")
            return answer

        return send

    def cut(self) -> None:
        self._open.clear()

    def restore(self, url: str, keys: dict[str, str]) -> None:
        self._url, self._keys = url, keys
        self._open.set()

    def abandon(self) -> None:
        """The stack will not come back: waiting clients give up at once."""
        self._abandoned = True
        self._open.set()


@pytest.mark.restarts_localstack
@pytest.mark.skipif(external(), reason="LOCALSTACK_EXTERNAL=1: the LocalStack is not ours to kill")
def test_localstack_killed_and_restarted_mid_load(stack: dict[str, Any]) -> None:
    """SIGKILL LocalStack while clients post, restart it, apply the stack again; the clients retry throughout.

    This LocalStack keeps no state across a restart (local-up.sh sets no PERSISTENCE, and LocalStack's
    state snapshots are a Pro feature): the killed instance's archive and index die with it, and the
    re-applied API has a new id and new keys. So the proof has two halves:
    - before the kill: the archive is read incrementally during the load (as an auditor's sync
      would); at the kill point the network is cut first (answers still in transit are lost, so
      their requests count as unanswered), then the archive is read once more, then LocalStack is
      killed with requests in flight. Every event the killed instance acknowledged is in that
      last read, exactly once.
    - after the restart: every request that got no answer is retried against the new stack, and
      every event acknowledged there is in the new archive exactly once, and in the new index.
    Every posted event is acknowledged by one of the two, and none is given up. What a restart cannot
    keep here is the killed instance's archive itself; on AWS that is S3, whose durability does not
    depend on the service instance that wrote to it.
    """
    if running_pid() is None:
        pytest.skip("LocalStack was not started by local-up.sh")
    run = f"fault-restart-{uuid.uuid4().hex[:8]}"
    events = quiet_events(1000, run, seed=4)
    old_archive = ArchiveReader.of(stack["archive_bucket_name"], run, events)
    network = Network(stack["api_local_url"], load.write_keys(stack))
    batches = load.initiator_batches(events, 25)  # small batches: many requests, some in flight at the kill
    jobs = [(network.sender(batch[0]["initiatorsystemcode"]), batch) for batch in batches]
    ledger = load.Ledger()
    timings: dict[str, float] = {}

    with ThreadPoolExecutor(max_workers=1) as runner:
        started = time.monotonic()
        posting = runner.submit(load.post_all, jobs, CLIENTS, ledger, load.CLIENT_BACKOFF)
        while len(ledger.stored) < 0.3 * len(events) and not posting.done():
            old_archive.sync()
            time.sleep(0.2)
        assert not posting.done(), "the load finished before the kill; post more events"
        try:
            network.cut()
            old_archive.sync()  # after the cut: it holds everything any client was told is stored
            pid = running_pid()
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            killed = time.monotonic()
            timings["load_before_kill"] = killed - started
            local_down()  # the pid file of the dead LocalStack; its Lambda children exit by themselves
            local_up()
            timings["restart"] = time.monotonic() - killed
            subprocess.run([str(ROOT / "scripts" / "local-apply.sh"), "apply"], check=True, timeout=1200)
            outputs = terraform_outputs(ROOT / "terraform")
        except BaseException:
            network.abandon()
            raise
        stack.clear()
        stack.update(outputs)  # the session's stack is the re-applied one from here on
        resumed = time.monotonic()
        timings["restart_and_apply"] = resumed - killed
        network.restore(outputs["api_local_url"], load.write_keys(outputs))
        posting.result(timeout=900)
        timings["load_after_restart"] = time.monotonic() - resumed

    # An answer either reached its client before the cut, or came from the new stack after the restore.
    old_acks = {eventid for eventid, at in ledger.stored.items() if at < resumed}
    new_acks = ledger.stored.keys() - old_acks
    new_archive = ArchiveReader.of(stack["archive_bucket_name"], run, events, from_now=False).sync()
    new_index = indexed(stack, events)
    report = {
        "posted": len(events),
        "acknowledged": len(ledger.stored),
        "acknowledged_before_kill": len(old_acks),
        "found_in_the_old_archive": len(old_acks & old_archive.archived.keys()),
        "requests_without_answer": ledger.unreachable,
        "delivered_before_kill_but_unanswered": len(old_archive.archived.keys() - old_acks),
        "acknowledged_after_restart": len(new_acks),
        "stored_after_restart": len(new_acks & new_archive.archived.keys()),
        "indexed_after_restart": len(new_acks & new_index),
        "refused": dict(ledger.refused),
        "seconds": {name: round(value, 1) for name, value in timings.items()},
    }
    print(f"\nrestart: {report}", file=sys.stderr)

    assert ledger.refused == {}, report
    assert ledger.stored.keys() == eventids(events), report  # every event acknowledged by one stack or the other
    assert ledger.unreachable >= 1, report  # requests were cut off mid-flight, and retried
    assert all(old_archive.archived[eventid] == 1 for eventid in old_acks), report
    assert all(new_archive.archived[eventid] == 1 for eventid in new_acks), report
    assert new_acks <= new_index, report
    assert not old_archive.errored and not new_archive.errored, report
